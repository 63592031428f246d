/* bench_video - the video data path: 1080p and 2160p v210 grains written unthrottled by one process (memset of the
 * whole payload, stamp, commit) and read by another with blocking gets. See bench_grain.h for the protocol.
 *
 * lua_loop: the same 1080p loop driven from Lua (bench/lua_loop.lua under mxlrun: open grain, view:fill in C,
 * stamp, commit; reader: get, CRC-32 of 64 bytes), run beside the C loop doing the same work (reader checksums 64
 * bytes), repetition by repetition. Runs when $MXLRUN names an mxlrun binary and $BENCH_LUA_LOOP the script
 * (bench/run finds both); otherwise it prints a note and is skipped. */
#include "bench_grain.h"

/* One writer + one reader pair, C (script == NULL) or Lua; adds "<tag> writer rate" etc. to c. */
static void lua_loop_pair(bench_opts const* o, bench_case* c, char const* tag, char const* mxlrun, char const* script,
                          int rep, double secs)
{
    char id[37], a_dom[4200], a_id[64], a_sec[40], path[4200], a_s[4300], cw[32], cr[32];
    bench_flow_id(id, script ? 0x1a : 0x1c, (unsigned)rep, 0);
    snprintf(a_dom, sizeof a_dom, "domain=%s", o->domain);
    snprintf(a_id, sizeof a_id, "id=%s", id);
    snprintf(a_sec, sizeof a_sec, "seconds=%g", secs);
    snprintf(path, sizeof path, "%s/lat.lua_loop.%s.%d", o->dir, tag, rep);
    snprintf(a_s, sizeof a_s, "samples=%s", path);
    char const* wa[] = {a_dom, a_id, a_sec, "base=1000", "w=1920", "h=1080", "fill=1", cpu_arg(o, cw, 0), NULL};
    char const* ra[] = {a_dom, a_id, a_s, "base=1000", "sum64=1", cpu_arg(o, cr, 1), NULL};
    child wr, rd;
    if (script) {
        char const* pw[] = {mxlrun, script, "writer", NULL};
        char const* pr[] = {mxlrun, script, "reader", NULL};
        child_spawn_exec(&wr, "lua-writer", pw, wa);
        child_wait_ready(&wr);
        child_spawn_exec(&rd, "lua-reader", pr, ra);
    } else {
        child_spawn(&wr, "grain-writer", wa);
        child_wait_ready(&wr);
        child_spawn(&rd, "grain-reader", ra);
    }
    child_wait_ready(&rd);
    child_send(&rd, 'g');
    child_send(&wr, 'g');
    bench_case tmp;
    case_init(&tmp, "x");
    child_collect(&wr, case_add_cb, &tmp);
    child_collect(&rd, case_add_cb, &tmp);
    child_send(&wr, 'x');
    child_reap(&rd);
    child_reap(&wr);
    char name[96];
    for (int i = 0; i < tmp.nm; i++)
        if (strstr(tmp.m[i].name, "rate") || strstr(tmp.m[i].name, "missed")) {
            snprintf(name, sizeof name, "%s %s", tag, tmp.m[i].name);
            case_add(c, name, tmp.m[i].unit, tmp.m[i].v[0]);
        }
    u64vec lat = {0};
    vec_load(&lat, path);
    unlink(path);
    if (lat.n) {
        vec_sort(&lat);
        snprintf(name, sizeof name, "%s wake latency p50", tag);
        case_add(c, name, "us", (double)pct_sorted(lat.v, lat.n, 0.5) / 1000.0);
    }
    free(lat.v);
}

static void run_lua_loop(bench_opts const* o, double secs)
{
    if (!want_case(o, "lua_loop"))
        return;
    char const* mxlrun = getenv("MXLRUN");
    char const* script = getenv("BENCH_LUA_LOOP");
    if (!enough_space(o->dir, "lua_loop", 2u * 5u * (8192u + 5120u * 1080u)))
        return;
    if (mxlrun == NULL || *mxlrun == 0 || access(mxlrun, X_OK) != 0 || script == NULL || access(script, R_OK) != 0) {
        printf("%-30s skipped: no mxlrun (set MXLRUN, or build the Lua module: -DMXL_BUILD_LUA=ON)\n", "lua_loop");
        fflush(stdout);
        return;
    }
    bench_case c;
    case_init(&c, "lua_loop");
    for (int rep = 0; rep < o->reps; rep++) {
        bench_case r;
        case_init(&r, "x");
        lua_loop_pair(o, &r, "C", NULL, NULL, rep, secs);
        lua_loop_pair(o, &r, "Lua", mxlrun, script, rep, secs);
        for (int i = 0; i < r.nm; i++)
            case_add(&c, r.m[i].name, r.m[i].unit, r.m[i].v[0]);
        double cw = 0, lw = 0, cr = 0, lr = 0;
        for (int i = 0; i < r.nm; i++) {
            if (strcmp(r.m[i].name, "C writer rate") == 0)
                cw = r.m[i].v[0];
            if (strcmp(r.m[i].name, "Lua writer rate") == 0)
                lw = r.m[i].v[0];
            if (strcmp(r.m[i].name, "C reader rate") == 0)
                cr = r.m[i].v[0];
            if (strcmp(r.m[i].name, "Lua reader rate") == 0)
                lr = r.m[i].v[0];
        }
        if (cw > 0)
            case_add(&c, "Lua/C writer rate", "ratio", lw / cw);
        if (cr > 0)
            case_add(&c, "Lua/C reader rate", "ratio", lr / cr);
    }
    case_emit(&c, o);
}

int main(int argc, char** argv)
{
    if (argc > 2 && strcmp(argv[1], "--child") == 0) {
        child_init(argc, argv);
        int r = grain_child(argv[2], argc, argv);
        if (r < 0)
            die("unknown role %s", argv[2]);
        return r;
    }
    bench_opts o;
    opts_parse(&o, argc, argv);
    double secs = o.quick ? 0.2 : 3.0;
    /* 1080p29.97: 5-grain ring of 5.5 MB grains; 2160p50: 10-grain ring of 22 MB grains (200 ms history). */
    grain_case cases[] = {
        {"video_1080p", 0x1080, 1920, 1080, 30000, 1001, secs, true, 0, 1},
        {"video_2160p", 0x2160, 3840, 2160, 50, 1, secs, true, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_grain_case(&o, &cases[i]);
    run_lua_loop(&o, o.quick ? 0.2 : 2.0);
    return 0;
}
