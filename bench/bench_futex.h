/* bench_futex.h - the raw-futex limits: a cross-process futex on a u32 in a MAP_SHARED tmpfs mapping (non-private,
 * as MXL uses), in two shapes, as child roles "ping" (sender) and "pong" (receiver):
 *   paced      one sender on an absolute 1 ms grid (stamp, bump the word, FUTEX_WAKE), 1..N receivers waiting on the
 *              word: the same pattern as a paced MXL writer and its readers;
 *   ping-pong  two processes answering each other (each may wait gap_ns before answering).
 * One-way latency = (time on return from FUTEX_WAIT) - (stamp just before the wake). Used by bench_baseline (the
 * baseline table) and by bench_signal, which measures the limit again right before each of its own repetitions. */
#ifndef BENCH_FUTEX_H
#define BENCH_FUTEX_H

#include "bench_common.h"

#include <linux/futex.h>
#include <sys/syscall.h>

static inline long futex(uint32_t* w, int op, uint32_t val)
{
    return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

/* ---- futex ping-pong ----------------------------------------------------------------------------------------- */

typedef struct pp_shm
{
    uint32_t word;
    uint32_t pad[15];
    uint64_t stamp; /* CLOCK_MONOTONIC of the latest send */
} pp_shm;

/* Paced one-way: the sender sleeps to an absolute 1 ms grid, stamps, bumps the word and wakes; the receiver
 * waits for each bump. The same pattern as the paced MXL writer and its reader (bench_signal). */
static inline int paced_main(int argc, char** argv, pp_shm* s, bool sender)
{
    uint64_t gap = (uint64_t)kv_int(argc, argv, "gap_ns", 1000000);
    uint32_t n = (uint32_t)kv_int(argc, argv, "n", 1000);
    char const* samples = kv_str(argc, argv, "samples", NULL);
    child_ready();
    if (child_wait_cmd() != 'g')
        return 1;
    u64vec lat = {0}, wake = {0};
    uint64_t t0 = now_ns();
    for (uint32_t i = 1; i <= n; i++) {
        if (sender) {
            sleep_until_ns(t0 + i * gap);
            uint64_t t = now_ns();
            __atomic_store_n(&s->stamp, t, __ATOMIC_RELEASE);
            __atomic_store_n(&s->word, i, __ATOMIC_SEQ_CST);
            futex(&s->word, FUTEX_WAKE, INT_MAX);
            vec_push(&wake, now_ns() - t);
            continue;
        }
        uint32_t cur;
        while ((cur = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE)) < i)
            futex(&s->word, FUTEX_WAIT, cur);
        vec_push(&lat, now_ns() - __atomic_load_n(&s->stamp, __ATOMIC_ACQUIRE));
    }
    if (sender) {
        vec_sort(&wake);
        child_put("FUTEX_WAKE call p50 (peer asleep)", "ns", (double)pct_sorted(wake.v, wake.n, 0.5));
    }
    child_end();
    if (samples && !sender)
        vec_save(&lat, samples);
    free(lat.v);
    free(wake.v);
    return 0;
}

static inline int pingpong_main(int argc, char** argv, int me)
{
    char const* path = kv_str(argc, argv, "file", NULL);
    uint64_t gap = (uint64_t)kv_int(argc, argv, "gap_ns", 0);
    uint32_t n = (uint32_t)kv_int(argc, argv, "n", 1000);
    char const* samples = kv_str(argc, argv, "samples", NULL);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        die("open %s: %s", path, strerror(errno));
    pp_shm* s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (s == MAP_FAILED)
        die("mmap: %s", strerror(errno));
    close(fd);
    if (kv_int(argc, argv, "paced", 0))
        return paced_main(argc, argv, s, me == 0);
    child_ready();
    if (child_wait_cmd() != 'g')
        return 1;
    u64vec lat = {0}, wake = {0};
    for (uint32_t v = 0; v < 2 * n; v++) {
        if ((v & 1u) != (uint32_t)me)
            continue;
        uint32_t cur;
        while ((cur = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE)) != v)
            futex(&s->word, FUTEX_WAIT, cur);
        uint64_t t = now_ns();
        if (v > 0)
            vec_push(&lat, t - __atomic_load_n(&s->stamp, __ATOMIC_ACQUIRE));
        if (gap)
            sleep_ns(gap);
        uint64_t t0 = now_ns();
        __atomic_store_n(&s->stamp, t0, __ATOMIC_RELEASE);
        __atomic_store_n(&s->word, v + 1, __ATOMIC_SEQ_CST);
        futex(&s->word, FUTEX_WAKE, INT_MAX);
        vec_push(&wake, now_ns() - t0);
    }
    vec_sort(&wake);
    child_put("FUTEX_WAKE call p50 (peer asleep)", "ns", (double)pct_sorted(wake.v, wake.n, 0.5));
    child_end();
    if (samples)
        vec_save(&lat, samples);
    free(lat.v);
    free(wake.v);
    return 0;
}

/* paced = false: ping-pong, each side waits gap_ns before answering (receivers must be 1);
 * paced = true: one sender on a gap_ns grid, `receivers` processes waiting on the same word (the raw-futex limit
 * of a writer with that many readers). */
/* One repetition: 1 sender + `receivers` processes (paced), or a ping-pong pair (receivers = 1). Appends the
 * one-way latencies (ns) to *all; returns the median cost of the sender's FUTEX_WAKE call; *worst_p50 (nullable)
 * gets the slowest receiver's median. */
static inline double futex_rep(bench_opts const* o, char const* name, int rep, bool paced, uint64_t gap_ns, uint32_t n,
                        int receivers, u64vec* all, uint64_t* worst_p50)
{
    int np = 1 + receivers;
    char file[4200], a_file[4300], a_gap[40], a_n[40];
    snprintf(file, sizeof file, "%s/futex.%s.%d", o->dir, name, rep);
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || posix_fallocate(fd, 0, 4096) != 0)
        die("cannot create %s", file);
    close(fd);
    snprintf(a_file, sizeof a_file, "file=%s", file);
    snprintf(a_gap, sizeof a_gap, "gap_ns=%llu", (unsigned long long)gap_ns);
    snprintf(a_n, sizeof a_n, "n=%u", n);
    char const* mode = paced ? "paced=1" : "paced=0";
    child* ch = calloc((size_t)np, sizeof *ch);
    char(*path)[4200] = calloc((size_t)np, sizeof *path);
    for (int k = 0; k < np; k++) {
        char a_s[4300], cpu[32];
        snprintf(path[k], sizeof path[k], "%s/lat.%s.%d.%d", o->dir, name, rep, k);
        snprintf(a_s, sizeof a_s, "samples=%s", path[k]);
        char const* args[] = {a_file, a_gap, a_n, a_s, mode, cpu_arg(o, cpu, k), NULL};
        child_spawn(&ch[k], k == 0 ? "ping" : "pong", args);
    }
    for (int k = 0; k < np; k++)
        child_wait_ready(&ch[k]);
    for (int k = np - 1; k >= 0; k--)
        child_send(&ch[k], 'g');
    bench_case tmp;
    case_init(&tmp, "x");
    for (int k = 0; k < np; k++)
        child_collect(&ch[k], case_add_cb, &tmp);
    for (int k = 0; k < np; k++)
        child_reap(&ch[k]);
    double sum = 0;
    for (int k = 0; k < tmp.m[0].n; k++)
        sum += tmp.m[0].v[k];
    if (worst_p50)
        *worst_p50 = 0;
    for (int k = 0; k < np; k++) {
        u64vec one = {0};
        vec_load(&one, path[k]);
        unlink(path[k]);
        for (size_t i = 0; i < one.n; i++)
            vec_push(all, one.v[i]);
        vec_sort(&one);
        if (worst_p50 && one.n && pct_sorted(one.v, one.n, 0.5) > *worst_p50)
            *worst_p50 = pct_sorted(one.v, one.n, 0.5);
        free(one.v);
    }
    unlink(file);
    free(ch);
    free(path);
    return tmp.m[0].n ? sum / tmp.m[0].n : 0.0;
}

/* ns per FUTEX_WAKE syscall with no waiter, on a word in a tmpfs mapping, in this process. */
static inline double futex_wake_nowaiter_ns(char const* dir, int n)
{
    uint32_t* w = (uint32_t*)tmpfs_map(dir, "futexword", 4096);
    for (int i = 0; i < 1000; i++)
        futex(w, FUTEX_WAKE, INT_MAX);
    uint64_t t0 = now_ns();
    for (int i = 0; i < n; i++)
        futex(w, FUTEX_WAKE, INT_MAX);
    uint64_t t1 = now_ns();
    munmap(w, 4096);
    return (double)(t1 - t0) / n;
}

/* Dispatch a futex child role; -1 if `role` is not one. */
static inline int futex_child(char const* role, int argc, char** argv)
{
    if (strcmp(role, "ping") == 0 || strcmp(role, "pong") == 0)
        return pingpong_main(argc, argv, strcmp(role, "pong") == 0);
    return -1;
}

#endif /* BENCH_FUTEX_H */
