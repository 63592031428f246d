/* Interoperability with the upstream library (fixtures/upstream-v1): a domain written by upstream is read through
 * our public API, every grain and every audio batch, and the README's patterns are verified bit for bit; the ring
 * window (TOO_LATE), the inode check of an extracted copy (FLOW_INVALID rather than TOO_EARLY), liveness (all flows
 * inactive) and garbage collection (all five flows deleted). */
#define _GNU_SOURCE
#include "flowtest.h"

typedef struct
{
    char const* id;
    uint32_t format;
    uint32_t grain_size, total_slices;
    uint32_t slice_sizes[4];
    uint64_t head, first_written, first_readable;
} discrete_case;

static discrete_case const FLOWS[] = {
    {"5fbec3b1-1b0f-417d-9059-8b94a47197ed", 1, 128, 1, {128, 0, 0, 0}, 53815152626ULL, 53815152620ULL,
     53815152622ULL},
    {"6fbec3b1-1b0f-417d-9059-8b94a47197ed", 1, 512, 4, {128, 0, 0, 0}, 53815152629ULL, 53815152623ULL,
     53815152625ULL},
    {"7fbec3b1-1b0f-417d-9059-8b94a47197ed", 1, 132, 1, {128, 4, 0, 0}, 53815152631ULL, 53815152625ULL,
     53815152627ULL},
    {"db3bd465-2772-484f-8fac-830b0471258b", 3, 4096, 4096, {1, 0, 0, 0}, 53815152632ULL, 53815152626ULL,
     53815152628ULL},
};
#define AUDIO_ID "b3bb5be7-9fe9-4324-a5bb-4c70e1084449"
#define AUDIO_HEAD 86190348430357ULL
#define AUDIO_FIRST 86190348429206ULL
#define AUDIO_FIRST_READABLE 86190348429846ULL

static char g_domain[700];

static bool grain_pattern_ok(uint64_t k, uint8_t const* p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)((k * 31 + i) & 0xff))
            return false;
    return true;
}

static float audio_value(uint64_t s, uint32_t c)
{
    return (float)((s * 7 + c) % 1000) / 1000.0f;
}

static void test_discrete(mxlInstance inst, discrete_case const* f)
{
    mxlFlowReader r;
    CHECK_STATUS(mxlCreateFlowReader(inst, f->id, NULL, &r), MXL_STATUS_OK);
    mxlFlowInfo info;
    CHECK_STATUS(mxlFlowReaderGetInfo(r, &info), MXL_STATUS_OK);
    CHECK_EQ_U64(info.version, 1);
    CHECK_EQ_U64(info.size, 2048);
    CHECK_EQ_U64(info.config.common.format, f->format);
    CHECK(info.config.common.grainRate.numerator == 30000 && info.config.common.grainRate.denominator == 1001);
    CHECK_EQ_U64(info.config.common.payloadLocation, 0);
    CHECK(info.config.common.deviceIndex == -1);
    CHECK_EQ_U64(info.config.discrete.grainCount, 5);
    for (int p = 0; p < 4; p++)
        CHECK_EQ_U64(info.config.discrete.sliceSizes[p], f->slice_sizes[p]);
    CHECK_EQ_U64(info.runtime.headIndex, f->head);

    mxlGrainInfo gi;
    uint8_t* p = NULL;
    for (uint64_t k = f->first_written - 2; k <= f->head; k++) {
        if (k < f->first_readable) {
            CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, k, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_LATE);
            CHECK_STATUS(mxlFlowReaderGetGrain(r, k, 100000000ULL, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_LATE);
            continue;
        }
        memset(&gi, 0xee, sizeof gi);
        p = NULL;
        CHECK_STATUS(mxlFlowReaderGetGrain(r, k, 1000000000ULL, &gi, &p), MXL_STATUS_OK);
        CHECK_EQ_U64(gi.index, k);
        CHECK_EQ_U64(gi.version, 1);
        CHECK_EQ_U64(gi.size, 4096);
        CHECK_EQ_U64(gi.flags, 0);
        CHECK_EQ_U64(gi.grainSize, f->grain_size);
        CHECK_EQ_U64(gi.totalSlices, f->total_slices);
        CHECK_EQ_U64(gi.validSlices, f->total_slices);
        CHECK_MSG(p != NULL && grain_pattern_ok(k, p, f->grain_size), "flow %s grain %llu: payload mismatch", f->id,
                  (unsigned long long)k);
        /* upstream leaves no extension block: intact is decided on the index; no commit time */
        CHECK_STATUS(mxlFlowReaderGrainIntact(r, k), MXL_STATUS_OK);
        uint64_t ct;
        CHECK_STATUS(mxlFlowReaderGetGrainCommitTime(r, k, &ct), MXL_ERR_NOT_FOUND);
        /* the partial and non-blocking variants agree */
        uint8_t* q = NULL;
        CHECK_STATUS(mxlFlowReaderGetGrainSliceNonBlocking(r, k, (uint16_t)(f->total_slices > 1 ? 2 : 1), &gi, &q),
                     MXL_STATUS_OK);
        CHECK(q == p);
        CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, k, &gi, &q), MXL_STATUS_OK);
        CHECK(q == p);
    }
    /* not written yet: the extracted `data` has a new inode, so upstream's rule gives FLOW_INVALID, not TOO_EARLY */
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, f->head + 1, &gi, &p), MXL_ERR_FLOW_INVALID);
    CHECK_STATUS(mxlFlowReaderGetGrain(r, f->head + 1, 10000000ULL, &gi, &p), MXL_ERR_FLOW_INVALID);
    CHECK_STATUS(mxlFlowReaderGetGrainSliceNonBlocking(r, f->head + 1, 1, &gi, &p), MXL_ERR_FLOW_INVALID);

    /* the stored flow definition comes back verbatim */
    char path[900];
    snprintf(path, sizeof path, "%s/%s.mxl-flow/flow_def.json", g_domain, f->id);
    size_t len = 0;
    char* text = test_read_file(path, &len);
    size_t size = 0;
    CHECK_STATUS(mxlGetFlowDef(inst, f->id, NULL, &size), MXL_ERR_INVALID_ARG);
    CHECK_EQ_U64(size, len + 1);
    char* buf = malloc(size);
    CHECK_STATUS(mxlGetFlowDef(inst, f->id, buf, &size), MXL_STATUS_OK);
    CHECK(text != NULL && memcmp(buf, text, len + 1) == 0);
    free(buf);
    free(text);
    bool active = true;
    CHECK_STATUS(mxlIsFlowActive(inst, f->id, &active), MXL_STATUS_OK);
    CHECK(!active);
}

static void test_audio(mxlInstance inst)
{
    mxlFlowReader r;
    CHECK_STATUS(mxlCreateFlowReader(inst, AUDIO_ID, NULL, &r), MXL_STATUS_OK);
    mxlFlowInfo info;
    CHECK_STATUS(mxlFlowReaderGetInfo(r, &info), MXL_STATUS_OK);
    CHECK_EQ_U64(info.config.common.format, MXL_DATA_FORMAT_AUDIO);
    CHECK(info.config.common.grainRate.numerator == 48000 && info.config.common.grainRate.denominator == 1);
    CHECK_EQ_U64(info.config.common.maxCommitBatchSizeHint, 480);
    CHECK_EQ_U64(info.config.common.maxSyncBatchSizeHint, 480);
    CHECK_EQ_U64(info.config.continuous.channelCount, 2);
    CHECK_EQ_U64(info.config.continuous.bufferLength, 1024);
    CHECK_EQ_U64(info.runtime.headIndex, AUDIO_HEAD);
    size_t maxr = 0;
    CHECK_STATUS(mxlFlowReaderGetMaxReadLengthSamples(r, &maxr), MXL_STATUS_OK);
    CHECK_EQ_U64(maxr, 512);

    int ok = 0, late = 0;
    for (uint64_t j = 0; j < 24; j++) {
        uint64_t index = AUDIO_FIRST + 48 * (j + 1) - 1; /* the writer's open index: last label of the batch */
        mxlWrappedMultiBufferSlice sl;
        mxlStatus st = mxlFlowReaderGetSamplesNonBlocking(r, index, 48, &sl);
        bool readable = index - 47 >= AUDIO_FIRST_READABLE;
        if (!readable) {
            CHECK_MSG(st == MXL_ERR_OUT_OF_RANGE_TOO_LATE, "batch %llu: %s", (unsigned long long)j,
                      mxlStatusName(st));
            late += st == MXL_ERR_OUT_OF_RANGE_TOO_LATE;
            continue;
        }
        CHECK_MSG(st == MXL_STATUS_OK, "batch %llu: %s (%s)", (unsigned long long)j, mxlStatusName(st),
                  mxlGetLastErrorMessage());
        if (st != MXL_STATUS_OK)
            continue;
        /* the blocking form gives the same window */
        mxlWrappedMultiBufferSlice sb;
        CHECK_STATUS(mxlFlowReaderGetSamples(r, index, 48, 1000000000ULL, &sb), MXL_STATUS_OK);
        CHECK(memcmp(&sb, &sl, sizeof sl) == 0);
        ok++;
        CHECK_EQ_U64(sl.count, 2);
        CHECK_EQ_U64(sl.stride, 1024 * 4);
        CHECK_EQ_U64(sl.base.fragments[0].size + sl.base.fragments[1].size, 48 * 4);
        if (index == AUDIO_HEAD) {
            CHECK_EQ_U64(sl.base.fragments[0].size, 108);
            CHECK_EQ_U64(sl.base.fragments[1].size, 84);
        } else
            CHECK_EQ_U64(sl.base.fragments[1].size, 0);
        bool match = true;
        for (uint32_t c = 0; c < 2; c++) {
            uint8_t const* f0 = (uint8_t const*)sl.base.fragments[0].pointer + c * sl.stride;
            uint8_t const* f1 = (uint8_t const*)sl.base.fragments[1].pointer + c * sl.stride;
            size_t n0 = sl.base.fragments[0].size / 4;
            for (size_t e = 0; e < 48; e++) {
                float v = audio_value(index - 47 + e, c);
                if (memcmp(e < n0 ? f0 + 4 * e : f1 + 4 * (e - n0), &v, 4) != 0)
                    match = false;
            }
        }
        CHECK_MSG(match, "audio batch %llu: sample mismatch", (unsigned long long)j);
    }
    CHECK_EQ_U64(ok, 10); /* as the upstream reader's own report: 10 batches of 48 readable */
    CHECK_EQ_U64(late, 14);
    /* the whole readable window in one read, and the half-buffer limits */
    mxlWrappedMultiBufferSlice sl;
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, AUDIO_HEAD, 512, &sl), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, AUDIO_HEAD, 513, &sl), MXL_ERR_OUT_OF_RANGE_TOO_LATE);
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, AUDIO_HEAD - 1, 512, &sl), MXL_ERR_OUT_OF_RANGE_TOO_LATE);
    /* not yet written: FLOW_INVALID (new inode after extraction) */
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, AUDIO_HEAD + 1, 48, &sl), MXL_ERR_FLOW_INVALID);
    CHECK_STATUS(mxlFlowReaderGetSamples(r, AUDIO_HEAD + 1, 48, 10000000ULL, &sl), MXL_ERR_FLOW_INVALID);
    bool active = true;
    CHECK_STATUS(mxlIsFlowActive(inst, AUDIO_ID, &active), MXL_STATUS_OK);
    CHECK(!active);

    /* the raw channels file: sample s of channel c at element (s - 1) mod 1024, for the last 1024 samples */
    char path[900];
    snprintf(path, sizeof path, "%s/%s.mxl-flow/channels", g_domain, AUDIO_ID);
    size_t len = 0;
    uint8_t* ch = (uint8_t*)test_read_file(path, &len);
    CHECK(ch != NULL && len == 2 * 1024 * 4);
    if (ch != NULL && len == 2 * 1024 * 4) {
        int bad = 0;
        for (uint64_t s = AUDIO_HEAD - 1023; s <= AUDIO_HEAD; s++)
            for (uint32_t c = 0; c < 2; c++) {
                float v = audio_value(s, c);
                if (memcmp(ch + c * 4096 + ((s - 1) % 1024) * 4, &v, 4) != 0)
                    bad++;
            }
        CHECK_EQ_U64(bad, 0);
    }
    free(ch);
    /* §7.4 cross-check: the upstream writer's 24 commits woke 4 times */
    snprintf(path, sizeof path, "%s/%s.mxl-flow/data", g_domain, AUDIO_ID);
    uint8_t* data = (uint8_t*)test_read_file(path, &len);
    CHECK(data != NULL && len == 2064);
    if (data != NULL && len == 2064) {
        uint32_t sync;
        memcpy(&sync, data + 2056, 4);
        CHECK_EQ_U64(sync, 4);
    }
    free(data);
}

typedef struct
{
    int count, readable, active;
} list_count;

static int count_flow(mxlFlowListEntry const* e, void* user)
{
    list_count* lc = user;
    lc->count++;
    lc->readable += e->readable;
    lc->active += e->active;
    return 0;
}

int main(void)
{
    char const* dir = test_extract(test_fixture_path("upstream-v1/domain.tar.gz"), "interop");
    char base[600];
    snprintf(base, sizeof base, "%s", dir);
    snprintf(g_domain, sizeof g_domain, "%s/domain", base);
    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    CHECK_MSG(inst != NULL, "%s", mxlGetLastErrorMessage());
    if (inst == NULL)
        return test_finish("test_interop");
    for (size_t i = 0; i < sizeof FLOWS / sizeof FLOWS[0]; i++)
        test_discrete(inst, &FLOWS[i]);
    test_audio(inst);

    list_count lc = {0, 0, 0};
    CHECK_STATUS(mxlListFlows(inst, true, count_flow, &lc), MXL_STATUS_OK);
    CHECK_EQ_U64(lc.count, 5);
    CHECK_EQ_U64(lc.readable, 5);
    CHECK_EQ_U64(lc.active, 0);

    /* every flow is inactive: GC deletes all five (readers keep their mappings) */
    mxlGcReport rep;
    memset(&rep, 0xff, sizeof rep);
    CHECK_STATUS(mxlGarbageCollectFlowsEx(inst, MXL_DEFAULT_SCAFFOLD_GRACE_NS, &rep), MXL_STATUS_OK);
    CHECK_EQ_U64(rep.flows, 5);
    CHECK_EQ_U64(rep.flowsKept, 0);
    CHECK_EQ_U64(rep.scaffolds, 0);
    CHECK(rep.bytes >= 5 * 2064);
    CHECK_EQ_U64(ft_count_entries(g_domain), 0);
    mxlFlowReader r;
    CHECK_STATUS(mxlCreateFlowReader(inst, FLOWS[0].id, NULL, &r), MXL_STATUS_OK); /* the cached reader */
    mxlGrainInfo gi;
    uint8_t* p;
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, FLOWS[0].head, &gi, &p), MXL_STATUS_OK);
    CHECK(grain_pattern_ok(FLOWS[0].head, p, FLOWS[0].grain_size));
    CHECK_STATUS(mxlReleaseFlowReader(inst, r), MXL_STATUS_OK);
    CHECK_STATUS(mxlReleaseFlowReader(inst, r), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowReader(inst, FLOWS[0].id, NULL, &r), MXL_ERR_FLOW_NOT_FOUND);
    CHECK_STATUS(mxlGarbageCollectFlows(inst), MXL_STATUS_OK);
    CHECK_STATUS(mxlGarbageCollectFlows(NULL), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    test_rmtree(base);
    return test_finish("test_interop");
}
