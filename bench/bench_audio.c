/* bench_audio - continuous (audio) flows: float32 at 48 kHz, 2 and 64 channels, written in 48-sample batches.
 *   *_h48      writer options {"maxCommitBatchSizeHint":48,"maxSyncBatchSizeHint":48}: every commit wakes.
 *   *_default  default hints (480/480 = 10 ms): about one wake per 10 ms of audio (MXL-FORMAT.md §7.4).
 *   *_c48s480  the commit hint says what the writer really commits (48), sync hint 480: one wake per 10 ms,
 *              issued by the commit that completes each 480-sample window.
 *   audio_*    unthrottled writer: samples/s, and the wake latency of a reader that reads every batch.
 *   audio_paced_*  writer paced in real time (one 48-sample batch per ms): how late after the commit of sample
 *                  index X does a reader blocked on X return.
 * The writer fills every channel of the batch (memset) and stamps {CLOCK_MONOTONIC, index, last} into the first
 * 24 bytes of channel 0 of the batch just before the commit. The reader asks for each batch (index X = end of the
 * batch, count 48): non-blocking first, blocking if that says TOO_EARLY; only blocking reads are latency samples. */
#include "bench_futex.h"

#define BATCH 48

/* Copy n bytes at byte offset `off` of channel `ch` of a (possibly wrapped) window, in or out. */
static void window_io(uint8_t* const frag[2], size_t const size[2], size_t stride, uint32_t ch, size_t off,
                      void* buf, size_t n, bool write)
{
    uint8_t* b = buf;
    for (int f = 0; f < 2 && n > 0; f++) {
        if (off >= size[f]) {
            off -= size[f];
            continue;
        }
        size_t k = size[f] - off < n ? size[f] - off : n;
        uint8_t* p = frag[f] + (size_t)ch * stride + off;
        if (write)
            memcpy(p, b, k);
        else
            memcpy(b, p, k);
        b += k;
        n -= k;
        off = 0;
    }
}

static int writer_main(int argc, char** argv)
{
    char const* domain = kv_str(argc, argv, "domain", NULL);
    char const* id = kv_str(argc, argv, "id", NULL);
    int channels = (int)kv_int(argc, argv, "channels", 2);
    int sync = (int)kv_int(argc, argv, "sync", 0); /* 0: default hints; else commit hint 48 and this sync hint */
    uint64_t dur = (uint64_t)(kv_dbl(argc, argv, "seconds", 1.0) * 1e9);
    uint64_t pace = (uint64_t)kv_int(argc, argv, "pace_ns", 0);
    uint64_t base = (uint64_t)kv_int(argc, argv, "base", 48000);
    char def[2048];
    audio_flowdef(def, sizeof def, id, channels);
    char opts[128];
    snprintf(opts, sizeof opts, "{\"maxCommitBatchSizeHint\":48,\"maxSyncBatchSizeHint\":%d}", sync);

    mxlInstance inst = mxlCreateInstance(domain, NULL);
    if (inst == NULL)
        die("mxlCreateInstance(%s): %s", domain, mxlGetLastErrorMessage());
    mxlFlowWriter wr;
    mxlFlowConfigInfo cfg;
    bool created;
    check_mxl(mxlCreateFlowWriter(inst, def, sync ? opts : NULL, &wr, &cfg, &created), "mxlCreateFlowWriter");
    child_ready();
    if (child_wait_cmd() != 'g')
        return 1;
    sleep_ns(50000000);

    u64vec commit = {0};
    uint64_t k = 0, t0 = now_ns();
    for (;; k++) {
        uint64_t x = base + (k + 1) * BATCH;
        if (pace)
            sleep_until_ns(t0 + k * pace);
        mxlMutableWrappedMultiBufferSlice ws;
        check_mxl(mxlFlowWriterOpenSamples(wr, x, BATCH, &ws), "mxlFlowWriterOpenSamples");
        uint8_t* frag[2] = {ws.base.fragments[0].pointer, ws.base.fragments[1].pointer};
        size_t size[2] = {ws.base.fragments[0].size, ws.base.fragments[1].size};
        for (size_t c = 0; c < ws.count; c++)
            for (int f = 0; f < 2; f++)
                if (size[f])
                    memset(frag[f] + c * ws.stride, (int)(k & 0x3f), size[f]);
        stamp s = {0, x, now_ns() - t0 >= dur};
        s.t = now_ns();
        window_io(frag, size, ws.stride, 0, 0, &s, sizeof s, true);
        check_mxl(mxlFlowWriterCommitSamples(wr), "mxlFlowWriterCommitSamples");
        vec_push(&commit, now_ns() - s.t);
        if (s.last) {
            /* The last batch may not have woken anyone (§7.4 throttling): commit padding batches until one
             * lands in a new sync window, which always wakes, so the reader does not sleep to its timeout. */
            uint32_t S = cfg.common.maxSyncBatchSizeHint ? cfg.common.maxSyncBatchSizeHint : 1;
            for (uint64_t j = 1; j <= S / BATCH + 1; j++) {
                check_mxl(mxlFlowWriterOpenSamples(wr, x + j * BATCH, BATCH, &ws), "mxlFlowWriterOpenSamples");
                uint8_t* pf[2] = {ws.base.fragments[0].pointer, ws.base.fragments[1].pointer};
                size_t ps[2] = {ws.base.fragments[0].size, ws.base.fragments[1].size};
                stamp pad = {now_ns(), x + j * BATCH, 1};
                window_io(pf, ps, ws.stride, 0, 0, &pad, sizeof pad, true);
                check_mxl(mxlFlowWriterCommitSamples(wr), "mxlFlowWriterCommitSamples");
            }
            break;
        }
    }
    k++;
    double secs = (double)(now_ns() - t0) / 1e9;
    child_put("writer rate", "samples/s", (double)(k * BATCH) / secs);
    child_put("writer commits", "commits/s", (double)k / secs);
    vec_sort(&commit);
    child_put("commit call p50", "ns", (double)pct_sorted(commit.v, commit.n, 0.5));
    child_put("commit call p99", "ns", (double)pct_sorted(commit.v, commit.n, 0.99));
    child_end();
    child_wait_cmd();
    check_mxl(mxlReleaseFlowWriter(inst, wr), "mxlReleaseFlowWriter");
    mxlDestroyInstance(inst);
    free(commit.v);
    return 0;
}

static int reader_main(int argc, char** argv)
{
    char const* domain = kv_str(argc, argv, "domain", NULL);
    char const* id = kv_str(argc, argv, "id", NULL);
    uint64_t base = (uint64_t)kv_int(argc, argv, "base", 48000);
    uint64_t rb = (uint64_t)kv_int(argc, argv, "rbatch", BATCH); /* samples per read, a multiple of BATCH */
    char const* samples = kv_str(argc, argv, "samples", NULL);
    mxlInstance inst = mxlCreateInstance(domain, NULL);
    if (inst == NULL)
        die("mxlCreateInstance(%s): %s", domain, mxlGetLastErrorMessage());
    mxlFlowReader rd;
    check_mxl(mxlCreateFlowReader(inst, id, NULL, &rd), "mxlCreateFlowReader");
    child_ready();
    if (child_wait_cmd() != 'g')
        return 1;
    u64vec lat = {0};
    uint64_t x = base + rb, got = 0, missed = 0, nowait = 0, torn = 0, timeouts = 0, t_first = 0, t_last = 0;
    for (;;) {
        mxlWrappedMultiBufferSlice rs;
        bool waited = false;
        mxlStatus st = mxlFlowReaderGetSamplesNonBlocking(rd, x, rb, &rs);
        if (st == MXL_ERR_OUT_OF_RANGE_TOO_EARLY) {
            st = mxlFlowReaderGetSamples(rd, x, rb, 5000000000ull, &rs);
            waited = true;
        }
        uint64_t t = now_ns();
        if (st == MXL_STATUS_OK) {
            uint8_t* frag[2] = {(uint8_t*)rs.base.fragments[0].pointer, (uint8_t*)rs.base.fragments[1].pointer};
            size_t size[2] = {rs.base.fragments[0].size, rs.base.fragments[1].size};
            stamp s;
            /* the stamp of the writer's batch that ends at x: the last BATCH samples of the window */
            window_io(frag, size, rs.stride, 0, (rb - BATCH) * sizeof(float), &s, sizeof s, false);
            if (s.index != x)
                torn++;
            else if (waited && !s.last) /* the end of the run (padding included) is no sample */
                vec_push(&lat, t - s.t);
            else
                nowait++;
            if (got++ == 0)
                t_first = t;
            t_last = t;
            if (s.index == x && s.last)
                break;
            x += rb;
        } else if (st == MXL_ERR_OUT_OF_RANGE_TOO_LATE) {
            mxlFlowRuntimeInfo rt;
            check_mxl(mxlFlowReaderGetRuntimeInfo(rd, &rt), "mxlFlowReaderGetRuntimeInfo");
            uint64_t nx = base + (rt.headIndex - base) / rb * rb;
            if (nx > x) {
                missed += (nx - x) / rb;
                x = nx;
            }
        } else if (st == MXL_ERR_OUT_OF_RANGE_TOO_EARLY) {
            timeouts++;
            break;
        } else {
            check_mxl(st, "mxlFlowReaderGetSamples");
        }
    }
    double secs = t_last > t_first ? (double)(t_last - t_first) / 1e9 : 1e-9;
    child_put("reader rate", "samples/s", got > 1 ? (double)((got - 1) * rb) / secs : 0.0);
    child_put("batches read", "count", (double)got);
    child_put("batches missed", "count", (double)missed);
    child_put("reads without wait", "count", (double)nowait);
    if (timeouts)
        child_put("reader timeouts", "count", (double)timeouts);
    if (torn)
        child_put("lapped while reading", "count", (double)torn);
    child_end();
    if (samples)
        vec_save(&lat, samples);
    mxlReleaseFlowReader(inst, rd);
    mxlDestroyInstance(inst);
    free(lat.v);
    return 0;
}

typedef struct audio_case
{
    char const* name;
    unsigned number;
    int channels;
    int sync; /* 0: default hints (480/480); else {"maxCommitBatchSizeHint":48,"maxSyncBatchSizeHint":sync} */
    uint64_t pace_ns;
    int rbatch; /* samples per read */
} audio_case;

static void run_audio_case(bench_opts const* o, audio_case const* ac, double seconds)
{
    if (!want_case(o, ac->name))
        return;
    bench_case c;
    case_init(&c, ac->name);
    u64vec pooled = {0};
    for (int rep = 0; rep < o->reps; rep++) {
        char id[37], a_dom[4200], a_id[64], a_ch[32], a_h[16], a_sec[40], a_pace[40], path[4200], a_s[4300], cw[32],
            cr[32];
        bench_flow_id(id, ac->number, (unsigned)rep, 0);
        snprintf(a_dom, sizeof a_dom, "domain=%s", o->domain);
        snprintf(a_id, sizeof a_id, "id=%s", id);
        snprintf(a_ch, sizeof a_ch, "channels=%d", ac->channels);
        snprintf(a_h, sizeof a_h, "sync=%d", ac->sync);
        snprintf(a_sec, sizeof a_sec, "seconds=%g", seconds);
        snprintf(a_pace, sizeof a_pace, "pace_ns=%llu", (unsigned long long)ac->pace_ns);
        snprintf(path, sizeof path, "%s/lat.%s.%d", o->dir, ac->name, rep);
        snprintf(a_s, sizeof a_s, "samples=%s", path);
        char a_rb[32];
        snprintf(a_rb, sizeof a_rb, "rbatch=%d", ac->rbatch);
        /* paced, waking on every commit: the raw-futex limit, measured again right before this repetition */
        uint64_t fp50 = 0;
        if (ac->pace_ns && ac->sync == BATCH) {
            u64vec fl = {0};
            char fname[64];
            snprintf(fname, sizeof fname, "%s.futex", ac->name);
            futex_rep(o, fname, rep, true, ac->pace_ns, o->quick ? 100 : 1000, 1, &fl, NULL);
            vec_sort(&fl);
            fp50 = pct_sorted(fl.v, fl.n, 0.5);
            case_add(&c, "limit: futex one-way p50 (paired)", "us", (double)fp50 / 1000.0);
            free(fl.v);
        }
        char const* wa[] = {a_dom, a_id, a_ch, a_h, a_sec, a_pace, cpu_arg(o, cw, 0), NULL};
        char const* ra[] = {a_dom, a_id, a_s, a_rb, cpu_arg(o, cr, 1), NULL};
        child wr, rd;
        child_spawn(&wr, "audio-writer", wa);
        child_wait_ready(&wr);
        child_spawn(&rd, "audio-reader", ra);
        child_wait_ready(&rd);
        child_send(&rd, 'g');
        child_send(&wr, 'g');
        child_collect(&wr, case_add_cb, &c);
        child_collect(&rd, case_add_cb, &c);
        child_send(&wr, 'x');
        child_reap(&rd);
        child_reap(&wr);
        u64vec all = {0};
        vec_load(&all, path);
        unlink(path);
        for (size_t i = 0; i < all.n; i++)
            vec_push(&pooled, all.v[i]);
        case_add_latency(&c, "wake latency", &all);
        if (fp50 > 0 && all.n > 0)
            case_add(&c, "wake p50 / futex p50 (paired)", "ratio", (double)pct_sorted(all.v, all.n, 0.5) / (double)fp50);
        free(all.v);
    }
    case_emit(&c, o);
    vec_sort(&pooled);
    write_cdf(o->samples, ac->name, &pooled);
    free(pooled.v);
}

int main(int argc, char** argv)
{
    if (argc > 2 && strcmp(argv[1], "--child") == 0) {
        child_init(argc, argv);
        int f = futex_child(argv[2], argc, argv);
        if (f >= 0)
            return f;
        if (strcmp(argv[2], "audio-writer") == 0)
            return writer_main(argc, argv);
        if (strcmp(argv[2], "audio-reader") == 0)
            return reader_main(argc, argv);
        die("unknown role %s", argv[2]);
    }
    bench_opts o;
    opts_parse(&o, argc, argv);
    audio_case cases[] = {
        {"audio_2ch_h48", 0xa2, 2, 48, 0, 48},
        {"audio_64ch_h48", 0xa64, 64, 48, 0, 48},
        {"audio_2ch_default", 0xa2d, 2, 0, 0, 48},
        {"audio_64ch_default", 0xa64d, 64, 0, 0, 48},
        {"audio_paced_2ch_h48", 0xa2f, 2, 48, 1000000, 48},
        {"audio_paced_2ch_default", 0xa2e, 2, 0, 1000000, 48},
        {"audio_paced_2ch_default_r480", 0xa2c, 2, 0, 1000000, 480},
        {"audio_paced_2ch_c48s480_r480", 0xa2b, 2, 480, 1000000, 480},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_audio_case(&o, &cases[i], cases[i].pace_ns ? (o.quick ? 0.3 : 2.0) : (o.quick ? 0.2 : 2.0));
    return 0;
}
