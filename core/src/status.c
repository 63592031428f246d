/* Status names, short codes and messages, all from one list. */
#include "internal.h"

/* X(value, short code, message) */
#define MXL_STATUS_MAP(X)                                                                                         \
    X(MXL_STATUS_OK, "OK", "success")                                                                             \
    X(MXL_ERR_UNKNOWN, "UNKNOWN", "unexpected failure")                                                           \
    X(MXL_ERR_FLOW_NOT_FOUND, "NOT_FOUND", "flow not found")                                                      \
    X(MXL_ERR_OUT_OF_RANGE_TOO_LATE, "TOO_LATE", "requested data was already overwritten")                        \
    X(MXL_ERR_OUT_OF_RANGE_TOO_EARLY, "TOO_EARLY", "requested data is not available yet")                         \
    X(MXL_ERR_INVALID_FLOW_READER, "INVALID_FLOW_READER", "invalid flow reader")                                  \
    X(MXL_ERR_INVALID_FLOW_WRITER, "INVALID_FLOW_WRITER", "invalid flow writer")                                  \
    X(MXL_ERR_TIMEOUT, "TIMEOUT", "timed out")                                                                    \
    X(MXL_ERR_INVALID_ARG, "INVALID_ARG", "invalid argument")                                                     \
    X(MXL_ERR_CONFLICT, "CONFLICT", "conflict")                                                                   \
    X(MXL_ERR_PERMISSION_DENIED, "PERMISSION_DENIED", "permission denied")                                        \
    X(MXL_ERR_FLOW_INVALID, "FLOW_INVALID", "flow was deleted or recreated")                                      \
    X(MXL_ERR_STRLEN, "STRLEN", "string too long")                                                                \
    X(MXL_ERR_INTERRUPTED, "INTERRUPTED", "interrupted")                                                          \
    X(MXL_ERR_NO_FABRIC, "NO_FABRIC", "no fabric provider")                                                       \
    X(MXL_ERR_INVALID_STATE, "INVALID_STATE", "invalid state")                                                    \
    X(MXL_ERR_INTERNAL, "INTERNAL", "internal error")                                                             \
    X(MXL_ERR_NOT_READY, "NOT_READY", "not ready")                                                                \
    X(MXL_ERR_NOT_FOUND, "NOT_FOUND", "not found")                                                                \
    X(MXL_ERR_EXISTS, "EXISTS", "already exists")                                                                 \
    X(MXL_ERR_UNSUPPORTED_OPERATION, "UNSUPPORTED_OPERATION", "unsupported operation")

char const* mxlStatusName(mxlStatus status)
{
    switch (status)
    {
#define X(value, code, message)                                                                                   \
    case value: return #value;
        MXL_STATUS_MAP(X)
#undef X
    }
    return "MXL_STATUS_UNKNOWN_VALUE";
}

char const* mxlStatusCode(mxlStatus status)
{
    switch (status)
    {
#define X(value, code, message)                                                                                   \
    case value: return code;
        MXL_STATUS_MAP(X)
#undef X
    }
    return "UNKNOWN";
}

char const* mxlStatusMessage(mxlStatus status)
{
    switch (status)
    {
#define X(value, code, message)                                                                                   \
    case value: return message;
        MXL_STATUS_MAP(X)
#undef X
    }
    return "unknown status value";
}
