/* Opening the files of an existing flow (MXL-FORMAT.md §2.4) for a reader (read-only, no locks) or an attaching
 * writer (read-write, LOCK_SH on every file). Every header field is checked against the real file sizes before it
 * is used, so a corrupt or truncated flow gives an error, never a crash. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "objects.h"

static void flow_init(mxl_flow* f)
{
    memset(f, 0, sizeof *f);
    f->flowfd = f->datafd = f->chfd = -1;
}

void mxl_flow_close(mxl_flow* f)
{
    if (f->slots != NULL) {
        for (uint32_t i = 0; i < f->grain_count; i++)
            mxl_unmap(&f->slots[i].map);
        free(f->slots);
    }
    if (f->slot_fds != NULL) {
        for (uint32_t i = 0; i < f->grain_count; i++)
            if (f->slot_fds[i] >= 0)
                close(f->slot_fds[i]);
        free(f->slot_fds);
    }
    mxl_unmap(&f->channels);
    mxl_unmap(&f->data);
    if (f->chfd >= 0)
        close(f->chfd);
    if (f->datafd >= 0)
        close(f->datafd);
    if (f->flowfd >= 0)
        close(f->flowfd);
    flow_init(f);
}

/* Open one file of the flow read-only or read-write (never following a symlink), lock it shared when writable,
 * and return its fd and size. */
static int open_member(mxl_flow* f, char const* name, bool writable, struct stat* st)
{
    /* O_NONBLOCK: a FIFO planted in place of a file must not block the open (it then fails the S_ISREG check). */
    int fd = openat(f->flowfd, name, (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -EINVAL;
    }
    if (writable) {
        int r = mxl_lock_shared_nb(fd);
        if (r != 0) {
            close(fd);
            return r;
        }
    }
    return fd;
}

static mxlStatus open_discrete(mxl_flow* f)
{
    mxlDiscreteFlowConfigInfo const* d = &f->config.discrete;
    f->grain_count = d->grainCount;
    f->slots = calloc(f->grain_count, sizeof *f->slots);
    f->slot_fds = malloc(f->grain_count * sizeof *f->slot_fds);
    if (f->slots == NULL || f->slot_fds == NULL)
        return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: out of memory for %u grain slots", f->id, f->grain_count);
    for (uint32_t i = 0; i < f->grain_count; i++)
        f->slot_fds[i] = -1;
    struct stat st;
    if (fstatat(f->flowfd, "grains", &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
        return mxl_fail(MXL_ERR_FLOW_NOT_FOUND, "flow %s: grains/ directory is missing", f->id);
    for (uint32_t i = 0; i < f->grain_count; i++) {
        char name[32];
        snprintf(name, sizeof name, "grains/data.%u", i);
        int fd = open_member(f, name, f->writable, &st);
        if (fd < 0) {
            if (fd == -EWOULDBLOCK) {
                f->busy = true;
                return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: %s is locked exclusively (being deleted)", f->id, name);
            }
            return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: cannot open %s: %s", f->id, name, strerror(-fd));
        }
        f->slot_fds[i] = fd;
        mxlGrainInfo hdr;
        if (st.st_size < (off_t)MXL_GRAIN_HEADER_SIZE || pread(fd, &hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr) {
            return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: %s is %lld bytes, shorter than the %u-byte grain header",
                            f->id, name, (long long)st.st_size, MXL_GRAIN_HEADER_SIZE);
        }
        if (mxl_validate_grain_header(&hdr, (size_t)st.st_size, d) != 0)
            return mxl_fail_context("flow %s: %s", f->id, name);
        mxlGrainInfo const* g = &hdr;
        if (i == 0) {
            f->grain_size = g->grainSize;
            f->total_slices = g->totalSlices;
        } else if (g->grainSize != f->grain_size || g->totalSlices != f->total_slices) {
            return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: %s has grainSize %u / totalSlices %u, slot 0 has %u / %u",
                            f->id, name, g->grainSize, g->totalSlices, f->grain_size, f->total_slices);
        }
        /* Map exactly header + payload: the mapping never extends past what the file held when validated. */
        int r = mxl_map_fd(fd, MXL_GRAIN_HEADER_SIZE + (size_t)g->grainSize, f->writable, &f->slots[i].map);
        if (r != 0)
            return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: cannot map %s: %s", f->id, name, strerror(-r));
        if (f->writable)
            mxl_map_prefault(&f->slots[i].map);
        else {
            close(fd); /* readers keep the mapping only */
            f->slot_fds[i] = -1;
        }
    }
    return MXL_STATUS_OK;
}

static mxlStatus open_continuous(mxl_flow* f)
{
    mxlContinuousFlowConfigInfo const* c = &f->config.continuous;
    struct stat st;
    /* §2.4: continuous readers need a readable flow_def.json. */
    if (!f->writable && faccessat(f->flowfd, "flow_def.json", R_OK, 0) != 0)
        return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: flow_def.json is missing or unreadable", f->id);
    int fd = open_member(f, "channels", f->writable, &st);
    if (fd < 0)
        return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: cannot open channels: %s", f->id, strerror(-fd));
    f->chfd = fd;
    if (mxl_validate_channels(c, (uint64_t)st.st_size, &f->word_size) != 0)
        return mxl_fail_context("flow %s", f->id);
    f->channel_count = c->channelCount;
    f->buffer_length = c->bufferLength;
    size_t size = (size_t)c->channelCount * c->bufferLength * f->word_size;
    int r = mxl_map_fd(fd, size, f->writable, &f->channels);
    if (r != 0)
        return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: cannot map channels: %s", f->id, strerror(-r));
    if (f->writable)
        mxl_map_prefault(&f->channels);
    return MXL_STATUS_OK;
}

mxlStatus mxl_flow_open(mxlInstance inst, char const* id, bool writable, mxl_flow* f, bool* busy)
{
    if (busy)
        *busy = false;
    flow_init(f);
    f->writable = writable;
    snprintf(f->id, sizeof f->id, "%s", id);
    mxl_uuid_parse(id, f->uuid);
    char dirname[64];
    snprintf(dirname, sizeof dirname, "%s.mxl-flow", id);
    mxlStatus st = MXL_STATUS_OK;
    f->flowfd = openat(inst->dirfd, dirname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (f->flowfd < 0) {
        int e = errno;
        st = (e == ENOENT) ? mxl_fail(MXL_ERR_FLOW_NOT_FOUND, "flow %s not found in domain %s", id, inst->domain)
                           : mxl_fail(e == EACCES ? MXL_ERR_PERMISSION_DENIED : MXL_ERR_UNKNOWN,
                                      "flow %s: cannot open its directory: %s", id, strerror(e));
        goto fail;
    }
    struct stat sb;
    f->datafd = open_member(f, "data", writable, &sb);
    if (f->datafd < 0) {
        int e = -f->datafd;
        f->datafd = -1;
        if (e == ENOENT)
            st = mxl_fail(MXL_ERR_FLOW_NOT_FOUND, "flow %s: data file not found", id);
        else if (e == EWOULDBLOCK) {
            st = mxl_fail(MXL_ERR_UNKNOWN, "flow %s is locked exclusively (being deleted)", id);
            if (busy)
                *busy = true;
        }
        else
            st = mxl_fail(e == EACCES ? MXL_ERR_PERMISSION_DENIED : MXL_ERR_UNKNOWN,
                          "flow %s: cannot open data: %s", id, strerror(e));
        goto fail;
    }
    if (sb.st_size < (off_t)MXL_DATA_FILE_SIZE) {
        st = mxl_fail(MXL_ERR_UNKNOWN, "flow %s: data file is %lld bytes, expected at least %u", id,
                      (long long)sb.st_size, MXL_DATA_FILE_SIZE);
        goto fail;
    }
    int r = mxl_map_fd(f->datafd, MXL_DATA_FILE_SIZE, writable, &f->data);
    if (r != 0) {
        st = mxl_fail(MXL_ERR_UNKNOWN, "flow %s: cannot map data: %s", id, strerror(-r));
        goto fail;
    }
    f->info = (mxlFlowInfo*)f->data.base;
    f->sync = (uint32_t*)(f->data.base + 2056);
    memcpy(&f->inode, f->data.base + 2048, sizeof f->inode);
    /* Validate a snapshot, so a concurrent writer of the header cannot change what we checked. */
    uint8_t snap[MXL_DATA_FILE_SIZE];
    memcpy(snap, f->data.base, sizeof snap);
    if (mxl_validate_data_header(snap, (size_t)sb.st_size) != 0) {
        st = mxl_fail_context("flow %s", id);
        goto fail;
    }
    memcpy(&f->config, &((mxlFlowInfo const*)snap)->config, sizeof f->config);
    f->format = f->config.common.format;
    st = mxl_is_discrete(f) ? open_discrete(f) : open_continuous(f);
    if (st != MXL_STATUS_OK) {
        if (busy && f->busy)
            *busy = true;
        goto fail;
    }
    return MXL_STATUS_OK;
fail:
    mxl_flow_close(f);
    return st;
}

bool mxl_flow_is_current(mxlInstance inst, mxl_flow const* f)
{
    char path[80];
    snprintf(path, sizeof path, "%s.mxl-flow/data", f->id);
    struct stat st;
    if (fstatat(inst->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return false;
    uint64_t stored;
    memcpy(&stored, f->data.base + 2048, sizeof stored);
    return (uint64_t)st.st_ino == stored;
}
