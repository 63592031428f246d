/* mxl/dataformat.h - the kinds of media a flow can carry. */
#ifndef MXL_DATAFORMAT_H
#define MXL_DATAFORMAT_H

#ifdef __cplusplus
#   include <cstdint>
#else
#   include <stdint.h>
#endif

#include <mxl/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Payload bytes of one ancillary-data (video/smpte291) grain. */
#define MXL_DATA_FORMAT_GRAIN_SIZE 4096

typedef enum mxlDataFormat
{
    MXL_DATA_FORMAT_UNSPECIFIED = 0,
    MXL_DATA_FORMAT_VIDEO = 1,
    MXL_DATA_FORMAT_AUDIO = 2,
    MXL_DATA_FORMAT_DATA = 3,
} mxlDataFormat;

/* These helpers are static inline (not plain C99 inline), so an unoptimised C build links without an external
 * definition (MXL-FORMAT.md §14 item 17). Source-compatible with upstream callers. */
static inline int mxlIsValidDataFormat(uint32_t format)
{
    return format == MXL_DATA_FORMAT_VIDEO || format == MXL_DATA_FORMAT_AUDIO || format == MXL_DATA_FORMAT_DATA;
}

static inline int mxlIsSupportedDataFormat(uint32_t format)
{
    return mxlIsValidDataFormat(format);
}

static inline int mxlIsDiscreteDataFormat(uint32_t format)
{
    return format == MXL_DATA_FORMAT_VIDEO || format == MXL_DATA_FORMAT_DATA;
}

static inline int mxlIsContinuousDataFormat(uint32_t format)
{
    return format == MXL_DATA_FORMAT_AUDIO;
}

#ifdef __cplusplus
}
#endif

#endif /* MXL_DATAFORMAT_H */
