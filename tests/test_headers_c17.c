/* Public headers as plain C (MXL-FORMAT.md §11.1, §14 item 17; upstream lib/tests/all_headers.c).
 *
 * This file is built twice: as an ordinary ctest executable (test_headers_c17), and by the ctest
 * test_headers_c17_strict (tests/CMakeLists.extra.cmake), which compiles it alone with
 * `-std=c17 -pedantic-errors -Wall -Wextra -Werror -O0`, links it against the shared libmxl and runs it. At -O0 a
 * plain C99 `inline` helper in dataformat.h would have no external definition and fail to link, so the program
 * calls every helper. It includes nothing from the test helpers: only the public headers and the C library. */
#include <mxl/dataformat.h>
#include <mxl/ext.h>
#include <mxl/flow.h>
#include <mxl/flowinfo.h>
#include <mxl/mxl.h>
#include <mxl/platform.h>
#include <mxl/rational.h>
#include <mxl/time.h>
#include <mxl/version.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(mxlFlowInfo) == 2048, "mxlFlowInfo is 2048 bytes");
_Static_assert(sizeof(mxlGrainInfo) == 4096, "mxlGrainInfo is 4096 bytes");
_Static_assert(sizeof(mxlFlowConfigInfo) == 192, "mxlFlowConfigInfo is 192 bytes");
_Static_assert(sizeof(mxlWrappedMultiBufferSlice) == 48, "mxlWrappedMultiBufferSlice is 48 bytes");
_Static_assert(offsetof(mxlFlowInfo, runtime) == 200, "runtime at 200");
_Static_assert(sizeof(mxlStatus) == 4, "enums are int-sized");
_Static_assert(MXL_UNDEFINED_INDEX == UINT64_MAX, "MXL_UNDEFINED_INDEX");
_Static_assert(MXL_GRAIN_VALID_SLICES_ALL == 65535 && MXL_GRAIN_VALID_SLICES_ANY == 0, "slice constants");
_Static_assert(MXL_DATA_FORMAT_GRAIN_SIZE == 4096, "MXL_DATA_FORMAT_GRAIN_SIZE");
_Static_assert(MXL_MAX_PLANES_PER_GRAIN == 4, "MXL_MAX_PLANES_PER_GRAIN");
_Static_assert(MXL_ERR_FLOW_INVALID == 11 && MXL_ERR_UNSUPPORTED_OPERATION == 1032, "status values");

/* Struct tags as upstream spells them (§11). */
static struct mxlRational_t const tag_rational = {30000, 1001};
static struct mxlVersionType tag_version;
static enum mxlStatus tag_status = MXL_STATUS_OK;
static enum mxlDataFormat tag_format = MXL_DATA_FORMAT_AUDIO;

static int failures;

static void expect(int cond, char const* what)
{
    if (!cond) {
        fprintf(stderr, "FAILED: %s\n", what);
        failures++;
    }
}

int main(void)
{
    expect(mxlIsValidDataFormat(MXL_DATA_FORMAT_VIDEO) && mxlIsValidDataFormat(MXL_DATA_FORMAT_AUDIO) &&
               mxlIsValidDataFormat(MXL_DATA_FORMAT_DATA),
           "mxlIsValidDataFormat accepts 1, 2, 3");
    expect(!mxlIsValidDataFormat(MXL_DATA_FORMAT_UNSPECIFIED) && !mxlIsValidDataFormat(4), "mxlIsValidDataFormat rejects 0 and 4");
    expect(mxlIsSupportedDataFormat(MXL_DATA_FORMAT_DATA) && !mxlIsSupportedDataFormat(0), "mxlIsSupportedDataFormat");
    expect(mxlIsDiscreteDataFormat(MXL_DATA_FORMAT_VIDEO) && mxlIsDiscreteDataFormat(MXL_DATA_FORMAT_DATA) &&
               !mxlIsDiscreteDataFormat(MXL_DATA_FORMAT_AUDIO),
           "mxlIsDiscreteDataFormat");
    expect(mxlIsContinuousDataFormat(tag_format) && !mxlIsContinuousDataFormat(MXL_DATA_FORMAT_VIDEO),
           "mxlIsContinuousDataFormat");
    /* through function pointers too: the helpers must be addressable */
    int (*fns[4])(uint32_t) = {mxlIsValidDataFormat, mxlIsSupportedDataFormat, mxlIsDiscreteDataFormat,
                               mxlIsContinuousDataFormat};
    expect(fns[0](1) + fns[1](2) + fns[2](3) + fns[3](2) == 4, "helpers through pointers");

    /* a few library calls, so the program links against libmxl */
    expect(mxlGetVersion(&tag_version) == tag_status, "mxlGetVersion");
    expect(tag_version.major == MXL_VERSION_MAJOR && strcmp(tag_version.full, MXL_VERSION_FULL) == 0, "version");
    expect(mxlIndexToTimestamp(&tag_rational, 1) == 33366667, "mxlIndexToTimestamp");
    expect(strcmp(mxlStatusName(MXL_ERR_FLOW_INVALID), "MXL_ERR_FLOW_INVALID") == 0, "mxlStatusName");
    mxlInstance inst = mxlCreateInstance("/nonexistent/mxl/domain", NULL);
    expect(inst == NULL && mxlGetLastErrorMessage()[0] != 0, "mxlCreateInstance on a missing domain");
    bool tmp = false;
    expect(mxlIsTmpFs("/dev/shm", &tmp) == MXL_STATUS_OK, "mxlIsTmpFs");

    printf("test_headers_c17: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
