/* Discrete flows (video, data): the grain writer (MXL-FORMAT.md §7.2) and reader (§7.1, §7.5, §7.6, §9).
 *
 * Publication order (fixing §14 items 1-3): payload -> grain header (validSlices/flags last, release) -> headIndex
 * (atomic max, release) -> syncCounter (atomic add) -> shared FUTEX_WAKE. Readers acquire-load the counter, the
 * head and the slot header, and also check that the slot holds the requested index. A per-slot sequence number
 * in the grain's user-data area (odd while open) lets a reader verify, after using a zero-copy payload, that the
 * writer did not reopen the slot meanwhile. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "objects.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

/* ---- writer ----------------------------------------------------------------------------------------------------- */

static mxlStatus check_discrete_writer(mxlFlowWriter w, char const* fn)
{
    if (!mxl_writer_ok(w))
        return mxl_fail(MXL_ERR_INVALID_FLOW_WRITER, "%s: invalid writer", fn);
    if (!mxl_is_discrete(&w->flow))
        return mxl_fail(MXL_ERR_INVALID_FLOW_WRITER, "%s: flow %s is an audio flow, not a grain flow", fn,
                        w->flow.id);
    return MXL_STATUS_OK;
}

mxlStatus mxlFlowWriterGetGrainInfo(mxlFlowWriter writer, uint64_t index, mxlGrainInfo* grain)
{
    if (grain == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowWriterGetGrainInfo: grain must not be NULL");
    mxlStatus st = check_discrete_writer(writer, "mxlFlowWriterGetGrainInfo");
    if (st != MXL_STATUS_OK)
        return st;
    uint32_t slot = (uint32_t)(index % writer->flow.grain_count);
    memcpy(grain, mxl_slot_info(&writer->flow, slot), sizeof *grain);
    return MXL_STATUS_OK;
}

mxlStatus mxlFlowWriterOpenGrain(mxlFlowWriter writer, uint64_t index, mxlGrainInfo* grain, uint8_t** payload)
{
    if (grain == NULL || payload == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowWriterOpenGrain: grain and payload must not be NULL");
    mxlStatus st = check_discrete_writer(writer, "mxlFlowWriterOpenGrain");
    if (st != MXL_STATUS_OK)
        return st;
    if (index == MXL_UNDEFINED_INDEX)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowWriterOpenGrain: index is MXL_UNDEFINED_INDEX");
    mxl_flow* f = &writer->flow;
    uint32_t slot = (uint32_t)(index % f->grain_count);
    mxlGrainInfo* h = mxl_slot_info(f, slot);
    mxl_grain_ext* x = mxl_slot_ext(f, slot);
    if (writer->grain_open && writer->grain_index % f->grain_count == slot && LOAD(&x->seq) % 2 == 1) {
        /* reopening the slot that is already open: keep it odd */
    } else {
        if (LOAD(&x->magic) != MXL_GRAIN_EXT_MAGIC) {
            STORE(&x->seq, 0u);
            STORE(&x->magic, MXL_GRAIN_EXT_MAGIC);
        }
        uint32_t seq = LOAD(&x->seq);
        STORE(&x->seq, (seq | 1u) + ((seq & 1u) ? 2u : 0u)); /* odd: open */
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    x->open_time = mxl_now_tai();
    /* The slot now belongs to `index`: readers of the previous occupant see TOO_LATE ("overwritten"). Open starts
     * the grain empty (upstream hands back the previous occupant's validSlices and flags). */
    STORE(&h->validSlices, (uint16_t)0);
    STORE(&h->flags, 0u);
    STORE(&h->index, index);
    memcpy(grain, h, sizeof *grain);
    *payload = f->slots[slot].map.base + MXL_GRAIN_HEADER_SIZE;
    writer->grain_open = true;
    writer->grain_index = index;
    return MXL_STATUS_OK;
}

mxlStatus mxlFlowWriterCancelGrain(mxlFlowWriter writer)
{
    mxlStatus st = check_discrete_writer(writer, "mxlFlowWriterCancelGrain");
    if (st != MXL_STATUS_OK)
        return st;
    if (writer->grain_open) {
        uint32_t slot = (uint32_t)(writer->grain_index % writer->flow.grain_count);
        mxl_grain_ext* x = mxl_slot_ext(&writer->flow, slot);
        uint32_t seq = LOAD(&x->seq);
        if (seq & 1u)
            STORE(&x->seq, seq + 1u);
    }
    writer->grain_open = false;
    return MXL_STATUS_OK;
}

mxlStatus mxlFlowWriterCommitGrain(mxlFlowWriter writer, mxlGrainInfo const* grain)
{
    if (grain == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowWriterCommitGrain: grain must not be NULL");
    mxlStatus st = check_discrete_writer(writer, "mxlFlowWriterCommitGrain");
    if (st != MXL_STATUS_OK)
        return st;
    if (!writer->grain_open)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowWriterCommitGrain: no grain is open (open one first)");
    if (grain->index != writer->grain_index)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowWriterCommitGrain: grain index %llu is not the open grain %llu",
                        (unsigned long long)grain->index, (unsigned long long)writer->grain_index);
    mxl_flow* f = &writer->flow;
    uint32_t slot = (uint32_t)(grain->index % f->grain_count);
    mxlGrainInfo* h = mxl_slot_info(f, slot);
    mxl_grain_ext* x = mxl_slot_ext(f, slot);
    if (grain->validSlices > f->total_slices)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowWriterCommitGrain: validSlices %u exceeds totalSlices %u",
                        grain->validSlices, f->total_slices);
    /* Header before head (§14 item 2). Force version and size (§4); take index, grainSize and totalSlices from
     * the slot, not from the caller. Only flags and validSlices come from the caller: the 4068 reserved bytes are
     * not copied (upstream copies them; they are reserved, and the copy was a sixth of the commit's cost). */
    h->version = 1;
    h->size = MXL_GRAIN_INFO_SIZE;
    h->grainSize = f->grain_size;
    h->totalSlices = f->total_slices;
    STORE(&h->flags, grain->flags);
    STORE(&h->validSlices, grain->validSlices);
    uint64_t now = mxl_now_tai();
    x->commit_time = now;
    bool complete = grain->validSlices == f->total_slices;
    if (complete) {
        uint32_t seq = LOAD(&x->seq);
        if (seq & 1u)
            STORE(&x->seq, seq + 1u); /* even: complete */
        writer->grain_open = false;
    }
    mxl_head_max(&f->info->runtime.headIndex, grain->index);
    STORE(&f->info->runtime.lastWriteTime, now);
    __atomic_fetch_add(f->sync, 1u, __ATOMIC_SEQ_CST);
    mxl_futex_wake_all(f->sync);
    return MXL_STATUS_OK;
}

/* ---- reader ----------------------------------------------------------------------------------------------------- */

typedef struct grain_req
{
    mxlFlowReader reader;
    uint64_t index;
    uint16_t min_slices;
    mxlGrainInfo* out;
    uint8_t** payload;
} grain_req;

/* §7.1 availability rule, plus the slot index check (§14 item 3). On OK fills the caller's copy. */
static mxlStatus grain_rule(void* ctx)
{
    grain_req* q = ctx;
    mxl_flow* f = &q->reader->flow;
    uint64_t head = LOAD(&f->info->runtime.headIndex);
    uint64_t G = f->grain_count;
    if (q->index > head)
        return mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_EARLY, "grain %llu is not written yet (head is %llu)",
                        (unsigned long long)q->index, (unsigned long long)head);
    uint64_t low = head >= G ? head - G + 1 : 0;
    if (q->index < low)
        return mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_LATE, "grain %llu is older than the ring window [%llu, %llu]",
                        (unsigned long long)q->index, (unsigned long long)low, (unsigned long long)head);
    uint32_t slot = (uint32_t)(q->index % G);
    mxlGrainInfo* h = mxl_slot_info(f, slot);
    mxl_grain_ext* x = mxl_slot_ext(f, slot);
    uint32_t seq = LOAD(&x->seq);
    uint64_t held = LOAD(&h->index);
    if (held != q->index) {
        if (held > q->index)
            return mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_LATE, "grain %llu was overwritten by grain %llu",
                            (unsigned long long)q->index, (unsigned long long)held);
        return mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_LATE,
                        "grain %llu was skipped by the writer (its slot still holds grain %llu)",
                        (unsigned long long)q->index, (unsigned long long)held);
    }
    uint16_t valid = LOAD(&h->validSlices);
    uint32_t flags = LOAD(&h->flags);
    uint16_t need = q->min_slices < f->total_slices ? q->min_slices : f->total_slices;
    if (valid < need && !(flags & MXL_GRAIN_FLAG_INVALID))
        return mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_EARLY, "grain %llu has %u of the %u slices asked for",
                        (unsigned long long)q->index, valid, need);
    memcpy(q->out, h, sizeof *q->out);
    /* The copy says what was checked, whatever the writer did since; sizes are the validated ones. */
    q->out->index = q->index;
    q->out->validSlices = valid;
    q->out->flags = flags;
    q->out->grainSize = f->grain_size;
    q->out->totalSlices = f->total_slices;
    *q->payload = f->slots[slot].map.base + MXL_GRAIN_HEADER_SIZE;
    f->slots[slot].seen = seq;
    f->slots[slot].seen_index = q->index;
    return MXL_STATUS_OK;
}

/* §9 read activity: atime = now, mtime untouched; the writer's inotify watch turns it into lastReadTime.
 *
 * A touch costs a syscall plus an inotify event that wakes the writer's watcher thread; waking a thread that sleeps
 * on another CPU costs about 10 us in a VM (docs/performance.md). So touches are kept off the path from the
 * writer's wake to the return of a blocking read, and a reader touches at most every TOUCH_MIN_NS, as continuous
 * readers do: a read that comes less than TOUCH_IDLE_NS after the last touch is only marked pending, and the
 * pending touch is made at the start of the reader's next get once TOUCH_MIN_NS have passed since the last touch
 * (dropped if TOUCH_DROP_NS have passed: that read is long over). A read after a pause touches at once. So
 * lastReadTime follows a streaming reader within about TOUCH_MIN_NS plus one read interval.
 * r->last_touch (CLOCK_MONOTONIC_COARSE ns; discrete and continuous readers) is the time of the last touch, bit 0
 * set while a read since then is pending. */
#define TOUCH_MIN_NS 10000000ull
#define TOUCH_IDLE_NS 100000000ull
#define TOUCH_DROP_NS 200000000ull
#define TOUCH_PENDING 1ull

static uint64_t coarse_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void touch_access_now(mxlFlowReader r, uint64_t now)
{
    struct timespec ts[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    futimens(r->accessfd, ts);
    r->last_touch = now & ~TOUCH_PENDING;
}

/* After a successful read. */
static void touch_access(mxlFlowReader r)
{
    if (r->accessfd < 0)
        return;
    uint64_t now = coarse_now_ns();
    if (now - (r->last_touch & ~TOUCH_PENDING) >= TOUCH_IDLE_NS)
        touch_access_now(r, now);
    else
        r->last_touch |= TOUCH_PENDING;
}

/* At the start of a get: the pending touch, if due. */
static void touch_pending(mxlFlowReader r)
{
    if (!(r->last_touch & TOUCH_PENDING))
        return;
    uint64_t now = coarse_now_ns();
    uint64_t age = now - (r->last_touch & ~TOUCH_PENDING);
    if (age >= TOUCH_DROP_NS)
        r->last_touch &= ~TOUCH_PENDING;
    else if (age >= TOUCH_MIN_NS)
        touch_access_now(r, now);
}

static mxlStatus get_grain(mxlFlowReader reader, uint64_t index, uint16_t min_slices, bool blocking,
                           uint64_t timeout_ns, mxlGrainInfo* grain, uint8_t** payload, char const* fn)
{
    if (grain == NULL || payload == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "%s: grain and payload must not be NULL", fn);
    if (!mxl_reader_ok(reader))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "%s: invalid reader", fn);
    if (!mxl_is_discrete(&reader->flow))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "%s: flow %s is an audio flow, not a grain flow", fn,
                        reader->flow.id);
    touch_pending(reader);
    grain_req q = {reader, index, min_slices, grain, payload};
    mxlStatus st = blocking ? mxl_wait_rule(reader->flow.sync, mxl_deadline_from_timeout(timeout_ns), grain_rule, &q)
                            : grain_rule(&q);
    if (st == MXL_STATUS_OK)
        touch_access(reader);
    return mxl_stale_check(reader, st);
}

mxlStatus mxlFlowReaderGetGrain(mxlFlowReader reader, uint64_t index, uint64_t timeoutNs, mxlGrainInfo* grain,
                                uint8_t** payload)
{
    return get_grain(reader, index, MXL_GRAIN_VALID_SLICES_ALL, true, timeoutNs, grain, payload,
                     "mxlFlowReaderGetGrain");
}

mxlStatus mxlFlowReaderGetGrainSlice(mxlFlowReader reader, uint64_t index, uint16_t minValidSlices,
                                     uint64_t timeoutNs, mxlGrainInfo* grain, uint8_t** payload)
{
    return get_grain(reader, index, minValidSlices, true, timeoutNs, grain, payload, "mxlFlowReaderGetGrainSlice");
}

mxlStatus mxlFlowReaderGetGrainNonBlocking(mxlFlowReader reader, uint64_t index, mxlGrainInfo* grain,
                                           uint8_t** payload)
{
    return get_grain(reader, index, MXL_GRAIN_VALID_SLICES_ALL, false, 0, grain, payload,
                     "mxlFlowReaderGetGrainNonBlocking");
}

mxlStatus mxlFlowReaderGetGrainSliceNonBlocking(mxlFlowReader reader, uint64_t index, uint16_t minValidSlices,
                                                mxlGrainInfo* grain, uint8_t** payload)
{
    return get_grain(reader, index, minValidSlices, false, 0, grain, payload,
                     "mxlFlowReaderGetGrainSliceNonBlocking");
}

/* Seqlock-style check after a zero-copy read: the slot still holds `index` and its sequence did not move since
 * the get, so the writer has not reopened it. Upstream writers leave no sequence (magic absent): index only. */
mxlStatus mxlFlowReaderGrainIntact(mxlFlowReader reader, uint64_t index)
{
    if (!mxl_reader_ok(reader))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "mxlFlowReaderGrainIntact: invalid reader");
    if (!mxl_is_discrete(&reader->flow))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "mxlFlowReaderGrainIntact: not a grain flow");
    mxl_flow* f = &reader->flow;
    uint32_t slot = (uint32_t)(index % f->grain_count);
    __atomic_thread_fence(__ATOMIC_ACQUIRE); /* order the caller's payload reads before the re-check */
    mxl_grain_ext* x = mxl_slot_ext(f, slot);
    uint32_t seq = LOAD(&x->seq);
    uint64_t held = LOAD(&mxl_slot_info(f, slot)->index);
    if (held != index)
        return mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_LATE, "grain %llu was overwritten by grain %llu while in use",
                        (unsigned long long)index, (unsigned long long)held);
    if (f->slots[slot].seen_index != index)
        return mxl_fail(MXL_ERR_INVALID_ARG, "grain %llu was not obtained from this reader's last read of its slot",
                        (unsigned long long)index);
    uint32_t seen = f->slots[slot].seen;
    /* an open grain completing (odd -> next even) is not a reopen: the slices read stay valid */
    bool same = seq == seen || ((seen & 1u) && seq == seen + 1u);
    if (LOAD(&x->magic) == MXL_GRAIN_EXT_MAGIC && !same)
        return mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_LATE, "grain %llu was reopened by the writer while in use",
                        (unsigned long long)index);
    return MXL_STATUS_OK;
}

mxlStatus mxlFlowReaderGetGrainCommitTime(mxlFlowReader reader, uint64_t index, uint64_t* taiNs)
{
    if (taiNs == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowReaderGetGrainCommitTime: taiNs must not be NULL");
    if (!mxl_reader_ok(reader) || !mxl_is_discrete(&reader->flow))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "mxlFlowReaderGetGrainCommitTime: not a grain reader");
    mxl_flow* f = &reader->flow;
    uint32_t slot = (uint32_t)(index % f->grain_count);
    mxl_grain_ext* x = mxl_slot_ext(f, slot);
    if (LOAD(&mxl_slot_info(f, slot)->index) != index)
        return mxl_fail(MXL_ERR_NOT_FOUND, "grain %llu is not in the ring", (unsigned long long)index);
    if (LOAD(&x->magic) != MXL_GRAIN_EXT_MAGIC)
        return mxl_fail(MXL_ERR_NOT_FOUND, "grain %llu carries no commit time (written by another writer)",
                        (unsigned long long)index);
    *taiNs = LOAD(&x->commit_time);
    return MXL_STATUS_OK;
}

/* Sync-group member wait (syncgroup.c): the grain rule with the member's slices, under the group deadline. */
mxlStatus mxl_grain_member_wait(mxlFlowReader r, uint64_t idx, uint16_t min_slices, int64_t deadline)
{
    mxlGrainInfo info;
    uint8_t* payload;
    grain_req q = {r, idx, min_slices, &info, &payload};
    mxlStatus st = mxl_wait_rule(r->flow.sync, deadline, grain_rule, &q);
    return mxl_stale_check(r, st);
}
