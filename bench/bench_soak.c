/* Soak test (not run by CI): a 1080p60 v210 writer and readers that randomly stall, each in its own process, for
 * --minutes N. Run it with bench/soak.
 *
 * Writer: every grain index i is filled with a pattern derived from i (word 0 = i, word 1 = a checksum of i,
 * word k = mix(i) ^ k), committed in 4 partial commits (slices), at the real 60 fps cadence.
 * Readers: follow the head with blocking reads, but now and then stall (sleep up to 300 ms, longer than the ring)
 * or jump to the oldest grain of the window, which the writer is about to reuse. Every grain a reader gets with
 * ALL slices is verified word by word, then mxlFlowReaderGrainIntact is asked:
 *   - pattern right                          -> verified
 *   - pattern wrong, GrainIntact not OK      -> detected (the writer reused the slot while we read: expected)
 *   - pattern wrong, GrainIntact OK          -> TORN (a wrong grain we would have trusted: must be 0)
 *   - OK with ALL but validSlices < total    -> FALSE-COMPLETE (must be 0)
 * Readers also recreate their reader every few hundred reads (open/close leak check).
 * The parent samples every process's RSS and open fds every 10 s; both must stay flat after the warm-up.
 * Exit status 0 only if torn = false-complete = 0, RSS and fds are flat, and everybody survived. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mxl/ext.h>
#include <mxl/flow.h>
#include <mxl/mxl.h>
#include <mxl/time.h>

#define FLOW_ID "50a4c9d0-7c4e-4b8f-9a3c-5e0d8b1f2a60"
#define MAX_READERS 8
#define MAX_SAMPLES 4096
#define SLICE_COMMITS 4

typedef struct
{
    uint64_t reads, verified, detected, torn, false_complete, too_late, too_early, other, stalls, oldest, reopen;
    uint64_t bytes_checked;
    char last_error[160];
} reader_stats;

typedef struct
{
    volatile int stop;
    volatile int ready;
    uint64_t grains_written, partial_commits, writer_errors;
    reader_stats r[MAX_READERS];
} shared_t;

static shared_t* sh;

static inline uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static char const* flow_def(int width, int height, int fps)
{
    static char s[1024];
    snprintf(s, sizeof s,
             "{\"id\":\"" FLOW_ID "\",\"label\":\"soak\",\"format\":\"urn:x-nmos:format:video\","
             "\"tags\":{\"urn:x-nmos:tag:grouphint/v1.0\":[\"soak:v\"]},\"media_type\":\"video/v210\","
             "\"grain_rate\":{\"numerator\":%d,\"denominator\":1},\"frame_width\":%d,\"frame_height\":%d,"
             "\"interlace_mode\":\"progressive\"}",
             fps, width, height);
    return s;
}

/* ---- writer ---------------------------------------------------------------------------------------------------- */

static void fill(uint64_t* w, size_t from, size_t to, uint64_t index)
{
    uint64_t m = mix(index);
    for (size_t k = from; k < to; k++)
        w[k] = m ^ (k * 0x9E3779B97F4A7C15ull);
    if (from == 0 && to > 2) {
        w[0] = index;
        w[1] = mix(index ^ 0x5eed);
    }
}

static int run_writer(char const* domain, char const* def)
{
    mxlInstance inst = mxlCreateInstance(domain, NULL);
    if (inst == NULL) {
        fprintf(stderr, "writer: %s\n", mxlGetLastErrorMessage());
        return 1;
    }
    mxlFlowWriter w;
    mxlFlowConfigInfo cfg;
    if (mxlCreateFlowWriter(inst, def, NULL, &w, &cfg, NULL) != MXL_STATUS_OK) {
        fprintf(stderr, "writer: %s\n", mxlGetLastErrorMessage());
        return 1;
    }
    sh->ready = 1;
    mxlRational rate = cfg.common.grainRate;
    uint64_t index = mxlGetCurrentIndex(&rate);
    while (!sh->stop) {
        mxlSleepForNs(mxlGetNsUntilIndex(index, &rate));
        mxlGrainInfo gi;
        uint8_t* p;
        if (mxlFlowWriterOpenGrain(w, index, &gi, &p) != MXL_STATUS_OK) {
            __atomic_fetch_add(&sh->writer_errors, 1, __ATOMIC_RELAXED);
            index++;
            continue;
        }
        uint64_t* words = (uint64_t*)p;
        size_t nwords = gi.grainSize / 8;
        uint32_t lines = gi.totalSlices;
        size_t per_line = gi.grainSize / lines; /* bytes per slice (one plane) */
        for (int c = 1; c <= SLICE_COMMITS; c++) {
            uint32_t upto = (uint32_t)((uint64_t)lines * c / SLICE_COMMITS);
            uint32_t from = (uint32_t)((uint64_t)lines * (c - 1) / SLICE_COMMITS);
            size_t wf = from * per_line / 8, wt = c == SLICE_COMMITS ? nwords : upto * per_line / 8;
            fill(words, wf, wt, index);
            gi.validSlices = (uint16_t)upto;
            if (mxlFlowWriterCommitGrain(w, &gi) != MXL_STATUS_OK)
                __atomic_fetch_add(&sh->writer_errors, 1, __ATOMIC_RELAXED);
            if (c < SLICE_COMMITS)
                __atomic_fetch_add(&sh->partial_commits, 1, __ATOMIC_RELAXED);
        }
        __atomic_fetch_add(&sh->grains_written, 1, __ATOMIC_RELAXED);
        index++;
        uint64_t now = mxlGetCurrentIndex(&rate);
        if (now > index + 2)
            index = now; /* fell behind (machine busy): skip ahead, as a live source would */
    }
    mxlReleaseFlowWriter(inst, w);
    mxlDestroyInstance(inst);
    return 0;
}

/* ---- readers --------------------------------------------------------------------------------------------------- */

static uint64_t xorshift(uint64_t* s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* 0 = pattern right, 1 = wrong */
static int verify(uint8_t const* p, size_t size, uint64_t index)
{
    uint64_t const* w = (uint64_t const*)p;
    size_t n = size / 8;
    if (w[0] != index || w[1] != mix(index ^ 0x5eed))
        return 1;
    uint64_t m = mix(index);
    uint64_t bad = 0;
    for (size_t k = 2; k < n; k++)
        bad |= w[k] ^ (m ^ (k * 0x9E3779B97F4A7C15ull));
    return bad != 0;
}

static int run_reader(char const* domain, int id, unsigned stall_permille)
{
    reader_stats* st = &sh->r[id];
    uint64_t seed = 0x1234567ull * (uint64_t)(id + 1) ^ (uint64_t)getpid();
    mxlInstance inst = mxlCreateInstance(domain, NULL);
    if (inst == NULL)
        return 1;
    mxlFlowReader r = NULL;
    while (!sh->stop && mxlCreateFlowReader(inst, FLOW_ID, NULL, &r) != MXL_STATUS_OK)
        usleep(10000);
    mxlFlowConfigInfo cfg;
    mxlFlowReaderGetConfigInfo(r, &cfg);
    mxlRational rate = cfg.common.grainRate;
    uint64_t G = cfg.discrete.grainCount;
    uint64_t next = mxlGetCurrentIndex(&rate);
    uint64_t since_reopen = 0;
    while (!sh->stop) {
        uint64_t roll = xorshift(&seed) % 1000;
        if (roll < stall_permille) {
            /* stall: up to 300 ms, longer than the 200 ms ring */
            st->stalls++;
            usleep((useconds_t)(xorshift(&seed) % 300000));
        }
        uint64_t index = next;
        if (xorshift(&seed) % 100 < 5) {
            /* the oldest grain of the window: the writer reuses its slot next */
            mxlFlowRuntimeInfo rt;
            mxlFlowReaderGetRuntimeInfo(r, &rt);
            if (rt.headIndex >= G)
                index = rt.headIndex - G + 1;
            st->oldest++;
        }
        mxlGrainInfo gi;
        uint8_t* p = NULL;
        mxlStatus s = mxlFlowReaderGetGrain(r, index, 100000000ull, &gi, &p);
        st->reads++;
        if (s == MXL_STATUS_OK && index != next)
            usleep((useconds_t)(xorshift(&seed) % 20000)); /* a slow consumer of the oldest grain */
        if (s == MXL_STATUS_OK) {
            if (gi.validSlices < gi.totalSlices && !(gi.flags & MXL_GRAIN_FLAG_INVALID))
                st->false_complete++;
            int wrong = verify(p, gi.grainSize, index);
            st->bytes_checked += gi.grainSize;
            mxlStatus intact = mxlFlowReaderGrainIntact(r, index);
            if (!wrong)
                st->verified++;
            else if (intact != MXL_STATUS_OK)
                st->detected++;
            else {
                st->torn++;
                snprintf(st->last_error, sizeof st->last_error, "torn grain %llu",
                         (unsigned long long)index);
            }
            if (index == next)
                next++;
        } else if (s == MXL_ERR_OUT_OF_RANGE_TOO_LATE) {
            st->too_late++;
            next = mxlGetCurrentIndex(&rate); /* resync */
        } else if (s == MXL_ERR_OUT_OF_RANGE_TOO_EARLY) {
            st->too_early++;
        } else {
            st->other++;
            snprintf(st->last_error, sizeof st->last_error, "%s: %s", mxlStatusName(s), mxlGetLastErrorMessage());
            usleep(10000);
        }
        if (++since_reopen >= 500) {
            since_reopen = 0;
            mxlReleaseFlowReader(inst, r);
            while (!sh->stop && mxlCreateFlowReader(inst, FLOW_ID, NULL, &r) != MXL_STATUS_OK)
                usleep(10000);
            st->reopen++;
        }
    }
    mxlReleaseFlowReader(inst, r);
    mxlDestroyInstance(inst);
    return 0;
}

/* ---- monitor --------------------------------------------------------------------------------------------------- */

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE* f = fopen(path, "r");
    if (!f)
        return -1;
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &v) == 1)
            break;
    fclose(f);
    return v;
}

static int fd_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR* d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent* e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static volatile sig_atomic_t interrupted;
static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

int main(int argc, char** argv)
{
    double minutes = 1;
    int readers = 3, width = 1920, height = 1080, fps = 60;
    unsigned stall = 20; /* per mille of reads preceded by a stall */
    char domain[512];
    snprintf(domain, sizeof domain, "/dev/shm/mxl-soak-%d", (int)getpid());
    static struct option opts[] = {{"minutes", required_argument, 0, 'm'}, {"readers", required_argument, 0, 'r'},
                                   {"domain", required_argument, 0, 'd'}, {"stall", required_argument, 0, 's'},
                                   {"width", required_argument, 0, 'w'},   {"height", required_argument, 0, 'h'},
                                   {"fps", required_argument, 0, 'f'},     {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "m:r:d:s:w:h:f:", opts, NULL)) != -1) {
        switch (c) {
        case 'm': minutes = atof(optarg); break;
        case 'r': readers = atoi(optarg); break;
        case 'd': snprintf(domain, sizeof domain, "%s", optarg); break;
        case 's': stall = (unsigned)atoi(optarg); break;
        case 'w': width = atoi(optarg); break;
        case 'h': height = atoi(optarg); break;
        case 'f': fps = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: bench_soak [--minutes N] [--readers R] [--stall PERMILLE] [--domain DIR] "
                            "[--width W --height H --fps F]\n");
            return 2;
        }
    }
    if (readers < 1 || readers > MAX_READERS)
        readers = 3;
    mkdir(domain, 0755);
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return 1;
    memset(sh, 0, sizeof *sh);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    char const* def = flow_def(width, height, fps);

    pid_t pids[1 + MAX_READERS];
    int nproc = 0;
    fflush(stdout);
    pid_t p = fork();
    if (p == 0)
        _exit(run_writer(domain, def));
    pids[nproc++] = p;
    for (int i = 0; i < 200 && !sh->ready; i++)
        usleep(50000);
    for (int i = 0; i < readers; i++) {
        p = fork();
        if (p == 0)
            _exit(run_reader(domain, i, stall));
        pids[nproc++] = p;
    }

    printf("soak: %dx%d v210 at %d fps, %d readers (stall %u/1000), %.1f minutes, domain %s\n", width, height, fps,
           readers, stall, minutes, domain);
    printf("%7s %10s", "t(s)", "grains");
    for (int i = 0; i < nproc; i++)
        printf("  %s%d rss(kB) fds", i == 0 ? "W" : "R", i == 0 ? 0 : i - 1);
    printf("\n");
    /* Readers' RSS saw-tooths (a re-created reader starts with untouched mappings), so "flat" compares peaks:
     * the highest RSS / fd count of the second half must not exceed that of the first half after the warm-up. */
    long rss_first[1 + MAX_READERS] = {0}, rss_last[1 + MAX_READERS] = {0}, rss_max[1 + MAX_READERS] = {0};
    long rss_peak_early[1 + MAX_READERS] = {0}, rss_peak_late[1 + MAX_READERS] = {0};
    int fd_peak_early[1 + MAX_READERS] = {0}, fd_peak_late[1 + MAX_READERS] = {0};
    int fd_first[1 + MAX_READERS] = {0}, fd_last[1 + MAX_READERS] = {0}, fd_min[1 + MAX_READERS],
        fd_max[1 + MAX_READERS] = {0};
    for (int i = 0; i < nproc; i++)
        fd_min[i] = 1 << 30;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double total = minutes * 60, warmup = total > 120 ? 60 : total / 4;
    int samples = 0;
    bool died = false;
    for (;;) {
        for (int k = 0; k < 100 && !interrupted; k++)
            usleep(100000);
        clock_gettime(CLOCK_MONOTONIC, &now);
        double t = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
        printf("%7.0f %10llu", t, (unsigned long long)sh->grains_written);
        for (int i = 0; i < nproc; i++) {
            int status;
            if (waitpid(pids[i], &status, WNOHANG) == pids[i]) {
                died = true;
                printf("  process %d exited early (status 0x%x)", i, status);
                pids[i] = -1;
                continue;
            }
            long rss = rss_kb(pids[i]);
            int fds = fd_count(pids[i]);
            printf("  %12ld %3d", rss, fds);
            if (t >= warmup) {
                if (rss_first[i] == 0) {
                    rss_first[i] = rss;
                    fd_first[i] = fds;
                }
                rss_last[i] = rss;
                fd_last[i] = fds;
                if (rss > rss_max[i])
                    rss_max[i] = rss;
                if (fds < fd_min[i])
                    fd_min[i] = fds;
                if (fds > fd_max[i])
                    fd_max[i] = fds;
                bool late = t >= warmup + (total - warmup) / 2;
                long* rp = late ? &rss_peak_late[i] : &rss_peak_early[i];
                int* fp = late ? &fd_peak_late[i] : &fd_peak_early[i];
                if (rss > *rp)
                    *rp = rss;
                if (fds > *fp)
                    *fp = fds;
            }
        }
        printf("\n");
        fflush(stdout);
        samples++;
        if (t >= total || interrupted || died)
            break;
    }
    sh->stop = 1;
    for (int i = 0; i < nproc; i++)
        if (pids[i] > 0)
            waitpid(pids[i], NULL, 0);

    uint64_t torn = 0, fc = 0, reads = 0, verified = 0;
    printf("\nwriter: %llu grains, %llu partial commits, %llu errors\n", (unsigned long long)sh->grains_written,
           (unsigned long long)sh->partial_commits, (unsigned long long)sh->writer_errors);
    for (int i = 0; i < readers; i++) {
        reader_stats* s = &sh->r[i];
        printf("reader %d: %llu reads, %llu verified (%.1f GB checked), %llu detected overwritten, %llu TORN, "
               "%llu FALSE-COMPLETE, %llu too late, %llu too early, %llu other, %llu stalls, %llu oldest-grain "
               "reads, %llu reopens%s%s\n",
               i, (unsigned long long)s->reads, (unsigned long long)s->verified, (double)s->bytes_checked / 1e9,
               (unsigned long long)s->detected, (unsigned long long)s->torn, (unsigned long long)s->false_complete,
               (unsigned long long)s->too_late, (unsigned long long)s->too_early, (unsigned long long)s->other,
               (unsigned long long)s->stalls, (unsigned long long)s->oldest, (unsigned long long)s->reopen,
               s->last_error[0] ? "; last: " : "", s->last_error);
        torn += s->torn;
        fc += s->false_complete;
        reads += s->reads;
        verified += s->verified;
    }
    bool flat = true;
    for (int i = 0; i < nproc; i++) {
        /* flat: the late peak within 2% (or 1 MB) of the early peak, and no more fds late than early */
        long slack = rss_peak_early[i] / 50 > 1024 ? rss_peak_early[i] / 50 : 1024;
        bool ok = rss_peak_late[i] <= rss_peak_early[i] + slack && fd_peak_late[i] <= fd_peak_early[i];
        flat = flat && ok;
        printf("%s%d: RSS peak %ld kB in the first half, %ld kB in the second (first %ld, last %ld, max %ld); "
               "fds peak %d then %d (first %d, last %d, range %d..%d): %s\n",
               i == 0 ? "writer" : "reader ", i == 0 ? 0 : i - 1, rss_peak_early[i], rss_peak_late[i], rss_first[i],
               rss_last[i], rss_max[i], fd_peak_early[i], fd_peak_late[i], fd_first[i], fd_last[i], fd_min[i],
               fd_max[i], ok ? "flat" : "GROWING");
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", domain);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", domain);
    bool pass = torn == 0 && fc == 0 && flat && !died && verified > 0;
    printf("soak: %s: %llu reads, %llu verified, %llu torn, %llu false-complete, RSS/fds %s%s\n",
           pass ? "PASS" : "FAIL", (unsigned long long)reads, (unsigned long long)verified, (unsigned long long)torn,
           (unsigned long long)fc, flat ? "flat" : "growing", died ? ", a process died" : "");
    return pass ? 0 : 1;
}
