/* Liveness and garbage collection (MXL-FORMAT.md §2.3, §2.5, §8.2-§8.4, §14 items 8-11): a SIGKILLed writer's flow
 * is collected; a live writer's flow survives a GC loop racing with attach/release and create/release cycles in
 * other processes; abandoned creation scaffolds (ours and upstream's leaked continuous ones) are reclaimed while a
 * live creator's is not; 16 processes creating one flow at once; tmpfs usage returns to where it started. */
#define _GNU_SOURCE
#include <ftw.h>
#include <sys/file.h>

#include "flowtest.h"

#define FID "5fbec3b1-1b0f-417d-9059-8b94a47197ed"
#define F2ID "6fbec3b1-1b0f-417d-9059-8b94a47197ed"
#define AID "b3bb5be7-9fe9-4324-a5bb-4c70e1084449"

static char const* g_domain;
static char* g_def;  /* v210 8x4 */
static char* g_def2; /* v210 8x4, another id */
static char* g_adef; /* audio */

/* Bytes allocated under a directory (sum of st_blocks * 512). */
static uint64_t du_total;
static int du_entry(char const* path, struct stat const* st, int flag, struct FTW* ftw)
{
    (void)path;
    (void)flag;
    (void)ftw;
    du_total += (uint64_t)st->st_blocks * 512;
    return 0;
}
static uint64_t du(char const* dir)
{
    du_total = 0;
    nftw(dir, du_entry, 16, FTW_PHYS);
    return du_total;
}

static char* flow_path(char const* id, char const* member)
{
    char* p = malloc(1024);
    snprintf(p, 1024, "%s/%s.mxl-flow%s%s", g_domain, id, member ? "/" : "", member ? member : "");
    return p;
}

static void write_grain(mxlFlowWriter w, uint64_t k)
{
    mxlGrainInfo gi;
    uint8_t* p;
    CHECK_STATUS(mxlFlowWriterOpenGrain(w, k, &gi, &p), MXL_STATUS_OK);
    memset(p, (int)(k & 0xff), gi.grainSize);
    gi.validSlices = gi.totalSlices;
    CHECK_STATUS(mxlFlowWriterCommitGrain(w, &gi), MXL_STATUS_OK);
}

/* ---- 1. a writer killed with SIGKILL ---------------------------------------------------------------------------- */

typedef struct
{
    int ready;
    int stop;
    int created_count;
    int attach_errors, wrong_created, create_errors, inode_changes;
    int cycles_b, cycles_c;
    uint64_t written;
    int status[16];
    int created[16];
    int arrived, go, attached, release;
} ctl_t;

static ctl_t* g_ctl;

static void doomed_writer(void* arg)
{
    (void)arg;
    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    mxlFlowWriter w;
    CHECK_STATUS(mxlCreateFlowWriter(inst, g_def, NULL, &w, NULL, NULL), MXL_STATUS_OK);
    write_grain(w, 100);
    ft_set_flag(&g_ctl->ready, 1);
    for (;;)
        pause();
}

static void test_killed_writer(void)
{
    g_domain = test_domain("gc-kill");
    g_ctl = ft_shared(4096);
    uint64_t start = du(g_domain);
    pid_t pid = ft_spawn(doomed_writer, NULL);
    CHECK(ft_wait_flag(&g_ctl->ready, 1, 10000));
    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    bool active = false;
    CHECK_STATUS(mxlIsFlowActive(inst, FID, &active), MXL_STATUS_OK);
    CHECK(active);
    mxlGcReport rep;
    CHECK_STATUS(mxlGarbageCollectFlowsEx(inst, MXL_DEFAULT_SCAFFOLD_GRACE_NS, &rep), MXL_STATUS_OK);
    CHECK_EQ_U64(rep.flows, 0);
    CHECK_EQ_U64(rep.flowsKept, 1);
    kill(pid, SIGKILL);
    CHECK_EQ_U64(ft_reap(pid), 128 + SIGKILL);
    char* dir = flow_path(FID, NULL);
    CHECK(ft_exists(dir)); /* nothing deletes it by itself */
    CHECK_STATUS(mxlIsFlowActive(inst, FID, &active), MXL_STATUS_OK);
    CHECK(!active);
    CHECK(du(g_domain) > start);
    memset(&rep, 0, sizeof rep);
    CHECK_STATUS(mxlGarbageCollectFlowsEx(inst, MXL_DEFAULT_SCAFFOLD_GRACE_NS, &rep), MXL_STATUS_OK);
    CHECK_EQ_U64(rep.flows, 1);
    CHECK_EQ_U64(rep.flowsKept, 0);
    CHECK(rep.bytes >= 5 * (8192 + 512)); /* at least the grain files */
    CHECK(!ft_exists(dir));
    CHECK_STATUS(mxlIsFlowActive(inst, FID, &active), MXL_ERR_FLOW_NOT_FOUND);
    CHECK_EQ_U64(du(g_domain), start);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    free(dir);
    munmap(g_ctl, 4096);
    test_rmtree(g_domain);
}

/* ---- 2. a live writer's flow survives GC racing with attach/release and create/release ---------------------- */

static void live_writer(void* arg)
{
    (void)arg;
    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    mxlFlowWriter w;
    bool created = false;
    CHECK_STATUS(mxlCreateFlowWriter(inst, g_def, NULL, &w, NULL, &created), MXL_STATUS_OK);
    CHECK(created);
    char* data = flow_path(FID, "data");
    uint64_t ino = ft_inode(data);
    ft_set_flag(&g_ctl->ready, 1);
    uint64_t k = 1000;
    while (!__atomic_load_n(&g_ctl->stop, __ATOMIC_ACQUIRE)) {
        write_grain(w, k++);
        __atomic_store_n(&g_ctl->written, k - 1000, __ATOMIC_RELEASE);
        if (ft_inode(data) != ino)
            __atomic_fetch_add(&g_ctl->inode_changes, 1, __ATOMIC_RELAXED);
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    bool active = false;
    CHECK_STATUS(mxlIsFlowActive(inst, FID, &active), MXL_STATUS_OK);
    CHECK(active);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK); /* last writer: deletes */
    free(data);
}

#define CYCLES 1000

/* B: attach to the live flow and release it, over and over; every attach must find the existing flow. */
static void attach_cycler(void* arg)
{
    (void)arg;
    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    for (int i = 0; i < CYCLES; i++) {
        mxlFlowWriter w;
        bool created = false;
        mxlStatus st = mxlCreateFlowWriter(inst, g_def, NULL, &w, NULL, &created);
        if (st != MXL_STATUS_OK) {
            if (g_ctl->attach_errors++ == 0)
                fprintf(stderr, "attach cycle %d: %s\n", i, mxlGetLastErrorMessage());
            continue;
        }
        if (created)
            g_ctl->wrong_created++;
        if (i % 50 == 0)
            write_grain(w, 1000000 + (uint64_t)i); /* an attached writer can write */
        CHECK_STATUS(mxlReleaseFlowWriter(inst, w), MXL_STATUS_OK);
        __atomic_store_n(&g_ctl->cycles_b, i + 1, __ATOMIC_RELEASE);
    }
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
}

/* C: create a second flow and release it (so it is deleted), over and over; every create must succeed. */
static void create_cycler(void* arg)
{
    (void)arg;
    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    for (int i = 0; i < CYCLES; i++) {
        mxlFlowWriter w;
        bool created = false;
        char const* def = (i % 2) ? g_def2 : g_adef;
        mxlStatus st = mxlCreateFlowWriter(inst, def, NULL, &w, NULL, &created);
        if (st != MXL_STATUS_OK) {
            if (g_ctl->create_errors++ == 0)
                fprintf(stderr, "create cycle %d: %s\n", i, mxlGetLastErrorMessage());
            continue;
        }
        if (!created)
            g_ctl->create_errors++;
        CHECK_STATUS(mxlReleaseFlowWriter(inst, w), MXL_STATUS_OK);
        __atomic_store_n(&g_ctl->cycles_c, i + 1, __ATOMIC_RELEASE);
    }
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
}

static void test_gc_race(void)
{
    g_domain = test_domain("gc-race");
    g_ctl = ft_shared(4096);
    uint64_t start = du(g_domain);
    pid_t pa = ft_spawn(live_writer, NULL);
    CHECK(ft_wait_flag(&g_ctl->ready, 1, 10000));
    char* dir = flow_path(FID, NULL);
    uint64_t dir_ino = ft_inode(dir);
    CHECK(dir_ino != 0);
    pid_t pb = ft_spawn(attach_cycler, NULL);
    pid_t pc = ft_spawn(create_cycler, NULL);
    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    int gc_runs = 0, wrongful = 0, inode_moves = 0, gc_flows = 0;
    int sb = -1, sc = -1; /* exit codes once reaped */
    while (sb < 0 || sc < 0) {
        mxlGcReport rep;
        CHECK_STATUS(mxlGarbageCollectFlowsEx(inst, MXL_DEFAULT_SCAFFOLD_GRACE_NS, &rep), MXL_STATUS_OK);
        gc_runs++;
        /* A's flow is held all along; C's flows are held from creation until C's release, when GC may win the
         * race to delete them (C's SH->EX upgrade drops its lock first, §8.2). Scaffolds are all C's, young. */
        gc_flows += (int)rep.flows;
        if (rep.scaffolds != 0 && wrongful++ == 0)
            fprintf(stderr, "GC run %d reclaimed %llu scaffolds (%llu bytes)\n", gc_runs,
                    (unsigned long long)rep.scaffolds, (unsigned long long)rep.bytes);
        if (ft_inode(dir) != dir_ino && inode_moves++ == 0)
            fprintf(stderr, "GC run %d: the live writer's flow directory changed\n", gc_runs);
        int st;
        if (sb < 0 && waitpid(pb, &st, WNOHANG) == pb)
            sb = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (sc < 0 && waitpid(pc, &st, WNOHANG) == pc)
            sc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    CHECK_EQ_U64(sb, 0);
    CHECK_EQ_U64(sc, 0);
    uint64_t written_before = __atomic_load_n(&g_ctl->written, __ATOMIC_ACQUIRE);
    ft_sleep_ms(20);
    CHECK(__atomic_load_n(&g_ctl->written, __ATOMIC_ACQUIRE) > written_before); /* A keeps writing */
    CHECK_MSG(gc_runs >= 100, "only %d GC runs", gc_runs);
    CHECK_EQ_U64(wrongful, 0);
    CHECK(gc_flows <= CYCLES); /* at most C's released flows */
    CHECK_EQ_U64(inode_moves, 0);
    CHECK_EQ_U64(g_ctl->attach_errors, 0);
    CHECK_EQ_U64(g_ctl->wrong_created, 0);
    CHECK_EQ_U64(g_ctl->create_errors, 0);
    CHECK_EQ_U64(g_ctl->inode_changes, 0);
    CHECK_EQ_U64(g_ctl->cycles_b, CYCLES);
    CHECK_EQ_U64(g_ctl->cycles_c, CYCLES);
    CHECK_EQ_U64(ft_inode(dir), dir_ino);
    /* A's flow is still the published one and readable */
    mxlFlowReader r;
    CHECK_STATUS(mxlCreateFlowReader(inst, FID, NULL, &r), MXL_STATUS_OK);
    mxlFlowRuntimeInfo rt;
    CHECK_STATUS(mxlFlowReaderGetRuntimeInfo(r, &rt), MXL_STATUS_OK);
    CHECK(rt.headIndex >= 1000000 + CYCLES - 50);
    CHECK_EQ_U64(ft_count_prefix(g_domain, ".mxl-"), 0);
    ft_set_flag(&g_ctl->stop, 1);
    CHECK_EQ_U64(ft_reap(pa), 0);
    CHECK(!ft_exists(dir));
    CHECK_EQ_U64(ft_count_entries(g_domain), 0);
    CHECK_EQ_U64(du(g_domain), start);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    free(dir);
    munmap(g_ctl, 4096);
    test_rmtree(g_domain);
}

/* ---- 3. abandoned scaffolds ---------------------------------------------------------------------------------------- */

static void make_file(char const* dir, char const* name, size_t size)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    if (fd >= 0) {
        if (size)
            CHECK(posix_fallocate(fd, 0, (off_t)size) == 0);
        close(fd);
    }
}

static void age(char const* path, int seconds)
{
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= seconds;
    ts[1] = ts[0];
    CHECK(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) == 0);
}

typedef struct
{
    char path[1024];
} lock_args;

static void scaffold_locker(void* arg)
{
    lock_args* a = arg;
    int fd = open(a->path, O_RDONLY);
    CHECK(fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) == 0);
    ft_set_flag(&g_ctl->ready, 1);
    ft_wait_flag(&g_ctl->stop, 1, 60000);
    close(fd);
}

static int count_listed(mxlFlowListEntry const* e, void* user)
{
    (void)e;
    ++*(int*)user;
    return 0;
}

static void test_scaffolds(void)
{
    g_domain = test_domain("gc-scaffold");
    g_ctl = ft_shared(4096);
    uint64_t start = du(g_domain);
    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    char with_data[700], without_data[700], live[700], upstream_leak[700], old_no_data[700], del_left[700];
    snprintf(with_data, sizeof with_data, "%s/.mxl-tmp-AAAAAAAAAAb1c2d3", g_domain);
    snprintf(without_data, sizeof without_data, "%s/.mxl-tmp-BBBBBBBBBBb1c2d3", g_domain);
    snprintf(live, sizeof live, "%s/.mxl-tmp-CCCCCCCCCCb1c2d3", g_domain);
    snprintf(upstream_leak, sizeof upstream_leak, "%s/.mxl-tmp-DDDDDDDDDDb1c2d3", g_domain);
    snprintf(old_no_data, sizeof old_no_data, "%s/.mxl-tmp-EEEEEEEEEEb1c2d3", g_domain);
    snprintf(del_left, sizeof del_left, "%s/.mxl-del-0123456789abcdef", g_domain);
    /* a creator killed after making `data` (nobody holds its lock) */
    CHECK(mkdir(with_data, 0700) == 0);
    make_file(with_data, "data", 2064);
    make_file(with_data, "flow_def.json", 10);
    /* a creator killed before making `data` */
    CHECK(mkdir(without_data, 0700) == 0);
    make_file(without_data, "flow_def.json", 10);
    CHECK(mkdir(old_no_data, 0700) == 0);
    age(old_no_data, 3600);
    /* a live creator: its data is locked by another process; even old, it must stay */
    CHECK(mkdir(live, 0700) == 0);
    make_file(live, "data", 2064);
    lock_args la;
    snprintf(la.path, sizeof la.path, "%s/data", live);
    pid_t locker = ft_spawn(scaffold_locker, &la);
    CHECK(ft_wait_flag(&g_ctl->ready, 1, 10000));
    age(live, 3600);
    /* an upstream-style leaked continuous scaffold (§2.3 step 7): complete, 0755, unlocked, long ago */
    mxlFlowWriter w;
    CHECK_STATUS(mxlCreateFlowWriter(inst, g_adef, NULL, &w, NULL, NULL), MXL_STATUS_OK);
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "cp -a '%s/%s.mxl-flow' '%s'", g_domain, AID, upstream_leak);
    CHECK(system(cmd) == 0);
    CHECK_STATUS(mxlReleaseFlowWriter(inst, w), MXL_STATUS_OK);
    age(upstream_leak, 3600);
    struct stat st;
    CHECK(stat(upstream_leak, &st) == 0 && (st.st_mode & 0777) == 0755);
    /* a deleter that died between its rename and the removal */
    CHECK(mkdir(del_left, 0755) == 0);
    make_file(del_left, "data", 2064);
    age(del_left, 3600);
    /* and foreign entries GC must never touch */
    char foreign[700], foreign_dir[700];
    snprintf(foreign, sizeof foreign, "%s/options.json", g_domain);
    make_file(g_domain, "options.json", 0);
    snprintf(foreign_dir, sizeof foreign_dir, "%s/not-a-flow", g_domain);
    CHECK(mkdir(foreign_dir, 0755) == 0);
    make_file(foreign_dir, "data", 2064);

    /* scaffolds and foreign entries are not flows */
    int listed = 0;
    CHECK_STATUS(mxlListFlows(inst, true, count_listed, &listed), MXL_STATUS_OK);
    CHECK_EQ_U64(listed, 0);
    bool active = true;
    CHECK_STATUS(mxlIsFlowActive(inst, AID, &active), MXL_ERR_FLOW_NOT_FOUND);

    /* default grace: old abandoned scaffolds go; fresh ones (a creator may still be working) and live ones stay */
    mxlGcReport rep;
    CHECK_STATUS(mxlGarbageCollectFlowsEx(inst, MXL_DEFAULT_SCAFFOLD_GRACE_NS, &rep), MXL_STATUS_OK);
    CHECK(!ft_exists(upstream_leak));
    CHECK(!ft_exists(old_no_data));
    CHECK(!ft_exists(del_left));
    CHECK(ft_exists(without_data));
    CHECK(ft_exists(live));
    CHECK_MSG(ft_exists(with_data), "a fresh scaffold with an unlocked data file was reclaimed inside the grace "
                                    "period: a creator between creating and locking `data` would lose it");
    CHECK_EQ_U64(rep.scaffolds, 3);
    CHECK_EQ_U64(rep.flows, 0);
    CHECK(rep.bytes >= 2 * 19456 * 4); /* the leaked channels file */
    /* grace 0: every abandoned scaffold goes; the live one stays */
    CHECK_STATUS(mxlGarbageCollectFlowsEx(inst, 0, &rep), MXL_STATUS_OK);
    CHECK(!ft_exists(with_data));
    CHECK(!ft_exists(without_data));
    CHECK(ft_exists(live));
    CHECK_EQ_U64(rep.scaffolds, 2);
    CHECK(ft_exists(foreign) && ft_exists(foreign_dir));
    /* once its creator is gone, the live one is abandoned too */
    ft_set_flag(&g_ctl->stop, 1);
    CHECK_EQ_U64(ft_reap(locker), 0);
    CHECK_STATUS(mxlGarbageCollectFlowsEx(inst, MXL_DEFAULT_SCAFFOLD_GRACE_NS, &rep), MXL_STATUS_OK);
    CHECK(!ft_exists(live));
    CHECK_EQ_U64(rep.scaffolds, 1);
    CHECK(ft_exists(foreign) && ft_exists(foreign_dir));
    CHECK_EQ_U64(ft_count_prefix(g_domain, ".mxl-"), 0);
    unlink(foreign);
    test_rmtree(foreign_dir);
    CHECK_EQ_U64(du(g_domain), start);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    munmap(g_ctl, 4096);
    test_rmtree(g_domain);
}

/* ---- 4. sixteen processes create the same flow at once ------------------------------------------------------------ */

#define RACERS 16

static void racer(void* arg)
{
    int me = (int)(intptr_t)arg;
    mxlInstance inst = mxlCreateInstance(g_domain, NULL);
    __atomic_fetch_add(&g_ctl->arrived, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&g_ctl->go, __ATOMIC_ACQUIRE))
        ;
    mxlFlowWriter w;
    bool created = false;
    mxlStatus st = mxlCreateFlowWriter(inst, (me % 2) ? g_def : g_def, NULL, &w, NULL, &created);
    g_ctl->status[me] = st;
    g_ctl->created[me] = created;
    if (st != MXL_STATUS_OK)
        fprintf(stderr, "racer %d: %s\n", me, mxlGetLastErrorMessage());
    __atomic_fetch_add(&g_ctl->attached, 1, __ATOMIC_ACQ_REL);
    CHECK(ft_wait_flag(&g_ctl->release, 1, 60000));
    if (st == MXL_STATUS_OK)
        CHECK_STATUS(mxlReleaseFlowWriter(inst, w), MXL_STATUS_OK);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
}

static void test_creation_race(void)
{
    g_domain = test_domain("gc-create-race");
    uint64_t start = du(g_domain);
    for (int round = 0; round < 3; round++) {
        g_ctl = ft_shared(4096);
        pid_t pids[RACERS];
        for (int i = 0; i < RACERS; i++)
            pids[i] = ft_spawn(racer, (void*)(intptr_t)i);
        CHECK(ft_wait_flag(&g_ctl->arrived, RACERS, 20000));
        ft_set_flag(&g_ctl->go, 1);
        CHECK(ft_wait_flag(&g_ctl->attached, RACERS, 30000));
        int created = 0, ok = 0;
        for (int i = 0; i < RACERS; i++) {
            ok += g_ctl->status[i] == MXL_STATUS_OK;
            created += g_ctl->created[i];
        }
        CHECK_EQ_U64(ok, RACERS);
        CHECK_EQ_U64(created, 1);
        /* one flow, no scaffold left, held by everyone */
        CHECK_EQ_U64(ft_count_entries(g_domain), 1);
        CHECK_EQ_U64(ft_count_prefix(g_domain, ".mxl-tmp-"), 0);
        mxlInstance inst = mxlCreateInstance(g_domain, NULL);
        bool active = false;
        CHECK_STATUS(mxlIsFlowActive(inst, FID, &active), MXL_STATUS_OK);
        CHECK(active);
        ft_set_flag(&g_ctl->release, 1);
        for (int i = 0; i < RACERS; i++)
            CHECK_EQ_U64(ft_reap(pids[i]), 0);
        /* the last release deleted it */
        CHECK_EQ_U64(ft_count_entries(g_domain), 0);
        CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
        munmap(g_ctl, 4096);
    }
    CHECK_EQ_U64(du(g_domain), start);
    test_rmtree(g_domain);
}

int main(void)
{
    umask(022);
    g_def = ft_video_def(FID, 8, 4, 30000, 1001, "video/v210", NULL);
    g_def2 = ft_video_def(F2ID, 8, 4, 30000, 1001, "video/v210", NULL);
    g_adef = ft_audio_def(AID, 48000, 2, 32);
    test_killed_writer();
    test_scaffolds();
    test_creation_race();
    test_gc_race();
    free(g_def);
    free(g_def2);
    free(g_adef);
    return test_finish("test_gc");
}
