/* bench_costs - fixed costs of the engine, each measured in its own process:
 *   commit_no_readers   a writer alone on its flow: open+commit loop (ns per grain) and the commit call alone
 *                       (median of timed calls, clock overhead removed), for a tiny grain, a 1080p grain (no fill)
 *                       and a 48-sample audio batch with hints that wake on every commit.
 *   create_1080p        mxlCreateFlowWriter of a new 1080p flow: time, tmpfs bytes (statfs before/after, and the
 *                       exact st_blocks of the domain tree), heap bytes (mallinfo2 before/after, same process).
 *   attach_1080p        a second process attaching a writer to that existing flow: same figures; it must
 *                       allocate no tmpfs block (target 0 bytes).
 *   reader_open_1080p   mxlCreateFlowReader on it: time, heap bytes, VmRSS growth.
 *   reader_rss_2160p    VmRSS growth of a reader of a 2160p flow: after open, after getting one grain (stamp read
 *                       only), after reading that grain's whole payload. Grains are mapped lazily: only the pages
 *                       touched count. */
#include "bench_futex.h"

#include <ftw.h>
#include <malloc.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statfs.h>

/* ---- measuring helpers ---------------------------------------------------------------------------------------- */

static uint64_t tmpfs_used(char const* path)
{
    struct statfs s;
    if (statfs(path, &s) != 0)
        return 0;
    return (uint64_t)(s.f_blocks - s.f_bfree) * (uint64_t)s.f_bsize;
}

static uint64_t g_du;
static int du_cb(char const* p, struct stat const* st, int type, struct FTW* f)
{
    (void)p, (void)type, (void)f;
    g_du += (uint64_t)st->st_blocks * 512u;
    return 0;
}

/* Bytes allocated to every file under `dir` (exact, unaffected by other users of the tmpfs). */
static uint64_t tree_bytes(char const* dir)
{
    g_du = 0;
    nftw(dir, du_cb, 16, FTW_PHYS);
    return g_du;
}

static uint64_t heap_used(void)
{
    struct mallinfo2 m = mallinfo2();
    return (uint64_t)m.uordblks + (uint64_t)m.hblkhd;
}

typedef struct probe
{
    uint64_t fs, tree, heap, rss, t;
} probe;

static probe probe_now(char const* domain)
{
    probe p = {tmpfs_used(domain), tree_bytes(domain), heap_used(), vm_rss_bytes(), 0};
    p.t = now_ns();
    return p;
}

/* Report the deltas between two probes; the time is taken from a.t..b.t (probe_now stamps its end). */
static void put_deltas(char const* what, probe const* a, probe const* b, uint64_t t0, uint64_t t1)
{
    char name[64];
    snprintf(name, sizeof name, "%s time", what);
    child_put(name, "ms", (double)(t1 - t0) / 1e6);
    snprintf(name, sizeof name, "%s tmpfs (statfs)", what);
    child_put(name, "bytes", (double)((int64_t)b->fs - (int64_t)a->fs));
    snprintf(name, sizeof name, "%s tmpfs (domain du)", what);
    child_put(name, "bytes", (double)((int64_t)b->tree - (int64_t)a->tree));
    snprintf(name, sizeof name, "%s heap (mallinfo2)", what);
    child_put(name, "bytes", (double)((int64_t)b->heap - (int64_t)a->heap));
}

static mxlInstance instance(char const* domain)
{
    mxlInstance inst = mxlCreateInstance(domain, NULL);
    if (inst == NULL)
        die("mxlCreateInstance(%s): %s", domain, mxlGetLastErrorMessage());
    return inst;
}

/* ---- commit with no readers --------------------------------------------------------------------------------- */

static uint64_t clock_overhead(void)
{
    u64vec d = {0};
    for (int i = 0; i < 10000; i++) {
        uint64_t a = now_ns();
        vec_push(&d, now_ns() - a);
    }
    vec_sort(&d);
    uint64_t r = pct_sorted(d.v, d.n, 0.5);
    free(d.v);
    return r;
}

/* The commit calls are timed one by one (clock overhead removed, median), and each is paired with one timed
 * FUTEX_WAKE with no waiter on `word` (a tmpfs-mapped u32 of this process) just before it, into *fw. */
static double commit_grains(mxlInstance inst, char const* id, int w, int h, int n, char const* tag, uint32_t* word,
                            u64vec* fw)
{
    char def[2048];
    video_flowdef(def, sizeof def, id, w, h, 30000, 1001);
    mxlFlowWriter wr;
    bool created;
    check_mxl(mxlCreateFlowWriter(inst, def, NULL, &wr, NULL, &created), "mxlCreateFlowWriter");
    uint64_t ovh = clock_overhead();
    mxlGrainInfo gi;
    uint8_t* p;
    uint64_t t0 = now_ns();
    for (int i = 0; i < n; i++) {
        check_mxl(mxlFlowWriterOpenGrain(wr, 1000 + (uint64_t)i, &gi, &p), "open");
        gi.validSlices = gi.totalSlices;
        check_mxl(mxlFlowWriterCommitGrain(wr, &gi), "commit");
    }
    uint64_t t1 = now_ns();
    u64vec d = {0};
    for (int i = 0; i < n; i++) {
        check_mxl(mxlFlowWriterOpenGrain(wr, 1000 + (uint64_t)(n + i), &gi, &p), "open");
        gi.validSlices = gi.totalSlices;
        uint64_t f = now_ns();
        futex(word, FUTEX_WAKE, INT_MAX);
        uint64_t g = now_ns();
        vec_push(fw, g - f > ovh ? g - f - ovh : 0);
        uint64_t a = now_ns();
        check_mxl(mxlFlowWriterCommitGrain(wr, &gi), "commit");
        uint64_t b = now_ns();
        vec_push(&d, b - a > ovh ? b - a - ovh : 0);
    }
    vec_sort(&d);
    char name[64];
    snprintf(name, sizeof name, "%s open+commit", tag);
    child_put(name, "ns", (double)(t1 - t0) / n);
    snprintf(name, sizeof name, "%s commit", tag);
    child_put(name, "ns", (double)pct_sorted(d.v, d.n, 0.5));
    double med = (double)pct_sorted(d.v, d.n, 0.5);
    free(d.v);
    check_mxl(mxlReleaseFlowWriter(inst, wr), "mxlReleaseFlowWriter");
    return med;
}

static double commit_samples(mxlInstance inst, char const* id, int n, uint32_t* word, u64vec* fw)
{
    char def[2048];
    audio_flowdef(def, sizeof def, id, 2);
    mxlFlowWriter wr;
    bool created;
    check_mxl(mxlCreateFlowWriter(inst, def, "{\"maxCommitBatchSizeHint\":48,\"maxSyncBatchSizeHint\":48}", &wr,
                                  NULL, &created),
              "mxlCreateFlowWriter");
    uint64_t ovh = clock_overhead();
    mxlMutableWrappedMultiBufferSlice s;
    u64vec d = {0};
    for (int i = 0; i < n; i++) {
        check_mxl(mxlFlowWriterOpenSamples(wr, 48000 + 48 * (uint64_t)(i + 1), 48, &s), "open");
        uint64_t f = now_ns();
        futex(word, FUTEX_WAKE, INT_MAX);
        uint64_t g = now_ns();
        vec_push(fw, g - f > ovh ? g - f - ovh : 0);
        uint64_t a = now_ns();
        check_mxl(mxlFlowWriterCommitSamples(wr), "commit");
        uint64_t b = now_ns();
        vec_push(&d, b - a > ovh ? b - a - ovh : 0);
    }
    vec_sort(&d);
    child_put("audio 48 commit (wakes)", "ns", (double)pct_sorted(d.v, d.n, 0.5));
    double med = (double)pct_sorted(d.v, d.n, 0.5);
    free(d.v);
    check_mxl(mxlReleaseFlowWriter(inst, wr), "mxlReleaseFlowWriter");
    return med;
}

static int committer_main(int argc, char** argv)
{
    char const* domain = kv_str(argc, argv, "domain", NULL);
    int n = (int)kv_int(argc, argv, "n", 100000);
    mxlInstance inst = instance(domain);
    child_ready();
    if (child_wait_cmd() != 'g')
        return 1;
    /* the limit, interleaved call by call: one FUTEX_WAKE with no waiter on a tmpfs-mapped word */
    uint32_t* word = (uint32_t*)tmpfs_map(kv_str(argc, argv, "tmp", "/dev/shm"), "futexword", 4096);
    u64vec fwv = {0};
    double tiny = commit_grains(inst, kv_str(argc, argv, "id1", NULL), 64, 36, n, "tiny", word, &fwv);
    commit_grains(inst, kv_str(argc, argv, "id2", NULL), 1920, 1080, n, "1080p", word, &fwv);
    double audio = commit_samples(inst, kv_str(argc, argv, "id3", NULL), n, word, &fwv);
    vec_sort(&fwv);
    double fw = (double)pct_sorted(fwv.v, fwv.n, 0.5);
    free(fwv.v);
    munmap(word, 4096);
    child_put("limit: FUTEX_WAKE no waiters (paired)", "ns", fw);
    child_put("tiny commit / FUTEX_WAKE (paired)", "ratio", tiny / fw);
    child_put("audio commit / FUTEX_WAKE (paired)", "ratio", audio / fw);
    child_end();
    mxlDestroyInstance(inst);
    return 0;
}

/* ---- create / attach / open ---------------------------------------------------------------------------------- */

static int creator_main(int argc, char** argv)
{
    char const* domain = kv_str(argc, argv, "domain", NULL);
    char const* id = kv_str(argc, argv, "id", NULL);
    int w = (int)kv_int(argc, argv, "w", 1920), h = (int)kv_int(argc, argv, "h", 1080);
    char def[2048];
    video_flowdef(def, sizeof def, id, w, h, 30000, 1001);
    mxlInstance inst = instance(domain);
    mxlFlowWriter wr;
    bool created = false;
    probe a = probe_now(domain);
    uint64_t t0 = now_ns();
    check_mxl(mxlCreateFlowWriter(inst, def, NULL, &wr, NULL, &created), "mxlCreateFlowWriter");
    uint64_t t1 = now_ns();
    probe b = probe_now(domain);
    if (!created)
        die("flow %s already existed", id);
    /* one complete grain for the readers */
    mxlGrainInfo gi;
    uint8_t* p;
    check_mxl(mxlFlowWriterOpenGrain(wr, 1000, &gi, &p), "open");
    memset(p, 0x5a, gi.grainSize);
    gi.validSlices = gi.totalSlices;
    check_mxl(mxlFlowWriterCommitGrain(wr, &gi), "commit");
    child_ready();
    if (child_wait_cmd() != 'g')
        return 1;
    put_deltas("create", &a, &b, t0, t1);
    child_end();
    child_wait_cmd();
    check_mxl(mxlReleaseFlowWriter(inst, wr), "mxlReleaseFlowWriter");
    mxlDestroyInstance(inst);
    return 0;
}

static int attacher_main(int argc, char** argv)
{
    char const* domain = kv_str(argc, argv, "domain", NULL);
    char const* id = kv_str(argc, argv, "id", NULL);
    char def[2048];
    video_flowdef(def, sizeof def, id, 1920, 1080, 30000, 1001);
    mxlInstance inst = instance(domain);
    child_ready();
    if (child_wait_cmd() != 'g')
        return 1;
    mxlFlowWriter wr;
    bool created = true;
    probe a = probe_now(domain);
    uint64_t t0 = now_ns();
    check_mxl(mxlCreateFlowWriter(inst, def, NULL, &wr, NULL, &created), "mxlCreateFlowWriter (attach)");
    uint64_t t1 = now_ns();
    probe b = probe_now(domain);
    if (created)
        die("expected to attach to the existing flow %s, but it was created", id);
    put_deltas("attach", &a, &b, t0, t1);
    child_end();
    check_mxl(mxlReleaseFlowWriter(inst, wr), "mxlReleaseFlowWriter"); /* the creator still holds the flow */
    mxlDestroyInstance(inst);
    return 0;
}

static int opener_main(int argc, char** argv)
{
    char const* domain = kv_str(argc, argv, "domain", NULL);
    char const* id = kv_str(argc, argv, "id", NULL);
    bool payload = kv_int(argc, argv, "payload", 0) != 0;
    mxlInstance inst = instance(domain);
    child_ready();
    if (child_wait_cmd() != 'g')
        return 1;
    mxlFlowReader rd;
    probe a = probe_now(domain);
    uint64_t t0 = now_ns();
    check_mxl(mxlCreateFlowReader(inst, id, NULL, &rd), "mxlCreateFlowReader");
    uint64_t t1 = now_ns();
    probe b = probe_now(domain);
    if (!payload) {
        child_put("reader open time", "ms", (double)(t1 - t0) / 1e6);
        child_put("reader open heap (mallinfo2)", "bytes", (double)((int64_t)b.heap - (int64_t)a.heap));
        child_put("reader open VmRSS growth", "bytes", (double)((int64_t)b.rss - (int64_t)a.rss));
        /* per-call cost of the getters, with the writer (another process) holding grain 1000 as its head */
        int n = (int)kv_int(argc, argv, "n", 100000);
        mxlGrainInfo gi;
        uint8_t* p;
        uint64_t t0 = now_ns();
        for (int i = 0; i < n; i++)
            check_mxl(mxlFlowReaderGetGrainNonBlocking(rd, 1000, &gi, &p), "get");
        uint64_t t1 = now_ns();
        for (int i = 0; i < n; i++)
            check_mxl(mxlFlowReaderGetGrain(rd, 1000, 1000000000ull, &gi, &p), "get");
        uint64_t t2 = now_ns();
        for (int i = 0; i < n / 10; i++)
            if (mxlFlowReaderGetGrainNonBlocking(rd, 1001, &gi, &p) != MXL_ERR_OUT_OF_RANGE_TOO_EARLY)
                die("expected TOO_EARLY");
        uint64_t t3 = now_ns();
        child_put("get, grain ready (non-blocking)", "ns", (double)(t1 - t0) / n);
        child_put("get, grain ready (blocking)", "ns", (double)(t2 - t1) / n);
        child_put("get, TOO_EARLY (non-blocking)", "ns", (double)(t3 - t2) / (n / 10));
    } else {
        mxlGrainInfo gi;
        uint8_t* p;
        check_mxl(mxlFlowReaderGetGrainNonBlocking(rd, 1000, &gi, &p), "mxlFlowReaderGetGrainNonBlocking");
        volatile uint8_t first = p[0];
        (void)first;
        uint64_t rss_get = vm_rss_bytes();
        uint64_t sum = 0;
        for (size_t i = 0; i < gi.grainSize; i += 64)
            sum += p[i];
        uint64_t rss_all = vm_rss_bytes();
        if (sum == 0)
            die("grain payload is empty");
        child_put("VmRSS before open", "bytes", (double)a.rss);
        child_put("VmRSS growth after open", "bytes", (double)((int64_t)b.rss - (int64_t)a.rss));
        child_put("VmRSS growth after 1 get", "bytes", (double)((int64_t)rss_get - (int64_t)a.rss));
        child_put("VmRSS growth after payload", "bytes", (double)((int64_t)rss_all - (int64_t)a.rss));
        child_put("grain payload size", "bytes", (double)gi.grainSize);
    }
    child_end();
    mxlReleaseFlowReader(inst, rd);
    mxlDestroyInstance(inst);
    return 0;
}

/* ---- orchestration ------------------------------------------------------------------------------------------- */

static void run_commit(bench_opts const* o)
{
    char const* name = "commit_no_readers";
    if (!want_case(o, name))
        return;
    bench_case c;
    case_init(&c, name);
    for (int rep = 0; rep < o->reps; rep++) {
        char id1[37], id2[37], id3[37], a_dom[4200], a1[64], a2[64], a3[64], a_n[32], cw[32];
        bench_flow_id(id1, 0xc1, (unsigned)rep, 1);
        bench_flow_id(id2, 0xc1, (unsigned)rep, 2);
        bench_flow_id(id3, 0xc1, (unsigned)rep, 3);
        snprintf(a_dom, sizeof a_dom, "domain=%s", o->domain);
        snprintf(a1, sizeof a1, "id1=%s", id1);
        snprintf(a2, sizeof a2, "id2=%s", id2);
        snprintf(a3, sizeof a3, "id3=%s", id3);
        snprintf(a_n, sizeof a_n, "n=%d", o->quick ? 20000 : 200000);
        char a_tmp[4200];
        snprintf(a_tmp, sizeof a_tmp, "tmp=%s", o->dir);
        char const* args[] = {a_dom, a1, a2, a3, a_n, a_tmp, cpu_arg(o, cw, 0), NULL};
        child ch;
        child_spawn(&ch, "committer", args);
        child_wait_ready(&ch);
        child_send(&ch, 'g');
        child_collect(&ch, case_add_cb, &c);
        child_reap(&ch);
    }
    case_emit(&c, o);
}

/* statfs counts every user of a tmpfs, and /dev/shm is shared (tests may run beside us). When allowed (root,
 * CAP_SYS_ADMIN), the lifecycle cases get a tmpfs of their own: a private mount namespace for this orchestrator
 * and its children, with a fresh tmpfs mounted under the run directory. Returns false (shared domain) otherwise. */
static bool g_private;
static void private_tmpfs(bench_opts* o)
{
    char mnt[3900];
    if (snprintf(mnt, sizeof mnt, "%s/private", o->dir) >= (int)sizeof mnt)
        return;
    if (mkdir(mnt, 0755) != 0)
        return;
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", mnt, "tmpfs", 0, "size=4g,mode=0755") != 0) {
        rmdir(mnt);
        printf("%-30s note: no private tmpfs (%s): statfs figures include other users of %s\n", "create_attach_1080p",
               strerror(errno), o->dir);
        return;
    }
    snprintf(o->domain, sizeof o->domain, "%s/domain", mnt);
    mkdir(o->domain, 0755);
    g_private = true;
}

/* create (creator process) + attach (second process) + reader open (third process) of one flow. */
static void run_lifecycle(bench_opts const* o, char const* name, int w, int h, bool rss_case)
{
    if (!want_case(o, name))
        return;
    if (!enough_space(o->domain, name, 5u * (8192u + (uint64_t)(w + 47) / 48 * 128 * (uint64_t)h))) /* 5 grains */
        return;
    bench_case c;
    case_init(&c, name);
    for (int rep = 0; rep < o->reps; rep++) {
        char id[37], a_dom[4200], a_id[64], a_w[32], a_h[32], c0[32], c1[32], c2[32];
        bench_flow_id(id, rss_case ? 0xc3 : 0xc2, (unsigned)rep, 0);
        snprintf(a_dom, sizeof a_dom, "domain=%s", o->domain);
        snprintf(a_id, sizeof a_id, "id=%s", id);
        snprintf(a_w, sizeof a_w, "w=%d", w);
        snprintf(a_h, sizeof a_h, "h=%d", h);
        char const* ca[] = {a_dom, a_id, a_w, a_h, cpu_arg(o, c0, 0), NULL};
        child cr;
        child_spawn(&cr, "creator", ca);
        child_wait_ready(&cr);
        child_send(&cr, 'g');
        bench_case created;
        case_init(&created, "x");
        child_collect(&cr, case_add_cb, &created);
        if (!rss_case) {
            for (int i = 0; i < created.nm; i++)
                case_add(&c, created.m[i].name, created.m[i].unit, created.m[i].v[0]);
            char const* aa[] = {a_dom, a_id, cpu_arg(o, c1, 1), NULL};
            child at;
            child_spawn(&at, "attacher", aa);
            child_wait_ready(&at);
            child_send(&at, 'g');
            child_collect(&at, case_add_cb, &c);
            child_reap(&at);
        }
        char a_n[32];
        snprintf(a_n, sizeof a_n, "n=%d", o->quick ? 10000 : 100000);
        char const* oa[] = {a_dom, a_id, rss_case ? "payload=1" : "payload=0", a_n, cpu_arg(o, c2, 1), NULL};
        child op;
        child_spawn(&op, "opener", oa);
        child_wait_ready(&op);
        child_send(&op, 'g');
        child_collect(&op, case_add_cb, &c);
        child_reap(&op);
        child_send(&cr, 'x');
        child_reap(&cr);
        if (!rss_case)
            case_add(&c, "statfs on a private tmpfs", "bool", g_private ? 1 : 0);
    }
    case_emit(&c, o);
}

int main(int argc, char** argv)
{
    if (argc > 2 && strcmp(argv[1], "--child") == 0) {
        child_init(argc, argv);
        char const* role = argv[2];
        if (strcmp(role, "committer") == 0)
            return committer_main(argc, argv);
        if (strcmp(role, "creator") == 0)
            return creator_main(argc, argv);
        if (strcmp(role, "attacher") == 0)
            return attacher_main(argc, argv);
        if (strcmp(role, "opener") == 0)
            return opener_main(argc, argv);
        die("unknown role %s", role);
    }
    bench_opts o;
    opts_parse(&o, argc, argv);
    run_commit(&o);
    if (want_case(&o, "create_attach_1080p") || want_case(&o, "reader_rss_2160p"))
        private_tmpfs(&o);
    run_lifecycle(&o, "create_attach_1080p", 1920, 1080, false);
    run_lifecycle(&o, "reader_rss_2160p", 3840, 2160, true);
    return 0;
}
