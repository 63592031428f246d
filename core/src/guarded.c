/* mxlFlowReaderCopyGrain: a copy of a grain that can never fault.
 *
 * A zero-copy reader touches memory mapped from files it does not own. If another process truncates a grain or
 * data file after we mapped it (a hostile or broken peer; our writers never do), touching the lost pages raises
 * SIGBUS. We validate sizes at open and map exactly header + payload, but nothing can stop a later truncation, and
 * a library must not install a process-wide SIGBUS handler. This copy reads every byte it needs (head, slot header,
 * sequence block, payload) through process_vm_readv on our own process: the kernel does the copy and reports a lost
 * page as EFAULT instead of a signal. One syscall per part, so about memcpy speed for large grains. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "objects.h"

/* Copy `len` bytes from our own address `src` to `dst` through the kernel. 0, or -errno (EFAULT: page gone). */
static int guarded_read(void* dst, void const* src, size_t len)
{
    pid_t me = getpid();
    size_t done = 0;
    while (done < len) {
        struct iovec local = {(uint8_t*)dst + done, len - done};
        struct iovec remote = {(void*)((uint8_t const*)src + done), len - done};
        ssize_t n = process_vm_readv(me, &local, 1, &remote, 1, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EFAULT; /* the first page of the rest is gone */
        done += (size_t)n;
    }
    return 0;
}

typedef struct
{
    mxlGrainInfo info;
    mxl_grain_ext ext;
} slot_snapshot;

static int snapshot(mxl_flow const* f, uint32_t slot, slot_snapshot* s)
{
    int r = guarded_read(&s->info, mxl_slot_info(f, slot), sizeof s->info);
    if (r == 0)
        r = guarded_read(&s->ext, mxl_slot_ext(f, slot), sizeof s->ext);
    return r;
}

static mxlStatus gone(mxl_flow const* f, char const* what, int r)
{
    if (r != -EFAULT) /* e.g. EPERM or ENOSYS: a seccomp profile that forbids process_vm_readv */
        return mxl_fail(MXL_ERR_UNKNOWN, "flow %s: the guarded copy cannot read %s: process_vm_readv: %s", f->id,
                        what, strerror(-r));
    return mxl_fail(MXL_ERR_FLOW_INVALID, "flow %s: %s is no longer readable (%s): the file was truncated by another "
                    "process; release this reader", f->id, what, strerror(-r));
}

mxlStatus mxlFlowReaderCopyGrain(mxlFlowReader reader, uint64_t index, mxlGrainInfo* grain, void* dst, size_t dstSize)
{
    if (grain == NULL || dst == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowReaderCopyGrain: grain and dst must not be NULL");
    if (!mxl_reader_ok(reader))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "mxlFlowReaderCopyGrain: invalid reader");
    mxl_flow* f = &reader->flow;
    if (!mxl_is_discrete(f))
        return mxl_fail(MXL_ERR_INVALID_FLOW_READER, "mxlFlowReaderCopyGrain: flow %s is an audio flow", f->id);
    if (dstSize < f->grain_size) {
        grain->grainSize = f->grain_size; /* the size to allocate, as mxlGetFlowDef reports its size */
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlFlowReaderCopyGrain: dst holds %zu bytes, the grain %u", dstSize,
                        f->grain_size);
    }

    /* §7.1 on copies: head, then the slot's header and sequence block. */
    uint64_t head;
    int r = guarded_read(&head, &f->info->runtime.headIndex, sizeof head);
    if (r != 0)
        return gone(f, "data", r);
    uint64_t G = f->grain_count;
    if (index > head) {
        mxlStatus st = mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_EARLY, "grain %llu is not written yet (head is %llu)",
                                (unsigned long long)index, (unsigned long long)head);
        if (!mxl_flow_is_current(reader->inst, f))
            st = mxl_fail(MXL_ERR_FLOW_INVALID, "flow %s was deleted or recreated: release this reader", f->id);
        return st;
    }
    if (index < (head >= G ? head - G + 1 : 0))
        return mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_LATE, "grain %llu is older than the ring window",
                        (unsigned long long)index);
    uint32_t slot = (uint32_t)(index % G);
    slot_snapshot before, after;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if ((r = snapshot(f, slot, &before)) != 0)
        return gone(f, "a grain header", r);
    if (before.info.index != index)
        return mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_LATE, "grain %llu was overwritten by grain %llu",
                        (unsigned long long)index, (unsigned long long)before.info.index);
    bool invalid = (before.info.flags & MXL_GRAIN_FLAG_INVALID) != 0;
    if (before.info.validSlices < f->total_slices && !invalid)
        return mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_EARLY, "grain %llu has %u of its %u slices",
                        (unsigned long long)index, before.info.validSlices, f->total_slices);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if ((r = guarded_read(dst, f->slots[slot].map.base + MXL_GRAIN_HEADER_SIZE, f->grain_size)) != 0)
        return gone(f, "a grain payload", r);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    /* read-then-verify: the slot still holds `index` and was not reopened during the copy */
    if ((r = snapshot(f, slot, &after)) != 0)
        return gone(f, "a grain header", r);
    bool ours = before.ext.magic == MXL_GRAIN_EXT_MAGIC;
    if (after.info.index != index || (ours && after.ext.seq != before.ext.seq))
        return mxl_fail(MXL_ERR_OUT_OF_RANGE_TOO_LATE, "grain %llu was overwritten while it was copied",
                        (unsigned long long)index);
    *grain = before.info;
    grain->index = index;
    grain->grainSize = f->grain_size;
    grain->totalSlices = f->total_slices;
    return MXL_STATUS_OK;
}
