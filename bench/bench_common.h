/* bench_common.h - helpers shared by the bench_*.c programs: clock, statistics, writer/reader child processes,
 * result rows.
 *
 * Every bench program is one executable with two faces:
 *   bench_x --dir D [--reps N] [--quick] [--metrics FILE] [--samples DIR] [--only SUBSTR]
 *       the orchestrator: runs each case N times; every repetition fork/execs fresh child processes
 *       (writer, readers, ...) of this same executable, collects their results, and prints one row per measured
 *       figure with the median over the repetitions and the min-max spread.
 *   bench_x --child ROLE key=value ...
 *       one child process. It talks to the orchestrator through two inherited pipes: it writes "ready" once set
 *       up, waits for a one-byte command ('g' = go, 'x' = exit), and reports "metric<TAB>unit<TAB>value" lines
 *       followed by "end". Latency samples (ns, raw uint64) go to the file named by its `samples=` argument.
 *
 * Nothing here asserts on timing: CI runs `bench/run --quick` as a smoke test only. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#ifndef _GNU_SOURCE
#   define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mxl/ext.h>
#include <mxl/flow.h>
#include <mxl/mxl.h>
#include <mxl/time.h>

/* ---- clock and small utilities ------------------------------------------------------------------------------ */

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void sleep_until_ns(uint64_t t)
{
    struct timespec ts = {(time_t)(t / 1000000000ull), (long)(t % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static inline void sleep_ns(uint64_t ns) { sleep_until_ns(now_ns() + ns); }

/* Pin the calling process to one CPU (cpu < 0 or beyond the online CPUs: no pinning). */
static inline void pin_cpu(int cpu)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpu < 0 || cpu >= n)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

__attribute__((noreturn, format(printf, 1, 2))) static void die(char const* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench[%d]: ", (int)getpid());
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

/* Die with the MXL status and message of a failed call. */
static inline void check_mxl(mxlStatus st, char const* what)
{
    if (st != MXL_STATUS_OK)
        die("%s: %s (%s)", what, mxlStatusName(st), mxlGetLastErrorMessage());
}

/* VmRSS of this process in bytes. */
static inline uint64_t vm_rss_bytes(void)
{
    FILE* f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return 0;
    char line[256];
    uint64_t kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %" SCNu64, &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

/* Map a fresh, fully allocated and pre-faulted tmpfs file of `size` bytes shared read-write (the baselines'
 * stand-in for a grain file). The file is unlinked at once; the mapping keeps it. */
static inline uint8_t* tmpfs_map(char const* dir, char const* name, size_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%d", dir, name, (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        die("open %s: %s", path, strerror(errno));
    int e = posix_fallocate(fd, 0, (off_t)size);
    if (e != 0)
        die("fallocate %s: %s", path, strerror(e));
    uint8_t* p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        die("mmap %s: %s", path, strerror(errno));
    close(fd);
    unlink(path);
    if (madvise(p, size, 23 /* MADV_POPULATE_WRITE */) != 0)
        for (size_t off = 0; off < size; off += 4096)
            p[off] = 0;
    return p;
}

/* ---- key=value arguments of children, and the orchestrator options ------------------------------------------- */

static inline char const* kv_str(int argc, char** argv, char const* key, char const* def)
{
    size_t n = strlen(key);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=')
            return argv[i] + n + 1;
    return def;
}

static inline long long kv_int(int argc, char** argv, char const* key, long long def)
{
    char const* s = kv_str(argc, argv, key, NULL);
    return s ? strtoll(s, NULL, 0) : def;
}

static inline double kv_dbl(int argc, char** argv, char const* key, double def)
{
    char const* s = kv_str(argc, argv, key, NULL);
    return s ? strtod(s, NULL) : def;
}

typedef struct bench_opts
{
    char const* dir;     /* fresh tmpfs directory of this run (bench/run makes it under /dev/shm) */
    char domain[4096];   /* <dir>/domain */
    char const* metrics; /* TSV file the rows are appended to (nullable) */
    char const* samples; /* directory for latency CDF files (nullable) */
    char const* only;    /* run only cases whose name contains this (nullable) */
    int reps;
    bool quick;
    bool pin;            /* pin children: writer/sender on CPU 0, reader k on CPU (1 + k) mod ncpu */
} bench_opts;

static char g_self[4096];

static inline void self_init(void)
{
    ssize_t n = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
    if (n <= 0)
        die("readlink /proc/self/exe: %s", strerror(errno));
    g_self[n] = 0;
}

static inline void opts_parse(bench_opts* o, int argc, char** argv)
{
    memset(o, 0, sizeof *o);
    o->reps = 3;
    o->pin = true;
    for (int i = 1; i < argc; i++) {
        char const* a = argv[i];
        char const* v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quick") == 0)
            o->quick = true;
        else if (strcmp(a, "--no-pin") == 0)
            o->pin = false;
        else if (strcmp(a, "--dir") == 0 && v)
            o->dir = argv[++i];
        else if (strcmp(a, "--reps") == 0 && v)
            o->reps = atoi(argv[++i]);
        else if (strcmp(a, "--metrics") == 0 && v)
            o->metrics = argv[++i];
        else if (strcmp(a, "--samples") == 0 && v)
            o->samples = argv[++i];
        else if (strcmp(a, "--only") == 0 && v)
            o->only = argv[++i];
        else
            die("usage: %s --dir DIR [--reps N] [--quick] [--metrics FILE] [--samples DIR] [--only SUBSTR] [--no-pin]",
                argv[0]);
    }
    if (o->dir == NULL)
        die("--dir is required (a fresh directory on tmpfs)");
    if (o->quick)
        o->reps = 1;
    if (o->reps < 1)
        o->reps = 1;
    snprintf(o->domain, sizeof o->domain, "%s/domain", o->dir);
    mkdir(o->domain, 0755);
    self_init();
}

/* "cpu=N" argument for the k-th child of a case (0 = writer/sender, 1.. = readers/receivers). */
static inline char const* cpu_arg(bench_opts const* o, char buf[32], int k)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(buf, 32, "cpu=%ld", o->pin && n > 1 ? (long)k % n : -1L);
    return buf;
}

static inline bool want_case(bench_opts const* o, char const* name)
{
    return o->only == NULL || strstr(name, o->only) != NULL;
}

/* Whether the run directory's filesystem has `bytes` free (with 10% to spare); prints a skip note if not, so a
 * small /dev/shm (64 MB in a default container) skips the big-frame cases instead of failing. */
static inline bool enough_space(char const* dir, char const* name, uint64_t bytes)
{
    struct statvfs s;
    if (statvfs(dir, &s) != 0)
        return true;
    uint64_t avail = (uint64_t)s.f_bavail * (uint64_t)s.f_frsize;
    if (avail >= bytes + bytes / 10)
        return true;
    printf("%-30s skipped: needs %llu MB free in %s, %llu MB available\n", name,
           (unsigned long long)(bytes >> 20), dir, (unsigned long long)(avail >> 20));
    fflush(stdout);
    return false;
}

/* ---- child processes ----------------------------------------------------------------------------------------- */

typedef struct child
{
    pid_t pid;
    int to;   /* orchestrator -> child commands */
    FILE* in; /* child -> orchestrator lines */
    char role[32];
} child;

/* fork/exec `prefix... args... ctl=N res=M` (both lists NULL-terminated); prefix[0] is the program. */
static inline void child_spawn_exec(child* c, char const* role, char const* const* prefix, char const* const* args)
{
    int down[2], up[2];
    if (pipe2(down, O_CLOEXEC) != 0 || pipe2(up, O_CLOEXEC) != 0)
        die("pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        fcntl(down[0], F_SETFD, 0);
        fcntl(up[1], F_SETFD, 0);
        for (int i = 0; args && args[i]; i++) /* pin before exec, so programs that cannot pin (Lua) are pinned */
            if (strncmp(args[i], "cpu=", 4) == 0)
                pin_cpu(atoi(args[i] + 4));
        char ctl[32], res[32];
        snprintf(ctl, sizeof ctl, "ctl=%d", down[0]);
        snprintf(res, sizeof res, "res=%d", up[1]);
        char const* argv[64];
        int n = 0;
        for (int i = 0; prefix[i] && n < 8; i++)
            argv[n++] = prefix[i];
        for (int i = 0; args && args[i] && n < 60; i++)
            argv[n++] = args[i];
        argv[n++] = ctl;
        argv[n++] = res;
        argv[n] = NULL;
        execv(prefix[0], (char* const*)argv);
        fprintf(stderr, "bench: cannot run %s: %s\n", prefix[0], strerror(errno));
        _exit(127);
    }
    close(down[0]);
    close(up[1]);
    c->pid = pid;
    c->to = down[1];
    c->in = fdopen(up[0], "r");
    snprintf(c->role, sizeof c->role, "%s", role);
}

/* fork/exec this executable as `--child role args...`. */
static inline void child_spawn(child* c, char const* role, char const* const* args)
{
    char const* prefix[] = {g_self, "--child", role, NULL};
    child_spawn_exec(c, role, prefix, args);
}

/* Read one line from the child; false at EOF (the child died). */
static inline bool child_line(child* c, char* buf, size_t n)
{
    if (fgets(buf, (int)n, c->in) == NULL)
        return false;
    buf[strcspn(buf, "\n")] = 0;
    return true;
}

static inline void child_wait_ready(child* c)
{
    char line[256];
    if (!child_line(c, line, sizeof line) || strcmp(line, "ready") != 0)
        die("child %s (pid %d) failed during setup", c->role, (int)c->pid);
}

static inline void child_send(child* c, char cmd)
{
    if (write(c->to, &cmd, 1) != 1)
        die("child %s: cannot send command: %s", c->role, strerror(errno));
}

/* Child result lines "name<TAB>unit<TAB>value" until "end"; calls fn for each. */
typedef void (*child_result_fn)(void* user, char const* name, char const* unit, double value);
static inline void child_collect(child* c, child_result_fn fn, void* user)
{
    char line[512];
    for (;;) {
        if (!child_line(c, line, sizeof line))
            die("child %s (pid %d) died before reporting", c->role, (int)c->pid);
        if (strcmp(line, "end") == 0)
            return;
        char* name = strtok(line, "\t");
        char* unit = strtok(NULL, "\t");
        char* val = strtok(NULL, "\t");
        if (name && unit && val && fn)
            fn(user, name, unit, strtod(val, NULL));
    }
}

static inline void child_reap(child* c)
{
    close(c->to);
    fclose(c->in);
    int status = 0;
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("child %s (pid %d) exited abnormally (status 0x%x)", c->role, (int)c->pid, status);
}

/* Child side. */
static int g_ctl = -1, g_res = -1;

static inline void child_init(int argc, char** argv)
{
    g_ctl = (int)kv_int(argc, argv, "ctl", -1);
    g_res = (int)kv_int(argc, argv, "res", -1);
    if (g_ctl < 0 || g_res < 0)
        die("child started without its pipes");
    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned)kv_int(argc, argv, "alarm", 300)); /* a stuck child dies instead of hanging the run */
    pin_cpu((int)kv_int(argc, argv, "cpu", -1));
}

static inline void child_ready(void) { dprintf(g_res, "ready\n"); }

static inline char child_wait_cmd(void)
{
    char c = 0;
    while (read(g_ctl, &c, 1) < 0 && errno == EINTR)
        ;
    return c;
}

static inline void child_put(char const* name, char const* unit, double v)
{
    dprintf(g_res, "%s\t%s\t%.9g\n", name, unit, v);
}

static inline void child_end(void) { dprintf(g_res, "end\n"); }

/* ---- latency samples ----------------------------------------------------------------------------------------- */

typedef struct u64vec
{
    uint64_t* v;
    size_t n, cap;
} u64vec;

static inline void vec_push(u64vec* a, uint64_t x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 4096;
        a->v = realloc(a->v, a->cap * sizeof *a->v);
        if (a->v == NULL)
            die("out of memory");
    }
    a->v[a->n++] = x;
}

static inline void vec_save(u64vec const* a, char const* path)
{
    FILE* f = fopen(path, "wb");
    if (f == NULL)
        die("cannot write %s: %s", path, strerror(errno));
    if (a->n && fwrite(a->v, sizeof *a->v, a->n, f) != a->n)
        die("short write to %s", path);
    fclose(f);
}

/* Append the samples stored in `path` to `a` (a missing file adds nothing). */
static inline void vec_load(u64vec* a, char const* path)
{
    FILE* f = fopen(path, "rb");
    if (f == NULL)
        return;
    uint64_t buf[4096];
    size_t n;
    while ((n = fread(buf, sizeof *buf, 4096, f)) > 0)
        for (size_t i = 0; i < n; i++)
            vec_push(a, buf[i]);
    fclose(f);
}

static int cmp_u64(void const* a, void const* b)
{
    uint64_t x = *(uint64_t const*)a, y = *(uint64_t const*)b;
    return x < y ? -1 : x > y;
}

static int cmp_dbl(void const* a, void const* b)
{
    double x = *(double const*)a, y = *(double const*)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values (p in [0,1]). */
static inline uint64_t pct_sorted(uint64_t const* v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t k = (size_t)ceil(p * (double)n);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

static inline void vec_sort(u64vec* a)
{
    if (a->n > 1)
        qsort(a->v, a->n, sizeof *a->v, cmp_u64);
}

/* Write a CDF of sorted samples (µs, fraction) with at most ~1000 points, for bench/plot.gp. */
static inline void write_cdf(char const* dir, char const* name, u64vec const* sorted)
{
    if (dir == NULL || sorted->n == 0)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.cdf", dir, name);
    FILE* f = fopen(path, "w");
    if (f == NULL)
        return;
    fprintf(f, "# %s: wake latency CDF, %zu samples\n# latency_us fraction\n", name, sorted->n);
    size_t step = sorted->n / 1000 + 1;
    for (size_t i = 0; i < sorted->n; i += step)
        fprintf(f, "%.3f %.6f\n", (double)sorted->v[i] / 1000.0, (double)(i + 1) / (double)sorted->n);
    fprintf(f, "%.3f 1.0\n", (double)sorted->v[sorted->n - 1] / 1000.0);
    fclose(f);
}

/* ---- result rows ---------------------------------------------------------------------------------------------- */

#define BENCH_MAX_METRICS 48
#define BENCH_MAX_REPS 64

typedef struct metric
{
    char name[64];
    char unit[16];
    double v[BENCH_MAX_REPS];
    int n;
} metric;

typedef struct bench_case
{
    char name[40];
    metric m[BENCH_MAX_METRICS];
    int nm;
} bench_case;

static inline void case_init(bench_case* c, char const* name)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
}

/* Copy a NUL-terminated string into dst[n], truncating. */
static inline void str_copy(char* dst, size_t n, char const* src)
{
    size_t l = 0;
    for (; l + 1 < n && src[l]; l++)
        dst[l] = src[l];
    dst[l] = 0;
}

static inline void case_add(bench_case* c, char const* name, char const* unit, double v)
{
    metric* m = NULL;
    for (int i = 0; i < c->nm; i++)
        if (strcmp(c->m[i].name, name) == 0)
            m = &c->m[i];
    if (m == NULL) {
        if (c->nm == BENCH_MAX_METRICS)
            return;
        m = &c->m[c->nm++];
        str_copy(m->name, sizeof m->name, name);
        str_copy(m->unit, sizeof m->unit, unit);
    }
    if (m->n < BENCH_MAX_REPS)
        m->v[m->n++] = v;
}

/* The latest value added to a figure (0 if none). */
static inline double case_last(bench_case const* c, char const* name)
{
    for (int i = 0; i < c->nm; i++)
        if (strcmp(c->m[i].name, name) == 0 && c->m[i].n > 0)
            return c->m[i].v[c->m[i].n - 1];
    return 0;
}

/* child_collect callback that adds every reported figure to a case. */
static inline void case_add_cb(void* user, char const* name, char const* unit, double v)
{
    case_add(user, name, unit, v);
}

/* Latency stats of one repetition (samples in ns) as four figures in µs. */
static inline void case_add_latency(bench_case* c, char const* what, u64vec* s)
{
    char name[64];
    if (s->n == 0)
        return;
    vec_sort(s);
    static char const* const tag[4] = {"min", "p50", "p99", "max"};
    double const p[4] = {0.0, 0.50, 0.99, 1.0};
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s %s", what, tag[i]);
        case_add(c, name, "us", (double)pct_sorted(s->v, s->n, p[i]) / 1000.0);
    }
    snprintf(name, sizeof name, "%s samples", what);
    case_add(c, name, "count", (double)s->n);
}

static inline void fmt_num(char* buf, size_t n, double v)
{
    double a = fabs(v);
    if (a >= 1e9)
        snprintf(buf, n, "%.4g", v);
    else if (a >= 1000 || v == floor(v))
        snprintf(buf, n, "%.0f", v);
    else if (a >= 100)
        snprintf(buf, n, "%.1f", v);
    else if (a >= 1)
        snprintf(buf, n, "%.2f", v);
    else
        snprintf(buf, n, "%.3g", v);
}

static inline void print_header(void)
{
    printf("%-30s %-38s %12s  %-25s %-9s %s\n", "case", "metric", "median", "spread (min - max)", "unit", "n");
}

/* Print one row per figure (median over the repetitions, min-max spread) and append them to the metrics TSV. */
static inline void case_emit(bench_case const* c, bench_opts const* o)
{
    FILE* tsv = o->metrics ? fopen(o->metrics, "a") : NULL;
    for (int i = 0; i < c->nm; i++) {
        metric const* m = &c->m[i];
        double v[BENCH_MAX_REPS];
        memcpy(v, m->v, sizeof(double) * (size_t)m->n);
        qsort(v, (size_t)m->n, sizeof *v, cmp_dbl);
        double med = m->n % 2 ? v[m->n / 2] : (v[m->n / 2 - 1] + v[m->n / 2]) / 2.0;
        char a[32], b[32], d[32], spread[80];
        fmt_num(a, sizeof a, med);
        fmt_num(b, sizeof b, v[0]);
        fmt_num(d, sizeof d, v[m->n - 1]);
        snprintf(spread, sizeof spread, "%s - %s", b, d);
        printf("%-30s %-38s %12s  %-25s %-9s %d\n", i == 0 ? c->name : "", m->name, a, spread, m->unit, m->n);
        if (tsv)
            fprintf(tsv, "%s\t%s\t%s\t%.9g\t%.9g\t%.9g\t%d\n", c->name, m->name, m->unit, med, v[0], v[m->n - 1],
                    m->n);
    }
    if (tsv)
        fclose(tsv);
    fflush(stdout);
}

/* ---- flows ---------------------------------------------------------------------------------------------------- */

/* A distinct flow id per (case number, repetition, variant). */
static inline void bench_flow_id(char out[37], unsigned kase, unsigned rep, unsigned variant)
{
    snprintf(out, 37, "be4c0000-%04x-4000-8000-%04x%08x", kase & 0xffff, variant & 0xffff, rep);
}

static inline void video_flowdef(char* buf, size_t n, char const* id, int w, int h, long num, long den)
{
    snprintf(buf, n,
             "{\"id\":\"%s\",\"label\":\"bench video\",\"description\":\"mxl bench\","
             "\"format\":\"urn:x-nmos:format:video\",\"media_type\":\"video/v210\","
             "\"grain_rate\":{\"numerator\":%ld,\"denominator\":%ld},\"frame_width\":%d,\"frame_height\":%d,"
             "\"interlace_mode\":\"progressive\",\"colorspace\":\"BT709\","
             "\"tags\":{\"urn:x-nmos:tag:grouphint/v1.0\":[\"bench:video\"]}}",
             id, num, den, w, h);
}

static inline void audio_flowdef(char* buf, size_t n, char const* id, int channels)
{
    snprintf(buf, n,
             "{\"id\":\"%s\",\"label\":\"bench audio\",\"description\":\"mxl bench\","
             "\"format\":\"urn:x-nmos:format:audio\",\"media_type\":\"audio/float32\","
             "\"sample_rate\":{\"numerator\":48000,\"denominator\":1},\"channel_count\":%d,\"bit_depth\":32,"
             "\"tags\":{\"urn:x-nmos:tag:grouphint/v1.0\":[\"bench:audio\"]}}",
             id, channels);
}

/* What a grain writer stamps at the start of each payload, just before the commit. */
typedef struct stamp
{
    uint64_t t;     /* CLOCK_MONOTONIC ns just before commit */
    uint64_t index; /* grain / batch index */
    uint64_t last;  /* 1 on the writer's final grain */
} stamp;

#endif /* BENCH_COMMON_H */
