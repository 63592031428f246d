/* Inspection readers (MXL_EXT_OPTION_READER_INSPECT): they read grains and samples like any reader but never touch
 * `access` or the atime of `channels`, so the writer's lastReadTime only moves for real consumers. Each check has its
 * control: an ordinary reader of the same flow moves both. */
#include <string.h>
#include <sys/stat.h>

#include "flowtest.h"

static char const INSPECT[] = "{\"" MXL_EXT_OPTION_READER_INSPECT "\": true}";

static struct timespec atime_of(char const* path)
{
    struct stat st;
    memset(&st, 0, sizeof st);
    CHECK_MSG(stat(path, &st) == 0, "stat %s", path);
    return st.st_atim;
}

static bool same_time(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* lastReadTime as the writer sees it, after giving its watcher time to store a read. */
static uint64_t last_read(mxlFlowWriter w, int settle_ms)
{
    ft_sleep_ms(settle_ms);
    mxlFlowInfo info;
    CHECK_STATUS(mxlFlowWriterGetInfo(w, &info), MXL_STATUS_OK);
    return info.runtime.lastReadTime;
}

static void test_grains(void)
{
    char const* dom = test_domain("inspect-grains");
    char const* id = "1b9f2c1e-7d3a-4c55-9e0f-2a6b8c4d5e01";
    char* def = ft_video_def(id, 96, 4, 50, 1, "video/v210", NULL);
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    CHECK(inst != NULL);
    mxlFlowWriter w = NULL;
    mxlFlowConfigInfo cfg;
    CHECK_STATUS(mxlCreateFlowWriter(inst, def, NULL, &w, &cfg, NULL), MXL_STATUS_OK);
    uint64_t k = mxlGetCurrentIndex(&cfg.common.grainRate);
    mxlGrainInfo g;
    uint8_t* p;
    CHECK_STATUS(mxlFlowWriterOpenGrain(w, k, &g, &p), MXL_STATUS_OK);
    g.validSlices = g.totalSlices;
    CHECK_STATUS(mxlFlowWriterCommitGrain(w, &g), MXL_STATUS_OK);

    char access[600];
    snprintf(access, sizeof access, "%s/%s.mxl-flow/access", dom, id);
    uint64_t t0 = last_read(w, 50);
    struct timespec a0 = atime_of(access);

    mxlFlowReader ri = NULL, rn = NULL, rj = NULL;
    CHECK_STATUS(mxlCreateFlowReader(inst, id, INSPECT, &ri), MXL_STATUS_OK);
    for (int i = 0; i < 3; i++) {
        CHECK_STATUS(mxlFlowReaderGetGrain(ri, k, 100000000, &g, &p), MXL_STATUS_OK);
        CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(ri, k, &g, &p), MXL_STATUS_OK);
        ft_sleep_ms(120); /* past the reader's touch throttle: an ordinary reader would touch now */
    }
    CHECK(same_time(a0, atime_of(access)));
    CHECK_EQ_U64(last_read(w, 300), t0);

    /* not JSON, or another key: ignored as upstream does, an ordinary reader */
    CHECK_STATUS(mxlCreateFlowReader(inst, id, "{not json", &rn), MXL_STATUS_OK);
    CHECK(rn != ri);
    CHECK_STATUS(mxlCreateFlowReader(inst, id, "{\"" MXL_EXT_OPTION_READER_INSPECT "\": false}", &rj), MXL_STATUS_OK);
    CHECK(rj == rn); /* one ordinary reader per flow, one inspection reader */
    CHECK_STATUS(mxlFlowReaderGetGrain(rn, k, 100000000, &g, &p), MXL_STATUS_OK);
    CHECK(!same_time(a0, atime_of(access)));
    uint64_t t1 = last_read(w, 0);
    for (int i = 0; i < 100 && t1 == t0; i++)
        t1 = last_read(w, 10);
    CHECK_MSG(t1 > t0, "an ordinary read did not move lastReadTime");

    CHECK_STATUS(mxlReleaseFlowReader(inst, rj), MXL_STATUS_OK);
    CHECK_STATUS(mxlReleaseFlowReader(inst, rn), MXL_STATUS_OK);
    CHECK_STATUS(mxlReleaseFlowReader(inst, ri), MXL_STATUS_OK);
    CHECK_STATUS(mxlReleaseFlowWriter(inst, w), MXL_STATUS_OK);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    free(def);
    test_rmtree(dom);
}

static void test_samples(void)
{
    char const* dom = test_domain("inspect-samples");
    char const* id = "1b9f2c1e-7d3a-4c55-9e0f-2a6b8c4d5e02";
    char* def = ft_audio_def(id, 48000, 2, 32);
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    CHECK(inst != NULL);
    mxlFlowWriter w = NULL;
    mxlFlowConfigInfo cfg;
    CHECK_STATUS(mxlCreateFlowWriter(inst, def, NULL, &w, &cfg, NULL), MXL_STATUS_OK);
    uint64_t s = mxlGetCurrentIndex(&cfg.common.grainRate);
    mxlMutableWrappedMultiBufferSlice out;
    CHECK_STATUS(mxlFlowWriterOpenSamples(w, s, 480, &out), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowWriterCommitSamples(w), MXL_STATUS_OK);

    char channels[600];
    snprintf(channels, sizeof channels, "%s/%s.mxl-flow/channels", dom, id);
    mxlFlowReader ri = NULL, rn = NULL;
    mxlWrappedMultiBufferSlice in;
    /* Opening maps `channels`, and the kernel may then refresh its atime (relatime) without an inotify event: that
     * is not a read mark and never moves lastReadTime. The reads that follow must not change it. */
    CHECK_STATUS(mxlCreateFlowReader(inst, id, INSPECT, &ri), MXL_STATUS_OK);
    uint64_t t0 = last_read(w, 50);
    struct timespec a0 = atime_of(channels);
    for (int i = 0; i < 3; i++) {
        CHECK_STATUS(mxlFlowReaderGetSamples(ri, s, 480, 100000000, &in), MXL_STATUS_OK);
        ft_sleep_ms(20);
    }
    CHECK(same_time(a0, atime_of(channels)));
    CHECK_EQ_U64(last_read(w, 300), t0);

    CHECK_STATUS(mxlCreateFlowReader(inst, id, NULL, &rn), MXL_STATUS_OK);
    CHECK(rn != ri);
    CHECK_EQ_U64(last_read(w, 100), t0); /* opening an ordinary reader is not a read either */
    a0 = atime_of(channels);
    ft_sleep_ms(20);
    CHECK_STATUS(mxlFlowReaderGetSamples(rn, s, 480, 100000000, &in), MXL_STATUS_OK);
    CHECK(!same_time(a0, atime_of(channels)));
    uint64_t t1 = last_read(w, 0);
    for (int i = 0; i < 100 && t1 == t0; i++)
        t1 = last_read(w, 10);
    CHECK_MSG(t1 > t0, "an ordinary read did not move lastReadTime");

    CHECK_STATUS(mxlReleaseFlowReader(inst, rn), MXL_STATUS_OK);
    CHECK_STATUS(mxlReleaseFlowReader(inst, ri), MXL_STATUS_OK);
    CHECK_STATUS(mxlReleaseFlowWriter(inst, w), MXL_STATUS_OK);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    free(def);
    test_rmtree(dom);
}

int main(void)
{
    test_grains();
    test_samples();
    return test_finish("test_inspect");
}
