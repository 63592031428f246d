/* (d) Opening and reading a flow whose shared-memory files hold arbitrary bytes and have arbitrary sizes.
 *
 * Each input rewrites one flow directory in a tmpfs domain (reused between runs; small files) and opens it with
 * mxlCreateFlowReader, then runs a few non-blocking reads and info calls, optionally after a "hostile" process
 * rewrote header fields of the mapped files (never their sizes: truncating a mapped file is the documented SIGBUS
 * limit, docs/reliability.md). Optionally a writer attaches to the same files. The reader must validate every
 * field against the real file sizes before any access: every payload byte and sample fragment it hands out is
 * read here, so an out-of-range pointer crashes (SEGV/SIGBUS) or trips ASan.
 *
 * Input layout (little-endian):
 *   0   u16 data file size (mod 4200)          2  u8 grain files to create (mod 9)      3  u8 flags
 *   4   u32 grain file size (mod 8192+16385)   8  u32 channels file size (mod 65537)
 *   12  u32 spare: bit 0 keeps the header's grainCount as is (else it is taken mod 17, for speed); bit 1: after
 *       the reads, truncate a mapped file and use only mxlFlowReaderCopyGrain (which must report, not fault)
 *   16  264 bytes: data file bytes 0..263 (header)    280  16 bytes: data file bytes 2048..2063 (state)
 *   296 32 bytes: grain header bytes 0..31 (every grain file; flag 0x40 makes `index` the slot number)
 *   328 ops, 17 bytes each: u8 kind, u64 a, u64 b
 * flags: 0x01 store the real inode, 0x02 no grains/ dir, 0x04 attach a writer too, 0x08 no flow_def.json,
 *        0x10 no access file, 0x20 no channels file, 0x40 per-slot index, 0x80 grain ext magic in every slot */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "objects.h"

#define FLOW_ID "5fbec3b1-1b0f-417d-9059-8b94a47197ed"
#define MAX_GRAIN_FILES 8
#define MAX_GRAIN_FILE (8192u + 16384u)
#define MAX_CHANNELS_FILE 65536u

static char domain[80];
static int domfd = -1;
static mxlInstance inst;
static volatile uint64_t sink;

static char const* const DEFS[4] = {
    NULL,
    "{\"id\":\"" FLOW_ID "\",\"format\":\"urn:x-nmos:format:video\",\"label\":\"f\","
    "\"tags\":{\"urn:x-nmos:tag:grouphint/v1.0\":[\"g:v\"]},\"media_type\":\"video/v210\","
    "\"grain_rate\":{\"numerator\":50,\"denominator\":1},\"frame_width\":48,\"frame_height\":8}",
    "{\"id\":\"" FLOW_ID "\",\"format\":\"urn:x-nmos:format:audio\",\"label\":\"a\","
    "\"tags\":{\"urn:x-nmos:tag:grouphint/v1.0\":[\"g:a\"]},\"media_type\":\"audio/float32\","
    "\"sample_rate\":{\"numerator\":48000},\"bit_depth\":32,\"channel_count\":2}",
    "{\"id\":\"" FLOW_ID "\",\"format\":\"urn:x-nmos:format:data\",\"label\":\"d\","
    "\"tags\":{\"urn:x-nmos:tag:grouphint/v1.0\":[\"g:d\"]},\"media_type\":\"video/smpte291\","
    "\"grain_rate\":{\"numerator\":50,\"denominator\":1}}",
};

static void cleanup(void)
{
    if (inst)
        mxlDestroyInstance(inst);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", domain);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", domain);
}

int LLVMFuzzerInitialize(int* argc, char*** argv)
{
    (void)argc;
    (void)argv;
    snprintf(domain, sizeof domain, "/dev/shm/mxl-fuzz-open-%d", (int)getpid());
    mkdir(domain, 0755);
    domfd = open(domain, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    inst = mxlCreateInstance(domain, NULL);
    if (domfd < 0 || inst == NULL) {
        fprintf(stderr, "fuzz_flow_open: cannot set up %s\n", domain);
        exit(1);
    }
    atexit(cleanup);
    return 0;
}

/* Make `name` a regular file of exactly `len` bytes, all zero, then write `hdr` at 0 (clipped) and return its fd. */
static int put_file(int dir, char const* name, size_t len, void const* hdr, size_t hlen)
{
    int fd = openat(dir, name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)len) != 0) {
        close(fd);
        return -1;
    }
    if (hlen > len)
        hlen = len;
    if (hlen > 0 && pwrite(fd, hdr, hlen, 0) != (ssize_t)hlen) {
        close(fd);
        return -1;
    }
    return fd;
}

static void read_bytes(uint8_t const* p, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i += 64)
        s += p[i];
    if (n)
        s += p[n - 1];
    sink += s;
}

typedef struct
{
    uint16_t data_len;
    uint8_t nfiles;
    uint8_t flags;
    uint32_t grain_len;
    uint32_t channels_len;
    uint32_t spare;
} ctl_t;

static int grain_fds[MAX_GRAIN_FILES];
static int data_fd = -1;

static void build_flow(ctl_t const* c, uint8_t const* hdr, uint8_t const* state, uint8_t const* ghdr)
{
    char dir[64];
    snprintf(dir, sizeof dir, "%s.mxl-flow", FLOW_ID);
    mkdirat(domfd, dir, 0755); /* a writer's release deleted it, or first run */
    int ffd = openat(domfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    FUZZ_ASSERT(ffd >= 0, "flow dir");

    size_t dlen = c->data_len % 4200u;
    uint8_t data[4200] = {0};
    memcpy(data, hdr, 264);
    memcpy(data + 2048, state, 16);
    /* Keep most runs fast: a header that claims up to 1,000,000 grains makes the open allocate and scan that
     * many slots before it finds the missing files. Bit 0 of the spare word keeps the raw count. */
    if (!(c->spare & 1)) {
        uint32_t count;
        memcpy(&count, data + 152, 4);
        count %= 17;
        memcpy(data + 152, &count, 4);
    }
    data_fd = put_file(ffd, "data", dlen, data, dlen);
    if (c->flags & 0x01) {
        struct stat st;
        if (data_fd >= 0 && fstat(data_fd, &st) == 0 && dlen >= 2056) {
            uint64_t ino = st.st_ino;
            if (pwrite(data_fd, &ino, 8, 2048) != 8)
                abort();
        }
    }
    if (c->flags & 0x08)
        unlinkat(ffd, "flow_def.json", 0);
    else
        close(put_file(ffd, "flow_def.json", 2, "{}", 2));
    if (c->flags & 0x10)
        unlinkat(ffd, "access", 0);
    else
        close(put_file(ffd, "access", 0, NULL, 0));
    if (c->flags & 0x20)
        unlinkat(ffd, "channels", 0);
    else
        close(put_file(ffd, "channels", c->channels_len % (MAX_CHANNELS_FILE + 1), NULL, 0));

    unsigned n = c->nfiles % (MAX_GRAIN_FILES + 1);
    if (c->flags & 0x02) {
        for (unsigned i = 0; i < MAX_GRAIN_FILES; i++) {
            char name[32];
            snprintf(name, sizeof name, "grains/data.%u", i);
            unlinkat(ffd, name, 0);
        }
        unlinkat(ffd, "grains", AT_REMOVEDIR);
        n = 0;
    } else {
        mkdirat(ffd, "grains", 0755);
    }
    size_t glen = c->grain_len % (MAX_GRAIN_FILE + 1);
    for (unsigned i = 0; i < MAX_GRAIN_FILES; i++) {
        char name[32];
        snprintf(name, sizeof name, "grains/data.%u", i);
        grain_fds[i] = -1;
        if (i >= n) {
            unlinkat(ffd, name, 0);
            continue;
        }
        uint8_t g[32];
        memcpy(g, ghdr, 32);
        if (c->flags & 0x40) {
            uint64_t idx = i;
            memcpy(g + 8, &idx, 8);
        }
        grain_fds[i] = put_file(ffd, name, glen, g, 32);
        if ((c->flags & 0x80) && grain_fds[i] >= 0 && glen >= 4104) {
            uint32_t ext[2] = {MXL_GRAIN_EXT_MAGIC, (uint32_t)(i * 2)};
            if (pwrite(grain_fds[i], ext, 8, 4096) != 8)
                abort();
        }
    }
    close(ffd);
}

static void close_files(void)
{
    for (unsigned i = 0; i < MAX_GRAIN_FILES; i++)
        if (grain_fds[i] >= 0)
            close(grain_fds[i]);
    if (data_fd >= 0)
        close(data_fd);
    data_fd = -1;
}

/* A hostile process rewrites bytes inside the files (never past their end, never their size). */
static void hostile_write(int fd, uint64_t off, uint64_t value, size_t limit)
{
    if (fd < 0 || limit < 8)
        return;
    off %= limit - 7;
    if (pwrite(fd, &value, 8, (off_t)off) != 8)
        abort();
}

static void guarded_copy(mxlFlowReader r, uint64_t index, uint64_t b);

static void reader_ops(mxlFlowReader r, ctl_t const* c, uint8_t const* ops, size_t n)
{
    mxlFlowInfo info;
    mxlFlowConfigInfo cfg;
    mxlFlowRuntimeInfo rt;
    FUZZ_ASSERT(mxlFlowReaderGetInfo(r, &info) == MXL_STATUS_OK, "info");
    FUZZ_ASSERT(mxlFlowReaderGetConfigInfo(r, &cfg) == MXL_STATUS_OK, "config");
    bool discrete = mxlIsDiscreteDataFormat(cfg.common.format);
    size_t glen = c->grain_len % (MAX_GRAIN_FILE + 1);
    for (size_t k = 0; k + 17 <= n && k < 17 * 24; k += 17) {
        uint8_t kind = ops[k];
        uint64_t a, b;
        memcpy(&a, ops + k + 1, 8);
        memcpy(&b, ops + k + 9, 8);
        mxlGrainInfo gi;
        uint8_t* payload = NULL;
        mxlWrappedMultiBufferSlice sl;
        mxlStatus st;
        switch (kind % 8) {
        case 0:
        case 1:
            st = (kind % 8 == 0) ? mxlFlowReaderGetGrainNonBlocking(r, a, &gi, &payload)
                                 : mxlFlowReaderGetGrainSliceNonBlocking(r, a, (uint16_t)b, &gi, &payload);
            if (st == MXL_STATUS_OK) {
                FUZZ_ASSERT(discrete, "grain from an audio flow");
                FUZZ_ASSERT(gi.grainSize == r->flow.grain_size, "grainSize %u vs %u", gi.grainSize,
                            r->flow.grain_size);
                FUZZ_ASSERT((uint64_t)MXL_GRAIN_HEADER_SIZE + gi.grainSize <= glen, "payload past the file");
                read_bytes(payload, gi.grainSize);
                mxlFlowReaderGrainIntact(r, a);
                uint64_t t;
                mxlFlowReaderGetGrainCommitTime(r, a, &t);
            } else {
                FUZZ_ASSERT(mxlGetLastErrorMessage()[0], "no message");
            }
            break;
        case 2:
        case 6:
            st = (kind % 8 == 2) ? mxlFlowReaderGetSamplesNonBlocking(r, a, (size_t)(b % 70000), &sl)
                                 : mxlFlowReaderGetSamples(r, a, (size_t)(b % 70000), 0, &sl);
            if (st == MXL_STATUS_OK) {
                FUZZ_ASSERT(!discrete, "samples from a grain flow");
                size_t ch_len = c->channels_len % (MAX_CHANNELS_FILE + 1);
                FUZZ_ASSERT(sl.stride * sl.count <= ch_len, "channels %zu x %zu past the %zu-byte file",
                            sl.count, sl.stride, ch_len);
                for (size_t ch = 0; ch < sl.count; ch++) {
                    read_bytes(sl.base.fragments[0].pointer + ch * sl.stride, sl.base.fragments[0].size);
                    read_bytes(sl.base.fragments[1].pointer + ch * sl.stride, sl.base.fragments[1].size);
                }
            }
            break;
        case 3:
            mxlFlowReaderGetRuntimeInfo(r, &rt);
            mxlFlowReaderGetInfo(r, &info);
            size_t m;
            mxlFlowReaderGetMaxReadLengthSamples(r, &m);
            break;
        case 4:
            hostile_write(data_fd, a, b, c->data_len % 4200u);
            break;
        case 5:
            hostile_write(grain_fds[a % MAX_GRAIN_FILES], a >> 8, b, glen < 8192 ? glen : 8192);
            break;
        case 7:
            st = mxlFlowReaderGetGrainSlice(r, a, (uint16_t)b, 0, &gi, &payload);
            if (st == MXL_STATUS_OK)
                read_bytes(payload, gi.grainSize);
            mxlFlowReaderGrainIntact(r, a);
            guarded_copy(r, a, b);
            break;
        }
    }
}

/* mxlFlowReaderCopyGrain into an exactly sized buffer (b picks one byte short or exact). */
static void guarded_copy(mxlFlowReader r, uint64_t index, uint64_t b)
{
    size_t size = r->flow.grain_size ? r->flow.grain_size : 1;
    size_t give = (b & 1) && size > 1 ? size - 1 : size;
    uint8_t* buf = malloc(give);
    mxlGrainInfo gi;
    mxlStatus st = mxlFlowReaderCopyGrain(r, index, &gi, buf, give);
    if (st == MXL_STATUS_OK)
        FUZZ_ASSERT(give >= gi.grainSize && gi.index == index, "copy of %u bytes into %zu", gi.grainSize, give);
    else
        FUZZ_ASSERT(mxlGetLastErrorMessage()[0], "no message");
    free(buf);
}

/* After the other reads: another process truncates a file the reader mapped. Only the guarded copy may touch the
 * flow from here on (zero-copy access would raise SIGBUS, the documented limit). */
static void truncate_then_copy(mxlFlowReader r, ctl_t const* c, uint8_t const* ops, size_t n)
{
    uint64_t a = 0, b = 0;
    if (n >= 17) {
        memcpy(&a, ops + 1, 8);
        memcpy(&b, ops + 9, 8);
    }
    size_t glen = c->grain_len % (MAX_GRAIN_FILE + 1);
    int fd = (a & 1) ? data_fd : grain_fds[(a >> 1) % MAX_GRAIN_FILES];
    size_t len = (a & 1) ? c->data_len % 4200u : glen;
    if (fd < 0 || len == 0)
        return;
    if (ftruncate(fd, (off_t)(b % len)) != 0)
        abort();
    for (uint64_t i = 0; i < 4; i++)
        guarded_copy(r, (a >> 8) + i, b >> 1);
}

static void writer_ops(mxlFlowWriter w, uint8_t const* ops, size_t n)
{
    for (size_t k = 0; k + 17 <= n && k < 17 * 8; k += 17) {
        uint64_t a, b;
        memcpy(&a, ops + k + 1, 8);
        memcpy(&b, ops + k + 9, 8);
        mxlGrainInfo gi;
        uint8_t* payload;
        mxlMutableWrappedMultiBufferSlice ms;
        switch (ops[k] % 4) {
        case 0:
            if (mxlFlowWriterOpenGrain(w, a, &gi, &payload) == MXL_STATUS_OK) {
                memset(payload, 0x5a, gi.grainSize);
                gi.validSlices = (uint16_t)b;
                mxlFlowWriterCommitGrain(w, &gi);
            }
            break;
        case 1:
            if (mxlFlowWriterOpenSamples(w, a, (size_t)(b % 70000), &ms) == MXL_STATUS_OK) {
                for (size_t ch = 0; ch < ms.count; ch++) {
                    memset(ms.base.fragments[0].pointer + ch * ms.stride, 1, ms.base.fragments[0].size);
                    memset(ms.base.fragments[1].pointer + ch * ms.stride, 2, ms.base.fragments[1].size);
                }
                mxlFlowWriterCommitSamples(w);
            }
            break;
        case 2:
            mxlFlowWriterGetGrainInfo(w, a, &gi);
            break;
        case 3:
            mxlFlowWriterCancelGrain(w);
            mxlFlowWriterCancelSamples(w);
            break;
        }
    }
}

int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    if (size < 328)
        return 0;
    ctl_t c;
    memcpy(&c, data, sizeof c);
    build_flow(&c, data + 16, data + 280, data + 296);
    uint8_t const* ops = data + 328;
    size_t nops = size - 328;

    mxlFlowReader r = NULL;
    mxlStatus st = mxlCreateFlowReader(inst, FLOW_ID, NULL, &r);
    if (st == MXL_STATUS_OK) {
        reader_ops(r, &c, ops, nops);
        if (c.spare & 2)
            truncate_then_copy(r, &c, ops, nops);
        FUZZ_ASSERT(mxlReleaseFlowReader(inst, r) == MXL_STATUS_OK, "release");
    } else {
        FUZZ_ASSERT(st == MXL_ERR_FLOW_NOT_FOUND || st == MXL_ERR_UNKNOWN || st == MXL_ERR_PERMISSION_DENIED,
                    "reader status %s", mxlStatusName(st));
        FUZZ_ASSERT(mxlGetLastErrorMessage()[0], "no message");
    }

    /* (Not without grains/: a writer then waits ~0.5 s for the incomplete directory to go away, by design.) */
    if ((c.flags & 0x04) && !(c.flags & 0x02)) {
        /* Attach a writer with a definition of the format the header claims (1..3), else video. */
        uint32_t fmt = 0;
        if (c.data_len % 4200u >= 28)
            memcpy(&fmt, data + 16 + 24, 4);
        char const* def = DEFS[fmt >= 1 && fmt <= 3 ? fmt : 1];
        mxlFlowWriter w = NULL;
        bool created = false;
        st = mxlCreateFlowWriter(inst, def, NULL, &w, NULL, &created);
        if (st == MXL_STATUS_OK) {
            FUZZ_ASSERT(!created, "the flow directory exists: a writer must attach, not create");
            writer_ops(w, ops, nops);
            mxlReleaseFlowWriter(inst, w); /* last writer: deletes the directory; rebuilt next run */
        } else {
            FUZZ_ASSERT(mxlGetLastErrorMessage()[0], "no message");
        }
    }
    close_files();
    return 0;
}
