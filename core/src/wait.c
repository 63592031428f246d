/* The blocking wait shared by discrete reads, continuous reads and sync groups (MXL-FORMAT.md §7.5). */
#include <errno.h>

#include "objects.h"

/* Load the futex word BEFORE evaluating the rule, so a commit in between changes the word and the futex wait
 * returns at once. At the deadline the rule is evaluated once more (§14 item 19): a continuous writer may have
 * published data without a wake (§7.4), and it is already there. */
mxlStatus mxl_wait_rule(uint32_t* sync, int64_t deadline, mxl_rule_fn rule, void* ctx)
{
    for (;;) {
        uint32_t seen = __atomic_load_n(sync, __ATOMIC_ACQUIRE);
        mxlStatus r = rule(ctx);
        if (r != MXL_ERR_OUT_OF_RANGE_TOO_EARLY)
            return r;
        for (;;) {
            if (__atomic_load_n(sync, __ATOMIC_ACQUIRE) != seen)
                break;
            if (mxl_interrupted())
                return mxl_fail(MXL_ERR_INTERRUPTED, "wait interrupted by a signal");
            if (mxl_realtime_now_ns() >= deadline) {
                r = rule(ctx);
                if (r == MXL_ERR_OUT_OF_RANGE_TOO_EARLY)
                    mxl_fail_context("timed out");
                return r;
            }
            int w = mxl_futex_wait(sync, seen, deadline);
            if (w == EINTR && mxl_interrupted())
                return mxl_fail(MXL_ERR_INTERRUPTED, "wait interrupted by a signal");
            if (w == ETIMEDOUT)
                continue; /* the deadline check above re-evaluates once and returns */
        }
    }
}
