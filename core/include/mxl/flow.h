/* mxl/flow.h - flow writers and readers, grains (discrete), samples (continuous) and sync groups.
 * Behaviour follows MXL-FORMAT.md §7 and §11.4. */
#ifndef MXL_FLOW_H
#define MXL_FLOW_H

#ifdef __cplusplus
#   include <cstddef>
#   include <cstdint>
#else
#   include <stdbool.h>
#   include <stddef.h>
#   include <stdint.h>
#endif

#include <mxl/flowinfo.h>
#include <mxl/mxl.h>
#include <mxl/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Grain flag: the writer declares this grain's payload invalid (readers get it regardless of slices). */
#define MXL_GRAIN_FLAG_INVALID 0x00000001

/** minValidSlices values for the slice readers. */
#define MXL_GRAIN_VALID_SLICES_ANY ((uint16_t)0)
#define MXL_GRAIN_VALID_SLICES_ALL ((uint16_t)UINT16_MAX)

/** A run of read-only bytes. */
typedef struct mxlBufferSlice_t
{
    void const* pointer;
    size_t size;
} mxlBufferSlice;

/** A run of writable bytes. */
typedef struct mxlMutableBufferSlice_t
{
    void* pointer;
    size_t size;
} mxlMutableBufferSlice;

/** A ring window: fragments[1] is non-empty when it wraps. */
typedef struct mxlWrappedBufferSlice_t
{
    mxlBufferSlice fragments[2];
} mxlWrappedBufferSlice;

typedef struct mxlMutableWrappedBufferSlice_t
{
    mxlMutableBufferSlice fragments[2];
} mxlMutableWrappedBufferSlice;

/** The same window in `count` channel rings, `stride` bytes apart. */
typedef struct mxlWrappedMultiBufferSlice_t
{
    mxlWrappedBufferSlice base;
    size_t stride;
    size_t count;
} mxlWrappedMultiBufferSlice;

typedef struct mxlMutableWrappedMultiBufferSlice_t
{
    mxlMutableWrappedBufferSlice base;
    size_t stride;
    size_t count;
} mxlMutableWrappedMultiBufferSlice;

/** The 4096-byte grain header at offset 0 of each grain file (MXL-FORMAT.md §3.3). */
typedef struct mxlGrainInfo_t
{
    uint32_t version;     /**< 1 */
    uint32_t size;        /**< 4096 */
    uint64_t index;       /**< absolute grain index last opened into this slot */
    uint32_t flags;       /**< MXL_GRAIN_FLAG_* */
    uint32_t grainSize;   /**< payload bytes of a complete grain */
    uint16_t totalSlices; /**< slices of a complete grain */
    uint16_t validSlices; /**< leading slices committed so far */
    uint8_t reserved[4068];
} mxlGrainInfo;

typedef struct mxlFlowReader_t* mxlFlowReader;
typedef struct mxlFlowWriter_t* mxlFlowWriter;
typedef struct mxlFlowSynchronizationGroup_t* mxlFlowSynchronizationGroup;

/* ---- lifecycle ---------------------------------------------------------------------------------------------- */

/** Create the flow described by the NMOS JSON `flowDef`, or attach to it if it exists (`*created` = false).
 * `options` (nullable) is a JSON object with maxCommitBatchSizeHint / maxSyncBatchSizeHint. `configInfo` and
 * `created` are nullable. */
MXL_EXPORT mxlStatus mxlCreateFlowWriter(mxlInstance instance, char const* flowDef, char const* options,
                                         mxlFlowWriter* writer, mxlFlowConfigInfo* configInfo, bool* created);

/** Drop one reference; the last one of the last writer in any process deletes the flow. */
MXL_EXPORT mxlStatus mxlReleaseFlowWriter(mxlInstance instance, mxlFlowWriter writer);

/** Open a flow read-only by id (lenient UUID forms accepted). `options` is ignored. */
MXL_EXPORT mxlStatus mxlCreateFlowReader(mxlInstance instance, char const* flowId, char const* options,
                                         mxlFlowReader* reader);

MXL_EXPORT mxlStatus mxlReleaseFlowReader(mxlInstance instance, mxlFlowReader reader);

/** *isActive = some writer, in any process, is attached to the flow. */
MXL_EXPORT mxlStatus mxlIsFlowActive(mxlInstance instance, char const* flowId, bool* isActive);

/** Copy the stored flow definition (plus NUL) into buffer. A NULL or short buffer gives MXL_ERR_INVALID_ARG and
 * the required size in *bufferSize. */
MXL_EXPORT mxlStatus mxlGetFlowDef(mxlInstance instance, char const* flowId, char* buffer, size_t* bufferSize);

MXL_EXPORT mxlStatus mxlFlowReaderGetInfo(mxlFlowReader reader, mxlFlowInfo* info);
MXL_EXPORT mxlStatus mxlFlowReaderGetConfigInfo(mxlFlowReader reader, mxlFlowConfigInfo* info);
MXL_EXPORT mxlStatus mxlFlowReaderGetRuntimeInfo(mxlFlowReader reader, mxlFlowRuntimeInfo* info);

/* ---- discrete flows ----------------------------------------------------------------------------------------- */

MXL_EXPORT mxlStatus mxlFlowReaderGetGrain(mxlFlowReader reader, uint64_t index, uint64_t timeoutNs,
                                           mxlGrainInfo* grain, uint8_t** payload);
MXL_EXPORT mxlStatus mxlFlowReaderGetGrainSlice(mxlFlowReader reader, uint64_t index, uint16_t minValidSlices,
                                                uint64_t timeoutNs, mxlGrainInfo* grain, uint8_t** payload);
MXL_EXPORT mxlStatus mxlFlowReaderGetGrainNonBlocking(mxlFlowReader reader, uint64_t index, mxlGrainInfo* grain,
                                                      uint8_t** payload);
MXL_EXPORT mxlStatus mxlFlowReaderGetGrainSliceNonBlocking(mxlFlowReader reader, uint64_t index,
                                                           uint16_t minValidSlices, mxlGrainInfo* grain,
                                                           uint8_t** payload);

MXL_EXPORT mxlStatus mxlFlowWriterGetGrainInfo(mxlFlowWriter writer, uint64_t index, mxlGrainInfo* grain);
MXL_EXPORT mxlStatus mxlFlowWriterOpenGrain(mxlFlowWriter writer, uint64_t index, mxlGrainInfo* grain,
                                            uint8_t** payload);
MXL_EXPORT mxlStatus mxlFlowWriterCancelGrain(mxlFlowWriter writer);
MXL_EXPORT mxlStatus mxlFlowWriterCommitGrain(mxlFlowWriter writer, mxlGrainInfo const* grain);

/* ---- continuous flows --------------------------------------------------------------------------------------- */

MXL_EXPORT mxlStatus mxlFlowReaderGetMaxReadLengthSamples(mxlFlowReader reader, size_t* out);
MXL_EXPORT mxlStatus mxlFlowReaderGetSamples(mxlFlowReader reader, uint64_t index, size_t count, uint64_t timeoutNs,
                                             mxlWrappedMultiBufferSlice* slices);
MXL_EXPORT mxlStatus mxlFlowReaderGetSamplesNonBlocking(mxlFlowReader reader, uint64_t index, size_t count,
                                                        mxlWrappedMultiBufferSlice* slices);

MXL_EXPORT mxlStatus mxlFlowWriterGetMaxWriteLengthSamples(mxlFlowWriter writer, size_t* out);
MXL_EXPORT mxlStatus mxlFlowWriterOpenSamples(mxlFlowWriter writer, uint64_t index, size_t count,
                                              mxlMutableWrappedMultiBufferSlice* slices);
MXL_EXPORT mxlStatus mxlFlowWriterCancelSamples(mxlFlowWriter writer);
MXL_EXPORT mxlStatus mxlFlowWriterCommitSamples(mxlFlowWriter writer);

/* ---- synchronisation groups --------------------------------------------------------------------------------- */

MXL_EXPORT mxlStatus mxlCreateFlowSynchronizationGroup(mxlInstance instance, mxlFlowSynchronizationGroup* group);
MXL_EXPORT mxlStatus mxlReleaseFlowSynchronizationGroup(mxlInstance instance, mxlFlowSynchronizationGroup group);
MXL_EXPORT mxlStatus mxlFlowSynchronizationGroupAddReader(mxlFlowSynchronizationGroup group, mxlFlowReader reader);
MXL_EXPORT mxlStatus mxlFlowSynchronizationGroupAddPartialGrainReader(mxlFlowSynchronizationGroup group,
                                                                      mxlFlowReader reader,
                                                                      uint16_t minValidSlices);
MXL_EXPORT mxlStatus mxlFlowSynchronizationGroupRemoveReader(mxlFlowSynchronizationGroup group, mxlFlowReader reader);
/** Wait until every member has data at TAI time `timestamp`, under one deadline of `timeoutNs`. */
MXL_EXPORT mxlStatus mxlFlowSynchronizationGroupWaitForDataAt(mxlFlowSynchronizationGroup group, uint64_t timestamp,
                                                              uint64_t timeoutNs);

#ifdef __cplusplus
}
#endif

#endif /* MXL_FLOW_H */
