/* Crash safety: writer processes are killed with SIGKILL at random points — during creation, in the middle of
 * filling a grain, between the partial commits of a grain, and between opening and committing samples — 240
 * times in a row, while two reader processes keep opening and reading the flow being written.
 *
 * Readers never crash, and never get OK for data that was not completely committed at the requested index: every
 * grain (and sample window) carries a pattern derived from its index plus a checksum word; a reader that gets OK
 * verifies the pattern, and a wrong pattern is only acceptable if mxlFlowReaderGrainIntact then reports the slot as
 * reused (false-complete reads must be 0). After every kill the flow is inactive (mxlIsFlowActive false), and at
 * the end one GC (grace 0) reclaims every flow and every scaffold: the domain is empty and its tmpfs usage is back
 * to where it started. */
#include "reltest.h"

#include <sched.h>
#include <sys/mman.h>

#include <mxl/flow.h>
#include <mxl/mxl.h>
#include <mxl/time.h>

#define KILLS 240      /* at least this many kills */
#define MAX_KILLS 480  /* more if a phase was hit too rarely (a loaded machine shifts the timing) */
#define MIN_PER_PHASE 10
#define READERS 2

enum { PH_START, PH_CREATING, PH_CREATED, PH_MID_GRAIN, PH_PARTIAL, PH_SAMPLES, PH_IDLE, PH_COUNT };
static char const* const PHASE_NAMES[PH_COUNT] = {"start", "creation", "created", "mid-grain", "mid-partial-commit",
                                                   "mid-samples-commit", "between-grains"};

typedef struct
{
    volatile int stop;
    volatile int iteration; /* flow of iteration i: id_for(i) */
    volatile int audio;     /* the current flow is audio */
    volatile int phase;     /* set by the writer child */
    volatile uint64_t commits;
    volatile uint64_t sample_start[MAX_KILLS]; /* first sample index written by the audio writer of iteration i */
    volatile int64_t create_ns;     /* how long the last complete creation took */
    /* reader results */
    uint64_t opened[READERS], open_failed[READERS], ok_reads[READERS], verified[READERS], detected[READERS];
    uint64_t false_complete[READERS], false_partial[READERS], samples_ok[READERS], samples_wrong[READERS];
    uint64_t bad_status[READERS];
    char wrong_detail[READERS][400];
    char bad_message[READERS][200];
} shared_t;

static shared_t* sh;
static char const* dom;

static void id_for(int i, char out[37])
{
    snprintf(out, 37, "c0000000-0000-4000-8000-%012x", (unsigned)i);
}

static inline uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static inline uint64_t word_at(uint64_t index, size_t k)
{
    if (k == 0)
        return index;
    if (k == 1)
        return mix(index ^ 0x5eed); /* checksum word */
    return mix(index) ^ (k * 0x9E3779B97F4A7C15ull);
}

static inline float sample_at(uint64_t index, size_t ch)
{
    return (float)((index * 7u + ch * 1000003u) % 1048576u);
}

/* ---- writer child: create the flow and write until killed ---------------------------------------------------- */

static void writer_main(int iteration, bool audio)
{
    char id[37];
    id_for(iteration, id);
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    if (inst == NULL)
        _exit(3);
    char* def = audio ? rt_audio_def(id, 48000, 2) : rt_video_def(id, 256, 32, 50, 1, "video/v210");
    mxlFlowWriter w;
    mxlFlowConfigInfo cfg;
    int64_t t0 = rt_now_ns();
    sh->phase = PH_CREATING;
    if (mxlCreateFlowWriter(inst, def, NULL, &w, &cfg, NULL) != MXL_STATUS_OK)
        _exit(4);
    sh->phase = PH_CREATED;
    sh->create_ns = rt_now_ns() - t0;
    mxlRational rate = cfg.common.grainRate;
    uint64_t index = mxlGetCurrentIndex(&rate);
    if (audio)
        sh->sample_start[iteration] = index;
    for (;;) {
        if (audio) {
            mxlMutableWrappedMultiBufferSlice s;
            size_t count = 64;
            if (mxlFlowWriterOpenSamples(w, index + count, count, &s) != MXL_STATUS_OK)
                _exit(5);
            sh->phase = PH_SAMPLES;
            for (size_t ch = 0; ch < s.count; ch++) {
                size_t n0 = s.base.fragments[0].size / 4;
                float* f0 = (float*)((uint8_t*)s.base.fragments[0].pointer + ch * s.stride);
                float* f1 = (float*)((uint8_t*)s.base.fragments[1].pointer + ch * s.stride);
                for (size_t k = 0; k < count; k++) {
                    float v = sample_at(index + k, ch);
                    if (k < n0)
                        f0[k] = v;
                    else
                        f1[k - n0] = v;
                }
            }
            if (mxlFlowWriterCommitSamples(w) != MXL_STATUS_OK)
                _exit(6);
            sh->phase = PH_IDLE;
            index += count;
        } else {
            mxlGrainInfo gi;
            uint8_t* p;
            if (mxlFlowWriterOpenGrain(w, index, &gi, &p) != MXL_STATUS_OK)
                _exit(7);
            uint64_t* words = (uint64_t*)p;
            size_t per_slice = gi.grainSize / gi.totalSlices / 8;
            sh->phase = PH_MID_GRAIN;
            for (uint16_t s = 0; s < gi.totalSlices; s++) {
                for (size_t k = s * per_slice; k < (size_t)(s + 1) * per_slice; k++)
                    words[k] = word_at(index, k);
                if (s % 8 == 7) { /* a partial commit every 8 lines */
                    gi.validSlices = (uint16_t)(s + 1);
                    if (mxlFlowWriterCommitGrain(w, &gi) != MXL_STATUS_OK)
                        _exit(8);
                    sh->phase = gi.validSlices == gi.totalSlices ? PH_IDLE : PH_PARTIAL;
                }
            }
            index++;
        }
        sh->commits++;
    }
}

/* ---- reader processes ------------------------------------------------------------------------------------------ */

static void reader_main(int me)
{
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    if (inst == NULL)
        _exit(3);
    uint64_t seed = 0x9e3779b9ull * (uint64_t)(me + 1);
    while (!sh->stop) {
        int it = sh->iteration;
        char id[37];
        id_for(it, id);
        mxlFlowReader r = NULL;
        mxlStatus st = mxlCreateFlowReader(inst, id, NULL, &r);
        if (st != MXL_STATUS_OK) {
            sh->open_failed[me]++;
            usleep(50);
            if (st != MXL_ERR_FLOW_NOT_FOUND && st != MXL_ERR_FLOW_INVALID && st != MXL_ERR_UNKNOWN) {
                sh->bad_status[me]++;
                snprintf(sh->bad_message[me], 200, "open: %s: %s", mxlStatusName(st), mxlGetLastErrorMessage());
            } else if (mxlGetLastErrorMessage()[0] == 0) {
                sh->bad_status[me]++;
                snprintf(sh->bad_message[me], 200, "open failed without a message");
            }
            sched_yield();
            continue;
        }
        sh->opened[me]++;
        mxlFlowConfigInfo cfg;
        mxlFlowReaderGetConfigInfo(r, &cfg);
        bool audio = cfg.common.format == MXL_DATA_FORMAT_AUDIO;
        unsigned n = 0;
        while (!sh->stop && sh->iteration == it) {
            if (++n % 32 == 0)
                usleep(50); /* leave the CPUs to the writer now and then */
            mxlFlowRuntimeInfo rt;
            mxlFlowReaderGetRuntimeInfo(r, &rt);
            uint64_t head = rt.headIndex;
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            if (audio) {
                uint64_t L = cfg.continuous.bufferLength, count = 64;
                uint64_t index = head - (seed % 256);
                mxlWrappedMultiBufferSlice s;
                /* (samples before the writer's first one are in the readable window too, never written: skipped) */
                if (index - count >= sh->sample_start[it] &&
                    mxlFlowReaderGetSamplesNonBlocking(r, index, count, &s) == MXL_STATUS_OK) {
                    bool wrong = false;
                    char detail[300] = "";
                    for (size_t ch = 0; ch < s.count; ch++) {
                        size_t n0 = s.base.fragments[0].size / 4;
                        float const* f0 = (float const*)((uint8_t const*)s.base.fragments[0].pointer + ch * s.stride);
                        float const* f1 = (float const*)((uint8_t const*)s.base.fragments[1].pointer + ch * s.stride);
                        for (size_t k = 0; k < count; k++) {
                            float v = k < n0 ? f0[k] : f1[k - n0];
                            if (v != sample_at(index - count + k, ch) && !wrong) {
                                wrong = true;
                                snprintf(detail, sizeof detail,
                                         "flow %d window [%llu, %llu) head %llu start %llu: channel %zu sample %zu "
                                         "is %.0f, expected %.0f (fragments %zu + %zu bytes)",
                                         it, (unsigned long long)(index - count), (unsigned long long)index,
                                         (unsigned long long)head, (unsigned long long)sh->sample_start[it], ch, k,
                                         (double)v, (double)sample_at(index - count + k, ch),
                                         s.base.fragments[0].size, s.base.fragments[1].size);
                            }
                        }
                    }
                    /* still unchanged: the writer cannot have reached these slots (it writes at most L/2 ahead) */
                    mxlFlowReaderGetRuntimeInfo(r, &rt);
                    bool intact = rt.headIndex + L / 2 < index - count + L;
                    if (!wrong)
                        sh->samples_ok[me]++;
                    else if (intact) {
                        sh->samples_wrong[me]++;
                        snprintf(sh->wrong_detail[me], sizeof sh->wrong_detail[me], "%s; head after %llu", detail,
                                 (unsigned long long)rt.headIndex);
                    }
                }
                continue;
            }
            uint64_t G = cfg.discrete.grainCount;
            uint64_t low = head >= G ? head - G + 1 : 0;
            uint64_t index = low + seed % (head - low + 2); /* the window and one past the head */
            mxlGrainInfo gi;
            uint8_t* p;
            bool partial = (seed >> 20) % 2;
            uint16_t want = partial ? (uint16_t)(1 + (seed >> 8) % 32) : MXL_GRAIN_VALID_SLICES_ALL;
            st = partial ? mxlFlowReaderGetGrainSliceNonBlocking(r, index, want, &gi, &p)
                         : mxlFlowReaderGetGrainNonBlocking(r, index, &gi, &p);
            if (st != MXL_STATUS_OK)
                continue;
            sh->ok_reads[me]++;
            size_t per_slice = gi.grainSize / gi.totalSlices / 8;
            uint16_t slices = partial ? gi.validSlices : gi.totalSlices;
            if (!partial && gi.validSlices != gi.totalSlices)
                sh->false_complete[me]++;
            uint64_t const* words = (uint64_t const*)p;
            bool wrong = false;
            for (size_t k = 0; k < slices * per_slice; k++)
                if (words[k] != word_at(index, k))
                    wrong = true;
            mxlStatus intact = mxlFlowReaderGrainIntact(r, index);
            if (!wrong)
                sh->verified[me]++;
            else if (intact != MXL_STATUS_OK)
                sh->detected[me]++;
            else if (partial)
                sh->false_partial[me]++;
            else
                sh->false_complete[me]++;
        }
        mxlReleaseFlowReader(inst, r);
    }
    mxlDestroyInstance(inst);
    _exit(0);
}

int main(void)
{
    dom = test_domain("crash");
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(sh != MAP_FAILED);
    memset(sh, 0, sizeof *sh);
    sh->create_ns = 300000;
    for (int i = 0; i < MAX_KILLS; i++)
        sh->sample_start[i] = UINT64_MAX;
    uint64_t start_bytes = rt_tree_bytes(dom);
    int64_t t0 = rt_now_ns();

    pid_t readers[READERS];
    for (int i = 0; i < READERS; i++) {
        fflush(stdout);
        readers[i] = fork();
        if (readers[i] == 0)
            reader_main(i);
    }

    mxlInstance inst = mxlCreateInstance(dom, NULL);
    CHECK(inst != NULL);
    int killed_in[PH_COUNT] = {0};
    int inactive = 0, not_published = 0, exited_early = 0;
    uint64_t seed = 0x2545F4914F6CDD1Dull;
    int kills = 0;
    for (int i = 0; i < MAX_KILLS; i++) {
        if (i >= KILLS && killed_in[PH_CREATING] >= MIN_PER_PHASE && killed_in[PH_SAMPLES] >= MIN_PER_PHASE &&
            killed_in[PH_MID_GRAIN] + killed_in[PH_PARTIAL] >= 3 * MIN_PER_PHASE)
            break;
        kills++;
        /* targets in turn: creation, mid-grain, mid-partial-commit, mid-samples-commit */
        int target = (int[]){PH_CREATING, PH_MID_GRAIN, PH_PARTIAL, PH_SAMPLES}[i % 4];
        bool audio = target == PH_SAMPLES || (target == PH_CREATING && (i / 4) % 2);
        sh->phase = PH_START;
        sh->audio = audio;
        sh->iteration = i;
        fflush(stdout);
        pid_t w = fork();
        if (w == 0)
            writer_main(i, audio);
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        /* wait until the child is in the target phase (a few ms at most), then let it run a random little while */
        int64_t deadline = rt_now_ns() + 3000000000LL;
        /* (creation is passed through once and quickly: any phase past the start will do for it) */
        while ((target == PH_CREATING ? sh->phase == PH_START : sh->phase != target) && rt_now_ns() < deadline) {
            int status;
            if (waitpid(w, &status, WNOHANG) == w) {
                w = -1;
                break;
            }
            if (target == PH_CREATING)
                sched_yield();
            else
                usleep(20); /* do not starve the writer: 2 cores are shared with the readers */
        }
        if (w < 0) {
            exited_early++;
            continue;
        }
        if (target == PH_CREATING) { /* a random point inside the creation, as long as the last one took */
            int64_t span = sh->create_ns > 20000 ? sh->create_ns : 20000;
            int64_t until = rt_now_ns() + (int64_t)(seed % (uint64_t)span);
            while (rt_now_ns() < until)
                sched_yield();
        } else {
            usleep((useconds_t)(seed % 200));
        }
        kill(w, SIGKILL);
        int status = 0;
        waitpid(w, &status, 0);
        CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "writer %d ended with status 0x%x", i, status);
        killed_in[sh->phase]++;
        char id[37];
        id_for(i, id);
        bool active = true;
        mxlStatus st = mxlIsFlowActive(inst, id, &active);
        if (st == MXL_STATUS_OK) {
            CHECK_MSG(!active, "flow %s still active after its writer was killed", id);
            inactive += !active;
        } else {
            CHECK_MSG(st == MXL_ERR_FLOW_NOT_FOUND, "IsFlowActive: %s", mxlStatusName(st));
            not_published++; /* killed before publication: only a scaffold is left */
        }
        /* let the readers at the dead flow for a moment */
        usleep(2000);
    }
    sh->stop = 1;
    for (int i = 0; i < READERS; i++) {
        int status = 0;
        waitpid(readers[i], &status, 0);
        CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader %d ended with status 0x%x", i, status);
    }

    uint64_t ok = 0, verified = 0, detected = 0, fc = 0, fp = 0, sok = 0, swrong = 0, opened = 0, failed = 0;
    for (int i = 0; i < READERS; i++) {
        ok += sh->ok_reads[i];
        verified += sh->verified[i];
        detected += sh->detected[i];
        fc += sh->false_complete[i];
        fp += sh->false_partial[i];
        sok += sh->samples_ok[i];
        swrong += sh->samples_wrong[i];
        opened += sh->opened[i];
        failed += sh->open_failed[i];
        CHECK_MSG(sh->bad_status[i] == 0, "reader %d: %llu unexpected statuses, last %s", i,
                  (unsigned long long)sh->bad_status[i], sh->bad_message[i]);
    }
    printf("kills: %d (", kills - exited_early);
    for (int p = 0; p < PH_COUNT; p++)
        printf("%s%s %d", p ? ", " : "", PHASE_NAMES[p], killed_in[p]);
    printf("); inactive after kill %d, unpublished %d, exited before the kill %d\n", inactive, not_published,
           exited_early);
    printf("readers: %llu opens (%llu refused), %llu OK grain reads, %llu verified, %llu detected reused, "
           "%llu false-complete, %llu false-partial; %llu sample windows verified, %llu wrong\n",
           (unsigned long long)opened, (unsigned long long)failed, (unsigned long long)ok,
           (unsigned long long)verified, (unsigned long long)detected, (unsigned long long)fc,
           (unsigned long long)fp, (unsigned long long)sok, (unsigned long long)swrong);
    CHECK_EQ_U64(fc, 0);
    CHECK_EQ_U64(fp, 0);
    CHECK_EQ_U64(swrong, 0);
    for (int i = 0; i < READERS; i++)
        if (sh->samples_wrong[i])
            printf("reader %d: wrong sample window: %s\n", i, sh->wrong_detail[i]);
    CHECK(verified > 0 && sok > 0);
    CHECK(exited_early == 0);
    CHECK(killed_in[PH_CREATING] >= MIN_PER_PHASE && killed_in[PH_SAMPLES] >= MIN_PER_PHASE &&
          killed_in[PH_MID_GRAIN] + killed_in[PH_PARTIAL] >= 3 * MIN_PER_PHASE);
    CHECK(kills - exited_early >= 200);

    /* One GC reclaims everything: every dead flow and every scaffold of a creator killed mid-creation. */
    mxlGcReport rep;
    CHECK_STATUS(mxlGarbageCollectFlowsEx(inst, 0, &rep), MXL_STATUS_OK);
    printf("GC: %llu flows, %llu scaffolds, %llu bytes reclaimed, %llu kept\n", (unsigned long long)rep.flows,
           (unsigned long long)rep.scaffolds, (unsigned long long)rep.bytes, (unsigned long long)rep.flowsKept);
    CHECK_EQ_U64(rep.flowsKept, 0);
    CHECK_EQ_U64(rep.flows, (uint64_t)inactive);
    CHECK_EQ_U64(rt_count_entries(dom), 0);
    CHECK_EQ_U64(rt_tree_bytes(dom), start_bytes);
    mxlDestroyInstance(inst);
    printf("elapsed %.1f s\n", (double)(rt_now_ns() - t0) / 1e9);
    test_rmtree(dom);
    return test_finish("test_crash");
}
