/* Shared futex on the flow's syncCounter (MXL-FORMAT.md §8.1) and the process-wide interrupt flag. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static _Atomic(volatile sig_atomic_t const*) interrupt_flag;

void mxlSetInterruptFlag(volatile sig_atomic_t const* flag)
{
    atomic_store(&interrupt_flag, flag);
}

bool mxl_interrupted(void)
{
    volatile sig_atomic_t const* f = atomic_load_explicit(&interrupt_flag, memory_order_relaxed);
    return f != NULL && *f != 0;
}

/* Wake every waiter, in any process: no FUTEX_PRIVATE_FLAG, as upstream readers wait with a shared futex. */
void mxl_futex_wake_all(uint32_t* word)
{
    syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Sleep while *word == expected, until the absolute CLOCK_REALTIME deadline. FUTEX_WAIT_BITSET with
 * FUTEX_CLOCK_REALTIME takes the absolute deadline directly (no now() per iteration), and is woken by upstream's
 * plain FUTEX_WAKE (§8.1). While an interrupt flag is registered, each sleep is capped to MXL_INTERRUPT_SLICE_NS
 * so a signal that lands between the caller's last check and the sleep is noticed within one slice. */
int mxl_futex_wait(uint32_t const* word, uint32_t expected, int64_t deadline_ns)
{
    int64_t until = deadline_ns;
    bool capped = false;
    if (atomic_load_explicit(&interrupt_flag, memory_order_relaxed) != NULL) {
        if (mxl_interrupted())
            return EINTR;
        int64_t slice = mxl_realtime_now_ns() + (int64_t)MXL_INTERRUPT_SLICE_NS;
        if (slice < until) {
            until = slice;
            capped = true;
        }
    }
    if (until <= 0)
        return ETIMEDOUT;
    struct timespec ts = {(time_t)(until / 1000000000LL), (long)(until % 1000000000LL)};
    long r = syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, expected, &ts, NULL,
                     FUTEX_BITSET_MATCH_ANY);
    if (r == 0)
        return 0;
    int e = errno;
    if (e == EAGAIN)
        return 0; /* value already changed */
    if (e == ETIMEDOUT)
        return capped ? 0 : ETIMEDOUT;
    if (e == EINTR)
        return mxl_interrupted() ? EINTR : 0;
    return e;
}
