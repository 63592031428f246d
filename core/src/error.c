/* Thread-local last error: every failing public call records a precise message here. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define MXL_ERROR_MAX 1024

static _Thread_local char last_message[MXL_ERROR_MAX];
static _Thread_local mxlStatus last_status = MXL_STATUS_OK;

mxlStatus mxl_vfail(mxlStatus status, char const* fmt, va_list ap)
{
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    last_status = status;
    return status;
}

mxlStatus mxl_fail(mxlStatus status, char const* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mxl_vfail(status, fmt, ap);
    va_end(ap);
    return status;
}

mxlStatus mxl_fail_context(char const* fmt, ...)
{
    char prefix[MXL_ERROR_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t plen = strlen(prefix);
    size_t olen = strlen(last_message);
    if (plen + 2 + olen >= MXL_ERROR_MAX)
        olen = MXL_ERROR_MAX - plen - 3;
    memmove(last_message + plen + 2, last_message, olen);
    last_message[plen + 2 + olen] = 0;
    memcpy(last_message, prefix, plen);
    memcpy(last_message + plen, ": ", 2);
    return last_status;
}

mxlStatus mxl_errno_status(int err, mxlStatus other)
{
    return (err == EACCES || err == EPERM || err == EROFS) ? MXL_ERR_PERMISSION_DENIED : other;
}

char const* mxlGetLastErrorMessage(void)
{
    return last_message;
}

mxlStatus mxlGetLastErrorStatus(void)
{
    return last_status;
}
