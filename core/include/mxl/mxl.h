/* mxl/mxl.h - status codes, version and the instance (one per domain). */
#ifndef MXL_MXL_H
#define MXL_MXL_H

#ifdef __cplusplus
#   include <cstdint>
#else
#   include <stdbool.h>
#   include <stdint.h>
#endif

#include <mxl/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Result of every MXL call. Values are fixed by MXL-FORMAT.md §11.2. */
typedef enum mxlStatus
{
    MXL_STATUS_OK = 0,
    MXL_ERR_UNKNOWN = 1,
    MXL_ERR_FLOW_NOT_FOUND = 2,
    MXL_ERR_OUT_OF_RANGE_TOO_LATE = 3,
    MXL_ERR_OUT_OF_RANGE_TOO_EARLY = 4,
    MXL_ERR_INVALID_FLOW_READER = 5,
    MXL_ERR_INVALID_FLOW_WRITER = 6,
    MXL_ERR_TIMEOUT = 7,
    MXL_ERR_INVALID_ARG = 8,
    MXL_ERR_CONFLICT = 9,
    MXL_ERR_PERMISSION_DENIED = 10,
    MXL_ERR_FLOW_INVALID = 11,

    MXL_ERR_STRLEN = 1024,
    MXL_ERR_INTERRUPTED = 1025,
    MXL_ERR_NO_FABRIC = 1026,
    MXL_ERR_INVALID_STATE = 1027,
    MXL_ERR_INTERNAL = 1028,
    MXL_ERR_NOT_READY = 1029,
    MXL_ERR_NOT_FOUND = 1030,
    MXL_ERR_EXISTS = 1031,
    MXL_ERR_UNSUPPORTED_OPERATION = 1032,
} mxlStatus;

/** Library version. `full` is a static string owned by the library. */
typedef struct mxlVersionType
{
    uint16_t major;
    uint16_t minor;
    uint16_t bugfix;
    uint16_t build;
    char const* full;
} mxlVersionType;

/** An instance binds the calling process to one domain directory. */
typedef struct mxlInstance_t* mxlInstance;

/** Fill *out_version. NULL gives MXL_ERR_INVALID_ARG. */
MXL_EXPORT mxlStatus mxlGetVersion(mxlVersionType* out_version);

/** Open the domain directory `in_mxlDomain` (must exist). `in_options` may be NULL; it is parsed and otherwise
 * unused. Returns NULL on failure; mxlGetLastErrorMessage() (mxl/ext.h) tells why. */
MXL_EXPORT mxlInstance mxlCreateInstance(char const* in_mxlDomain, char const* in_options);

/** Delete inactive flows of the domain (no writer holds a lock). */
MXL_EXPORT mxlStatus mxlGarbageCollectFlows(mxlInstance in_instance);

/** Release every writer, reader and sync group of the instance. A leaked writer that is the last one attached to
 * its flow deletes the flow. NULL gives MXL_ERR_INVALID_ARG. */
MXL_EXPORT mxlStatus mxlDestroyInstance(mxlInstance in_instance);

/** Tell whether `in_path` is on tmpfs or ramfs. */
MXL_EXPORT mxlStatus mxlIsTmpFs(char const* in_path, bool* out_isTmpFs);

#ifdef __cplusplus
}
#endif

#endif /* MXL_MXL_H */
