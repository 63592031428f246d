/* bench_grain.h - the grain writer and grain reader child processes, and the orchestration of one
 * writer + N readers case, shared by bench_video.c (big grains) and bench_signal.c (tiny grains, fan-out).
 *
 * Writer: creates the flow, then for each grain: open, optionally memset the whole payload, stamp
 * {CLOCK_MONOTONIC, index, last} into the first payload bytes just before the commit, commit. Unthrottled, or
 * paced on an absolute CLOCK_MONOTONIC grid. Reports grains/s and the cost of each commit call.
 *
 * Reader: for each next index: a non-blocking get; if that says TOO_EARLY, a blocking get, and the wake latency
 * is (time on return) - (stamp in the payload). Reads that did not have to wait are not latency samples. A
 * TOO_LATE (the writer lapped the reader) skips to the head and counts the skipped grains as missed. */
#ifndef BENCH_GRAIN_H
#define BENCH_GRAIN_H

#include "bench_futex.h"

/* The writer's own limits, measured in its process just before its run: memset GB/s of one frame-sized tmpfs
 * buffer, and of the flow's own ring (the payloads of every slot, in turn; no commit). */
static void memset_limits(mxlFlowWriter wr, uint32_t grains, char const* tmp, double secs, double* frame_gbs,
                          double* ring_gbs)
{
    uint8_t* slot[64];
    uint32_t size = 0, g = grains < 64 ? grains : 64;
    for (uint32_t i = 0; i < g; i++) {
        mxlGrainInfo gi;
        check_mxl(mxlFlowWriterOpenGrain(wr, i, &gi, &slot[i]), "mxlFlowWriterOpenGrain");
        check_mxl(mxlFlowWriterCancelGrain(wr), "mxlFlowWriterCancelGrain");
        size = gi.grainSize;
    }
    uint64_t budget = (uint64_t)(secs * 1e9), n = 0, t0 = now_ns(), t;
    do {
        memset(slot[n % g], (int)(n & 0xff), size);
        n++;
    } while ((t = now_ns()) - t0 < budget);
    *ring_gbs = (double)(n * size) / (double)(t - t0);
    uint8_t* buf = tmpfs_map(tmp, "limit-frame", size);
    n = 0;
    t0 = now_ns();
    do {
        memset(buf, (int)(n & 0xff), size);
        n++;
    } while ((t = now_ns()) - t0 < budget);
    *frame_gbs = (double)(n * size) / (double)(t - t0);
    munmap(buf, size);
}

/* ---- children ------------------------------------------------------------------------------------------------ */

static int grain_writer_main(int argc, char** argv)
{
    char const* domain = kv_str(argc, argv, "domain", NULL);
    char const* id = kv_str(argc, argv, "id", NULL);
    int w = (int)kv_int(argc, argv, "w", 1920), h = (int)kv_int(argc, argv, "h", 1080);
    long num = (long)kv_int(argc, argv, "num", 30000), den = (long)kv_int(argc, argv, "den", 1001);
    uint64_t dur = (uint64_t)(kv_dbl(argc, argv, "seconds", 1.0) * 1e9);
    uint64_t base = (uint64_t)kv_int(argc, argv, "base", 1000);
    bool fill = kv_int(argc, argv, "fill", 1) != 0;
    uint64_t pace = (uint64_t)kv_int(argc, argv, "pace_ns", 0);
    uint64_t lead = (uint64_t)kv_int(argc, argv, "lead_ns", 50000000);
    char def[2048];
    video_flowdef(def, sizeof def, id, w, h, num, den);

    mxlInstance inst = mxlCreateInstance(domain, NULL);
    if (inst == NULL)
        die("mxlCreateInstance(%s): %s", domain, mxlGetLastErrorMessage());
    mxlFlowWriter wr;
    mxlFlowConfigInfo cfg;
    bool created = false;
    check_mxl(mxlCreateFlowWriter(inst, def, NULL, &wr, &cfg, &created), "mxlCreateFlowWriter");
    char const* tmp = kv_str(argc, argv, "tmp", NULL);
    double frame_gbs = 0, ring_gbs = 0;
    if (fill && tmp)
        memset_limits(wr, cfg.discrete.grainCount, tmp, kv_dbl(argc, argv, "limit_s", 0.25), &frame_gbs, &ring_gbs);
    child_ready();
    if (child_wait_cmd() != 'g')
        return 1;
    sleep_ns(lead); /* let the readers block first */

    u64vec commit = {0};
    uint64_t n = 0, bytes = 0;
    uint64_t t0 = now_ns();
    for (;; n++) {
        uint64_t idx = base + n;
        if (pace)
            sleep_until_ns(t0 + n * pace);
        mxlGrainInfo gi;
        uint8_t* p;
        check_mxl(mxlFlowWriterOpenGrain(wr, idx, &gi, &p), "mxlFlowWriterOpenGrain");
        if (fill) {
            memset(p, (int)(idx & 0xff), gi.grainSize);
            bytes += gi.grainSize;
        }
        stamp s = {0, idx, 0};
        s.last = now_ns() - t0 >= dur;
        gi.validSlices = gi.totalSlices;
        s.t = now_ns();
        memcpy(p, &s, sizeof s);
        check_mxl(mxlFlowWriterCommitGrain(wr, &gi), "mxlFlowWriterCommitGrain");
        vec_push(&commit, now_ns() - s.t);
        if (s.last)
            break;
    }
    uint64_t t1 = now_ns();
    n++;
    double secs = (double)(t1 - t0) / 1e9;
    child_put("writer rate", "grains/s", (double)n / secs);
    if (fill)
        child_put("writer fill+commit", "GB/s", (double)bytes / secs / 1e9);
    if (frame_gbs > 0) {
        double gbs = (double)bytes / secs / 1e9;
        child_put("limit: memset 1 frame (paired)", "GB/s", frame_gbs);
        child_put("limit: memset own ring (paired)", "GB/s", ring_gbs);
        child_put("fill+commit / memset 1 frame", "ratio", gbs / frame_gbs);
        child_put("fill+commit / memset own ring", "ratio", gbs / ring_gbs);
    }
    vec_sort(&commit);
    child_put("commit call p50", "ns", (double)pct_sorted(commit.v, commit.n, 0.5));
    child_put("commit call p99", "ns", (double)pct_sorted(commit.v, commit.n, 0.99));
    child_put("grains written", "count", (double)n);
    child_end();
    child_wait_cmd(); /* keep the flow alive until every reader is done */
    check_mxl(mxlReleaseFlowWriter(inst, wr), "mxlReleaseFlowWriter");
    mxlDestroyInstance(inst);
    free(commit.v);
    return 0;
}

static int grain_reader_main(int argc, char** argv)
{
    char const* domain = kv_str(argc, argv, "domain", NULL);
    char const* id = kv_str(argc, argv, "id", NULL);
    uint64_t idx = (uint64_t)kv_int(argc, argv, "base", 1000);
    char const* samples = kv_str(argc, argv, "samples", NULL);
    uint64_t timeout = (uint64_t)kv_int(argc, argv, "timeout_ns", 5000000000ll);
    bool sum64 = kv_int(argc, argv, "sum64", 0) != 0; /* also checksum the first 64 payload bytes */
    uint64_t checksum = 0;

    mxlInstance inst = mxlCreateInstance(domain, NULL);
    if (inst == NULL)
        die("mxlCreateInstance(%s): %s", domain, mxlGetLastErrorMessage());
    mxlFlowReader rd;
    check_mxl(mxlCreateFlowReader(inst, id, NULL, &rd), "mxlCreateFlowReader");
    child_ready();
    if (child_wait_cmd() != 'g')
        return 1;

    u64vec lat = {0};
    uint64_t got = 0, missed = 0, nowait = 0, timeouts = 0, torn = 0, t_first = 0, t_last = 0;
    for (;;) {
        mxlGrainInfo gi;
        uint8_t* p;
        bool waited = false;
        mxlStatus st = mxlFlowReaderGetGrainNonBlocking(rd, idx, &gi, &p);
        if (st == MXL_ERR_OUT_OF_RANGE_TOO_EARLY) {
            st = mxlFlowReaderGetGrain(rd, idx, timeout, &gi, &p);
            waited = true;
        }
        uint64_t t = now_ns();
        if (st == MXL_STATUS_OK) {
            stamp s;
            memcpy(&s, p, sizeof s);
            if (sum64) {
                uint64_t w8[8];
                memcpy(w8, p, sizeof w8);
                for (int k = 0; k < 8; k++)
                    checksum = checksum * 31 + w8[k];
            }
            if (s.index != idx)
                torn++;
            else if (waited)
                vec_push(&lat, t - s.t);
            else
                nowait++;
            if (got++ == 0)
                t_first = t;
            t_last = t;
            if (s.index == idx && s.last)
                break;
            idx++;
        } else if (st == MXL_ERR_OUT_OF_RANGE_TOO_LATE) {
            mxlFlowRuntimeInfo rt;
            check_mxl(mxlFlowReaderGetRuntimeInfo(rd, &rt), "mxlFlowReaderGetRuntimeInfo");
            if (rt.headIndex > idx) {
                missed += rt.headIndex - idx;
                idx = rt.headIndex;
            }
        } else if (st == MXL_ERR_OUT_OF_RANGE_TOO_EARLY) {
            timeouts++;
            break;
        } else {
            check_mxl(st, "mxlFlowReaderGetGrain");
        }
    }
    double secs = t_last > t_first ? (double)(t_last - t_first) / 1e9 : 1e-9;
    child_put("reader rate", "grains/s", got > 1 ? (double)(got - 1) / secs : 0.0);
    child_put("grains read", "count", (double)got);
    child_put("grains missed", "count", (double)missed);
    child_put("reads without wait", "count", (double)nowait);
    if (timeouts)
        child_put("reader timeouts", "count", (double)timeouts);
    if (torn)
        child_put("lapped while reading", "count", (double)torn);
    child_end();
    if (samples)
        vec_save(&lat, samples);
    if (checksum == 1)
        fprintf(stderr, "(checksum sink)\n");
    mxlReleaseFlowReader(inst, rd);
    mxlDestroyInstance(inst);
    free(lat.v);
    return 0;
}

/* ---- orchestration ------------------------------------------------------------------------------------------- */

typedef struct grain_case
{
    char const* name;
    unsigned number;  /* for flow ids */
    int w, h;
    long num, den;
    double seconds;   /* writer run time */
    bool fill;
    uint64_t pace_ns; /* 0 = unthrottled */
    int readers;
} grain_case;

static void run_grain_case(bench_opts const* o, grain_case const* gc)
{
    if (!want_case(o, gc->name))
        return;
    uint64_t grains = (uint64_t)(0.2 * (double)gc->num / (double)gc->den); /* default 200 ms history */
    if (!enough_space(o->dir, gc->name, grains * (8192u + (uint64_t)(gc->w + 47) / 48 * 128 * (uint64_t)gc->h)))
        return;
    bench_case c;
    case_init(&c, gc->name);
    u64vec pooled = {0};
    for (int rep = 0; rep < o->reps; rep++) {
        char id[37], a_dom[4200], a_id[64], a_w[32], a_h[32], a_num[40], a_den[40], a_sec[40], a_fill[16],
            a_pace[40];
        bench_flow_id(id, gc->number, (unsigned)rep, 0);
        snprintf(a_dom, sizeof a_dom, "domain=%s", o->domain);
        snprintf(a_id, sizeof a_id, "id=%s", id);
        snprintf(a_w, sizeof a_w, "w=%d", gc->w);
        snprintf(a_h, sizeof a_h, "h=%d", gc->h);
        snprintf(a_num, sizeof a_num, "num=%ld", gc->num);
        snprintf(a_den, sizeof a_den, "den=%ld", gc->den);
        snprintf(a_sec, sizeof a_sec, "seconds=%g", gc->seconds);
        snprintf(a_fill, sizeof a_fill, "fill=%d", gc->fill ? 1 : 0);
        snprintf(a_pace, sizeof a_pace, "pace_ns=%llu", (unsigned long long)gc->pace_ns);
        /* paced cases: the raw-futex limit with as many waiters, measured again right before this repetition */
        double fwake = 0;
        uint64_t fp50 = 0;
        if (gc->pace_ns) {
            u64vec fl = {0};
            char fname[64];
            snprintf(fname, sizeof fname, "%s.futex", gc->name);
            fwake = futex_rep(o, fname, rep, true, gc->pace_ns, o->quick ? 100 : 1000, gc->readers, &fl, NULL);
            vec_sort(&fl);
            fp50 = pct_sorted(fl.v, fl.n, 0.5);
            case_add(&c, "limit: futex one-way p50 (paired)", "us", (double)fp50 / 1000.0);
            case_add(&c, "limit: FUTEX_WAKE call p50 (paired)", "ns", fwake);
            free(fl.v);
        }
        char cw[32], a_tmp[4200], a_lim[32];
        snprintf(a_tmp, sizeof a_tmp, "tmp=%s", o->dir);
        snprintf(a_lim, sizeof a_lim, "limit_s=%g", o->quick ? 0.05 : 0.25);
        char const* wargs[] = {a_dom, a_id, a_w, a_h, a_num, a_den, a_sec, a_fill, a_pace, "base=1000",
                               a_tmp, a_lim, cpu_arg(o, cw, 0), NULL};
        child wr;
        child_spawn(&wr, "grain-writer", wargs);
        child_wait_ready(&wr);

        child* rd = calloc((size_t)gc->readers, sizeof *rd);
        char(*paths)[4200] = calloc((size_t)gc->readers, sizeof *paths);
        for (int r = 0; r < gc->readers; r++) {
            snprintf(paths[r], sizeof paths[r], "%s/lat.%s.%d.%d", o->dir, gc->name, rep, r);
            char a_s[4300];
            snprintf(a_s, sizeof a_s, "samples=%s", paths[r]);
            char cr[32];
            char const* rargs[] = {a_dom, a_id, a_s, "base=1000", cpu_arg(o, cr, 1 + r), NULL};
            child_spawn(&rd[r], "grain-reader", rargs);
        }
        for (int r = 0; r < gc->readers; r++)
            child_wait_ready(&rd[r]);
        for (int r = 0; r < gc->readers; r++)
            child_send(&rd[r], 'g');
        child_send(&wr, 'g');
        child_collect(&wr, case_add_cb, &c);

        /* per-reader figures: average rates, sum counts */
        bench_case per;
        case_init(&per, "readers");
        for (int r = 0; r < gc->readers; r++)
            child_collect(&rd[r], case_add_cb, &per);
        for (int i = 0; i < per.nm; i++) {
            double sum = 0;
            for (int k = 0; k < per.m[i].n; k++)
                sum += per.m[i].v[k];
            bool rate = strstr(per.m[i].unit, "/s") != NULL;
            case_add(&c, per.m[i].name, per.m[i].unit, rate ? sum / per.m[i].n : sum);
        }
        child_send(&wr, 'x');
        for (int r = 0; r < gc->readers; r++)
            child_reap(&rd[r]);
        child_reap(&wr);

        u64vec all = {0};
        uint64_t worst_p50 = 0;
        for (int r = 0; r < gc->readers; r++) {
            u64vec one = {0};
            vec_load(&one, paths[r]);
            unlink(paths[r]);
            for (size_t i = 0; i < one.n; i++) {
                vec_push(&all, one.v[i]);
                vec_push(&pooled, one.v[i]);
            }
            vec_sort(&one);
            uint64_t p50 = pct_sorted(one.v, one.n, 0.5);
            if (p50 > worst_p50)
                worst_p50 = p50;
            free(one.v);
        }
        case_add_latency(&c, "wake latency", &all);
        if (gc->readers > 1)
            case_add(&c, "slowest reader's wake p50", "us", (double)worst_p50 / 1000.0);
        if (fp50 > 0 && all.n > 0) {
            case_add(&c, "wake p50 / futex p50 (paired)", "ratio", (double)pct_sorted(all.v, all.n, 0.5) / (double)fp50);
            double commit = case_last(&c, "commit call p50");
            if (commit > 0 && fwake > 0)
                case_add(&c, "commit / FUTEX_WAKE (paired)", "ratio", commit / fwake);
        }
        free(all.v);
        free(rd);
        free(paths);
    }
    case_emit(&c, o);
    vec_sort(&pooled);
    write_cdf(o->samples, gc->name, &pooled);
    free(pooled.v);
}

/* Dispatch a child role; returns -1 if `role` is not a grain role. */
static int grain_child(char const* role, int argc, char** argv)
{
    int f = futex_child(role, argc, argv);
    if (f >= 0)
        return f;
    if (strcmp(role, "grain-writer") == 0)
        return grain_writer_main(argc, argv);
    if (strcmp(role, "grain-reader") == 0)
        return grain_reader_main(argc, argv);
    return -1;
}

#endif /* BENCH_GRAIN_H */
