/* Flow synchronisation groups (MXL-FORMAT.md §11.4, §14 item 18): a 60000/1001 video flow and a 48 kHz audio flow
 * written in real time by two child processes, the audio one deliberately 100 ms behind. A group wait at a TAI
 * time returns OK only once both flows hold it, times out with TOO_EARLY while one is missing, and reports
 * FLOW_INVALID once a member's flow is deleted. Partial grains are ready only for partial-grain members; releasing
 * a reader removes it from its groups. */
#define _GNU_SOURCE
#include "flowtest.h"

#define VID "5fbec3b1-1b0f-417d-9059-8b94a47197ed"
#define AID "b3bb5be7-9fe9-4324-a5bb-4c70e1084449"
#define PID "6fbec3b1-1b0f-417d-9059-8b94a47197ed"

#define AUDIO_LAG_SAMPLES 4800 /* 100 ms at 48 kHz (the 60000/1001 video ring holds 11 grains, 183 ms) */

typedef struct
{
    int ready[2];
    int stop;
    int pause_audio, audio_paused;
    int release_audio, audio_released;
    int errors;
} ctl_t;

static char const* g_domain;
static ctl_t* g_ctl;

static void video_writer(void* arg)
{
    (void)arg;
    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    char* def = ft_video_def(VID, 8, 4, 60000, 1001, "video/v210", NULL);
    mxlFlowWriter w;
    mxlFlowConfigInfo cfg;
    CHECK_STATUS(mxlCreateFlowWriter(inst, def, NULL, &w, &cfg, NULL), MXL_STATUS_OK);
    ft_set_flag(&g_ctl->ready[0], 1);
    uint64_t last = 0;
    while (!__atomic_load_n(&g_ctl->stop, __ATOMIC_ACQUIRE)) {
        uint64_t cur = mxlGetCurrentIndex(&cfg.common.grainRate);
        if (cur > last) {
            mxlGrainInfo gi;
            uint8_t* p;
            if (mxlFlowWriterOpenGrain(w, cur, &gi, &p) != MXL_STATUS_OK)
                g_ctl->errors++;
            memset(p, (int)(cur & 0xff), gi.grainSize);
            gi.validSlices = gi.totalSlices;
            if (mxlFlowWriterCommitGrain(w, &gi) != MXL_STATUS_OK)
                g_ctl->errors++;
            last = cur;
        }
        ft_sleep_ms(2);
    }
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    free(def);
}

static void audio_writer(void* arg)
{
    (void)arg;
    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    char* def = ft_audio_def(AID, 48000, 2, 32);
    mxlFlowWriter w;
    mxlFlowConfigInfo cfg;
    CHECK_STATUS(mxlCreateFlowWriter(inst, def, NULL, &w, &cfg, NULL), MXL_STATUS_OK);
    ft_set_flag(&g_ctl->ready[1], 1);
    uint64_t last = mxlGetCurrentIndex(&cfg.common.grainRate) - AUDIO_LAG_SAMPLES;
    bool released = false;
    while (!__atomic_load_n(&g_ctl->stop, __ATOMIC_ACQUIRE)) {
        if (!released && __atomic_load_n(&g_ctl->release_audio, __ATOMIC_ACQUIRE)) {
            CHECK_STATUS(mxlReleaseFlowWriter(inst, w), MXL_STATUS_OK);
            released = true;
            ft_set_flag(&g_ctl->audio_released, 1);
        }
        bool paused = __atomic_load_n(&g_ctl->pause_audio, __ATOMIC_ACQUIRE);
        ft_set_flag(&g_ctl->audio_paused, paused);
        if (!paused && !released) {
            uint64_t target = mxlGetCurrentIndex(&cfg.common.grainRate) - AUDIO_LAG_SAMPLES;
            while (last < target) {
                size_t n = target - last > 480 ? 480 : (size_t)(target - last);
                mxlMutableWrappedMultiBufferSlice sl;
                if (mxlFlowWriterOpenSamples(w, last + n, n, &sl) != MXL_STATUS_OK ||
                    mxlFlowWriterCommitSamples(w) != MXL_STATUS_OK)
                    g_ctl->errors++;
                last += n;
            }
        }
        ft_sleep_ms(2);
    }
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    free(def);
}

static uint64_t head_of(mxlFlowReader r)
{
    mxlFlowRuntimeInfo rt;
    CHECK_STATUS(mxlFlowReaderGetRuntimeInfo(r, &rt), MXL_STATUS_OK);
    return rt.headIndex;
}

static mxlRational const V_RATE = {60000, 1001}, A_RATE = {48000, 1};

static void test_realtime(void)
{
    g_domain = test_domain("syncgroup");
    g_ctl = ft_shared(4096);
    pid_t pv = ft_spawn(video_writer, NULL);
    pid_t pa = ft_spawn(audio_writer, NULL);
    CHECK(ft_wait_flag(&g_ctl->ready[0], 1, 10000) && ft_wait_flag(&g_ctl->ready[1], 1, 10000));
    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    mxlFlowReader rv, ra;
    CHECK_STATUS(mxlCreateFlowReader(inst, VID, NULL, &rv), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowReader(inst, AID, NULL, &ra), MXL_STATUS_OK);
    mxlFlowSynchronizationGroup g;
    CHECK_STATUS(mxlCreateFlowSynchronizationGroup(inst, &g), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddReader(g, rv), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddReader(g, ra), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddReader(g, ra), MXL_STATUS_OK); /* twice: a no-op */

    /* 1. both present: OK only once the lagging audio flow has reached the time */
    uint64_t covered = 0;
    for (int round = 0; round < 3; round++) {
        uint64_t t = mxlGetTime();
        covered = t;
        uint64_t iv = mxlTimestampToIndex(&V_RATE, t), ia = mxlTimestampToIndex(&A_RATE, t);
        CHECK_MSG(head_of(ra) < ia, "the audio flow should lag behind time %llu", (unsigned long long)t);
        mxlStatus st = mxlFlowSynchronizationGroupWaitForDataAt(g, t, 5000000000ULL);
        CHECK_MSG(st == MXL_STATUS_OK, "round %d: %s (%s)", round, mxlStatusName(st), mxlGetLastErrorMessage());
        uint64_t hv = head_of(rv), ha = head_of(ra);
        CHECK_MSG(hv >= iv, "video head %llu < %llu after the group wait", (unsigned long long)hv,
                  (unsigned long long)iv);
        CHECK_MSG(ha >= ia, "audio head %llu < %llu after the group wait", (unsigned long long)ha,
                  (unsigned long long)ia);
        /* and the data is really readable at those indices */
        mxlGrainInfo gi;
        uint8_t* p;
        CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(rv, iv, &gi, &p), MXL_STATUS_OK);
        mxlWrappedMultiBufferSlice sl;
        CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(ra, ia, 480, &sl), MXL_STATUS_OK);
    }
    /* a time already covered returns at once with OK */
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(g, covered, 0), MXL_STATUS_OK);

    /* 2. one member missing: the audio writer pauses; the wait times out with TOO_EARLY */
    ft_set_flag(&g_ctl->pause_audio, 1);
    CHECK(ft_wait_flag(&g_ctl->audio_paused, 1, 5000));
    uint64_t t = mxlGetTime();
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(g, t, 300000000ULL), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    CHECK(head_of(ra) < mxlTimestampToIndex(&A_RATE, t));
    /* a video-only group is fine meanwhile */
    t = mxlGetTime();
    mxlFlowSynchronizationGroup gv;
    CHECK_STATUS(mxlCreateFlowSynchronizationGroup(inst, &gv), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddReader(gv, rv), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(gv, t, 5000000000ULL), MXL_STATUS_OK);
    /* removing the missing member makes the group wait succeed */
    CHECK_STATUS(mxlFlowSynchronizationGroupRemoveReader(g, ra), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(g, t, 5000000000ULL), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupRemoveReader(g, ra), MXL_STATUS_OK); /* absent: harmless */
    CHECK_STATUS(mxlFlowSynchronizationGroupAddReader(g, ra), MXL_STATUS_OK);
    /* resumed: OK again */
    ft_set_flag(&g_ctl->pause_audio, 0);
    for (int i = 0; i < 5000 && __atomic_load_n(&g_ctl->audio_paused, __ATOMIC_ACQUIRE); i++)
        ft_sleep_ms(1);
    CHECK_EQ_U64(g_ctl->audio_paused, 0);
    t = mxlGetTime();
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(g, t, 5000000000ULL), MXL_STATUS_OK);

    /* 3. a member's flow deleted (its last writer released it): FLOW_INVALID */
    ft_set_flag(&g_ctl->release_audio, 1);
    CHECK(ft_wait_flag(&g_ctl->audio_released, 1, 5000));
    char adir[600];
    snprintf(adir, sizeof adir, "%s/%s.mxl-flow", g_domain, AID);
    CHECK(!ft_exists(adir));
    t = mxlGetTime();
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(g, t, 300000000ULL), MXL_ERR_FLOW_INVALID);
    CHECK(ft_contains(mxlGetLastErrorMessage(), AID));
    mxlFlowSynchronizationGroup g2;
    CHECK_STATUS(mxlCreateFlowSynchronizationGroup(inst, &g2), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddReader(g2, ra), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddReader(g2, rv), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(g2, mxlGetTime() + 1000000000ULL, 50000000ULL),
                 MXL_ERR_FLOW_INVALID);
    /* recreated under the same id (a new `data` inode) and written: the old member is still stale */
    char* adef = ft_audio_def(AID, 48000, 2, 32);
    mxlFlowWriter wa;
    bool created = false;
    CHECK_STATUS(mxlCreateFlowWriter(inst, adef, NULL, &wa, NULL, &created), MXL_STATUS_OK);
    CHECK(created);
    t = mxlGetTime();
    mxlMutableWrappedMultiBufferSlice ws;
    CHECK_STATUS(mxlFlowWriterOpenSamples(wa, mxlTimestampToIndex(&A_RATE, t) + 480, 480, &ws), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowWriterCommitSamples(wa), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(g2, t, 50000000ULL), MXL_ERR_FLOW_INVALID);
    mxlFlowReader ra_new;
    CHECK_STATUS(mxlReleaseFlowReader(inst, ra), MXL_STATUS_OK); /* leaves g and g2 */
    CHECK_STATUS(mxlCreateFlowReader(inst, AID, NULL, &ra_new), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddReader(g2, ra_new), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(g2, t, 5000000000ULL), MXL_STATUS_OK);
    free(adef);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(gv, mxlGetTime(), 5000000000ULL), MXL_STATUS_OK);

    ft_set_flag(&g_ctl->stop, 1);
    CHECK_EQ_U64(ft_reap(pv), 0);
    CHECK_EQ_U64(ft_reap(pa), 0);
    CHECK_EQ_U64(g_ctl->errors, 0);
    CHECK_STATUS(mxlReleaseFlowSynchronizationGroup(inst, g), MXL_STATUS_OK);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK); /* also releases gv */
    munmap(g_ctl, 4096);
    test_rmtree(g_domain);
}

/* ---- partial grains and reader release (in-process writer) --------------------------------------------------- */

static void test_partial_and_release(void)
{
    char const* dom = test_domain("syncgroup-partial");
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    char* pdef = ft_video_def(PID, 8, 4, 60000, 1001, "video/v210", NULL);
    char* vdef = ft_video_def(VID, 8, 4, 60000, 1001, "video/v210", NULL);
    char* adef = ft_audio_def(AID, 48000, 2, 32);
    mxlFlowWriter wp, wv, wa;
    CHECK_STATUS(mxlCreateFlowWriter(inst, pdef, NULL, &wp, NULL, NULL), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowWriter(inst, vdef, NULL, &wv, NULL, NULL), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowWriter(inst, adef, NULL, &wa, NULL, NULL), MXL_STATUS_OK);
    mxlFlowReader rp, rv, ra;
    CHECK_STATUS(mxlCreateFlowReader(inst, PID, NULL, &rp), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowReader(inst, VID, NULL, &rv), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowReader(inst, AID, NULL, &ra), MXL_STATUS_OK);

    uint64_t k = 5000;
    uint64_t ts = mxlIndexToTimestamp(&V_RATE, k);
    CHECK_EQ_U64(mxlTimestampToIndex(&V_RATE, ts), k);
    mxlGrainInfo gi;
    uint8_t* p;
    /* the partial flow: grain k with 1 of 4 slices, head = k */
    CHECK_STATUS(mxlFlowWriterOpenGrain(wp, k, &gi, &p), MXL_STATUS_OK);
    gi.validSlices = 1;
    CHECK_STATUS(mxlFlowWriterCommitGrain(wp, &gi), MXL_STATUS_OK);
    /* the complete flow: grain k complete */
    CHECK_STATUS(mxlFlowWriterOpenGrain(wv, k, &gi, &p), MXL_STATUS_OK);
    gi.validSlices = gi.totalSlices;
    CHECK_STATUS(mxlFlowWriterCommitGrain(wv, &gi), MXL_STATUS_OK);

    mxlFlowSynchronizationGroup full, part1, part2;
    CHECK_STATUS(mxlCreateFlowSynchronizationGroup(inst, &full), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowSynchronizationGroup(inst, &part1), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowSynchronizationGroup(inst, &part2), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddReader(full, rv), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddReader(full, rp), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddPartialGrainReader(part1, rp, 1), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddPartialGrainReader(part2, rp, 2), MXL_STATUS_OK);
    /* head == k but the grain is partial: not ready for a full-grain member (upstream would say OK here) */
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(full, ts, 50000000ULL), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(part1, ts, 50000000ULL), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(part2, ts, 50000000ULL), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    /* adding again re-sets the slices */
    CHECK_STATUS(mxlFlowSynchronizationGroupAddPartialGrainReader(part2, rp, 1), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(part2, ts, 50000000ULL), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddPartialGrainReader(full, rp, 1), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(full, ts, 50000000ULL), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddReader(full, rp), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(full, ts, 50000000ULL), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    /* completing the grain makes the full group ready */
    gi.index = k;
    CHECK_STATUS(mxlFlowWriterGetGrainInfo(wp, k, &gi), MXL_STATUS_OK);
    gi.validSlices = gi.totalSlices;
    CHECK_STATUS(mxlFlowWriterCommitGrain(wp, &gi), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(full, ts, 50000000ULL), MXL_STATUS_OK);

    /* a stalled member (nothing at k + 10) blocks the group until its reader is released */
    uint64_t ts10 = mxlIndexToTimestamp(&V_RATE, k + 10);
    CHECK_STATUS(mxlFlowWriterOpenGrain(wv, k + 10, &gi, &p), MXL_STATUS_OK);
    gi.validSlices = gi.totalSlices;
    CHECK_STATUS(mxlFlowWriterCommitGrain(wv, &gi), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(full, ts10, 50000000ULL), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    mxlFlowReader rp2;
    CHECK_STATUS(mxlCreateFlowReader(inst, PID, NULL, &rp2), MXL_STATUS_OK); /* cached: a second reference */
    CHECK(rp2 == rp);
    CHECK_STATUS(mxlReleaseFlowReader(inst, rp2), MXL_STATUS_OK);             /* still referenced: stays */
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(full, ts10, 50000000ULL), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    CHECK_STATUS(mxlReleaseFlowReader(inst, rp), MXL_STATUS_OK); /* last reference: leaves every group */
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(full, ts10, 50000000ULL), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(part1, ts10, 50000000ULL), MXL_STATUS_OK); /* empty */

    /* audio members: ready once the sample index is committed; TOO_LATE is not waited for */
    mxlFlowSynchronizationGroup ga;
    CHECK_STATUS(mxlCreateFlowSynchronizationGroup(inst, &ga), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddReader(ga, ra), MXL_STATUS_OK);
    uint64_t ia = mxlTimestampToIndex(&A_RATE, ts);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(ga, ts, 20000000ULL), MXL_ERR_OUT_OF_RANGE_TOO_EARLY);
    mxlMutableWrappedMultiBufferSlice ws;
    CHECK_STATUS(mxlFlowWriterOpenSamples(wa, ia, 480, &ws), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowWriterCommitSamples(wa), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(ga, ts, 20000000ULL), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(ga, ts - 1000000ULL, 20000000ULL), MXL_STATUS_OK);

    /* argument errors */
    CHECK_STATUS(mxlCreateFlowSynchronizationGroup(NULL, &ga), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlCreateFlowSynchronizationGroup(inst, NULL), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(NULL, ts, 0), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddReader(NULL, rv), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddReader(ga, NULL), MXL_ERR_INVALID_FLOW_READER);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddPartialGrainReader(ga, ra, 1), MXL_ERR_INVALID_FLOW_READER);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddPartialGrainReader(ga, NULL, 1), MXL_ERR_INVALID_FLOW_READER);
    CHECK_STATUS(mxlFlowSynchronizationGroupRemoveReader(ga, NULL), MXL_ERR_INVALID_ARG);
    /* a reader of another instance cannot join: its release there would not remove it from this group (the next
     * wait would use a freed reader) */
    mxlInstance other = mxlCreateInstance(dom, NULL);
    mxlFlowReader foreign;
    CHECK_STATUS(mxlCreateFlowReader(other, VID, NULL, &foreign), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddReader(ga, foreign), MXL_ERR_INVALID_FLOW_READER);
    CHECK_STATUS(mxlFlowSynchronizationGroupAddPartialGrainReader(ga, foreign, 1), MXL_ERR_INVALID_FLOW_READER);
    CHECK_STATUS(mxlReleaseFlowReader(other, foreign), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupWaitForDataAt(ga, ts, 20000000ULL), MXL_STATUS_OK);
    CHECK_STATUS(mxlDestroyInstance(other), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowSynchronizationGroupRemoveReader(NULL, rv), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlReleaseFlowSynchronizationGroup(NULL, ga), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlReleaseFlowSynchronizationGroup(inst, NULL), MXL_STATUS_OK); /* unknown: no-op */
    CHECK_STATUS(mxlReleaseFlowSynchronizationGroup(inst, ga), MXL_STATUS_OK);
    CHECK_STATUS(mxlReleaseFlowSynchronizationGroup(inst, full), MXL_STATUS_OK);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK); /* releases part1, part2 and the writers */
    CHECK_EQ_U64(ft_count_entries(dom), 0);
    free(pdef);
    free(vdef);
    free(adef);
    test_rmtree(dom);
}

int main(void)
{
    umask(022);
    test_partial_and_release();
    test_realtime();
    return test_finish("test_syncgroup");
}
