/* mxl/flowinfo.h - the shared-memory flow header stored at offset 0 of every flow's `data` file.
 * Layout is fixed by MXL-FORMAT.md §3: every structure here is padding-free, native byte order. */
#ifndef MXL_FLOWINFO_H
#define MXL_FLOWINFO_H

#ifdef __cplusplus
#   include <cstdint>
#else
#   include <stdint.h>
#endif

#include <mxl/dataformat.h>
#include <mxl/platform.h>
#include <mxl/rational.h>

#define MXL_MAX_PLANES_PER_GRAIN 4

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mxlPayloadLocation
{
    MXL_PAYLOAD_LOCATION_HOST_MEMORY = 0,
    MXL_PAYLOAD_LOCATION_DEVICE_MEMORY = 1,
} mxlPayloadLocation;

/** Format-independent, immutable flow configuration (128 bytes, `data` offset 8). */
typedef struct mxlCommonFlowConfigInfo_t
{
    uint8_t id[16];                  /**< flow UUID bytes in textual order */
    uint32_t format;                 /**< mxlDataFormat */
    uint32_t flags;                  /**< no flags defined: 0 */
    mxlRational grainRate;           /**< grain (field) rate, or sample rate for audio */
    uint32_t maxCommitBatchSizeHint; /**< slices or samples per commit */
    uint32_t maxSyncBatchSizeHint;   /**< slices or samples per reader wake-up */
    uint32_t payloadLocation;        /**< mxlPayloadLocation */
    int32_t deviceIndex;             /**< -1 for host memory */
    uint8_t reserved[72];
} mxlCommonFlowConfigInfo;

/** Discrete (video, data) ring geometry (64 bytes, `data` offset 136). */
typedef struct mxlDiscreteFlowConfigInfo_t
{
    uint32_t sliceSizes[MXL_MAX_PLANES_PER_GRAIN]; /**< bytes per slice of each plane, unused planes 0 */
    uint32_t grainCount;                           /**< ring length in grains */
    uint8_t reserved[44];
} mxlDiscreteFlowConfigInfo;

/** Continuous (audio) ring geometry (64 bytes, `data` offset 136). */
typedef struct mxlContinuousFlowConfigInfo_t
{
    uint32_t channelCount; /**< number of channel rings */
    uint32_t bufferLength; /**< samples per channel ring */
    uint8_t reserved[56];
} mxlContinuousFlowConfigInfo;

/** Immutable flow configuration: `data` bytes 8..199. */
typedef struct mxlFlowConfigInfo_t
{
    mxlCommonFlowConfigInfo common;
    union
    {
        mxlDiscreteFlowConfigInfo discrete;
        mxlContinuousFlowConfigInfo continuous;
    };
} mxlFlowConfigInfo;

/** Mutable runtime state, updated by writers: `data` bytes 200..263. */
typedef struct mxlFlowRuntimeInfo_t
{
    uint64_t headIndex;     /**< last committed grain or sample index */
    uint64_t lastWriteTime; /**< TAI ns of the last commit */
    uint64_t lastReadTime;  /**< TAI ns of the last observed read */
    uint8_t reserved[40];
} mxlFlowRuntimeInfo;

/** The 2048-byte public flow header. */
typedef struct mxlFlowInfo_t
{
    uint32_t version; /**< 1 */
    uint32_t size;    /**< 2048 */
    mxlFlowConfigInfo config;
    mxlFlowRuntimeInfo runtime;
    uint8_t reserved[1784];
} mxlFlowInfo;

#ifdef __cplusplus
}
#endif

#endif /* MXL_FLOWINFO_H */
