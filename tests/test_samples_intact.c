/* Read-then-verify for audio windows (mxlFlowReaderSamplesIntact): a window stays intact until the writer's head
 * comes within half a ring of overwriting its oldest sample. */
#include <string.h>

#include "testutil.h"

static char const* AUDIO =
    "{\"id\": \"7c1e2d3c-4b5a-4968-8776-a5b4c3d2e777\", \"format\": \"urn:x-nmos:format:audio\","
    " \"label\": \"intact\", \"media_type\": \"audio/float32\", \"bit_depth\": 32, \"channel_count\": 2,"
    " \"tags\": {\"urn:x-nmos:tag:grouphint/v1.0\": [\"t:Audio\"]}, \"sample_rate\": {\"numerator\": 48000}}";

static void write_batch(mxlFlowWriter w, uint64_t end, size_t n)
{
    mxlMutableWrappedMultiBufferSlice s;
    CHECK_STATUS(mxlFlowWriterOpenSamples(w, end, n, &s), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowWriterCommitSamples(w), MXL_STATUS_OK);
}

int main(void)
{
    char const* domain = test_domain("samples-intact");
    mxlInstance inst = mxlCreateInstance(domain, NULL);
    CHECK(inst != NULL);
    mxlFlowWriter w;
    mxlFlowConfigInfo cfg;
    CHECK_STATUS(mxlCreateFlowWriter(inst, AUDIO, NULL, &w, &cfg, NULL), MXL_STATUS_OK);
    mxlFlowReader r;
    CHECK_STATUS(mxlCreateFlowReader(inst, "7c1e2d3c-4b5a-4968-8776-a5b4c3d2e777", NULL, &r), MXL_STATUS_OK);
    uint64_t L = cfg.continuous.bufferLength, half = L / 2;
    uint64_t base = 1000000;
    write_batch(w, base, 480);
    mxlWrappedMultiBufferSlice win;
    CHECK_STATUS(mxlFlowReaderGetSamplesNonBlocking(r, base, 480, &win), MXL_STATUS_OK);
    CHECK_STATUS(mxlFlowReaderSamplesIntact(r, base, 480), MXL_STATUS_OK);
    /* Advance the head to the last position that leaves the window alone: start + L - half - 1. */
    uint64_t start = base - 480;
    uint64_t safe = start + L - half - 1;
    uint64_t head = base;
    while (head < safe) {
        uint64_t step = safe - head < 480 ? safe - head : 480;
        write_batch(w, head + step, (size_t)step);
        head += step;
    }
    CHECK_STATUS(mxlFlowReaderSamplesIntact(r, base, 480), MXL_STATUS_OK);
    /* One more sample and a writer may be rewriting the window's oldest slot. */
    write_batch(w, head + 1, 1);
    CHECK_STATUS(mxlFlowReaderSamplesIntact(r, base, 480), MXL_ERR_OUT_OF_RANGE_TOO_LATE);
    CHECK(strstr(mxlGetLastErrorMessage(), "overwritten while in use") != NULL);
    /* A grain reader is refused. */
    CHECK_STATUS(mxlFlowReaderSamplesIntact(NULL, base, 480), MXL_ERR_INVALID_FLOW_READER);
    mxlReleaseFlowReader(inst, r);
    mxlReleaseFlowWriter(inst, w);
    mxlDestroyInstance(inst);
    test_rmtree(domain);
    return test_finish("test_samples_intact");
}
