/* Races between readers and a flow that another process deletes and recreates in a loop (alternately as a video
 * and as an audio flow under the same id). 2000 reader opens: each gets FLOW_NOT_FOUND, FLOW_INVALID or UNKNOWN
 * with a message, or a valid flow whose reads return only complete, correct grains or sample windows, and which
 * reports FLOW_INVALID once it is gone. A second process hammers the id-based calls (IsFlowActive, GetFlowDef,
 * ListFlows) meanwhile. Nobody may crash. */
#include "reltest.h"

#include <sched.h>
#include <sys/mman.h>

#include <mxl/flow.h>
#include <mxl/mxl.h>
#include <mxl/time.h>

#define ID "7ace0000-1111-4222-8333-444455556666"
#define OPENS 2000

typedef struct
{
    volatile int stop;
    volatile uint64_t cycles;
    uint64_t prober_calls, prober_bad;
    char prober_msg[200];
} shared_t;

static shared_t* sh;
static char const* dom;

static inline uint64_t word_at(uint64_t index, size_t k)
{
    return (index * 0x9E3779B97F4A7C15ull) ^ (k * 0xBF58476D1CE4E5B9ull);
}

/* Create, write a few grains or sample windows, release (which deletes the flow): over and over. */
static void churner(void)
{
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    if (inst == NULL)
        _exit(3);
    char* vdef = rt_video_def(ID, 96, 8, 50, 1, "video/v210");
    char* adef = rt_audio_def(ID, 48000, 2);
    for (uint64_t c = 0; !sh->stop; c++) {
        bool audio = c % 2;
        mxlFlowWriter w;
        mxlFlowConfigInfo cfg;
        mxlStatus st = mxlCreateFlowWriter(inst, audio ? adef : vdef, NULL, &w, &cfg, NULL);
        if (st != MXL_STATUS_OK) {
            fprintf(stderr, "churner: %s: %s\n", mxlStatusName(st), mxlGetLastErrorMessage());
            _exit(4);
        }
        for (uint64_t i = 1; i <= 3; i++) {
            if (audio) {
                mxlMutableWrappedMultiBufferSlice s;
                if (mxlFlowWriterOpenSamples(w, 1000 * i, 100, &s) == MXL_STATUS_OK) {
                    for (size_t ch = 0; ch < s.count; ch++) {
                        memset((uint8_t*)s.base.fragments[0].pointer + ch * s.stride, 0x3f, s.base.fragments[0].size);
                        memset((uint8_t*)s.base.fragments[1].pointer + ch * s.stride, 0x3f, s.base.fragments[1].size);
                    }
                    mxlFlowWriterCommitSamples(w);
                }
            } else {
                mxlGrainInfo gi;
                uint8_t* p;
                if (mxlFlowWriterOpenGrain(w, i, &gi, &p) == MXL_STATUS_OK) {
                    for (size_t k = 0; k < gi.grainSize / 8; k++)
                        ((uint64_t*)p)[k] = word_at(i, k);
                    gi.validSlices = gi.totalSlices;
                    mxlFlowWriterCommitGrain(w, &gi);
                }
            }
        }
        mxlReleaseFlowWriter(inst, w);
        sh->cycles++;
    }
    mxlDestroyInstance(inst);
    _exit(0);
}

static int list_cb(mxlFlowListEntry const* e, void* user)
{
    (void)e;
    (*(int*)user)++;
    return 0;
}

/* The id-based calls under the same churn. */
static void prober(void)
{
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    if (inst == NULL)
        _exit(3);
    while (!sh->stop) {
        bool active;
        mxlStatus st = mxlIsFlowActive(inst, ID, &active);
        if (st != MXL_STATUS_OK && st != MXL_ERR_FLOW_NOT_FOUND) {
            sh->prober_bad++;
            snprintf(sh->prober_msg, sizeof sh->prober_msg, "IsFlowActive: %s", mxlStatusName(st));
        }
        char buf[4096];
        size_t len = sizeof buf;
        st = mxlGetFlowDef(inst, ID, buf, &len);
        if (st == MXL_STATUS_OK) {
            if (strstr(buf, ID) == NULL) {
                sh->prober_bad++;
                snprintf(sh->prober_msg, sizeof sh->prober_msg, "GetFlowDef returned another text");
            }
        } else if (st != MXL_ERR_FLOW_NOT_FOUND || mxlGetLastErrorMessage()[0] == 0) {
            sh->prober_bad++;
            snprintf(sh->prober_msg, sizeof sh->prober_msg, "GetFlowDef: %s: %s", mxlStatusName(st),
                     mxlGetLastErrorMessage());
        }
        int n = 0;
        if (mxlListFlows(inst, true, list_cb, &n) != MXL_STATUS_OK || n > 1) {
            sh->prober_bad++;
            snprintf(sh->prober_msg, sizeof sh->prober_msg, "ListFlows: %d flows", n);
        }
        sh->prober_calls++;
    }
    mxlDestroyInstance(inst);
    _exit(0);
}

int main(void)
{
    dom = test_domain("races");
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(sh != MAP_FAILED);
    memset(sh, 0, sizeof *sh);
    int64_t t0 = rt_now_ns();
    fflush(stdout);
    pid_t ch = fork();
    if (ch == 0)
        churner();
    pid_t pr = fork();
    if (pr == 0)
        prober();

    mxlInstance inst = mxlCreateInstance(dom, NULL);
    CHECK(inst != NULL);
    uint64_t ok = 0, not_found = 0, invalid = 0, unknown = 0, grains_ok = 0, samples_ok = 0, saw_invalid = 0,
             wrong = 0;
    int bad = 0;
    int opens = 0;
    int64_t hard_stop = rt_now_ns() + 60000000000LL;
    /* OPENS opens, and on a slow machine more, until the churner has done at least 100 cycles */
    for (int i = 0; (i < OPENS || sh->cycles < 100) && rt_now_ns() < hard_stop; i++, opens++) {
        mxlFlowReader r = NULL;
        mxlStatus st = mxlCreateFlowReader(inst, ID, NULL, &r);
        if (st != MXL_STATUS_OK) {
            char const* msg = mxlGetLastErrorMessage();
            if (st == MXL_ERR_FLOW_NOT_FOUND)
                not_found++;
            else if (st == MXL_ERR_FLOW_INVALID)
                invalid++;
            else if (st == MXL_ERR_UNKNOWN)
                unknown++;
            if ((st != MXL_ERR_FLOW_NOT_FOUND && st != MXL_ERR_FLOW_INVALID && st != MXL_ERR_UNKNOWN) ||
                msg[0] == 0) {
                if (bad++ < 5)
                    CHECK_MSG(false, "open %d: %s with message \"%s\"", i, mxlStatusName(st), msg);
            }
            if (i % 4 == 0)
                sched_yield();
            continue;
        }
        ok++;
        mxlFlowConfigInfo cfg;
        CHECK_STATUS(mxlFlowReaderGetConfigInfo(r, &cfg), MXL_STATUS_OK);
        bool audio = cfg.common.format == MXL_DATA_FORMAT_AUDIO;
        CHECK(audio || cfg.common.format == MXL_DATA_FORMAT_VIDEO);
        /* read what the churner wrote (it may already be gone: still mapped, still readable) */
        for (uint64_t k = 1; k <= 3; k++) {
            if (audio) {
                mxlWrappedMultiBufferSlice s;
                if (mxlFlowReaderGetSamplesNonBlocking(r, 1000 * k, 100, &s) == MXL_STATUS_OK) {
                    for (size_t c = 0; c < s.count; c++) {
                        uint8_t const* p = (uint8_t const*)s.base.fragments[0].pointer + c * s.stride;
                        for (size_t b = 0; b < s.base.fragments[0].size; b++)
                            wrong += p[b] != 0x3f;
                    }
                    samples_ok++;
                }
            } else {
                mxlGrainInfo gi;
                uint8_t* p;
                if (mxlFlowReaderGetGrainNonBlocking(r, k, &gi, &p) == MXL_STATUS_OK) {
                    bool bad_grain = false;
                    for (size_t w = 0; w < gi.grainSize / 8; w++)
                        bad_grain |= ((uint64_t const*)p)[w] != word_at(k, w);
                    if (bad_grain && mxlFlowReaderGrainIntact(r, k) == MXL_STATUS_OK)
                        wrong++;
                    grains_ok++;
                }
            }
        }
        /* every few opens, stay until the flow is gone: an early read then says FLOW_INVALID */
        if (i % 8 == 0) {
            int64_t until = rt_now_ns() + 2000000000LL;
            while (rt_now_ns() < until) {
                mxlStatus s2;
                if (audio) {
                    mxlWrappedMultiBufferSlice s;
                    s2 = mxlFlowReaderGetSamples(r, 1000000, 1, 1000000, &s);
                } else {
                    mxlGrainInfo gi;
                    uint8_t* p;
                    s2 = mxlFlowReaderGetGrain(r, 1000000, 1000000, &gi, &p);
                }
                if (s2 == MXL_ERR_FLOW_INVALID) {
                    CHECK(rt_msg_has("deleted or recreated"));
                    saw_invalid++;
                    break;
                }
                CHECK_MSG(s2 == MXL_ERR_OUT_OF_RANGE_TOO_EARLY, "early read: %s", mxlStatusName(s2));
            }
        }
        CHECK_STATUS(mxlReleaseFlowReader(inst, r), MXL_STATUS_OK);
    }
    sh->stop = 1;
    int status = 0;
    waitpid(ch, &status, 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "churner ended with status 0x%x", status);
    waitpid(pr, &status, 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "prober ended with status 0x%x", status);
    CHECK_MSG(sh->prober_bad == 0, "prober: %llu bad results, last %s", (unsigned long long)sh->prober_bad,
              sh->prober_msg);
    printf("%d opens against %llu delete/recreate cycles: %llu valid flows (%llu grains, %llu sample windows read, "
           "%llu saw FLOW_INVALID after deletion), %llu not found, %llu invalid, %llu unknown; %llu wrong reads; "
           "prober %llu rounds; %.1f s\n",
           opens, (unsigned long long)sh->cycles, (unsigned long long)ok, (unsigned long long)grains_ok,
           (unsigned long long)samples_ok, (unsigned long long)saw_invalid, (unsigned long long)not_found,
           (unsigned long long)invalid, (unsigned long long)unknown, (unsigned long long)wrong,
           (unsigned long long)sh->prober_calls, (double)(rt_now_ns() - t0) / 1e9);
    CHECK_EQ_U64(wrong, 0);
    CHECK(ok > 0 && not_found + invalid + unknown > 0);
    CHECK(saw_invalid > 0);
    CHECK(sh->cycles > 100);
    /* the churner released its last writer: nothing is left, and GC finds nothing either */
    mxlGcReport rep;
    CHECK_STATUS(mxlGarbageCollectFlowsEx(inst, 0, &rep), MXL_STATUS_OK);
    CHECK_EQ_U64(rt_count_entries(dom), 0);
    mxlDestroyInstance(inst);
    test_rmtree(dom);
    return test_finish("test_races");
}
