/* mxl/rational.h - exact rational rates (grain rate, sample rate). */
#ifndef MXL_RATIONAL_H
#define MXL_RATIONAL_H

#ifdef __cplusplus
#   include <cstdint>
#else
#   include <stdint.h>
#endif

#include <mxl/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Index value meaning "no index": returned by the time conversions for invalid rates. */
#define MXL_UNDEFINED_INDEX UINT64_MAX

/** A rate as numerator/denominator, for example 30000/1001 frames per second or 48000/1 samples per second. */
typedef struct mxlRational_t
{
    int64_t numerator;
    int64_t denominator;
} mxlRational;

#ifdef __cplusplus
}
#endif

#endif /* MXL_RATIONAL_H */
