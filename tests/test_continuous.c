/* Continuous (audio) flows (MXL-FORMAT.md §3.4, §7.3, §7.4, §7.5, §14 items 4, 13, 19; upstream test_flows.cpp
 * audio cases): a writer process and a reader process stream across many ring wraps with different batch sizes and
 * every sample value is checked, for float32 and float64; the half-buffer rule; argument errors; FLOW_INVALID after
 * recreate; the §7.4 wake throttling cross-check; the re-check at the deadline; lastWriteTime / lastReadTime. */
#define _GNU_SOURCE
#include <pthread.h>

#include "flowtest.h"

#define AID "b3bb5be7-9fe9-4324-a5bb-4c70e1084449"
#define VID "5fbec3b1-1b0f-417d-9059-8b94a47197ed"

/* Sample labelled s (upstream labelling: a window (index, count) holds samples index-count+1 .. index) of channel
 * c: distinct per sample and channel, exact in float and double. */
static double sample_value(uint64_t s, uint32_t c)
{
    return (double)((s * 7 + c * 131) % 100000) / 1024.0;
}

/* Value of element j (0-based) of a channel window, from the two fragments. */
static double window_get(mxlWrappedMultiBufferSlice const* sl, uint32_t c, size_t j, size_t word)
{
    uint8_t const* f0 = (uint8_t const*)sl->base.fragments[0].pointer + c * sl->stride;
    uint8_t const* f1 = (uint8_t const*)sl->base.fragments[1].pointer + c * sl->stride;
    size_t n0 = sl->base.fragments[0].size / word;
    uint8_t const* at = j < n0 ? f0 + j * word : f1 + (j - n0) * word;
    if (word == 4) {
        float v;
        memcpy(&v, at, 4);
        return v;
    }
    double v;
    memcpy(&v, at, 8);
    return v;
}

static void window_put(mxlMutableWrappedMultiBufferSlice const* sl, uint32_t c, size_t j, size_t word, double v)
{
    uint8_t* f0 = (uint8_t*)sl->base.fragments[0].pointer + c * sl->stride;
    uint8_t* f1 = (uint8_t*)sl->base.fragments[1].pointer + c * sl->stride;
    size_t n0 = sl->base.fragments[0].size / word;
    uint8_t* at = j < n0 ? f0 + j * word : f1 + (j - n0) * word;
    if (word == 4) {
        float f = (float)v;
        memcpy(at, &f, 4);
    } else
        memcpy(at, &v, 8);
}

/* Write samples labelled [first, first + count) with the test values. */
static mxlStatus write_batch(mxlFlowWriter w, uint64_t first, size_t count, uint32_t channels, size_t word)
{
    mxlMutableWrappedMultiBufferSlice sl;
    mxlStatus st = mxlFlowWriterOpenSamples(w, first + count - 1, count, &sl);
    if (st != MXL_STATUS_OK)
        return st;
    if (sl.count != channels || sl.base.fragments[0].size + sl.base.fragments[1].size != count * word)
        return MXL_ERR_UNKNOWN;
    for (uint32_t c = 0; c < channels; c++)
        for (size_t j = 0; j < count; j++)
            window_put(&sl, c, j, word, sample_value(first + j, c));
    return mxlFlowWriterCommitSamples(w);
}

static uint32_t* map_sync_counter(char const* domain, char const* id, void** base)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s.mxl-flow/data", domain, id);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    void* p = mmap(NULL, 2064, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    CHECK(p != MAP_FAILED);
    *base = p;
    return (uint32_t*)((uint8_t*)p + 2056);
}

/* ---- streaming between two processes ------------------------------------------------------------------------------ */

typedef struct
{
    int ready;            /* writer: flow created */
    int done;             /* reader: finished, writer may release */
    uint64_t reader_pos;  /* last label the reader has consumed */
    uint64_t writer_pos;  /* last label committed */
    int writer_error;
} stream_ctl;

typedef struct
{
    char const* domain;
    char* def;
    uint32_t channels;
    size_t word;
    size_t wbatch, rbatch;
    uint64_t base;   /* labels base+1 .. base+total are read */
    uint64_t total;
    uint64_t lag;    /* the writer stays at most this far ahead of the reader */
    stream_ctl* ctl;
} stream_args;

static void stream_writer(void* arg)
{
    stream_args* a = arg;
    mxlInstance inst = mxlCreateInstance(a->domain, NULL);
    mxlFlowWriter w;
    bool created = false;
    CHECK_STATUS(mxlCreateFlowWriter(inst, a->def, NULL, &w, NULL, &created), MXL_STATUS_OK);
    CHECK(created);
    ft_set_flag(&a->ctl->ready, 1);
    /* write past the reader's end, so its last blocking read is woken by a later commit (§7.4) */
    uint64_t end = a->base + a->total + 2048;
    for (uint64_t pos = a->base; pos < end;) {
        size_t n = a->wbatch;
        while (pos + n > __atomic_load_n(&a->ctl->reader_pos, __ATOMIC_ACQUIRE) + a->lag) {
            if (__atomic_load_n(&a->ctl->done, __ATOMIC_ACQUIRE))
                break;
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
        }
        if (__atomic_load_n(&a->ctl->done, __ATOMIC_ACQUIRE))
            break;
        mxlStatus st = write_batch(w, pos + 1, n, a->channels, a->word);
        if (st != MXL_STATUS_OK) {
            CHECK_MSG(false, "write at %llu: %s", (unsigned long long)pos, mxlGetLastErrorMessage());
            a->ctl->writer_error = 1;
            break;
        }
        pos += n;
        __atomic_store_n(&a->ctl->writer_pos, pos, __ATOMIC_RELEASE);
    }
    CHECK(ft_wait_flag(&a->ctl->done, 1, 60000));
    CHECK_STATUS(mxlReleaseFlowWriter(inst, w), MXL_STATUS_OK);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
}

static void run_stream(char const* name, int bit_depth, uint32_t channels, size_t wbatch, size_t rbatch)
{
    stream_args a;
    a.domain = test_domain(name);
    a.def = ft_audio_def(AID, 48000, (int)channels, bit_depth);
    a.channels = channels;
    a.word = (size_t)bit_depth / 8;
    a.wbatch = wbatch;
    a.rbatch = rbatch;
    a.base = 86190348429205ULL; /* the fixture's first batch starts at label base + 1 */
    a.total = 3 * 19456 + 777;  /* a bit over three ring lengths */
    a.lag = wbatch + rbatch + 1024 > 4096 ? wbatch + rbatch + 1024 : 4096; /* room for a wake beyond each read */
    a.ctl = ft_shared(4096);
    a.ctl->reader_pos = a.base;
    pid_t pid = ft_spawn(stream_writer, &a);
    CHECK(ft_wait_flag(&a.ctl->ready, 1, 10000));

    mxlInstance inst = mxlCreateInstance(a.domain, NULL);
    mxlFlowReader r;
    CHECK_STATUS(mxlCreateFlowReader(inst, AID, NULL, &r), MXL_STATUS_OK);
    mxlFlowConfigInfo cfg;
    CHECK_STATUS(mxlFlowReaderGetConfigInfo(r, &cfg), MXL_STATUS_OK);
    uint32_t L = cfg.continuous.bufferLength;
    CHECK_EQ_U64(L, 19456);
    CHECK_EQ_U64(cfg.continuous.channelCount, channels);
    mxlFlowRuntimeInfo rt0;
    CHECK_STATUS(mxlFlowReaderGetRuntimeInfo(r, &rt0), MXL_STATUS_OK);
    size_t maxr = 0;
    CHECK_STATUS(mxlFlowReaderGetMaxReadLengthSamples(r, &maxr), MXL_STATUS_OK);
    CHECK_EQ_U64(maxr, L / 2);
    /* the channels file holds channels x L x word bytes: the reader inferred the word size from it */
    char path[600];
    snprintf(path, sizeof path, "%s/%s.mxl-flow/channels", a.domain, AID);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (uint64_t)st.st_size == (uint64_t)channels * L * a.word);

    uint64_t bad = 0, wraps = 0, reads = 0, first_bad = 0;
    for (uint64_t pos = a.base; pos + a.rbatch <= a.base + a.total; pos += a.rbatch) {
        mxlWrappedMultiBufferSlice sl;
        mxlStatus s = mxlFlowReaderGetSamples(r, pos + a.rbatch, a.rbatch, 10000000000ULL, &sl);
        if (s != MXL_STATUS_OK) {
            CHECK_MSG(false, "%s: read (%llu, %zu): %s", name, (unsigned long long)(pos + a.rbatch), a.rbatch,
                      mxlGetLastErrorMessage());
            break;
        }
        reads++;
        if (sl.count != channels || sl.stride != L * a.word ||
            sl.base.fragments[0].size + sl.base.fragments[1].size != a.rbatch * a.word) {
            CHECK_MSG(false, "%s: bad window shape", name);
            break;
        }
        if (sl.base.fragments[1].size > 0)
            wraps++;
        for (uint32_t c = 0; c < channels; c++)
            for (size_t j = 0; j < a.rbatch; j++) {
                double expect = sample_value(pos + 1 + j, c);
                if (a.word == 4)
                    expect = (float)expect;
                if (window_get(&sl, c, j, a.word) != expect && bad++ == 0)
                    first_bad = pos + 1 + j;
            }
        __atomic_store_n(&a.ctl->reader_pos, pos + a.rbatch, __ATOMIC_RELEASE);
    }
    CHECK_MSG(bad == 0, "%s: %llu wrong samples, first label %llu", name, (unsigned long long)bad,
              (unsigned long long)first_bad);
    CHECK_EQ_U64(reads, a.total / a.rbatch);
    CHECK_MSG(wraps >= 3, "%s: only %llu reads straddled the ring end", name, (unsigned long long)wraps);

    /* lastReadTime: our reads touch `channels` (extension); the writer's watcher in the other process stores the
     * time. Let earlier touches settle, read once more, poll (a liveness bound). */
    ft_sleep_ms(300);
    mxlFlowRuntimeInfo rt;
    CHECK_STATUS(mxlFlowReaderGetRuntimeInfo(r, &rt), MXL_STATUS_OK);
    uint64_t t_read = mxlGetTime();
    CHECK(rt.lastReadTime < t_read);
    CHECK(rt.lastWriteTime > rt0.lastWriteTime); /* commits stamp lastWriteTime (extension, §14 item 13) */
    mxlWrappedMultiBufferSlice sl;
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, rt.headIndex, 16, &sl), MXL_STATUS_OK);
    bool advanced = false;
    for (int i = 0; i < 200 && !advanced; i++) {
        CHECK_STATUS(mxlFlowReaderGetRuntimeInfo(r, &rt), MXL_STATUS_OK);
        advanced = rt.lastReadTime >= t_read;
        if (!advanced)
            ft_sleep_ms(10);
    }
    CHECK_MSG(advanced, "%s: lastReadTime did not advance after an audio read from another process", name);

    ft_set_flag(&a.ctl->done, 1);
    CHECK_EQ_U64(ft_reap(pid), 0);
    CHECK_EQ_U64(a.ctl->writer_error, 0);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    CHECK_EQ_U64(ft_count_entries(a.domain), 0);
    munmap(a.ctl, 4096);
    free(a.def);
    test_rmtree(a.domain);
}

/* ---- rules and errors (in-process) ---------------------------------------------------------------------------------- */

static void test_rules(void)
{
    char const* dom = test_domain("audio-rules");
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    char* def = ft_audio_def(AID, 48000, 2, 32);
    char* vdef = ft_video_def(VID, 1920, 1080, 30000, 1001, "video/v210", NULL);
    mxlFlowWriter w, vw;
    mxlFlowConfigInfo cfg;
    CHECK_STATUS(mxlCreateFlowWriter(inst, def, NULL, &w, &cfg, NULL), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowWriter(inst, vdef, NULL, &vw, NULL, NULL), MXL_STATUS_OK);
    uint32_t L = cfg.continuous.bufferLength;
    CHECK_EQ_U64(L, 19456);
    CHECK_EQ_U64(cfg.common.maxCommitBatchSizeHint, 480);
    CHECK_EQ_U64(cfg.common.maxSyncBatchSizeHint, 480);
    mxlFlowReader r, vr;
    CHECK_STATUS(mxlCreateFlowReader(inst, AID, NULL, &r), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowReader(inst, VID, NULL, &vr), MXL_STATUS_OK);
    size_t maxw = 0;
    CHECK_STATUS(mxlFlowWriterGetMaxWriteLengthSamples(w, &maxw), MXL_STATUS_OK);
    CHECK_EQ_U64(maxw, L / 2);
    mxlMutableWrappedMultiBufferSlice ws;
    mxlWrappedMultiBufferSlice rs;

    /* half-buffer rule: writes above L/2 are invalid, reads above L/2 are TOO_LATE */
    uint64_t base = 1000000;
    CHECK_STATUS(mxlFlowWriterOpenSamples(w, base, L / 2 + 1, &ws), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowWriterOpenSamples(w, base, 0, &ws), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowWriterCommitSamples(w), MXL_ERR_INVALID_ARG); /* nothing open */
    CHECK_STATUS(mxlFlowWriterOpenSamples(w, base, L / 2, &ws), MXL_STATUS_OK);
    CHECK_EQ_U64(ws.base.fragments[0].size + ws.base.fragments[1].size, (L / 2) * 4);
    CHECK_EQ_U64(ws.stride, L * 4);
    CHECK_EQ_U64(ws.count, 2);
    CHECK_STATUS(mxlFlowWriterCancelSamples(w), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowWriterCommitSamples(w), MXL_ERR_INVALID_ARG); /* cancelled */
    mxlFlowRuntimeInfo rt;
    CHECK_STATUS(mxlFlowReaderGetRuntimeInfo(r, &rt), MXL_STATUS_OK);
    CHECK_EQ_U64(rt.headIndex, 0);
    uint64_t lw0 = rt.lastWriteTime;

    for (uint64_t p = base; p < base + L; p += 480)
        CHECK_STATUS(write_batch(w, p + 1, base + L - p < 480 ? base + L - p : 480, 2, 4), MXL_STATUS_OK);
    uint64_t head = base + L; /* labels base+1 .. base+L written */
    CHECK_STATUS(mxlFlowReaderGetRuntimeInfo(r, &rt), MXL_STATUS_OK);
    CHECK_EQ_U64(rt.headIndex, head);
    CHECK(rt.lastWriteTime > lw0);
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, head, L / 2 + 1, &rs), MXL_ERR_OUT_OF_RANGE_TOO_LATE);
    if (mxlFlowReaderGetSamplesNonBlocking(r, head, L / 2, &rs) == MXL_STATUS_OK) {
        CHECK(window_get(&rs, 1, 0, 4) == (float)sample_value(head - L / 2 + 1, 1));
        CHECK(window_get(&rs, 0, L / 2 - 1, 4) == (float)sample_value(head, 0));
    } else
        CHECK_MSG(false, "read of L/2 ending at the head: %s", mxlGetLastErrorMessage());
    /* the window must start at or after head - L/2 */
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, head - 1, L / 2, &rs), MXL_ERR_OUT_OF_RANGE_TOO_LATE);
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, head - 1, L / 2 - 1, &rs), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, head - L / 2, 1, &rs), MXL_ERR_OUT_OF_RANGE_TOO_LATE);
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, head - L / 2 + 1, 1, &rs), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, head + 1, 1, &rs), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    CHECK_STATUS(mxlFlowReaderGetSamples(r, head + 1, 1, 20000000ULL, &rs), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    /* a read of 0 samples is an empty window */
    memset(&rs, 0xab, sizeof rs);
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, head, 0, &rs), MXL_STATUS_OK);
    CHECK_EQ_U64(rs.base.fragments[0].size, 0);
    CHECK_EQ_U64(rs.base.fragments[1].size, 0);
    CHECK_EQ_U64(rs.count, 2);
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, head + 1, 0, &rs), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    /* a blocking reader asking for data that is already there returns at once (liveness bound 5 s of 20 s) */
    uint64_t t0 = ft_mono_ns();
    CHECK_STATUS(mxlFlowReaderGetSamples(r, head, 480, 20000000000ULL, &rs), MXL_STATUS_OK);
    CHECK(ft_mono_ns() - t0 < 5000000000ULL);
    /* headIndex never moves backwards: an older write is stored but the head stays */
    CHECK_STATUS(write_batch(w, head - 100, 50, 2, 4), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowReaderGetRuntimeInfo(r, &rt), MXL_STATUS_OK);
    CHECK_EQ_U64(rt.headIndex, head);

    /* argument errors and wrong kinds */
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, head, 1, NULL), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(NULL, head, 1, &rs), MXL_ERR_INVALID_FLOW_READER);
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(vr, head, 1, &rs), MXL_ERR_INVALID_FLOW_READER);
    CHECK_STATUS(mxlFlowReaderGetSamples(vr, head, 1, 0, &rs), MXL_ERR_INVALID_FLOW_READER);
    CHECK_STATUS(mxlFlowReaderGetMaxReadLengthSamples(vr, &maxw), MXL_ERR_INVALID_FLOW_READER);
    CHECK_STATUS(mxlFlowReaderGetMaxReadLengthSamples(r, NULL), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowWriterOpenSamples(vw, head, 1, &ws), MXL_ERR_INVALID_FLOW_WRITER);
    CHECK_STATUS(mxlFlowWriterOpenSamples(w, head, 1, NULL), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowWriterCommitSamples(vw), MXL_ERR_INVALID_FLOW_WRITER);
    CHECK_STATUS(mxlFlowWriterCancelSamples(vw), MXL_ERR_INVALID_FLOW_WRITER);
    CHECK_STATUS(mxlFlowWriterGetMaxWriteLengthSamples(vw, &maxw), MXL_ERR_INVALID_FLOW_WRITER);
    CHECK_STATUS(mxlFlowWriterCommitSamples(NULL), MXL_ERR_INVALID_FLOW_WRITER);
    CHECK_STATUS(mxlFlowWriterOpenSamples(w, MXL_UNDEFINED_INDEX, 1, &ws), MXL_ERR_INVALID_ARG);

    /* FLOW_INVALID once the flow is deleted and recreated under the same id (a new `data` inode) */
    CHECK_STATUS(mxlReleaseFlowWriter(inst, w), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, head + 1, 1, &rs), MXL_ERR_FLOW_INVALID);
    bool created = false;
    CHECK_STATUS(mxlCreateFlowWriter(inst, def, NULL, &w, NULL, &created), MXL_STATUS_OK);
    CHECK(created);
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, head + 1, 1, &rs), MXL_ERR_FLOW_INVALID);
    CHECK_STATUS(mxlFlowReaderGetSamples(r, head + 1, 1, 20000000ULL, &rs), MXL_ERR_FLOW_INVALID);
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, head, 16, &rs), MXL_STATUS_OK); /* old mapping */
    CHECK_STATUS(mxlReleaseFlowReader(inst, r), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowReader(inst, AID, NULL, &r), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, 1, 1, &rs), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    CHECK_EQ_U64(ft_count_entries(dom), 0);
    free(def);
    free(vdef);
    test_rmtree(dom);
}

/* ---- §7.4 wake throttling --------------------------------------------------------------------------------------- */

static void test_wake_throttling(void)
{
    char const* dom = test_domain("audio-wake");
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    char* def = ft_audio_def(AID, 48000, 2, 32);
    mxlFlowWriter w;
    CHECK_STATUS(mxlCreateFlowWriter(inst, def, "{\"maxCommitBatchSizeHint\": 480, \"maxSyncBatchSizeHint\": 480}",
                                     &w, NULL, NULL),
                 MXL_STATUS_OK);
    void* map;
    uint32_t* sync = map_sync_counter(dom, AID, &map);
    CHECK_EQ_U64(*sync, 0);
    /* the fixture's 24 commits of 48 samples, first open index 86190348429253 */
    for (int j = 0; j < 24; j++)
        CHECK_STATUS(write_batch(w, 86190348429206ULL + 48ULL * (uint64_t)j, 48, 2, 4), MXL_STATUS_OK);
    CHECK_EQ_U64(__atomic_load_n(sync, __ATOMIC_ACQUIRE), 4);
    munmap(map, 2064);
    CHECK_STATUS(mxlReleaseFlowWriter(inst, w), MXL_STATUS_OK);

    /* S = C = 480, heads 480 then 720 both wake; every commit of >= S samples wakes (§7.4 examples) */
    CHECK_STATUS(mxlCreateFlowWriter(inst, def, NULL, &w, NULL, NULL), MXL_STATUS_OK);
    sync = map_sync_counter(dom, AID, &map);
    CHECK_STATUS(write_batch(w, 1, 480, 2, 4), MXL_STATUS_OK); /* head 480 */
    CHECK_EQ_U64(*sync, 1);
    CHECK_STATUS(write_batch(w, 481, 240, 2, 4), MXL_STATUS_OK); /* head 720 */
    CHECK_EQ_U64(*sync, 2);
    CHECK_STATUS(write_batch(w, 721, 100, 2, 4), MXL_STATUS_OK); /* head 820: window 1 already pre-armed */
    CHECK_EQ_U64(*sync, 2);
    for (uint64_t p = 821; p < 821 + 480 * 4; p += 480) {
        uint32_t before = *sync;
        CHECK_STATUS(write_batch(w, p, 480, 2, 4), MXL_STATUS_OK);
        CHECK_EQ_U64(*sync, before + 1);
    }
    munmap(map, 2064);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    free(def);
    test_rmtree(dom);
}

/* A reader blocked on samples that arrive through a commit that does not wake (§7.4) still gets them: the wait
 * re-checks at its deadline (§14 item 19) instead of reporting TOO_EARLY. */
typedef struct
{
    mxlFlowWriter w;
    uint64_t first;
} late_commit;

static void* late_commit_thread(void* arg)
{
    late_commit* lc = arg;
    ft_sleep_ms(50);
    CHECK_STATUS(write_batch(lc->w, lc->first, 100, 2, 4), MXL_STATUS_OK);
    return NULL;
}

static void test_recheck_at_deadline(void)
{
    char const* dom = test_domain("audio-recheck");
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    char* def = ft_audio_def(AID, 48000, 2, 32);
    mxlFlowWriter w;
    CHECK_STATUS(mxlCreateFlowWriter(inst, def, NULL, &w, NULL, NULL), MXL_STATUS_OK);
    mxlFlowReader r;
    CHECK_STATUS(mxlCreateFlowReader(inst, AID, NULL, &r), MXL_STATUS_OK);
    void* map;
    uint32_t* sync = map_sync_counter(dom, AID, &map);
    uint64_t m = 480 * 1000;
    CHECK_STATUS(write_batch(w, m + 1, 100, 2, 4), MXL_STATUS_OK);   /* head m+100: wakes, last = b */
    CHECK_STATUS(write_batch(w, m + 101, 100, 2, 4), MXL_STATUS_OK); /* head m+200: wakes, pre-arms b+1 */
    uint32_t before = *sync;
    late_commit lc = {w, m + 201}; /* head m+300: b < last, no wake */
    pthread_t th;
    pthread_create(&th, NULL, late_commit_thread, &lc);
    mxlWrappedMultiBufferSlice rs;
    mxlStatus st = mxlFlowReaderGetSamples(r, m + 300, 100, 400000000ULL, &rs);
    pthread_join(th, NULL);
    CHECK_EQ_U64(*sync, before); /* the commit really did not wake */
    CHECK_STATUS(st, MXL_STATUS_OK);
    if (st == MXL_STATUS_OK)
        CHECK(window_get(&rs, 1, 99, 4) == (float)sample_value(m + 300, 1));
    munmap(map, 2064);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    free(def);
    test_rmtree(dom);
}

int main(void)
{
    umask(022);
    test_rules();
    test_wake_throttling();
    test_recheck_at_deadline();
    run_stream("audio-f32-w480-r333", 32, 2, 480, 333);
    run_stream("audio-f32-w64-r1000", 32, 8, 64, 1000);
    run_stream("audio-f64-w1000-r480", 64, 2, 1000, 480);
    run_stream("audio-f64-w7-r4099", 64, 1, 7, 4099);
    return test_finish("test_continuous");
}
