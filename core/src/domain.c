/* The domain directory: creating and publishing flows, attaching, deleting, liveness, listing and garbage
 * collection (MXL-FORMAT.md §2, §8). Every path is resolved relative to the domain's directory fd and never
 * follows a symlink, so nothing planted in the domain leads out of it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "objects.h"

#ifndef RENAME_NOREPLACE
#   define RENAME_NOREPLACE (1 << 0)
#endif

#define INCOMPLETE_ATTEMPTS 1000 /* x 0.5 ms: how long an attach waits for an incomplete directory to go away */
#define MXL_SCAFFOLD_PROBE_AGE_NS 1000000000LL /* scaffolds younger than this are never probed */
#define ATTACH_ATTEMPTS 2000 /* x 0.5 ms: how long an attach waits out a concurrent deleter or probe */

static uint64_t random64(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (uint64_t)mxl_realtime_now_ns() ^ ((uint64_t)getpid() << 32);
    return v;
}

/* Make a fresh directory `<prefix><16 hex>` in the domain; returns 0 or -errno. */
static int make_temp_dir(int dirfd, char const* prefix, char name[64])
{
    for (int i = 0; i < 100; i++) {
        snprintf(name, 64, "%s%016llx", prefix, (unsigned long long)random64());
        if (mkdirat(dirfd, name, 0700) == 0)
            return 0;
        if (errno != EEXIST)
            return -errno;
    }
    return -EEXIST;
}

/* Create a shared file of `size` bytes in dir `fd`, allocated for real (posix_fallocate, §2.2), locked shared and
 * mapped read-write. Returns the fd, or -errno. */
static int create_shared(int dirfd, char const* name, size_t size, mxl_map* map)
{
    /* `data` is created under another name and renamed once locked, so a scaffold's `data` is never seen
     * unlocked by GC while its creator lives. */
    bool is_data = strcmp(name, "data") == 0;
    char const* first = is_data ? "data.creating" : name;
    int fd = openat(dirfd, first, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0664);
    if (fd < 0)
        return -errno;
    int r = mxl_lock_shared_nb(fd);
    if (r == 0 && is_data && renameat(dirfd, first, dirfd, name) != 0)
        r = -errno;
    if (r == 0)
        r = -posix_fallocate(fd, 0, (off_t)size);
    if (r == 0)
        r = mxl_map_fd(fd, size, true, map);
    if (r != 0) {
        close(fd);
        return r;
    }
    return fd;
}

static int write_small_file(int dirfd, char const* name, char const* text, size_t len)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0)
        return -errno;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = -errno;
            close(fd);
            return e;
        }
        done += (size_t)n;
    }
    close(fd);
    return 0;
}

static mxlStatus io_fail(mxl_flowdef const* def, char const* what, int neg_errno)
{
    int e = -neg_errno;
    if (e == ENOSPC)
        return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: no space left in the domain to create %s", def->id_text, what);
    return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: cannot create %s: %s", def->id_text, what, strerror(e));
}

/* Build the complete flow in the scaffold `tmp` (§2.3 steps 3-6). `data` is created and locked first, so a
 * scaffold of a live creator is never reclaimed by GC. On failure the caller removes the scaffold. */
static mxlStatus build_scaffold(mxlInstance inst, mxl_flowdef const* def, char const* json, char const* tmp,
                                mxl_flow* f)
{
    f->flowfd = openat(inst->dirfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (f->flowfd < 0)
        return io_fail(def, "its temporary directory", -errno);
    f->datafd = create_shared(f->flowfd, "data", MXL_DATA_FILE_SIZE, &f->data);
    if (f->datafd < 0)
        return io_fail(def, "data", f->datafd);
    f->info = (mxlFlowInfo*)f->data.base;
    f->sync = (uint32_t*)(f->data.base + 2056);
    int r = write_small_file(f->flowfd, "flow_def.json", json, strlen(json));
    if (r != 0)
        return io_fail(def, "flow_def.json", r);
    uint64_t now = mxl_now_tai();
    if (mxl_is_discrete(f)) {
        if ((r = write_small_file(f->flowfd, "access", "", 0)) != 0)
            return io_fail(def, "access", r);
        if (mkdirat(f->flowfd, "grains", 0777) != 0)
            return io_fail(def, "grains/", -errno);
        f->grain_count = def->config.discrete.grainCount;
        f->grain_size = def->grain_size;
        f->total_slices = def->total_slices;
        f->slots = calloc(f->grain_count, sizeof *f->slots);
        f->slot_fds = malloc(f->grain_count * sizeof *f->slot_fds);
        if (f->slots == NULL || f->slot_fds == NULL)
            return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: out of memory", def->id_text);
        for (uint32_t i = 0; i < f->grain_count; i++)
            f->slot_fds[i] = -1;
        for (uint32_t i = 0; i < f->grain_count; i++) {
            char name[32];
            snprintf(name, sizeof name, "grains/data.%u", i);
            f->slot_fds[i] = create_shared(f->flowfd, name, MXL_GRAIN_HEADER_SIZE + (size_t)def->grain_size,
                                           &f->slots[i].map);
            if (f->slot_fds[i] < 0)
                return io_fail(def, name, f->slot_fds[i]);
            mxl_map_prefault(&f->slots[i].map);
            mxlGrainInfo* g = mxl_slot_info(f, i);
            g->version = 1;
            g->size = MXL_GRAIN_INFO_SIZE;
            g->grainSize = def->grain_size;
            g->totalSlices = def->total_slices;
        }
    } else {
        f->channel_count = def->config.continuous.channelCount;
        f->buffer_length = def->config.continuous.bufferLength;
        f->word_size = def->word_size;
        size_t size = (size_t)f->channel_count * f->buffer_length * f->word_size;
        f->chfd = create_shared(f->flowfd, "channels", size, &f->channels);
        if (f->chfd < 0)
            return io_fail(def, "channels", f->chfd);
        mxl_map_prefault(&f->channels);
    }
    struct stat st;
    if (fstat(f->datafd, &st) != 0)
        return io_fail(def, "data", -errno);
    mxlFlowInfo* info = f->info;
    info->version = 1;
    info->size = sizeof(mxlFlowInfo);
    info->config = def->config;
    info->runtime.headIndex = 0;
    info->runtime.lastWriteTime = now;
    info->runtime.lastReadTime = now;
    f->inode = (uint64_t)st.st_ino;
    memcpy(f->data.base + 2048, &f->inode, sizeof f->inode); /* rename keeps the inode (§3.2, §7.6) */
    /* §2.3 step 6: the published directory is 0755 whatever the umask. */
    if (fchmod(f->flowfd, 0755) != 0)
        return io_fail(def, "the flow directory mode", -errno);
    return MXL_STATUS_OK;
}

/* Create and publish a new flow. Returns OK (created), or MXL_ERR_EXISTS when another creator published the
 * same id first (the caller then attaches), or a failure. */
static mxlStatus create_flow(mxlInstance inst, mxl_flowdef const* def, char const* json, mxl_flow* f)
{
    memset(f, 0, sizeof *f);
    f->flowfd = f->datafd = f->chfd = -1;
    f->writable = true;
    f->format = def->config.common.format;
    f->config = def->config;
    memcpy(f->id, def->id_text, sizeof f->id);
    memcpy(f->uuid, def->config.common.id, 16);
    char tmp[64];
    int r = make_temp_dir(inst->dirfd, ".mxl-tmp-", tmp);
    if (r != 0) {
        mxlStatus st = mxl_errno_status(-r, MXL_ERR_UNKNOWN);
        return mxl_fail(st, "cannot create flow %s in domain %s: %s", def->id_text, inst->domain, strerror(-r));
    }
    mxlStatus st = build_scaffold(inst, def, json, tmp, f);
    if (st == MXL_STATUS_OK) {
        char name[64];
        snprintf(name, sizeof name, "%s.mxl-flow", def->id_text);
        if (renameat2(inst->dirfd, tmp, inst->dirfd, name, RENAME_NOREPLACE) == 0)
            return MXL_STATUS_OK;
        int e = errno;
        st = (e == EEXIST || e == ENOTEMPTY)
                 ? MXL_ERR_EXISTS
                 : mxl_fail(mxl_errno_status(e, MXL_ERR_UNKNOWN), "cannot publish flow %s: %s", def->id_text,
                            strerror(e));
    }
    mxl_flow_close(f);
    mxl_remove_tree(inst->dirfd, tmp, NULL);
    return st;
}

/* After an attach, make sure the directory we opened is still the published one: a deleter or GC renames a flow
 * away while it holds LOCK_EX, and our LOCK_SH may have been granted just after it let go. */
static bool still_published(mxlInstance inst, mxl_flow const* f)
{
    struct stat st;
    if (fstat(f->datafd, &st) != 0)
        return false;
    return mxl_flow_is_current(inst, f) && (uint64_t)st.st_ino == f->inode;
}

mxlStatus mxl_domain_create_or_attach(mxlInstance inst, mxl_flowdef const* def, char const* json, mxl_flow* f,
                                      bool* created)
{
    char dirname[64];
    snprintf(dirname, sizeof dirname, "%s.mxl-flow", def->id_text);
    int incomplete = 0;
    for (int attempt = 0; attempt < ATTACH_ATTEMPTS; attempt++) {
        bool busy = false;
        mxlStatus st = mxl_flow_open(inst, def->id_text, true, f, &busy);
        if (st == MXL_STATUS_OK) {
            if (!still_published(inst, f)) {
                /* Either a deleter renamed the flow away meanwhile (try again), or we do hold the published data
                 * file but the inode recorded in it is wrong (a copied or damaged flow: retrying cannot help). */
                struct stat held, named;
                char path[96];
                snprintf(path, sizeof path, "%s/data", dirname);
                uint64_t recorded = f->inode;
                bool damaged = fstat(f->datafd, &held) == 0 &&
                               fstatat(inst->dirfd, path, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
                               held.st_ino == named.st_ino && held.st_dev == named.st_dev;
                mxl_flow_close(f);
                if (damaged)
                    return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: its data file records inode %llu but is inode %llu "
                                    "(a copied or damaged flow, which readers would report as FLOW_INVALID)",
                                    def->id_text, (unsigned long long)recorded, (unsigned long long)held.st_ino);
                continue;
            }
            if (f->format != def->config.common.format) {
                uint32_t existing = f->format;
                mxl_flow_close(f);
                return mxl_fail(MXL_ERR_UNKNOWN, "flow %s already exists with format %u, cannot write format %u",
                                def->id_text, existing, def->config.common.format);
            }
            *created = false;
            return MXL_STATUS_OK;
        }
        if (busy) {
            struct timespec ts = {0, 500000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (st == MXL_ERR_PERMISSION_DENIED)
            return st;
        if (st != MXL_ERR_FLOW_NOT_FOUND)
            return mxl_fail_context("cannot attach to existing flow");
        /* The flow directory exists but has no `data` or `grains/`: an upstream deleter removing it in place, or
         * a damaged flow. Never build a new flow then (its publication would only find the name taken, and the
         * loop would build a whole ring again each time): wait a little for a deleter, then give up. */
        struct stat dst;
        if (fstatat(inst->dirfd, dirname, &dst, AT_SYMLINK_NOFOLLOW) == 0) {
            if (++incomplete >= INCOMPLETE_ATTEMPTS) {
                char why[512];
                snprintf(why, sizeof why, "%s", mxlGetLastErrorMessage());
                return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: its directory exists but is incomplete (%s): remove it or "
                                "run garbage collection", def->id_text, why);
            }
            struct timespec ts = {0, 500000};
            nanosleep(&ts, NULL);
            continue;
        }
        st = create_flow(inst, def, json, f);
        if (st == MXL_STATUS_OK) {
            *created = true;
            return MXL_STATUS_OK;
        }
        if (st != MXL_ERR_EXISTS)
            return st;
        /* someone else published first: attach to theirs */
    }
    return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: gave up attaching after %d attempts (flow busy)", def->id_text,
                    ATTACH_ATTEMPTS);
}

/* Delete the published flow directory `name` while holding LOCK_EX on its data (fd `lockfd`): rename it out of
 * the flow namespace first, so no attacher can find it, then remove it. Adds freed bytes to *bytes. */
static int delete_locked(mxlInstance inst, char const* name, uint64_t* bytes)
{
    char gone[64];
    for (int i = 0; i < 100; i++) {
        snprintf(gone, sizeof gone, ".mxl-del-%016llx", (unsigned long long)random64());
        if (renameat2(inst->dirfd, name, inst->dirfd, gone, RENAME_NOREPLACE) == 0)
            return mxl_remove_tree(inst->dirfd, gone, bytes);
        if (errno != EEXIST)
            return -errno;
    }
    return -EEXIST;
}

void mxl_domain_release_flow(mxlInstance inst, mxl_flow* f)
{
    /* §8.3: the upgrade to LOCK_EX succeeds only if no other writer, in any process, holds LOCK_SH. A failed
     * upgrade drops our shared lock (§8.2), which is fine: we are closing anyway. */
    if (f->writable && f->datafd >= 0 && mxl_lock_exclusive_nb(f->datafd) == 0 && mxl_flow_is_current(inst, f)) {
        char name[64];
        snprintf(name, sizeof name, "%s.mxl-flow", f->id);
        delete_locked(inst, name, NULL);
    }
    mxl_flow_close(f);
}

/* ---- liveness ------------------------------------------------------------------------------------------------- */

/* Probe whether the flow directory `name` has a writer: 1 active, 0 inactive (and, when `keep_fd` is non-NULL,
 * the exclusive lock is kept and its fd returned there), -errno when `data` cannot be opened. */
static int probe_active(mxlInstance inst, char const* name, int* keep_fd)
{
    char path[NAME_MAX + 16];
    snprintf(path, sizeof path, "%s/data", name);
    int fd = openat(inst->dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = mxl_lock_exclusive_nb(fd);
    if (r != 0) {
        close(fd);
        return 1;
    }
    if (keep_fd)
        *keep_fd = fd;
    else
        close(fd);
    return 0;
}

mxlStatus mxlIsFlowActive(mxlInstance instance, char const* flowId, bool* isActive)
{
    if (instance == NULL || flowId == NULL || isActive == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlIsFlowActive: instance, flowId and isActive must not be NULL");
    uint8_t uuid[16];
    char id[37];
    /* §14 item 12: unlike upstream, any id form the UUID parser accepts is normalised here too. */
    if (mxl_uuid_parse(flowId, uuid) != 0)
        return mxl_fail(MXL_ERR_FLOW_NOT_FOUND, "flow id \"%.64s\" is not a valid UUID, so no such flow exists",
                        flowId);
    mxl_uuid_format(uuid, id);
    char name[64];
    snprintf(name, sizeof name, "%s.mxl-flow", id);
    int r = probe_active(instance, name, NULL);
    if (r < 0)
        return mxl_fail(MXL_ERR_FLOW_NOT_FOUND, "flow %s not found in domain %s: %s", id, instance->domain,
                        strerror(-r));
    *isActive = (r == 1);
    return MXL_STATUS_OK;
}

/* ---- flow definition ------------------------------------------------------------------------------------------ */

mxlStatus mxlGetFlowDef(mxlInstance instance, char const* flowId, char* buffer, size_t* bufferSize)
{
    if (instance == NULL || flowId == NULL || bufferSize == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlGetFlowDef: instance, flowId and bufferSize must not be NULL");
    uint8_t uuid[16];
    char id[37];
    if (mxl_uuid_parse(flowId, uuid) != 0)
        return mxl_fail(MXL_ERR_INVALID_ARG, "flow id \"%.64s\" is not a valid UUID", flowId);
    mxl_uuid_format(uuid, id);
    char path[NAME_MAX + 16];
    snprintf(path, sizeof path, "%s.mxl-flow/flow_def.json", id);
    int fd = openat(instance->dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return mxl_fail(MXL_ERR_FLOW_NOT_FOUND, "flow %s not found (no flow_def.json)", id);
        return mxl_fail(mxl_errno_status(e, MXL_ERR_UNKNOWN), "flow %s: cannot open flow_def.json: %s", id,
                        strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (64 << 20)) {
        close(fd);
        return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: flow_def.json is not a regular file of sane size", id);
    }
    size_t need = (size_t)st.st_size + 1;
    if (buffer == NULL || *bufferSize < need) {
        close(fd);
        *bufferSize = need;
        return mxl_fail(MXL_ERR_INVALID_ARG, "flow %s: flow definition needs a buffer of %zu bytes", id, need);
    }
    size_t done = 0;
    while (done + 1 < need) {
        ssize_t n = pread(fd, buffer + done, need - 1 - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    close(fd);
    buffer[done] = 0;
    *bufferSize = done + 1;
    return MXL_STATUS_OK;
}

/* ---- listing ------------------------------------------------------------------------------------------------ */

/* A published flow directory name: the canonical id followed by ".mxl-flow". Fills id. */
static bool flow_dir_name(char const* name, char id[37])
{
    size_t n = strlen(name);
    if (n != 36 + 9 || strcmp(name + 36, ".mxl-flow") != 0)
        return false;
    char stem[37];
    memcpy(stem, name, 36);
    stem[36] = 0;
    uint8_t uuid[16];
    if (mxl_uuid_parse(stem, uuid) != 0)
        return false;
    mxl_uuid_format(uuid, id);
    return strcmp(id, stem) == 0;
}

mxlStatus mxlListFlows(mxlInstance instance, bool details, int (*fn)(mxlFlowListEntry const*, void*), void* user)
{
    if (instance == NULL || fn == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlListFlows: instance and fn must not be NULL");
    int fd = openat(instance->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return mxl_fail(mxl_errno_status(e, MXL_ERR_UNKNOWN), "cannot list domain %s: %s", instance->domain,
                        strerror(e));
    }
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
        mxlFlowListEntry entry;
        memset(&entry, 0, sizeof entry);
        if (!flow_dir_name(e->d_name, entry.id))
            continue;
        struct stat st;
        if (fstatat(instance->dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (details) {
            char path[NAME_MAX + 16];
            snprintf(path, sizeof path, "%s/data", e->d_name);
            int dfd = openat(instance->dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
            if (dfd >= 0) {
                uint8_t hdr[MXL_DATA_FILE_SIZE];
                struct stat ds;
                if (fstat(dfd, &ds) == 0 && S_ISREG(ds.st_mode) &&
                    pread(dfd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr &&
                    mxl_validate_data_header(hdr, (size_t)ds.st_size) == 0) {
                    entry.readable = true;
                    entry.format = ((mxlFlowInfo const*)hdr)->config.common.format;
                }
                close(dfd);
            }
            entry.active = probe_active(instance, e->d_name, NULL) == 1;
        }
        if (fn(&entry, user) != 0)
            break;
    }
    closedir(d);
    return MXL_STATUS_OK;
}

/* ---- garbage collection (§8.4, fixing §14 items 8 and 9) ------------------------------------------------------- */

static bool has_prefix(char const* s, char const* p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

mxlStatus mxlGarbageCollectFlowsEx(mxlInstance instance, uint64_t scaffoldGraceNs, mxlGcReport* report)
{
    if (instance == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlGarbageCollectFlows: instance must not be NULL");
    mxlGcReport rep = {0, 0, 0, 0};
    int fd = openat(instance->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        if (report)
            *report = rep;
        return MXL_STATUS_OK; /* upstream swallows errors */
    }
    int64_t now = mxl_realtime_now_ns();
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
        char const* name = e->d_name;
        size_t n = strlen(name);
        bool is_flow = n > 9 && strcmp(name + n - 9, ".mxl-flow") == 0;
        bool is_scaffold = has_prefix(name, ".mxl-tmp-") || has_prefix(name, ".mxl-del-");
        if (!is_flow && !is_scaffold)
            continue;
        struct stat st;
        if (fstatat(instance->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
            continue;
        int64_t age = now - ((int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
        /* A scaffold inside the grace period may belong to a creator at work: its `data` is unlocked between
         * being created and being locked (upstream even fallocates it in between), and a probe's transient
         * LOCK_EX would make the creator's LOCK_SH|LOCK_NB fail. Leave scaffolds younger than 1 s (or than the
         * grace period, if shorter) alone, unprobed; after that, an unlocked `data` means its creator is gone. */
        int64_t young = scaffoldGraceNs < MXL_SCAFFOLD_PROBE_AGE_NS ? (int64_t)scaffoldGraceNs
                                                                     : (int64_t)MXL_SCAFFOLD_PROBE_AGE_NS;
        if (is_scaffold && age < young)
            continue;
        int lockfd = -1;
        int r = probe_active(instance, name, &lockfd);
        if (r == 1) {
            if (is_flow)
                rep.flowsKept++;
            continue;
        }
        if (r < 0) {
            /* No readable `data`: a scaffold whose creator died before making it, or a broken flow directory.
             * Reclaim it once it is older than the grace period (a live creator of ours makes `data` first). */
            if (r != -ENOENT || age < (int64_t)scaffoldGraceNs)
                continue;
        }
        uint64_t bytes = 0;
        int dr = is_flow ? delete_locked(instance, name, &bytes) : mxl_remove_tree(instance->dirfd, name, &bytes);
        if (lockfd >= 0)
            close(lockfd);
        if (dr == 0 || bytes > 0) {
            if (is_flow)
                rep.flows++;
            else
                rep.scaffolds++;
            rep.bytes += bytes;
        }
    }
    closedir(d);
    if (report)
        *report = rep;
    return MXL_STATUS_OK;
}

mxlStatus mxlGarbageCollectFlows(mxlInstance instance)
{
    return mxlGarbageCollectFlowsEx(instance, MXL_DEFAULT_SCAFFOLD_GRACE_NS, NULL);
}
