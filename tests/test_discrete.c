/* Discrete flows across processes (MXL-FORMAT.md §7.1, §7.2, §7.5, §7.6, §9, §14 items 2-4; upstream test_flows.cpp):
 * the writer runs in a child process driven over a pipe, the reader in the test process. Covers blocking reads
 * (timeout -> TOO_EARLY, data arriving from the other process), partial slices, flags, the ring window (TOO_LATE
 * "older than the ring window" / "overwritten" / "skipped"), FLOW_INVALID after delete and recreate, a second
 * writer attaching from another process, monotonic headIndex, lastWriteTime / lastReadTime, and the
 * read-then-verify extension (mxlFlowReaderGrainIntact, mxlFlowReaderGetGrainCommitTime). */
#define _GNU_SOURCE
#include <pthread.h>

#include "flowtest.h"

#define VID "5fbec3b1-1b0f-417d-9059-8b94a47197ed"
#define AID "b3bb5be7-9fe9-4324-a5bb-4c70e1084449"

static char const* g_domain;
static char* g_vdef; /* v210 8x4: 4 slices of 128 bytes, grainSize 512, 5 grains */

/* ---- remote writer ------------------------------------------------------------------------------------------------ */

enum { OP_CREATE = 1, OP_WRITE, OP_OPEN, OP_COMMIT, OP_CANCEL, OP_RELEASE, OP_QUIT };

typedef struct
{
    int op;
    int delay_ms; /* > 0: acknowledge at once, run the command after the delay (the child CHECKs its result) */
    uint64_t index;
    uint32_t valid;
    uint32_t flags;
} cmd;

typedef struct
{
    int status;
    int created;
    uint64_t value;
} reply;

typedef struct
{
    pid_t pid;
    int to, from;
} remote;

static uint8_t pattern(uint64_t k, size_t i)
{
    return (uint8_t)((k * 31 + i) & 0xff);
}

static void writer_main(void* arg)
{
    int* fds = arg; /* [0] command read end, [1] reply write end */
    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    CHECK(inst != NULL);
    mxlFlowWriter w = NULL;
    mxlGrainInfo gi;
    uint8_t* payload = NULL;
    cmd c;
    while (read(fds[0], &c, sizeof c) == (ssize_t)sizeof c) {
        reply r = {0, 0, 0};
        if (c.delay_ms > 0) {
            reply ack = {0, 0, 0};
            CHECK(write(fds[1], &ack, sizeof ack) == (ssize_t)sizeof ack);
            ft_sleep_ms(c.delay_ms);
        }
        switch (c.op) {
        case OP_CREATE: {
            bool created = false;
            mxlFlowConfigInfo cfg;
            r.status = mxlCreateFlowWriter(inst, g_vdef, NULL, &w, &cfg, &created);
            r.created = created;
            r.value = cfg.discrete.grainCount;
            break;
        }
        case OP_WRITE:
        case OP_OPEN:
            r.status = mxlFlowWriterOpenGrain(w, c.index, &gi, &payload);
            if (r.status != MXL_STATUS_OK)
                break;
            for (size_t i = 0; i < gi.grainSize; i++)
                payload[i] = pattern(c.index, i);
            if (c.op == OP_OPEN)
                break;
            gi.validSlices = gi.totalSlices;
            gi.flags = 0;
            r.status = mxlFlowWriterCommitGrain(w, &gi);
            break;
        case OP_COMMIT:
            gi.validSlices = (uint16_t)c.valid;
            gi.flags = c.flags;
            r.status = mxlFlowWriterCommitGrain(w, &gi);
            break;
        case OP_CANCEL:
            r.status = mxlFlowWriterCancelGrain(w);
            break;
        case OP_RELEASE:
            r.status = mxlReleaseFlowWriter(inst, w);
            w = NULL;
            break;
        case OP_QUIT:
            break;
        }
        if (c.delay_ms > 0)
            CHECK_MSG(r.status == MXL_STATUS_OK, "delayed op %d: %s", c.op, mxlGetLastErrorMessage());
        else
            CHECK(write(fds[1], &r, sizeof r) == (ssize_t)sizeof r);
        if (c.op == OP_QUIT)
            break;
    }
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
}

static remote remote_start(void)
{
    int to[2], from[2];
    if (pipe(to) != 0 || pipe(from) != 0)
        exit(2);
    int fds[2] = {to[0], from[1]};
    remote rw;
    rw.pid = ft_spawn(writer_main, fds);
    close(to[0]);
    close(from[1]);
    rw.to = to[1];
    rw.from = from[0];
    return rw;
}

static reply remote_do(remote* rw, int op, uint64_t index, uint32_t valid, uint32_t flags, int delay_ms)
{
    cmd c = {op, delay_ms, index, valid, flags};
    reply r = {-1, 0, 0};
    if (write(rw->to, &c, sizeof c) != (ssize_t)sizeof c || read(rw->from, &r, sizeof r) != (ssize_t)sizeof r)
        CHECK_MSG(false, "remote writer died");
    return r;
}

#define REMOTE_OK(rw, op, index, valid, flags)                                                                   \
    do {                                                                                                         \
        reply r_ = remote_do(rw, op, index, valid, flags, 0);                                                    \
        CHECK_MSG(r_.status == MXL_STATUS_OK, "remote op %d index %llu: status %d", op,                          \
                  (unsigned long long)(index), r_.status);                                                       \
    } while (0)

static void remote_stop(remote* rw)
{
    remote_do(rw, OP_QUIT, 0, 0, 0, 0);
    close(rw->to);
    close(rw->from);
    CHECK_EQ_U64(ft_reap(rw->pid), 0);
}

/* ---- reader helpers ------------------------------------------------------------------------------------------------ */

static bool payload_ok(uint64_t k, uint8_t const* p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern(k, i))
            return false;
    return true;
}

static uint64_t head_of(mxlFlowReader r)
{
    mxlFlowRuntimeInfo rt;
    CHECK_STATUS(mxlFlowReaderGetRuntimeInfo(r, &rt), MXL_STATUS_OK);
    return rt.headIndex;
}

static mxlFlowRuntimeInfo runtime_of(mxlFlowReader r)
{
    mxlFlowRuntimeInfo rt;
    memset(&rt, 0, sizeof rt);
    CHECK_STATUS(mxlFlowReaderGetRuntimeInfo(r, &rt), MXL_STATUS_OK);
    return rt;
}

#define EXPECT_GET(r, idx, st)                                                                                   \
    do {                                                                                                         \
        mxlGrainInfo gi_;                                                                                        \
        uint8_t* p_ = NULL;                                                                                      \
        CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, idx, &gi_, &p_), st);                                   \
    } while (0)

/* ---- the cross-process scenario --------------------------------------------------------------------------------- */

static void test_cross_process(void)
{
    g_domain = test_domain("discrete");
    char dir[600];
    snprintf(dir, sizeof dir, "%s/%s.mxl-flow", g_domain, VID);
    remote w1 = remote_start();
    reply cr = remote_do(&w1, OP_CREATE, 0, 0, 0, 0);
    CHECK_STATUS((mxlStatus)cr.status, MXL_STATUS_OK);
    CHECK(cr.created == 1);
    CHECK_EQ_U64(cr.value, 5);

    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    mxlFlowReader r;
    CHECK_STATUS(mxlCreateFlowReader(inst, VID, NULL, &r), MXL_STATUS_OK);
    mxlFlowConfigInfo cfg;
    CHECK_STATUS(mxlFlowReaderGetConfigInfo(r, &cfg), MXL_STATUS_OK);
    CHECK_EQ_U64(cfg.discrete.sliceSizes[0], 128);
    CHECK_EQ_U64(cfg.discrete.grainCount, 5);
    CHECK_EQ_U64(head_of(r), 0);
    mxlGrainInfo gi;
    uint8_t* p = NULL;

    /* blocking read times out with TOO_EARLY (not TIMEOUT) */
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 1000, 50000000ULL, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    CHECK(ft_contains(mxlGetLastErrorMessage(), "not written yet"));
    /* a timeout too large for the int64 deadline behaves as non-blocking (§7.5): returns, TOO_EARLY */
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 1000, UINT64_MAX, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 1000, (uint64_t)INT64_MAX, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);

    /* the data arrives while blocked: written by the other process 100 ms later */
    mxlFlowRuntimeInfo rt0 = runtime_of(r);
    remote_do(&w1, OP_WRITE, 1000, 0, 0, 100);
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 1000, 10000000000ULL, &gi, &p), MXL_STATUS_OK);
    CHECK_EQ_U64(gi.index, 1000);
    CHECK_EQ_U64(gi.validSlices, 4);
    CHECK_EQ_U64(gi.totalSlices, 4);
    CHECK_EQ_U64(gi.grainSize, 512);
    CHECK_EQ_U64(gi.version, 1);
    CHECK_EQ_U64(gi.size, 4096);
    CHECK(p != NULL && payload_ok(1000, p, 512));
    CHECK_EQ_U64(head_of(r), 1000);
    mxlFlowRuntimeInfo rt1 = runtime_of(r);
    CHECK(rt1.lastWriteTime > rt0.lastWriteTime);

    /* partial grains: 2 of 4 slices */
    REMOTE_OK(&w1, OP_OPEN, 1001, 0, 0);
    EXPECT_GET(r, 1001, MXL_ERR_OUT_OF_RANGE_TOO_EARLY); /* opened, nothing committed: head still 1000 */
    REMOTE_OK(&w1, OP_COMMIT, 1001, 2, 0);
    CHECK_EQ_U64(head_of(r), 1001);
    CHECK_STATUS(mxlFlowReaderGetGrainSliceNonBlocking(r, 1001, 2, &gi, &p), MXL_STATUS_OK);
    CHECK_EQ_U64(gi.validSlices, 2);
    CHECK(payload_ok(1001, p, 2 * 128));
    CHECK_STATUS(mxlFlowReaderGetGrainSliceNonBlocking(r, 1001, 1, &gi, &p), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowReaderGetGrainSliceNonBlocking(r, 1001, MXL_GRAIN_VALID_SLICES_ANY, &gi, &p), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowReaderGetGrainSliceNonBlocking(r, 1001, 3, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    CHECK(ft_contains(mxlGetLastErrorMessage(), "slices"));
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1001, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    CHECK_STATUS(mxlFlowReaderGetGrainSlice(r, 1001, 3, 30000000ULL, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    /* a minimum above totalSlices is clamped to totalSlices */
    CHECK_STATUS(mxlFlowReaderGetGrainSliceNonBlocking(r, 1001, 1000, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    /* the rest arrives while a slice reader is blocked */
    remote_do(&w1, OP_COMMIT, 1001, 4, 0, 100);
    CHECK_STATUS(mxlFlowReaderGetGrainSlice(r, 1001, 4, 10000000000ULL, &gi, &p), MXL_STATUS_OK);
    CHECK_EQ_U64(gi.validSlices, 4);
    CHECK(payload_ok(1001, p, 512));
    CHECK_STATUS(mxlFlowReaderGetGrainSliceNonBlocking(r, 1001, 1000, &gi, &p), MXL_STATUS_OK);

    /* flags are preserved: an INVALID grain with no valid slice is returned to an ALL reader */
    REMOTE_OK(&w1, OP_OPEN, 1002, 0, 0);
    REMOTE_OK(&w1, OP_COMMIT, 1002, 0, MXL_GRAIN_FLAG_INVALID);
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 1002, 1000000000ULL, &gi, &p), MXL_STATUS_OK);
    CHECK(gi.flags & MXL_GRAIN_FLAG_INVALID);
    CHECK_EQ_U64(gi.validSlices, 0);
    CHECK_EQ_U64(gi.index, 1002);
    /* the next occupant of a slot does not inherit the flag */
    REMOTE_OK(&w1, OP_WRITE, 1007, 0, 0); /* slot 2 again */
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1007, &gi, &p), MXL_STATUS_OK);
    CHECK_EQ_U64(gi.flags, 0);
    CHECK(payload_ok(1007, p, 512));

    /* headIndex never moves backwards */
    REMOTE_OK(&w1, OP_WRITE, 1020, 0, 0);
    REMOTE_OK(&w1, OP_WRITE, 1018, 0, 0);
    CHECK_EQ_U64(head_of(r), 1020);
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1018, &gi, &p), MXL_STATUS_OK);
    CHECK(payload_ok(1018, p, 512));
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1020, &gi, &p), MXL_STATUS_OK);
    CHECK(payload_ok(1020, p, 512));

    /* the ring wraps: only the last 5 indices are readable */
    for (uint64_t k = 1030; k <= 1036; k++)
        REMOTE_OK(&w1, OP_WRITE, k, 0, 0);
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1030, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_LATE);
    CHECK_MSG(ft_contains(mxlGetLastErrorMessage(), "older than the ring window"), "%s", mxlGetLastErrorMessage());
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 1031, 1000000000ULL, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_LATE);
    for (uint64_t k = 1032; k <= 1036; k++) {
        CHECK_STATUS(mxlFlowReaderGetGrain(r, k, 1000000000ULL, &gi, &p), MXL_STATUS_OK);
        CHECK(gi.index == k && payload_ok(k, p, 512));
    }
    EXPECT_GET(r, 1037, MXL_ERR_OUT_OF_RANGE_TOO_EARLY);

    /* read-then-verify: intact right after the read, TOO_LATE once the writer reopened the slot (index + G) */
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1033, &gi, &p), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowReaderGrainIntact(r, 1033), MXL_STATUS_OK);
    CHECK(payload_ok(1033, p, 512));
    CHECK_STATUS(mxlFlowReaderGrainIntact(r, 1033), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1032, &gi, &p), MXL_STATUS_OK);
    REMOTE_OK(&w1, OP_OPEN, 1038, 0, 0); /* slot 3: grain 1033's */
    CHECK_STATUS(mxlFlowReaderGrainIntact(r, 1033), MXL_ERR_OUT_OF_RANGE_TOO_LATE);
    CHECK_STATUS(mxlFlowReaderGrainIntact(r, 1032), MXL_STATUS_OK); /* other slots are untouched */
    /* the reopened slot's old grain, still inside [head-G+1, head], is reported overwritten */
    CHECK_EQ_U64(head_of(r), 1036);
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1033, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_LATE);
    CHECK_MSG(ft_contains(mxlGetLastErrorMessage(), "overwritten"), "%s", mxlGetLastErrorMessage());
    REMOTE_OK(&w1, OP_CANCEL, 0, 0, 0);
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1038, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    /* a reopen and complete commit of the same index by the writer also invalidates a held payload */
    REMOTE_OK(&w1, OP_WRITE, 1038, 0, 0);
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1038, &gi, &p), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowReaderGrainIntact(r, 1038), MXL_STATUS_OK);
    REMOTE_OK(&w1, OP_WRITE, 1038, 0, 0);
    CHECK_STATUS(mxlFlowReaderGrainIntact(r, 1038), MXL_ERR_OUT_OF_RANGE_TOO_LATE);

    /* a skipped index: its slot still holds an older grain -> TOO_LATE "skipped", never the stale payload */
    for (uint64_t k = 1040; k <= 1044; k++)
        REMOTE_OK(&w1, OP_WRITE, k, 0, 0);
    REMOTE_OK(&w1, OP_WRITE, 1046, 0, 0);
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1045, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_LATE);
    CHECK_MSG(ft_contains(mxlGetLastErrorMessage(), "skipped"), "%s", mxlGetLastErrorMessage());
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 1045, 1000000000ULL, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_LATE);
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1046, &gi, &p), MXL_STATUS_OK);

    /* commit time stamped by our writer, within the commit call */
    uint64_t before = mxlGetTime();
    REMOTE_OK(&w1, OP_WRITE, 1050, 0, 0);
    uint64_t after = mxlGetTime();
    uint64_t ct = 0;
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1050, &gi, &p), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowReaderGetGrainCommitTime(r, 1050, &ct), MXL_STATUS_OK);
    CHECK_MSG(ct >= before && ct <= after, "commit time %llu not in [%llu, %llu]", (unsigned long long)ct,
              (unsigned long long)before, (unsigned long long)after);
    CHECK_STATUS(mxlFlowReaderGetGrainCommitTime(r, 1049, &ct), MXL_ERR_NOT_FOUND);
    CHECK_STATUS(mxlFlowReaderGetGrainCommitTime(r, 1050, NULL), MXL_ERR_INVALID_ARG);
    mxlFlowRuntimeInfo rt2 = runtime_of(r);
    CHECK(rt2.lastWriteTime >= before && rt2.lastWriteTime <= after);

    /* lastReadTime: our read in this process touches `access`; the writer's watcher in the other process turns
     * it into lastReadTime. Let earlier touches settle, then poll (a liveness bound, not a speed test). */
    ft_sleep_ms(300);
    uint64_t t_read = mxlGetTime();
    CHECK(runtime_of(r).lastReadTime < t_read);
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1050, &gi, &p), MXL_STATUS_OK);
    bool advanced = false;
    for (int i = 0; i < 200 && !advanced; i++) {
        advanced = runtime_of(r).lastReadTime >= t_read;
        if (!advanced)
            ft_sleep_ms(10);
    }
    CHECK_MSG(advanced, "lastReadTime did not advance after a read from another process");
    /* a failed read does not touch it */
    ft_sleep_ms(300);
    uint64_t lr = runtime_of(r).lastReadTime;
    EXPECT_GET(r, 5000, MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    ft_sleep_ms(300);
    CHECK_EQ_U64(runtime_of(r).lastReadTime, lr);

    /* a second writer attaching from another process: created=false, its grains are visible */
    remote w2 = remote_start();
    cr = remote_do(&w2, OP_CREATE, 0, 0, 0, 0);
    CHECK_STATUS((mxlStatus)cr.status, MXL_STATUS_OK);
    CHECK(cr.created == 0);
    REMOTE_OK(&w2, OP_WRITE, 1060, 0, 0);
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 1060, 1000000000ULL, &gi, &p), MXL_STATUS_OK);
    CHECK(payload_ok(1060, p, 512));
    REMOTE_OK(&w1, OP_WRITE, 1061, 0, 0);
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 1061, 1000000000ULL, &gi, &p), MXL_STATUS_OK);
    CHECK_EQ_U64(head_of(r), 1061);
    REMOTE_OK(&w2, OP_RELEASE, 0, 0, 0);
    CHECK_MSG(ft_exists(dir), "the first writer still holds the flow");
    bool active = false;
    CHECK_STATUS(mxlIsFlowActive(inst, VID, &active), MXL_STATUS_OK);
    CHECK(active);
    remote_stop(&w2);

    /* release by the last writer deletes the flow; the old reader then sees FLOW_INVALID when early */
    REMOTE_OK(&w1, OP_RELEASE, 0, 0, 0);
    CHECK_MSG(!ft_exists(dir), "the last release must delete the flow directory");
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1062, &gi, &p), MXL_ERR_FLOW_INVALID);
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 1062, 20000000ULL, &gi, &p), MXL_ERR_FLOW_INVALID);
    /* grains already in the mapping stay readable */
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1061, &gi, &p), MXL_STATUS_OK);
    CHECK(payload_ok(1061, p, 512));
    /* recreated with the same id: a new inode, the old reader is still invalid, a new one works */
    cr = remote_do(&w1, OP_CREATE, 0, 0, 0, 0);
    CHECK_STATUS((mxlStatus)cr.status, MXL_STATUS_OK);
    CHECK(cr.created == 1);
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1062, &gi, &p), MXL_ERR_FLOW_INVALID);
    CHECK_MSG(ft_contains(mxlGetLastErrorMessage(), "deleted or recreated"), "%s", mxlGetLastErrorMessage());
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 1062, 20000000ULL, &gi, &p), MXL_ERR_FLOW_INVALID);
    CHECK_STATUS(mxlReleaseFlowReader(inst, r), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowReader(inst, VID, NULL, &r), MXL_STATUS_OK);
    CHECK_EQ_U64(head_of(r), 0);
    REMOTE_OK(&w1, OP_WRITE, 2000, 0, 0);
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 2000, 1000000000ULL, &gi, &p), MXL_STATUS_OK);
    CHECK(payload_ok(2000, p, 512));
    REMOTE_OK(&w1, OP_RELEASE, 0, 0, 0);
    remote_stop(&w1);
    CHECK(!ft_exists(dir));
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    CHECK_EQ_U64(ft_count_entries(g_domain), 0);
    test_rmtree(g_domain);
}

/* ---- argument and protocol errors (in-process) ------------------------------------------------------------------ */

static void test_api_errors(void)
{
    char const* dom = test_domain("discrete-api");
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    char* vdef = ft_video_def(VID, 1920, 1080, 30000, 1001, "video/v210", NULL);
    char* adef = ft_audio_def(AID, 48000, 2, 32);
    mxlFlowWriter w, aw;
    CHECK_STATUS(mxlCreateFlowWriter(inst, vdef, NULL, &w, NULL, NULL), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowWriter(inst, adef, NULL, &aw, NULL, NULL), MXL_STATUS_OK);
    mxlFlowReader r, ar;
    CHECK_STATUS(mxlCreateFlowReader(inst, VID, NULL, &r), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowReader(inst, AID, NULL, &ar), MXL_STATUS_OK);
    mxlGrainInfo gi;
    uint8_t* p;
    memset(&gi, 0, sizeof gi);

    /* commit without an open grain */
    CHECK_STATUS(mxlFlowWriterCommitGrain(w, &gi), MXL_ERR_INVALID_ARG);
    CHECK(ft_contains(mxlGetLastErrorMessage(), "no grain is open"));
    gi.index = UINT64_MAX; /* upstream's "nothing open" sentinel must not be accepted */
    CHECK_STATUS(mxlFlowWriterCommitGrain(w, &gi), MXL_ERR_INVALID_ARG);
    CHECK_EQ_U64(mxlFlowWriterOpenGrain(w, MXL_UNDEFINED_INDEX, &gi, &p), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowWriterOpenGrain(w, 10, &gi, &p), MXL_STATUS_OK);
    CHECK_EQ_U64(gi.index, 10);
    CHECK_EQ_U64(gi.validSlices, 0);
    CHECK_EQ_U64(gi.totalSlices, 1080);
    CHECK_EQ_U64(gi.grainSize, 5120 * 1080);
    /* validSlices above totalSlices */
    gi.validSlices = 1081;
    CHECK_STATUS(mxlFlowWriterCommitGrain(w, &gi), MXL_ERR_INVALID_ARG);
    CHECK(ft_contains(mxlGetLastErrorMessage(), "exceeds totalSlices"));
    /* index mismatch */
    gi.validSlices = 1080;
    gi.index = 11;
    CHECK_STATUS(mxlFlowWriterCommitGrain(w, &gi), MXL_ERR_INVALID_ARG);
    gi.index = 10;
    /* nothing was published by the rejected commits */
    mxlFlowRuntimeInfo rt;
    CHECK_STATUS(mxlFlowReaderGetRuntimeInfo(r, &rt), MXL_STATUS_OK);
    CHECK_EQ_U64(rt.headIndex, 0);
    /* a commit that forces version / size / sizes from the slot, whatever the caller passes (§4) */
    gi.version = 77;
    gi.size = 5;
    gi.grainSize = 1;
    gi.totalSlices = 3;
    CHECK_STATUS(mxlFlowWriterCommitGrain(w, &gi), MXL_STATUS_OK);
    mxlGrainInfo slot;
    CHECK_STATUS(mxlFlowWriterGetGrainInfo(w, 10, &slot), MXL_STATUS_OK);
    CHECK(slot.version == 1 && slot.size == 4096 && slot.grainSize == 5120 * 1080 && slot.totalSlices == 1080);
    CHECK(slot.index == 10 && slot.validSlices == 1080);
    /* a complete commit closes the grain: committing again needs a new open */
    CHECK_STATUS(mxlFlowWriterCommitGrain(w, &gi), MXL_ERR_INVALID_ARG);
    /* cancel forgets the open grain */
    CHECK_STATUS(mxlFlowWriterOpenGrain(w, 11, &gi, &p), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowWriterCancelGrain(w), MXL_STATUS_OK);
    gi.validSlices = 1080;
    CHECK_STATUS(mxlFlowWriterCommitGrain(w, &gi), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowWriterCancelGrain(w), MXL_STATUS_OK); /* nothing open: harmless */
    /* partial commits keep the grain open */
    CHECK_STATUS(mxlFlowWriterOpenGrain(w, 12, &gi, &p), MXL_STATUS_OK);
    gi.validSlices = 100;
    CHECK_STATUS(mxlFlowWriterCommitGrain(w, &gi), MXL_STATUS_OK);
    gi.validSlices = 1080;
    CHECK_STATUS(mxlFlowWriterCommitGrain(w, &gi), MXL_STATUS_OK);

    /* NULL and wrong-kind handles */
    CHECK_STATUS(mxlFlowWriterCommitGrain(w, NULL), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowWriterOpenGrain(w, 1, NULL, &p), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowWriterOpenGrain(w, 1, &gi, NULL), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowWriterOpenGrain(NULL, 1, &gi, &p), MXL_ERR_INVALID_FLOW_WRITER);
    CHECK_STATUS(mxlFlowWriterOpenGrain(aw, 1, &gi, &p), MXL_ERR_INVALID_FLOW_WRITER);
    CHECK_STATUS(mxlFlowWriterCommitGrain(aw, &gi), MXL_ERR_INVALID_FLOW_WRITER);
    CHECK_STATUS(mxlFlowWriterCancelGrain(aw), MXL_ERR_INVALID_FLOW_WRITER);
    CHECK_STATUS(mxlFlowWriterGetGrainInfo(aw, 1, &gi), MXL_ERR_INVALID_FLOW_WRITER);
    CHECK_STATUS(mxlFlowWriterGetGrainInfo(w, 1, NULL), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(ar, 1, &gi, &p), MXL_ERR_INVALID_FLOW_READER);
    CHECK_STATUS(mxlFlowReaderGetGrain(ar, 1, 0, &gi, &p), MXL_ERR_INVALID_FLOW_READER);
    CHECK_STATUS(mxlFlowReaderGetGrainSlice(NULL, 1, 1, 0, &gi, &p), MXL_ERR_INVALID_FLOW_READER);
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1, NULL, &p), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 1, &gi, NULL), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowReaderGrainIntact(ar, 1), MXL_ERR_INVALID_FLOW_READER);
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r, 12, &gi, &p), MXL_STATUS_OK);
    CHECK_EQ_U64(gi.validSlices, 1080);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    CHECK_EQ_U64(ft_count_entries(dom), 0);
    free(vdef);
    free(adef);
    test_rmtree(dom);
}

/* ---- torn reads: a fast writer process against a reader of the oldest slot --------------------------------------- */

typedef struct
{
    int ready, stop;
    uint64_t written;
} torn_ctl;

static char* g_bigdef; /* v210 1920x32: 32 slices of 5120 bytes, 160 KiB grains */
static torn_ctl* g_torn;

static void fast_writer(void* arg)
{
    (void)arg;
    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    mxlFlowWriter w;
    CHECK_STATUS(mxlCreateFlowWriter(inst, g_bigdef, NULL, &w, NULL, NULL), MXL_STATUS_OK);
    ft_set_flag(&g_torn->ready, 1);
    for (uint64_t k = 1; !__atomic_load_n(&g_torn->stop, __ATOMIC_ACQUIRE) && k < 2000000; k++) {
        mxlGrainInfo gi;
        uint8_t* p;
        if (mxlFlowWriterOpenGrain(w, k, &gi, &p) != MXL_STATUS_OK)
            break;
        for (size_t i = 0; i < gi.grainSize; i += 8) {
            uint64_t v = k * 0x9e3779b97f4a7c15ULL + i;
            memcpy(p + i, &v, 8);
        }
        gi.validSlices = gi.totalSlices;
        if (mxlFlowWriterCommitGrain(w, &gi) != MXL_STATUS_OK)
            break;
        __atomic_store_n(&g_torn->written, k, __ATOMIC_RELEASE);
    }
    ft_wait_flag(&g_torn->stop, 1, 60000);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
}

static void test_torn_reads(void)
{
    g_domain = test_domain("discrete-torn");
    g_bigdef = ft_video_def(VID, 1920, 32, 30000, 1001, "video/v210", NULL);
    g_torn = ft_shared(4096);
    pid_t pid = ft_spawn(fast_writer, NULL);
    CHECK(ft_wait_flag(&g_torn->ready, 1, 10000));
    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    mxlFlowReader r;
    CHECK_STATUS(mxlCreateFlowReader(inst, VID, NULL, &r), MXL_STATUS_OK);
    size_t size = 5120 * 32;
    uint8_t* copy = malloc(size);
    uint64_t verified = 0, detected = 0, undetected = 0, late = 0;
    uint64_t end = ft_mono_ns() + 1500000000ULL;
    while (ft_mono_ns() < end && verified + detected < 200000) {
        mxlFlowRuntimeInfo rt;
        mxlFlowReaderGetRuntimeInfo(r, &rt);
        if (rt.headIndex < 5)
            continue;
        uint64_t k = rt.headIndex - 4; /* the oldest grain of the window: the next one the writer reopens */
        mxlGrainInfo gi;
        uint8_t* p;
        mxlStatus st = mxlFlowReaderGetGrainNonBlocking(r, k, &gi, &p);
        if (st != MXL_STATUS_OK) {
            late += st == MXL_ERR_OUT_OF_RANGE_TOO_LATE;
            continue;
        }
        memcpy(copy, p, size);
        if (mxlFlowReaderGrainIntact(r, k) != MXL_STATUS_OK) {
            detected++;
            continue;
        }
        verified++;
        for (size_t i = 0; i < size; i += 8) {
            uint64_t v;
            memcpy(&v, copy + i, 8);
            if (v != k * 0x9e3779b97f4a7c15ULL + i) {
                undetected++;
                break;
            }
        }
    }
    ft_set_flag(&g_torn->stop, 1);
    CHECK_EQ_U64(ft_reap(pid), 0);
    printf("torn-read check: %llu grains written, %llu reads verified, %llu overwrites detected, %llu too late\n",
           (unsigned long long)g_torn->written, (unsigned long long)verified, (unsigned long long)detected,
           (unsigned long long)late);
    CHECK(verified > 0);
    CHECK_EQ_U64(undetected, 0); /* an intact answer is never wrong */
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    free(copy);
    free(g_bigdef);
    munmap(g_torn, 4096);
    test_rmtree(g_domain);
}

/* ---- interruption (extension): a registered flag set while a reader is blocked ends the wait -------------------- */

static volatile sig_atomic_t g_interrupt;

static void* set_flag_later(void* arg)
{
    (void)arg;
    ft_sleep_ms(100);
    g_interrupt = 1;
    return NULL;
}

static void test_interrupt(void)
{
    char const* dom = test_domain("discrete-intr");
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    char* vdef = ft_video_def(VID, 8, 4, 30000, 1001, "video/v210", NULL);
    mxlFlowWriter w;
    CHECK_STATUS(mxlCreateFlowWriter(inst, vdef, NULL, &w, NULL, NULL), MXL_STATUS_OK);
    mxlFlowReader r;
    CHECK_STATUS(mxlCreateFlowReader(inst, VID, NULL, &r), MXL_STATUS_OK);
    mxlGrainInfo gi;
    uint8_t* p;
    g_interrupt = 0;
    mxlSetInterruptFlag(&g_interrupt);
    pthread_t th;
    pthread_create(&th, NULL, set_flag_later, NULL);
    /* nothing will ever be written: only the flag can end this 30 s wait early */
    uint64_t t0 = ft_mono_ns();
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 100, 30000000000ULL, &gi, &p), MXL_ERR_INTERRUPTED);
    CHECK(ft_mono_ns() - t0 < 10000000000ULL);
    pthread_join(th, NULL);
    /* while the flag stays set, blocking calls return at once; cleared, they time out normally */
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 100, 30000000000ULL, &gi, &p), MXL_ERR_INTERRUPTED);
    g_interrupt = 0;
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 100, 30000000ULL, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    mxlSetInterruptFlag(NULL);
    g_interrupt = 1; /* unregistered: ignored */
    CHECK_STATUS(mxlFlowReaderGetGrain(r, 100, 30000000ULL, &gi, &p), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    free(vdef);
    test_rmtree(dom);
}

int main(void)
{
    umask(022);
    g_vdef = ft_video_def(VID, 8, 4, 30000, 1001, "video/v210", NULL);
    test_cross_process();
    test_api_errors();
    test_interrupt();
    test_torn_reads();
    free(g_vdef);
    return test_finish("test_discrete");
}
