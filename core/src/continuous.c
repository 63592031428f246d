/* Continuous flows (audio): sample windows over per-channel rings (MXL-FORMAT.md §3.4, §7.3, §7.4). */
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "objects.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

/* §7.3 fragments of the `count` slots ending just before slot `index mod L`. count 0 is an empty window. */
static void fragments(mxl_flow const* f, uint64_t index, size_t count, uint8_t** p0, size_t* s0, uint8_t** p1,
                      size_t* s1)
{
    uint64_t L = f->buffer_length;
    size_t w = f->word_size;
    uint64_t end = index % L;
    uint64_t start = (end + L - count) % L;
    size_t first = count == 0 ? 0 : (start < end ? count : (size_t)(L - start));
    size_t second = count - first;
    *p0 = f->channels.base + w * start;
    *s0 = w * first;
    *p1 = f->channels.base;
    *s1 = w * second;
}

/* ---- writer ---------------------------------------------------------------------------------------------------- */

static mxlStatus check_audio_writer(mxlFlowWriter w, char const* fn)
{
    if (!mxl_writer_ok(w))
        return mxl_fail(MXL_ERR_INVALID_FLOW_WRITER, "%s: invalid writer", fn);
    if (mxl_is_discrete(&w->flow))
        return mxl_fail(MXL_ERR_INVALID_FLOW_WRITER, "%s: flow %s is a grain flow, not an audio flow", fn,
                        w->flow.id);
    return MXL_STATUS_OK;
}

mxlStatus mxlFlowWriterGetMaxWriteLengthSamples(mxlFlowWriter writer, size_t* out)
{
    if (out == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowWriterGetMaxWriteLengthSamples: out must not be NULL");
    mxlStatus st = check_audio_writer(writer, "mxlFlowWriterGetMaxWriteLengthSamples");
    if (st == MXL_STATUS_OK)
        *out = writer->flow.buffer_length / 2;
    return st;
}

mxlStatus mxlFlowWriterOpenSamples(mxlFlowWriter writer, uint64_t index, size_t count,
                                   mxlMutableWrappedMultiBufferSlice* slices)
{
    if (slices == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowWriterOpenSamples: slices must not be NULL");
    mxlStatus st = check_audio_writer(writer, "mxlFlowWriterOpenSamples");
    if (st != MXL_STATUS_OK)
        return st;
    mxl_flow* f = &writer->flow;
    if (count == 0)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowWriterOpenSamples: count must be at least 1");
    if (count > f->buffer_length / 2)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowWriterOpenSamples: %zu samples exceed the maximum of %u per "
                        "write (half the %u-sample ring)", count, f->buffer_length / 2, f->buffer_length);
    if (index == MXL_UNDEFINED_INDEX)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowWriterOpenSamples: index is MXL_UNDEFINED_INDEX");
    uint8_t *p0, *p1;
    size_t s0, s1;
    fragments(f, index, count, &p0, &s0, &p1, &s1);
    slices->base.fragments[0].pointer = p0;
    slices->base.fragments[0].size = s0;
    slices->base.fragments[1].pointer = p1;
    slices->base.fragments[1].size = s1;
    slices->stride = (size_t)f->word_size * f->buffer_length;
    slices->count = f->channel_count;
    writer->samples_open = true;
    writer->samples_index = index;
    writer->samples_count = count;
    return MXL_STATUS_OK;
}

mxlStatus mxlFlowWriterCancelSamples(mxlFlowWriter writer)
{
    mxlStatus st = check_audio_writer(writer, "mxlFlowWriterCancelSamples");
    if (st == MXL_STATUS_OK)
        writer->samples_open = false;
    return st;
}

/* §7.4: whether this commit must wake readers, so upstream readers see the wake pattern an upstream writer makes. */
static bool should_wake(mxlFlowWriter w, uint64_t head)
{
    uint64_t b = head / w->sync_s;
    if (b < w->sync_last)
        return false;
    if (b == w->sync_last) {
        if (head % w->sync_s > w->sync_e) {
            w->sync_last = b + 1;
            return true;
        }
        return false;
    }
    w->sync_last = b;
    return true;
}

mxlStatus mxlFlowWriterCommitSamples(mxlFlowWriter writer)
{
    mxlStatus st = check_audio_writer(writer, "mxlFlowWriterCommitSamples");
    if (st != MXL_STATUS_OK)
        return st;
    if (!writer->samples_open)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowWriterCommitSamples: no samples are open (open some first)");
    mxl_flow* f = &writer->flow;
    uint64_t index = writer->samples_index;
    writer->samples_open = false;
    mxl_head_max(&f->info->runtime.headIndex, index);
    STORE(&f->info->runtime.lastWriteTime, mxl_now_tai()); /* §14 item 13: upstream never updates it here */
    if (should_wake(writer, index)) {
        __atomic_fetch_add(f->sync, 1u, __ATOMIC_SEQ_CST);
        mxl_futex_wake_all(f->sync);
    }
    return MXL_STATUS_OK;
}

/* ---- reader ---------------------------------------------------------------------------------------------------- */

typedef struct samples_req
{
    mxlFlowReader reader;
    uint64_t index;
    size_t count;
    mxlWrappedMultiBufferSlice* out;
} samples_req;

/* §7.3 reader rule: TOO_EARLY past the head; at most L/2 samples readable, starting at or after head - L/2. */
static mxlStatus samples_rule(void* ctx)
{
    samples_req* q = ctx;
    mxl_flow* f = &q->reader->flow;
    uint64_t head = LOAD(&f->info->runtime.headIndex);
    uint64_t half = f->buffer_length / 2;
    if (q->count > half)
        return mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_LATE, "%zu samples exceed the maximum of %llu per read (half the "
                        "ring)", q->count, (unsigned long long)half);
    if (q->index > head)
        return mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_EARLY, "sample %llu is not written yet (head is %llu)",
                        (unsigned long long)q->index, (unsigned long long)head);
    uint64_t min = head >= half ? head - half : 0;
    if (q->index < min || q->index - min < q->count)
        return mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_LATE, "samples [%llu, %llu) are older than the readable window "
                        "[%llu, %llu)", (unsigned long long)(q->index - q->count), (unsigned long long)q->index,
                        (unsigned long long)min, (unsigned long long)head);
    uint8_t *p0, *p1;
    size_t s0, s1;
    fragments(f, q->index, q->count, &p0, &s0, &p1, &s1);
    q->out->base.fragments[0].pointer = p0;
    q->out->base.fragments[0].size = s0;
    q->out->base.fragments[1].pointer = p1;
    q->out->base.fragments[1].size = s1;
    q->out->stride = (size_t)f->word_size * f->buffer_length;
    q->out->count = f->channel_count;
    return MXL_STATUS_OK;
}

/* Read activity for continuous flows (our extension, docs/formats.md): touch the atime of `channels` at most every
 * 10 ms; the writer's watcher turns it into lastReadTime. Upstream readers never do this. */
static void touch_channels(mxlFlowReader r)
{
    if (r->inspect)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    uint64_t t = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
    if (t - r->last_touch < 10000000ULL)
        return;
    r->last_touch = t;
    struct timespec ts[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    futimens(r->flow.chfd, ts);
}

static mxlStatus get_samples(mxlFlowReader reader, uint64_t index, size_t count, bool blocking, uint64_t timeout_ns,
                             mxlWrappedMultiBufferSlice* slices, char const* fn)
{
    if (slices == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "%s: slices must not be NULL", fn);
    if (!mxl_reader_ok(reader))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "%s: invalid reader", fn);
    if (mxl_is_discrete(&reader->flow))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "%s: flow %s is a grain flow, not an audio flow", fn,
                        reader->flow.id);
    samples_req q = {reader, index, count, slices};
    mxlStatus st = blocking
                       ? mxl_wait_rule(reader->flow.sync, mxl_deadline_from_timeout(timeout_ns), samples_rule, &q)
                       : samples_rule(&q);
    if (st == MXL_STATUS_OK)
        touch_channels(reader);
    return mxl_stale_check(reader, st);
}

mxlStatus mxlFlowReaderGetSamples(mxlFlowReader reader, uint64_t index, size_t count, uint64_t timeoutNs,
                                  mxlWrappedMultiBufferSlice* slices)
{
    return get_samples(reader, index, count, true, timeoutNs, slices, "mxlFlowReaderGetSamples");
}

mxlStatus mxlFlowReaderGetSamplesNonBlocking(mxlFlowReader reader, uint64_t index, size_t count,
                                             mxlWrappedMultiBufferSlice* slices)
{
    return get_samples(reader, index, count, false, 0, slices, "mxlFlowReaderGetSamplesNonBlocking");
}

mxlStatus mxlFlowReaderGetMaxReadLengthSamples(mxlFlowReader reader, size_t* out)
{
    if (out == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowReaderGetMaxReadLengthSamples: out must not be NULL");
    if (!mxl_reader_ok(reader) || mxl_is_discrete(&reader->flow))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "mxlFlowReaderGetMaxReadLengthSamples: not an audio reader");
    *out = reader->flow.buffer_length / 2;
    return MXL_STATUS_OK;
}

/* Sync-group member wait (syncgroup.c): the sample rule with an empty window, under the group deadline. */
mxlStatus mxl_samples_member_wait(mxlFlowReader r, uint64_t idx, int64_t deadline)
{
    mxlWrappedMultiBufferSlice slices;
    samples_req q = {r, idx, 0, &slices};
    mxlStatus st = mxl_wait_rule(r->flow.sync, deadline, samples_rule, &q);
    return mxl_stale_check(r, st);
}

/* The window's oldest slot is rewritten once a writer opens sample (index - count) + L, and a writer opens at most
 * L/2 samples past its head: so the window is intact while head + L/2 < index - count + L. */
mxlStatus mxlFlowReaderSamplesIntact(mxlFlowReader reader, uint64_t index, size_t count)
{
    if (!mxl_reader_ok(reader) || mxl_is_discrete(&reader->flow))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "mxlFlowReaderSamplesIntact: not an audio reader");
    mxl_flow const* f = &reader->flow;
    __atomic_thread_fence(__ATOMIC_ACQUIRE); /* order the caller's sample reads before the re-check */
    uint64_t head = LOAD(&f->info->runtime.headIndex);
    uint64_t start = index >= count ? index - count : 0;
    uint64_t L = f->buffer_length;
    if (head + L / 2 >= start + L)
        return mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_LATE, "samples [%llu, %llu) may have been overwritten while in use "
                        "(head is now %llu)", (unsigned long long)start, (unsigned long long)index,
                        (unsigned long long)head);
    return MXL_STATUS_OK;
}
