/* C quick start: one writer and one reader of a 1080p v210 flow, one grain. Build: see README.md. */
#include <stdio.h>
#include <string.h>

#include <mxl/ext.h>
#include <mxl/flow.h>
#include <mxl/mxl.h>
#include <mxl/time.h>

static char const* FLOW_DEF =
    "{\"id\": \"5fbec3b1-1b0f-417d-9059-8b94a47197ed\", \"format\": \"urn:x-nmos:format:video\","
    " \"label\": \"quick start\", \"media_type\": \"video/v210\","
    " \"tags\": {\"urn:x-nmos:tag:grouphint/v1.0\": [\"quickstart:Video\"]},"
    " \"grain_rate\": {\"numerator\": 30000, \"denominator\": 1001},"
    " \"frame_width\": 1920, \"frame_height\": 1080, \"interlace_mode\": \"progressive\","
    " \"colorspace\": \"BT709\", \"components\": []}";

int main(int argc, char** argv)
{
    char const* domain = argc > 1 ? argv[1] : "/dev/shm/mxl";
    mxlInstance inst = mxlCreateInstance(domain, NULL);
    if (inst == NULL) {
        fprintf(stderr, "mxlCreateInstance: %s\n", mxlGetLastErrorMessage());
        return 1;
    }
    mxlFlowWriter writer;
    mxlFlowConfigInfo config;
    bool created;
    if (mxlCreateFlowWriter(inst, FLOW_DEF, NULL, &writer, &config, &created) != MXL_STATUS_OK) {
        fprintf(stderr, "mxlCreateFlowWriter: %s\n", mxlGetLastErrorMessage());
        return 1;
    }
    mxlFlowReader reader;
    mxlCreateFlowReader(inst, "5fbec3b1-1b0f-417d-9059-8b94a47197ed", NULL, &reader);

    /* Write the grain that belongs to "now" on the TAI timeline. */
    uint64_t index = mxlGetCurrentIndex(&config.common.grainRate);
    mxlGrainInfo grain;
    uint8_t* payload;
    mxlFlowWriterOpenGrain(writer, index, &grain, &payload);
    memset(payload, 0x80, grain.grainSize); /* the payload is the shared memory itself: no copy */
    grain.validSlices = grain.totalSlices;
    mxlFlowWriterCommitGrain(writer, &grain); /* wakes every reader, in any process */

    /* Read it back: blocking get with a 100 ms timeout, zero copy. */
    mxlGrainInfo got;
    uint8_t const* data;
    mxlStatus st = mxlFlowReaderGetGrain(reader, index, 100000000, &got, (uint8_t**)&data);
    printf("grain %llu: %s, %u bytes, first byte 0x%02x\n", (unsigned long long)index, mxlStatusName(st),
           got.grainSize, st == MXL_STATUS_OK ? data[0] : 0);
    st = mxlFlowReaderGetGrainNonBlocking(reader, index + 1, &got, (uint8_t**)&data);
    printf("grain %llu: %s (%s)\n", (unsigned long long)index + 1, mxlStatusName(st), mxlGetLastErrorMessage());

    mxlReleaseFlowReader(inst, reader);
    mxlReleaseFlowWriter(inst, writer); /* the last writer deletes the flow */
    mxlDestroyInstance(inst);
    return 0;
}
