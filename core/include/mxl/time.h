/* mxl/time.h - TAI clock and exact index/timestamp conversions (MXL-FORMAT.md §10). */
#ifndef MXL_TIME_H
#define MXL_TIME_H

#ifdef __cplusplus
#   include <cstdint>
#else
#   include <stdint.h>
#endif

#include <mxl/platform.h>
#include <mxl/rational.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Index of the grain or sample that owns the current TAI time; MXL_UNDEFINED_INDEX for an invalid rate. */
MXL_EXPORT uint64_t mxlGetCurrentIndex(mxlRational const* editRate);

/** Nanoseconds from now until `index` starts; 0 if it has started; MXL_UNDEFINED_INDEX for an invalid rate. */
MXL_EXPORT uint64_t mxlGetNsUntilIndex(uint64_t index, mxlRational const* editRate);

/** Round-half-up conversion of a TAI timestamp (ns) to an index. */
MXL_EXPORT uint64_t mxlTimestampToIndex(mxlRational const* editRate, uint64_t timestamp);

/** Round-half-up conversion of an index to its TAI timestamp (ns). */
MXL_EXPORT uint64_t mxlIndexToTimestamp(mxlRational const* editRate, uint64_t index);

/** Sleep for `ns` nanoseconds on CLOCK_TAI (not resumed after a signal). */
MXL_EXPORT void mxlSleepForNs(uint64_t ns);

/** Sleep until the absolute TAI time `timestamp`. */
MXL_EXPORT void mxlSleepUntil(uint64_t timestamp);

/** Current TAI time in ns since 1970-01-01 TAI; 0 if the clock cannot be read. */
MXL_EXPORT uint64_t mxlGetTime(void);

#ifdef __cplusplus
}
#endif

#endif /* MXL_TIME_H */
