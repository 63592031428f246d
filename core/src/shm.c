/* Shared-memory files: mappings, BSD flock locks, recursive removal, and pure header validators.
 * Only flock is used, never fcntl locks: upstream peers only see flock (MXL-FORMAT.md §8.2). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#ifndef MADV_POPULATE_WRITE
#   define MADV_POPULATE_WRITE 23
#endif

/* ---- layout checks (§3) ----------------------------------------------------------------------------------------- */
_Static_assert(sizeof(mxlRational) == 16, "mxlRational");
_Static_assert(sizeof(mxlCommonFlowConfigInfo) == 128, "common config");
_Static_assert(sizeof(mxlDiscreteFlowConfigInfo) == 64, "discrete config");
_Static_assert(sizeof(mxlContinuousFlowConfigInfo) == 64, "continuous config");
_Static_assert(sizeof(mxlFlowConfigInfo) == 192, "config");
_Static_assert(sizeof(mxlFlowRuntimeInfo) == 64, "runtime");
_Static_assert(sizeof(mxlFlowInfo) == 2048, "flow info");
_Static_assert(sizeof(mxlGrainInfo) == 4096, "grain info");
_Static_assert(sizeof(mxlBufferSlice) == 16 && sizeof(mxlMutableBufferSlice) == 16, "slices");
_Static_assert(sizeof(mxlWrappedBufferSlice) == 32 && sizeof(mxlMutableWrappedBufferSlice) == 32, "wrapped");
_Static_assert(sizeof(mxlWrappedMultiBufferSlice) == 48, "multi");
_Static_assert(offsetof(mxlWrappedMultiBufferSlice, stride) == 32, "stride");
_Static_assert(offsetof(mxlWrappedMultiBufferSlice, count) == 40, "count");
_Static_assert(sizeof(mxlVersionType) == 16 && offsetof(mxlVersionType, full) == 8, "version");
_Static_assert(offsetof(mxlFlowInfo, version) == 0, "info.version @0");
_Static_assert(offsetof(mxlFlowInfo, size) == 4, "info.size @4");
_Static_assert(offsetof(mxlFlowInfo, config.common.id) == 8, "id @8");
_Static_assert(offsetof(mxlFlowInfo, config.common.format) == 24, "format @24");
_Static_assert(offsetof(mxlFlowInfo, config.common.flags) == 28, "flags @28");
_Static_assert(offsetof(mxlFlowInfo, config.common.grainRate.numerator) == 32, "rate num @32");
_Static_assert(offsetof(mxlFlowInfo, config.common.grainRate.denominator) == 40, "rate den @40");
_Static_assert(offsetof(mxlFlowInfo, config.common.maxCommitBatchSizeHint) == 48, "commit hint @48");
_Static_assert(offsetof(mxlFlowInfo, config.common.maxSyncBatchSizeHint) == 52, "sync hint @52");
_Static_assert(offsetof(mxlFlowInfo, config.common.payloadLocation) == 56, "payloadLocation @56");
_Static_assert(offsetof(mxlFlowInfo, config.common.deviceIndex) == 60, "deviceIndex @60");
_Static_assert(offsetof(mxlFlowInfo, config.common.reserved) == 64, "common reserved @64");
_Static_assert(offsetof(mxlFlowInfo, config.discrete.sliceSizes) == 136, "sliceSizes @136");
_Static_assert(offsetof(mxlFlowInfo, config.discrete.grainCount) == 152, "grainCount @152");
_Static_assert(offsetof(mxlFlowInfo, config.discrete.reserved) == 156, "discrete reserved @156");
_Static_assert(offsetof(mxlFlowInfo, config.continuous.channelCount) == 136, "channelCount @136");
_Static_assert(offsetof(mxlFlowInfo, config.continuous.bufferLength) == 140, "bufferLength @140");
_Static_assert(offsetof(mxlFlowInfo, config.continuous.reserved) == 144, "continuous reserved @144");
_Static_assert(offsetof(mxlFlowInfo, runtime.headIndex) == 200, "headIndex @200");
_Static_assert(offsetof(mxlFlowInfo, runtime.lastWriteTime) == 208, "lastWriteTime @208");
_Static_assert(offsetof(mxlFlowInfo, runtime.lastReadTime) == 216, "lastReadTime @216");
_Static_assert(offsetof(mxlFlowInfo, runtime.reserved) == 224, "runtime reserved @224");
_Static_assert(offsetof(mxlFlowInfo, reserved) == 264, "info reserved @264");
_Static_assert(offsetof(mxlGrainInfo, version) == 0, "grain version @0");
_Static_assert(offsetof(mxlGrainInfo, size) == 4, "grain size @4");
_Static_assert(offsetof(mxlGrainInfo, index) == 8, "grain index @8");
_Static_assert(offsetof(mxlGrainInfo, flags) == 16, "grain flags @16");
_Static_assert(offsetof(mxlGrainInfo, grainSize) == 20, "grainSize @20");
_Static_assert(offsetof(mxlGrainInfo, totalSlices) == 24, "totalSlices @24");
_Static_assert(offsetof(mxlGrainInfo, validSlices) == 26, "validSlices @26");
_Static_assert(offsetof(mxlGrainInfo, reserved) == 28, "grain reserved @28");
_Static_assert(sizeof(mxl_grain_ext) <= 4096, "grain extension fits the user-data area");
/* state block after the header: inode @2048, syncCounter @2056 (§3.2) */
#define MXL_STATE_INODE_OFFSET 2048u
#define MXL_STATE_SYNC_OFFSET 2056u
_Static_assert(MXL_STATE_INODE_OFFSET == sizeof(mxlFlowInfo), "inode follows the header");

/* ---- mappings --------------------------------------------------------------------------------------------------- */

int mxl_map_fd(int fd, size_t size, bool writable, mxl_map* out)
{
    out->base = NULL;
    out->size = 0;
    if (size == 0)
        return -EINVAL;
    void* p = mmap(NULL, size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return -errno;
    out->base = p;
    out->size = size;
    return 0;
}

void mxl_unmap(mxl_map* m)
{
    if (m->base != NULL)
        munmap(m->base, m->size);
    m->base = NULL;
    m->size = 0;
}

/* Fault every page in now, so the first trip round the ring does not pay ~12 µs per 4 KiB page. */
void mxl_map_prefault(mxl_map const* m)
{
    if (m->base == NULL)
        return;
    if (madvise(m->base, m->size, MADV_POPULATE_WRITE) == 0)
        return;
    long page = sysconf(_SC_PAGESIZE);
    volatile uint8_t* p = m->base;
    for (size_t off = 0; off < m->size; off += (size_t)page)
        p[off] = p[off];
}

/* ---- locks ------------------------------------------------------------------------------------------------------ */

static int lock_op(int fd, int op)
{
    for (;;) {
        if (flock(fd, op) == 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

int mxl_lock_shared_nb(int fd) { return lock_op(fd, LOCK_SH | LOCK_NB); }
int mxl_lock_exclusive_nb(int fd) { return lock_op(fd, LOCK_EX | LOCK_NB); }
int mxl_unlock(int fd) { return lock_op(fd, LOCK_UN); }

/* ---- recursive removal ------------------------------------------------------------------------------------------ */

int mxl_remove_tree(int parent, char const* name, uint64_t* bytes)
{
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return -errno;
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(parent, name, 0) != 0)
            return -errno;
        if (bytes)
            *bytes += (uint64_t)st.st_blocks * 512u;
        return 0;
    }
    int first_err = 0;
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR* d = fdopendir(fd);
    if (d == NULL) {
        int e = -errno;
        close(fd);
        return e;
    }
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        int r = mxl_remove_tree(dirfd(d), e->d_name, bytes);
        if (r != 0 && first_err == 0)
            first_err = r;
    }
    closedir(d);
    if (unlinkat(parent, name, AT_REMOVEDIR) != 0 && first_err == 0)
        first_err = -errno;
    return first_err;
}

/* ---- validators: pure functions over bytes (fuzzed in tests/fuzz) ---------------------------------------------- */

int mxl_validate_data_header(void const* buf, size_t size)
{
    if (size < MXL_DATA_FILE_SIZE) {
        mxl_fail(MXL_ERR_UNKNOWN, "flow data file is %zu bytes, expected at least %u", size, MXL_DATA_FILE_SIZE);
        return -1;
    }
    mxlFlowInfo info;
    memcpy(&info, buf, sizeof info);
    if (info.version != 1) {
        mxl_fail(MXL_ERR_UNKNOWN, "flow data header version is %u, expected 1", info.version);
        return -1;
    }
    uint32_t fmt = info.config.common.format;
    if (fmt != MXL_DATA_FORMAT_VIDEO && fmt != MXL_DATA_FORMAT_AUDIO && fmt != MXL_DATA_FORMAT_DATA) {
        mxl_fail(MXL_ERR_UNKNOWN, "flow data header has unsupported format %u", fmt);
        return -1;
    }
    if (fmt == MXL_DATA_FORMAT_AUDIO) {
        mxlContinuousFlowConfigInfo const* c = &info.config.continuous;
        if (c->channelCount == 0 || c->bufferLength < 2) {
            mxl_fail(MXL_ERR_UNKNOWN, "flow data header has an empty audio ring (%u channels x %u samples)",
                     c->channelCount, c->bufferLength);
            return -1;
        }
    } else {
        mxlDiscreteFlowConfigInfo const* d = &info.config.discrete;
        if (d->grainCount == 0) {
            mxl_fail(MXL_ERR_UNKNOWN, "flow data header has grainCount 0 (an empty ring)");
            return -1;
        }
        if (d->grainCount > MXL_MAX_GRAIN_COUNT) {
            mxl_fail(MXL_ERR_UNKNOWN, "flow data header has an absurd grainCount %u", d->grainCount);
            return -1;
        }
    }
    return 0;
}

int mxl_validate_grain_header(void const* hdr, size_t file_size, mxlDiscreteFlowConfigInfo const* flow)
{
    if (file_size < MXL_GRAIN_HEADER_SIZE) {
        mxl_fail(MXL_ERR_UNKNOWN, "grain file is %zu bytes, expected at least %u", file_size,
                 MXL_GRAIN_HEADER_SIZE);
        return -1;
    }
    struct { uint32_t version, size; uint64_t index; uint32_t flags, grainSize; uint16_t totalSlices, validSlices; } g;
    memcpy(&g, hdr, sizeof g);
    if (g.version != 1) {
        mxl_fail(MXL_ERR_UNKNOWN, "grain header version is %u, expected 1", g.version);
        return -1;
    }
    uint64_t need = (uint64_t)MXL_GRAIN_HEADER_SIZE + g.grainSize;
    if (need > file_size) {
        mxl_fail(MXL_ERR_UNKNOWN, "grain header claims %u payload bytes but the file holds only %zu",
                 g.grainSize, file_size - MXL_GRAIN_HEADER_SIZE);
        return -1;
    }
    if (g.totalSlices == 0) {
        mxl_fail(MXL_ERR_UNKNOWN, "grain header has totalSlices 0");
        return -1;
    }
    uint64_t per_slice = 0;
    for (int p = 0; p < MXL_MAX_PLANES_PER_GRAIN; p++)
        per_slice += flow->sliceSizes[p];
    if (per_slice * g.totalSlices > g.grainSize) {
        mxl_fail(MXL_ERR_UNKNOWN, "grain header: %u slices of %llu bytes exceed grainSize %u", g.totalSlices,
                 (unsigned long long)per_slice, g.grainSize);
        return -1;
    }
    return 0;
}

int mxl_validate_channels(mxlContinuousFlowConfigInfo const* flow, uint64_t file_size, uint32_t* word_size)
{
    uint64_t samples = (uint64_t)flow->channelCount * flow->bufferLength;
    if (samples == 0) {
        mxl_fail(MXL_ERR_UNKNOWN, "audio flow has an empty ring");
        return -1;
    }
    /* §2.4: the word size is inferred from the file size. */
    uint64_t w = file_size / samples;
    if (w != 4 && w != 8) {
        mxl_fail(MXL_ERR_UNKNOWN, "channels file is %llu bytes for %u channels x %u samples: not float32 or float64",
                 (unsigned long long)file_size, flow->channelCount, flow->bufferLength);
        return -1;
    }
    /* Every writer creates exactly channelCount x bufferLength x wordSize bytes (§2.4): anything else is a damaged
     * or foreign file, refused rather than guessed at. */
    if (file_size != samples * w) {
        mxl_fail(MXL_ERR_UNKNOWN, "channels file is %llu bytes: not a whole number of %u channels x %u samples of "
                 "%llu bytes", (unsigned long long)file_size, flow->channelCount, flow->bufferLength,
                 (unsigned long long)w);
        return -1;
    }
    *word_size = (uint32_t)w;
    return 0;
}
