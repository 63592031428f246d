/* Instances (one per domain), version, tmpfs check, and the writer / reader registries: one object per flow id per
 * instance, reference counted (MXL-FORMAT.md §8.3, §11.4). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <jansson.h>
#include <mxl/version.h>

#include "objects.h"

#define TMPFS_MAGIC_VALUE 0x01021994
#define RAMFS_MAGIC_VALUE 0x858458f6

mxlStatus mxlGetVersion(mxlVersionType* v)
{
    if (v == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlGetVersion: out_version must not be NULL");
    v->major = MXL_VERSION_MAJOR;
    v->minor = MXL_VERSION_MINOR;
    v->bugfix = MXL_VERSION_PATCH;
    v->build = MXL_VERSION_BUILD;
    v->full = MXL_VERSION_FULL;
    return MXL_STATUS_OK;
}

mxlStatus mxlIsTmpFs(char const* path, bool* isTmpFs)
{
    if (path == NULL || isTmpFs == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlIsTmpFs: path and isTmpFs must not be NULL");
    struct statfs sf;
    if (statfs(path, &sf) != 0)
        return mxl_fail(MXL_ERR_UNKNOWN, "cannot statfs %s: %s", path, strerror(errno));
    *isTmpFs = sf.f_type == TMPFS_MAGIC_VALUE || (unsigned long)sf.f_type == RAMFS_MAGIC_VALUE;
    return MXL_STATUS_OK;
}

/* Read <domain>/options.json (§2.6): unreadable or unparsable files are ignored, as upstream does. */
static void read_domain_options(mxlInstance inst)
{
    int fd = openat(inst->dirfd, "options.json", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC); /* a FIFO must not block */
    if (fd < 0)
        return;
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = 0;
    mxl_domain_options_history(buf, &inst->history_ns);
}

mxlInstance mxlCreateInstance(char const* domain, char const* options)
{
    if (domain == NULL) {
        mxl_fail(MXL_ERR_INVALID_ARG, "mxlCreateInstance: domain must not be NULL");
        return NULL;
    }
    struct stat st;
    if (stat(domain, &st) != 0) {
        int e = errno;
        if (e == ENOENT)
            mxl_fail(MXL_ERR_NOT_FOUND, "domain %s does not exist", domain);
        else if (e == EACCES)
            mxl_fail(MXL_ERR_PERMISSION_DENIED, "domain %s: permission denied", domain);
        else
            mxl_fail(MXL_ERR_UNKNOWN, "domain %s: %s", domain, strerror(e));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        mxl_fail(MXL_ERR_INVALID_ARG, "domain %s is not a directory", domain);
        return NULL;
    }
    int dirfd = open(domain, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        int e = errno;
        mxl_fail(mxl_errno_status(e, MXL_ERR_UNKNOWN), "domain %s: %s", domain,
                 e == EACCES ? "permission denied" : strerror(e));
        return NULL;
    }
    char* canon = realpath(domain, NULL);
    mxlInstance inst = calloc(1, sizeof *inst);
    if (inst == NULL || canon == NULL) {
        mxl_fail(MXL_ERR_UNKNOWN, "domain %s: %s", domain, canon == NULL ? strerror(errno) : "out of memory");
        free(inst);
        free(canon);
        close(dirfd);
        return NULL;
    }
    inst->dirfd = dirfd;
    inst->domain = canon;
    inst->history_ns = MXL_DEFAULT_HISTORY_NS;
    inst->inotify_fd = -1;
    inst->stop_fd = -1;
    pthread_mutex_init(&inst->lock, NULL);
    read_domain_options(inst);
    /* §6.1: instance options are parsed if present; parse errors are not fatal and no key is used. */
    if (options != NULL && options[0] != 0) {
        json_t* j = json_loads(options, 0, NULL);
        json_decref(j);
    }
    return inst;
}

char const* mxlInstanceGetDomain(mxlInstance instance)
{
    return instance ? instance->domain : NULL;
}

/* ---- writers -------------------------------------------------------------------------------------------------- */

static void writer_free(mxlInstance inst, mxlFlowWriter w, bool delete_if_last)
{
    mxl_watcher_remove(inst, w);
    if (delete_if_last)
        mxl_domain_release_flow(inst, &w->flow);
    else
        mxl_flow_close(&w->flow);
    w->magic = MXL_DEAD_MAGIC;
    free(w);
}

mxlStatus mxlCreateFlowWriter(mxlInstance instance, char const* flowDef, char const* options, mxlFlowWriter* writer,
                              mxlFlowConfigInfo* configInfo, bool* created)
{
    if (instance == NULL || flowDef == NULL || writer == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlCreateFlowWriter: instance, flowDef and writer must not be NULL");
    mxl_flowdef def;
    /* §2.3 step 1: validate before touching the filesystem, also when the flow already exists. */
    mxlStatus st = mxl_flowdef_parse(flowDef, options, instance->history_ns, &def);
    if (st != MXL_STATUS_OK)
        return st;
    pthread_mutex_lock(&instance->lock);
    for (mxlFlowWriter w = instance->writers; w != NULL; w = w->next) {
        if (strcmp(w->flow.id, def.id_text) == 0) {
            w->refs++;
            *writer = w;
            if (configInfo)
                *configInfo = w->flow.config;
            if (created)
                *created = false;
            pthread_mutex_unlock(&instance->lock);
            return MXL_STATUS_OK;
        }
    }
    mxlFlowWriter w = calloc(1, sizeof *w);
    if (w == NULL) {
        pthread_mutex_unlock(&instance->lock);
        return mxl_fail(MXL_ERR_UNKNOWN, "out of memory");
    }
    bool was_created = false;
    st = mxl_domain_create_or_attach(instance, &def, flowDef, &w->flow, &was_created);
    if (st != MXL_STATUS_OK) {
        free(w);
        pthread_mutex_unlock(&instance->lock);
        return st;
    }
    w->magic = MXL_WRITER_MAGIC;
    w->refs = 1;
    w->inst = instance;
    w->watch_wd = -1;
    /* §7.4 wake throttling state, from the hints actually stored in the flow. */
    uint32_t s = w->flow.config.common.maxSyncBatchSizeHint, c = w->flow.config.common.maxCommitBatchSizeHint;
    w->sync_s = s ? s : 1;
    w->sync_c = c ? c : 1;
    w->sync_e = w->sync_s >= w->sync_c ? w->sync_s - w->sync_c : 0;
    w->next = instance->writers;
    instance->writers = w;
    mxl_watcher_add(instance, w);
    pthread_mutex_unlock(&instance->lock);
    *writer = w;
    if (configInfo)
        *configInfo = w->flow.config;
    if (created)
        *created = was_created;
    return MXL_STATUS_OK;
}

mxlStatus mxlReleaseFlowWriter(mxlInstance instance, mxlFlowWriter writer)
{
    if (instance == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlReleaseFlowWriter: instance must not be NULL");
    if (!mxl_writer_ok(writer))
        return mxl_fail(MXL_ERR_INVALID_FLOW_WRITER, "mxlReleaseFlowWriter: invalid writer");
    pthread_mutex_lock(&instance->lock);
    for (mxlFlowWriter* p = &instance->writers; *p != NULL; p = &(*p)->next) {
        if (*p == writer) {
            if (--writer->refs == 0) {
                *p = writer->next;
                writer_free(instance, writer, true);
            }
            break;
        }
    }
    pthread_mutex_unlock(&instance->lock);
    return MXL_STATUS_OK;
}

/* ---- readers -------------------------------------------------------------------------------------------------- */

static void group_forget_reader(mxlInstance inst, mxlFlowReader r)
{
    for (mxlFlowSynchronizationGroup g = inst->groups; g != NULL; g = g->next) {
        size_t k = 0;
        for (size_t i = 0; i < g->count; i++)
            if (g->members[i].reader != r)
                g->members[k++] = g->members[i];
        g->count = k;
    }
}

static void reader_free(mxlFlowReader r)
{
    if (r->accessfd >= 0)
        close(r->accessfd);
    mxl_flow_close(&r->flow);
    r->magic = MXL_DEAD_MAGIC;
    free(r);
}

/* §6.2: upstream ignores reader options; we read only MXL_EXT_OPTION_READER_INSPECT and ignore everything else. */
static bool reader_inspect_option(char const* options)
{
    if (options == NULL || options[0] == '\0')
        return false;
    json_t* j = json_loads(options, 0, NULL);
    bool on = json_is_object(j) && json_is_true(json_object_get(j, MXL_EXT_OPTION_READER_INSPECT));
    json_decref(j);
    return on;
}

mxlStatus mxlCreateFlowReader(mxlInstance instance, char const* flowId, char const* options, mxlFlowReader* reader)
{
    bool inspect = reader_inspect_option(options);
    if (instance == NULL || flowId == NULL || reader == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlCreateFlowReader: instance, flowId and reader must not be NULL");
    uint8_t uuid[16];
    char id[37];
    if (mxl_uuid_parse(flowId, uuid) != 0)
        return mxl_fail(MXL_ERR_INVALID_ARG, "flow id \"%.64s\" is not a valid UUID", flowId);
    mxl_uuid_format(uuid, id);
    pthread_mutex_lock(&instance->lock);
    for (mxlFlowReader r = instance->readers; r != NULL; r = r->next) {
        if (strcmp(r->flow.id, id) == 0 && r->inspect == inspect) {
            r->refs++;
            *reader = r;
            pthread_mutex_unlock(&instance->lock);
            return MXL_STATUS_OK;
        }
    }
    mxlFlowReader r = calloc(1, sizeof *r);
    if (r == NULL) {
        pthread_mutex_unlock(&instance->lock);
        return mxl_fail(MXL_ERR_UNKNOWN, "out of memory");
    }
    r->accessfd = -1;
    r->inspect = inspect;
    mxlStatus st = mxl_flow_open(instance, id, false, &r->flow, NULL);
    if (st != MXL_STATUS_OK) {
        free(r);
        pthread_mutex_unlock(&instance->lock);
        return st;
    }
    if (mxl_is_discrete(&r->flow) && !inspect) /* §9: failure to open `access` is tolerated */
        r->accessfd = openat(r->flow.flowfd, "access", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    r->magic = MXL_READER_MAGIC;
    r->refs = 1;
    r->inst = instance;
    r->next = instance->readers;
    instance->readers = r;
    pthread_mutex_unlock(&instance->lock);
    *reader = r;
    return MXL_STATUS_OK;
}

mxlStatus mxlReleaseFlowReader(mxlInstance instance, mxlFlowReader reader)
{
    if (instance == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlReleaseFlowReader: instance must not be NULL");
    if (!mxl_reader_ok(reader))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "mxlReleaseFlowReader: invalid reader");
    pthread_mutex_lock(&instance->lock);
    for (mxlFlowReader* p = &instance->readers; *p != NULL; p = &(*p)->next) {
        if (*p == reader) {
            if (--reader->refs == 0) {
                *p = reader->next;
                group_forget_reader(instance, reader);
                reader_free(reader);
            }
            break;
        }
    }
    pthread_mutex_unlock(&instance->lock);
    return MXL_STATUS_OK;
}

/* ---- destruction ---------------------------------------------------------------------------------------------- */

mxlStatus mxlDestroyInstance(mxlInstance instance)
{
    if (instance == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlDestroyInstance: instance must not be NULL");
    mxl_watcher_stop(instance);
    pthread_mutex_lock(&instance->lock);
    while (instance->writers != NULL) {
        mxlFlowWriter w = instance->writers;
        instance->writers = w->next;
        writer_free(instance, w, true); /* §8.3: leaked writers delete their flow if they are the last */
    }
    while (instance->readers != NULL) {
        mxlFlowReader r = instance->readers;
        instance->readers = r->next;
        reader_free(r);
    }
    while (instance->groups != NULL) {
        mxlFlowSynchronizationGroup g = instance->groups;
        instance->groups = g->next;
        g->magic = MXL_DEAD_MAGIC;
        free(g->members);
        free(g);
    }
    pthread_mutex_unlock(&instance->lock);
    pthread_mutex_destroy(&instance->lock);
    close(instance->dirfd);
    free(instance->domain);
    free(instance);
    return MXL_STATUS_OK;
}

/* ---- info getters --------------------------------------------------------------------------------------------- */

mxlStatus mxlFlowReaderGetInfo(mxlFlowReader reader, mxlFlowInfo* info)
{
    if (info == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowReaderGetInfo: info must not be NULL");
    if (!mxl_reader_ok(reader))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "mxlFlowReaderGetInfo: invalid reader");
    memcpy(info, reader->flow.info, sizeof *info);
    info->config = reader->flow.config;
    return MXL_STATUS_OK;
}

mxlStatus mxlFlowReaderGetConfigInfo(mxlFlowReader reader, mxlFlowConfigInfo* info)
{
    if (info == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowReaderGetConfigInfo: info must not be NULL");
    if (!mxl_reader_ok(reader))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "mxlFlowReaderGetConfigInfo: invalid reader");
    *info = reader->flow.config;
    return MXL_STATUS_OK;
}

mxlStatus mxlFlowReaderGetRuntimeInfo(mxlFlowReader reader, mxlFlowRuntimeInfo* info)
{
    if (info == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowReaderGetRuntimeInfo: info must not be NULL");
    if (!mxl_reader_ok(reader))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "mxlFlowReaderGetRuntimeInfo: invalid reader");
    mxlFlowRuntimeInfo* rt = &reader->flow.info->runtime;
    memcpy(info, rt, sizeof *info);
    info->headIndex = __atomic_load_n(&rt->headIndex, __ATOMIC_ACQUIRE);
    return MXL_STATUS_OK;
}

mxlStatus mxlFlowWriterGetInfo(mxlFlowWriter writer, mxlFlowInfo* info)
{
    if (info == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowWriterGetInfo: info must not be NULL");
    if (!mxl_writer_ok(writer))
        return mxl_fail(MXL_ERR_INVALID_FLOW_WRITER, "mxlFlowWriterGetInfo: invalid writer");
    memcpy(info, writer->flow.info, sizeof *info);
    return MXL_STATUS_OK;
}

mxlStatus mxlFlowReaderGetFlowId(mxlFlowReader reader, char out[37])
{
    if (out == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "out must not be NULL");
    if (!mxl_reader_ok(reader))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "invalid reader");
    memcpy(out, reader->flow.id, 37);
    return MXL_STATUS_OK;
}

mxlStatus mxlFlowWriterGetFlowId(mxlFlowWriter writer, char out[37])
{
    if (out == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "out must not be NULL");
    if (!mxl_writer_ok(writer))
        return mxl_fail(MXL_ERR_INVALID_FLOW_WRITER, "invalid writer");
    memcpy(out, writer->flow.id, 37);
    return MXL_STATUS_OK;
}
