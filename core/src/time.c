/* TAI clock and exact index/timestamp conversions (MXL-FORMAT.md §10). */
#include <errno.h>
#include <time.h>

#include "internal.h"

#ifndef CLOCK_TAI
#   define CLOCK_TAI 11
#endif

typedef __int128 i128;

static int rate_valid(mxlRational const* r)
{
    return r != NULL && r->numerator != 0 && r->denominator != 0;
}

uint64_t mxlGetTime(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_TAI, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int64_t mxl_realtime_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* §7.5: the deadline is now + timeout in int64 with wrap-around; a timeout above INT64_MAX or a sum that overflows
 * lands in the past, so the call behaves as non-blocking (upstream's behaviour, kept for compatibility). */
int64_t mxl_deadline_from_timeout(uint64_t timeout_ns)
{
    uint64_t sum = (uint64_t)mxl_realtime_now_ns() + timeout_ns;
    return (int64_t)sum;
}

/* §10.2: round half up of t*N/(D*1e9); t is reinterpreted as int64 and the division truncates toward zero. */
uint64_t mxlTimestampToIndex(mxlRational const* editRate, uint64_t timestamp)
{
    if (!rate_valid(editRate))
        return MXL_UNDEFINED_INDEX;
    i128 t = (i128)(int64_t)timestamp;
    i128 n = editRate->numerator;
    i128 d = editRate->denominator;
    i128 q = (t * n + (i128)500000000 * d) / ((i128)1000000000 * d);
    return (uint64_t)q;
}

/* §10.2: round half up of i*D*1e9/N; index 0 gives 0 even for an invalid rate; a computed 0 for a non-zero index
 * gives MXL_UNDEFINED_INDEX (upstream quirk, only reachable with absurd rates). */
uint64_t mxlIndexToTimestamp(mxlRational const* editRate, uint64_t index)
{
    if (editRate == NULL)
        return MXL_UNDEFINED_INDEX;
    if (!rate_valid(editRate))
        return index == 0 ? 0 : MXL_UNDEFINED_INDEX;
    i128 n = editRate->numerator;
    i128 d = editRate->denominator;
    /* index * D * 1e9 can exceed 128 bits with absurd rates (signed overflow is undefined behaviour). Then the
     * exact result is at least 2^127 / |N| > 2^64 in magnitude, not representable anyway: UNDEFINED. */
    i128 q;
    if (__builtin_mul_overflow((i128)index, d, &q) || __builtin_mul_overflow(q, (i128)1000000000, &q) ||
        __builtin_add_overflow(q, n / 2, &q))
        return MXL_UNDEFINED_INDEX;
    q /= n;
    uint64_t r = (uint64_t)(int64_t)q;
    if (r == 0 && index != 0)
        return MXL_UNDEFINED_INDEX;
    return r;
}

uint64_t mxlGetCurrentIndex(mxlRational const* editRate)
{
    if (!rate_valid(editRate))
        return MXL_UNDEFINED_INDEX;
    uint64_t now = mxlGetTime();
    if (now == 0)
        return MXL_UNDEFINED_INDEX;
    return mxlTimestampToIndex(editRate, now);
}

uint64_t mxlGetNsUntilIndex(uint64_t index, mxlRational const* editRate)
{
    if (!rate_valid(editRate))
        return MXL_UNDEFINED_INDEX;
    uint64_t target = mxlIndexToTimestamp(editRate, index);
    if (target == MXL_UNDEFINED_INDEX)
        return MXL_UNDEFINED_INDEX;
    uint64_t now = mxlGetTime();
    if (now == 0)
        return 0;
    return target > now ? target - now : 0;
}

void mxlSleepForNs(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL)};
    clock_nanosleep(CLOCK_TAI, 0, &ts, NULL);
}

void mxlSleepUntil(uint64_t timestamp)
{
    struct timespec ts = {(time_t)(timestamp / 1000000000ULL), (long)(timestamp % 1000000000ULL)};
    clock_nanosleep(CLOCK_TAI, TIMER_ABSTIME, &ts, NULL);
}
