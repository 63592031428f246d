/* Synchronisation groups: wait until several flows all hold data for one TAI time, under one deadline
 * (MXL-FORMAT.md §11.4). Fixes §14 item 18: every member is checked in full (a partially written discrete grain is
 * ready only for a member that asked for partial grains), and members are simply waited on in turn: once the
 * slowest one is ready the others are checked again without sleeping. */
#include <stdlib.h>
#include <string.h>

#include "objects.h"

mxlStatus mxlCreateFlowSynchronizationGroup(mxlInstance instance, mxlFlowSynchronizationGroup* group)
{
    if (instance == NULL || group == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlCreateFlowSynchronizationGroup: instance and group must not be NULL");
    mxlFlowSynchronizationGroup g = calloc(1, sizeof *g);
    if (g == NULL)
        return mxl_fail(MXL_ERR_UNKNOWN, "out of memory");
    g->magic = MXL_GROUP_MAGIC;
    g->inst = instance;
    pthread_mutex_lock(&instance->lock);
    g->next = instance->groups;
    instance->groups = g;
    pthread_mutex_unlock(&instance->lock);
    *group = g;
    return MXL_STATUS_OK;
}

mxlStatus mxlReleaseFlowSynchronizationGroup(mxlInstance instance, mxlFlowSynchronizationGroup group)
{
    if (instance == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlReleaseFlowSynchronizationGroup: instance must not be NULL");
    pthread_mutex_lock(&instance->lock);
    for (mxlFlowSynchronizationGroup* p = &instance->groups; *p != NULL; p = &(*p)->next) {
        if (*p == group) {
            *p = group->next;
            group->magic = MXL_DEAD_MAGIC;
            free(group->members);
            free(group);
            break;
        }
    }
    pthread_mutex_unlock(&instance->lock);
    return MXL_STATUS_OK;
}

static bool group_ok(mxlFlowSynchronizationGroup g)
{
    return g != NULL && g->magic == MXL_GROUP_MAGIC;
}

static mxlStatus add_member(mxlFlowSynchronizationGroup g, mxlFlowReader r, uint16_t min_slices, char const* fn)
{
    if (!group_ok(g))
        return mxl_fail(MXL_ERR_INVALID_ARG, "%s: invalid group", fn);
    if (!mxl_reader_ok(r))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "%s: invalid reader", fn);
    /* Releasing a reader removes it from the groups of its own instance only: a reader of another instance could
     * be freed while still a member (use after free in the next wait). */
    if (r->inst != g->inst)
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "%s: the reader belongs to another instance than the group", fn);
    mxlInstance inst = g->inst;
    pthread_mutex_lock(&inst->lock);
    for (size_t i = 0; i < g->count; i++) {
        if (g->members[i].reader == r) {
            g->members[i].min_slices = min_slices; /* adding twice re-sets the slices */
            pthread_mutex_unlock(&inst->lock);
            return MXL_STATUS_OK;
        }
    }
    if (g->count == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 4;
        mxl_member* m = realloc(g->members, cap * sizeof *m);
        if (m == NULL) {
            pthread_mutex_unlock(&inst->lock);
            return mxl_fail(MXL_ERR_UNKNOWN, "out of memory");
        }
        g->members = m;
        g->cap = cap;
    }
    g->members[g->count++] = (mxl_member){r, min_slices};
    pthread_mutex_unlock(&inst->lock);
    return MXL_STATUS_OK;
}

mxlStatus mxlFlowSynchronizationGroupAddReader(mxlFlowSynchronizationGroup group, mxlFlowReader reader)
{
    return add_member(group, reader, MXL_GRAIN_VALID_SLICES_ALL, "mxlFlowSynchronizationGroupAddReader");
}

mxlStatus mxlFlowSynchronizationGroupAddPartialGrainReader(mxlFlowSynchronizationGroup group, mxlFlowReader reader,
                                                           uint16_t minValidSlices)
{
    if (mxl_reader_ok(reader) && !mxl_is_discrete(&reader->flow))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER,
                        "mxlFlowSynchronizationGroupAddPartialGrainReader: flow %s is an audio flow", reader->flow.id);
    return add_member(group, reader, minValidSlices, "mxlFlowSynchronizationGroupAddPartialGrainReader");
}

mxlStatus mxlFlowSynchronizationGroupRemoveReader(mxlFlowSynchronizationGroup group, mxlFlowReader reader)
{
    if (!group_ok(group) || reader == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowSynchronizationGroupRemoveReader: invalid group or reader");
    mxlInstance inst = group->inst;
    pthread_mutex_lock(&inst->lock);
    size_t k = 0;
    for (size_t i = 0; i < group->count; i++)
        if (group->members[i].reader != reader)
            group->members[k++] = group->members[i];
    group->count = k;
    pthread_mutex_unlock(&inst->lock);
    return MXL_STATUS_OK;
}

/* One member's readiness at its own index: discrete via the grain rule with the member's slices, continuous via
 * the sample rule with an empty window (ready once idx <= head). */
mxlStatus mxl_grain_member_wait(mxlFlowReader r, uint64_t idx, uint16_t min_slices, int64_t deadline);
mxlStatus mxl_samples_member_wait(mxlFlowReader r, uint64_t idx, int64_t deadline);

static mxlStatus mxl_member_wait(mxlFlowReader r, uint64_t idx, uint16_t min_slices, int64_t deadline)
{
    return mxl_is_discrete(&r->flow) ? mxl_grain_member_wait(r, idx, min_slices, deadline)
                                     : mxl_samples_member_wait(r, idx, deadline);
}

mxlStatus mxlFlowSynchronizationGroupWaitForDataAt(mxlFlowSynchronizationGroup group, uint64_t timestamp,
                                                   uint64_t timeoutNs)
{
    if (!group_ok(group))
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowSynchronizationGroupWaitForDataAt: invalid group");
    int64_t deadline = mxl_deadline_from_timeout(timeoutNs);
    mxlInstance inst = group->inst;
    /* Snapshot the members so the wait runs without the instance lock. */
    pthread_mutex_lock(&inst->lock);
    size_t n = group->count;
    mxl_member stack[16];
    mxl_member* m = n <= 16 ? stack : malloc(n * sizeof *m);
    if (m == NULL) {
        pthread_mutex_unlock(&inst->lock);
        return mxl_fail(MXL_ERR_UNKNOWN, "out of memory");
    }
    memcpy(m, group->members, n * sizeof *m);
    pthread_mutex_unlock(&inst->lock);
    mxlStatus st = MXL_STATUS_OK;
    for (size_t i = 0; i < n && st == MXL_STATUS_OK; i++) {
        mxlFlowReader r = m[i].reader;
        uint64_t idx = mxlTimestampToIndex(&r->flow.config.common.grainRate, timestamp);
        st = mxl_member_wait(r, idx, m[i].min_slices, deadline);
        if (st != MXL_STATUS_OK)
            mxl_fail_context("sync group member %s at index %llu", r->flow.id, (unsigned long long)idx);
    }
    if (m != stack)
        free(m);
    return st;
}
