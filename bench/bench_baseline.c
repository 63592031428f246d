/* bench_baseline - the limits the engine is compared with, measured in the same run on the same machine:
 *   futex_*       raw cross-process futex ping-pong on a u32 in a MAP_SHARED tmpfs mapping (non-private futex, as
 *                 MXL uses): one-way wake latency (stamp before the wake, time on return from FUTEX_WAIT) and the
 *                 cost of the FUTEX_WAKE call that wakes a sleeping peer. "idle": each side sleeps 1 ms before it
 *                 sends, like a paced writer, so the peer is really asleep; "hot": answers at once.
 *   futex_wake    one FUTEX_WAKE syscall on that word with no waiter.
 *   mem_*         memset / memcpy bandwidth over a frame-sized buffer in a tmpfs mapping (1080p and 2160p v210).
 *   unix_socket_1080p, pipe_1080p
 *                 the same 1080p frame produced (memset + stamp, as the MXL writer does) and sent to another
 *                 process over an AF_UNIX stream socket / a FIFO: frames/s and latency (stamp before the first
 *                 byte is written -> last byte read). */
#include "bench_futex.h"

#include <sys/socket.h>
#include <sys/un.h>

#define FRAME_1080P (5120u * 1080u)
#define FRAME_2160P (10240u * 2160u)

/* ---- futex (bench_futex.h) ------------------------------------------------------------------------------------ */

/* paced = false: ping-pong, each side waits gap_ns before answering (receivers must be 1);
 * paced = true: one sender on a gap_ns grid, `receivers` processes waiting on the same word (the raw-futex limit
 * of a writer with that many readers). */
static void run_pingpong(bench_opts const* o, char const* name, bool paced, uint64_t gap_ns, uint32_t n,
                         int receivers)
{
    if (!want_case(o, name))
        return;
    bench_case c;
    case_init(&c, name);
    u64vec pooled = {0};
    for (int rep = 0; rep < o->reps; rep++) {
        u64vec all = {0};
        uint64_t worst = 0;
        double wake = futex_rep(o, name, rep, paced, gap_ns, n, receivers, &all, &worst);
        case_add(&c, "FUTEX_WAKE call p50 (peer asleep)", "ns", wake);
        for (size_t i = 0; i < all.n; i++)
            vec_push(&pooled, all.v[i]);
        case_add_latency(&c, "one-way latency", &all);
        if (receivers > 1)
            case_add(&c, "slowest receiver's p50", "us", (double)worst / 1000.0);
        free(all.v);
    }
    case_emit(&c, o);
    vec_sort(&pooled);
    write_cdf(o->samples, name, &pooled);
    free(pooled.v);
}

/* ---- single-process figures ---------------------------------------------------------------------------------- */

static void run_futex_wake(bench_opts const* o)
{
    char const* name = "futex_wake";
    if (!want_case(o, name))
        return;
    bench_case c;
    case_init(&c, name);
    for (int rep = 0; rep < o->reps; rep++)
        case_add(&c, "FUTEX_WAKE no waiters", "ns", futex_wake_nowaiter_ns(o->dir, o->quick ? 20000 : 200000));
    case_emit(&c, o);
}
/* Page faults on a tmpfs file, per 4 KiB page: a writer's first write into pages fallocate allocated (what a writer
 * pays without pre-faulting), a reader's first read of resident pages (what a lazy-mapping reader pays the first time
 * round the ring), and MADV_POPULATE_WRITE (what our writers pay up front, at create/attach). */
static void run_page_touch(bench_opts const* o)
{
    char const* name = "page_touch";
    if (!want_case(o, name))
        return;
    size_t size = o->quick ? (16u << 20) : (64u << 20);
    if (!enough_space(o->dir, name, size))
        return;
    bench_case c;
    case_init(&c, name);
    size_t pages = size / 4096;
    for (int rep = 0; rep < o->reps; rep++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/pages.%d", o->dir, rep);
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || posix_fallocate(fd, 0, (off_t)size) != 0)
            die("cannot create %s", path);
        volatile uint8_t* p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        uint64_t t0 = now_ns();
        for (size_t i = 0; i < pages; i++)
            p[i * 4096] = 1;
        uint64_t t1 = now_ns();
        munmap((void*)p, size);
        p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
        uint64_t sum = 0;
        uint64_t t2 = now_ns();
        for (size_t i = 0; i < pages; i++)
            sum += p[i * 4096];
        uint64_t t3 = now_ns();
        munmap((void*)p, size);
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        uint64_t t4 = now_ns();
        madvise((void*)p, size, 23 /* MADV_POPULATE_WRITE */);
        uint64_t t5 = now_ns();
        munmap((void*)p, size);
        close(fd);
        unlink(path);
        if (sum != pages)
            die("page_touch: lost writes");
        case_add(&c, "first write (fallocated page)", "ns/page", (double)(t1 - t0) / (double)pages);
        case_add(&c, "first read (resident page)", "ns/page", (double)(t3 - t2) / (double)pages);
        case_add(&c, "MADV_POPULATE_WRITE", "ns/page", (double)(t5 - t4) / (double)pages);
    }
    case_emit(&c, o);
}

static void run_mem(bench_opts const* o, char const* name, size_t frame, size_t ring)
{
    if (!want_case(o, name))
        return;
    if (!enough_space(o->dir, name, (uint64_t)frame * (ring + 2)))
        return;
    bench_case c;
    case_init(&c, name);
    uint8_t* a = tmpfs_map(o->dir, "frame-a", frame);
    uint8_t* b = tmpfs_map(o->dir, "frame-b", frame);
    uint64_t budget = o->quick ? 50000000ull : 500000000ull;
    for (int rep = 0; rep < o->reps; rep++) {
        uint64_t n = 0, t0 = now_ns(), t;
        do {
            memset(a, (int)(n & 0xff), frame);
            n++;
        } while ((t = now_ns()) - t0 < budget);
        case_add(&c, "memset", "GB/s", (double)(n * frame) / (double)(t - t0));
        n = 0;
        t0 = now_ns();
        do {
            memcpy(b, a, frame);
            a[n % frame]++;
            n++;
        } while ((t = now_ns()) - t0 < budget);
        case_add(&c, "memcpy", "GB/s", (double)(n * frame) / (double)(t - t0));
        uint8_t* r = tmpfs_map(o->dir, "frame-ring", frame * ring);
        n = 0;
        t0 = now_ns();
        do {
            memset(r + (n % ring) * frame, (int)(n & 0xff), frame);
            n++;
        } while ((t = now_ns()) - t0 < budget);
        char what[48];
        snprintf(what, sizeof what, "memset ring of %zu frames", ring);
        case_add(&c, what, "GB/s", (double)(n * frame) / (double)(t - t0));
        munmap(r, frame * ring);
    }
    munmap(a, frame);
    munmap(b, frame);
    case_emit(&c, o);
}

/* ---- frames over a socket / a pipe --------------------------------------------------------------------------- */

static void write_all(int fd, uint8_t const* p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            die("write: %s", strerror(errno));
        }
        p += k;
        n -= (size_t)k;
    }
}

static bool read_all(int fd, uint8_t* p, size_t n)
{
    while (n > 0) {
        ssize_t k = read(fd, p, n);
        if (k == 0)
            return false;
        if (k < 0) {
            if (errno == EINTR)
                continue;
            die("read: %s", strerror(errno));
        }
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static int stream_open(char const* kind, char const* path, bool sender, int listener)
{
    if (strcmp(kind, "pipe") == 0) {
        int fd = open(path, (sender ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
        if (fd < 0)
            die("open fifo %s: %s", path, strerror(errno));
        fcntl(fd, F_SETPIPE_SZ, 1 << 20); /* the default pipe-max-size */
        return fd;
    }
    if (!sender) {
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            die("accept: %s", strerror(errno));
        return fd;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr*)&sa, sizeof sa) != 0)
        die("connect %s: %s", path, strerror(errno));
    return fd;
}

static int stream_main(int argc, char** argv, bool sender)
{
    char const* kind = kv_str(argc, argv, "kind", "socket");
    char const* path = kv_str(argc, argv, "path", NULL);
    size_t frame = (size_t)kv_int(argc, argv, "frame", FRAME_1080P);
    uint64_t dur = (uint64_t)(kv_dbl(argc, argv, "seconds", 1.0) * 1e9);
    char const* samples = kv_str(argc, argv, "samples", NULL);
    int listener = -1;
    if (!sender && strcmp(kind, "socket") == 0) {
        listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        if (bind(listener, (struct sockaddr*)&sa, sizeof sa) != 0 || listen(listener, 1) != 0)
            die("bind/listen %s: %s", path, strerror(errno));
    }
    uint8_t* buf = malloc(frame);
    if (buf == NULL)
        die("out of memory");
    memset(buf, 0, frame);
    child_ready();
    if (child_wait_cmd() != 'g')
        return 1;
    int fd = stream_open(kind, path, sender, listener);
    uint64_t n = 0, t0 = now_ns(), t_first = 0, t_last = 0;
    if (sender) {
        for (;; n++) {
            memset(buf, (int)(n & 0xff), frame);
            stamp s = {0, n, now_ns() - t0 >= dur};
            s.t = now_ns();
            memcpy(buf, &s, sizeof s);
            write_all(fd, buf, frame);
            if (s.last)
                break;
        }
        n++;
        child_put("sender rate", "frames/s", (double)n / ((double)(now_ns() - t0) / 1e9));
        child_end();
        close(fd);
        free(buf);
        return 0;
    }
    u64vec lat = {0};
    for (;;) {
        if (!read_all(fd, buf, frame))
            die("%s closed early", kind);
        uint64_t t = now_ns();
        stamp s;
        memcpy(&s, buf, sizeof s);
        vec_push(&lat, t - s.t);
        if (n++ == 0)
            t_first = t;
        t_last = t;
        if (s.last)
            break;
    }
    child_put("receiver rate", "frames/s", n > 1 ? (double)(n - 1) / ((double)(t_last - t_first) / 1e9) : 0);
    child_end();
    if (samples)
        vec_save(&lat, samples);
    close(fd);
    free(lat.v);
    free(buf);
    return 0;
}

static void run_stream(bench_opts const* o, char const* name, char const* kind, double seconds)
{
    if (!want_case(o, name))
        return;
    bench_case c;
    case_init(&c, name);
    for (int rep = 0; rep < o->reps; rep++) {
        char path[4200], lat[4200], a_path[4300], a_kind[40], a_sec[40], a_s[4300];
        snprintf(path, sizeof path, "%s/%s.%d", o->dir, kind, rep);
        snprintf(lat, sizeof lat, "%s/lat.%s.%d", o->dir, name, rep);
        if (strcmp(kind, "pipe") == 0 && mkfifo(path, 0600) != 0)
            die("mkfifo %s: %s", path, strerror(errno));
        snprintf(a_path, sizeof a_path, "path=%s", path);
        snprintf(a_kind, sizeof a_kind, "kind=%s", kind);
        snprintf(a_sec, sizeof a_sec, "seconds=%g", seconds);
        snprintf(a_s, sizeof a_s, "samples=%s", lat);
        char c0[32], c1[32];
        char const* ra[] = {a_path, a_kind, a_sec, a_s, cpu_arg(o, c1, 1), NULL};
        char const* sa[] = {a_path, a_kind, a_sec, cpu_arg(o, c0, 0), NULL};
        child rx, tx;
        child_spawn(&rx, "stream-recv", ra);
        child_wait_ready(&rx);
        child_spawn(&tx, "stream-send", sa);
        child_wait_ready(&tx);
        child_send(&rx, 'g');
        child_send(&tx, 'g');
        child_collect(&tx, case_add_cb, &c);
        child_collect(&rx, case_add_cb, &c);
        child_reap(&tx);
        child_reap(&rx);
        unlink(path);
        u64vec all = {0};
        vec_load(&all, lat);
        unlink(lat);
        case_add_latency(&c, "latency", &all);
        free(all.v);
    }
    case_emit(&c, o);
}

int main(int argc, char** argv)
{
    if (argc > 2 && strcmp(argv[1], "--child") == 0) {
        child_init(argc, argv);
        char const* role = argv[2];
        if (strcmp(role, "ping") == 0 || strcmp(role, "pong") == 0)
            return pingpong_main(argc, argv, strcmp(role, "pong") == 0);
        if (strcmp(role, "stream-send") == 0 || strcmp(role, "stream-recv") == 0)
            return stream_main(argc, argv, strcmp(role, "stream-send") == 0);
        die("unknown role %s", role);
    }
    bench_opts o;
    opts_parse(&o, argc, argv);
    run_futex_wake(&o);
    run_page_touch(&o);
    run_pingpong(&o, "futex_paced", true, 1000000, o.quick ? 200 : 2000, 1);
    run_pingpong(&o, "futex_pingpong", false, 0, o.quick ? 2000 : 20000, 1);
    if (!o.quick) { /* the limits of the many-reader signalling runs */
        run_pingpong(&o, "futex_paced_r4", true, 1000000, 2000, 4);
        run_pingpong(&o, "futex_paced_r16", true, 1000000, 2000, 16);
    }
    run_mem(&o, "mem_1080p", FRAME_1080P, 5);   /* the 1080p29.97 ring: 5 grains */
    run_mem(&o, "mem_2160p", FRAME_2160P, 10); /* the 2160p50 ring: 10 grains */
    run_stream(&o, "unix_socket_1080p", "socket", o.quick ? 0.2 : 2.0);
    run_stream(&o, "pipe_1080p", "pipe", o.quick ? 0.2 : 2.0);
    return 0;
}
