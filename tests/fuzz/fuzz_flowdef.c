/* (a) Flow-definition parser and derived geometry: mxl_flowdef_parse(json, writer options, history).
 *
 * Input: [1 byte mode][8 bytes history, little-endian][flow definition][0xFF][writer options]
 *   mode bit 0: pass writer options (else NULL); bit 1: use the raw history (else 200 ms, 500 ms or a tiny one).
 * 0xFF never occurs in valid UTF-8, so it cleanly separates the two JSON texts.
 *
 * On success the configuration must satisfy every invariant the rest of the library relies on (ring not empty,
 * sizes that fit their fields and the limits, normalised rates), and mxlParseFlowDef must agree. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "internal.h"

static int64_t gcd(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static void check_config(mxl_flowdef const* d, char const* json)
{
    mxlCommonFlowConfigInfo const* c = &d->config.common;
    FUZZ_ASSERT(c->grainRate.numerator > 0 && c->grainRate.denominator > 0, "rate %lld/%lld",
                (long long)c->grainRate.numerator, (long long)c->grainRate.denominator);
    FUZZ_ASSERT(gcd(c->grainRate.numerator, c->grainRate.denominator) == 1, "rate not normalised");
    FUZZ_ASSERT(c->payloadLocation == 0 && c->deviceIndex == -1 && c->flags == 0, "fixed fields");
    FUZZ_ASSERT(strlen(d->id_text) == 36, "id text");
    uint8_t id[16];
    FUZZ_ASSERT(mxl_uuid_parse(d->id_text, id) == 0 && memcmp(id, c->id, 16) == 0, "id round trip");
    for (size_t i = 0; i < sizeof c->reserved; i++)
        FUZZ_ASSERT(c->reserved[i] == 0, "common reserved byte %zu", i);
    if (c->format == MXL_DATA_FORMAT_AUDIO) {
        mxlContinuousFlowConfigInfo const* a = &d->config.continuous;
        FUZZ_ASSERT(a->channelCount >= 1 && a->channelCount <= 1024, "channels %u", a->channelCount);
        FUZZ_ASSERT(a->bufferLength >= 2, "bufferLength %u", a->bufferLength);
        FUZZ_ASSERT(d->word_size == 4 || d->word_size == 8, "word %u", d->word_size);
        FUZZ_ASSERT((uint64_t)a->bufferLength * d->word_size % 4096 == 0, "ring not page-rounded");
        FUZZ_ASSERT((unsigned __int128)a->bufferLength * a->channelCount * d->word_size <= (1ull << 47), "ring size");
        for (size_t i = 0; i < sizeof a->reserved; i++)
            FUZZ_ASSERT(a->reserved[i] == 0, "continuous reserved");
    } else {
        FUZZ_ASSERT(c->format == MXL_DATA_FORMAT_VIDEO || c->format == MXL_DATA_FORMAT_DATA, "format %u", c->format);
        mxlDiscreteFlowConfigInfo const* g = &d->config.discrete;
        FUZZ_ASSERT(g->grainCount >= 1, "empty ring");
        FUZZ_ASSERT(d->total_slices >= 1, "no slices");
        uint64_t per_slice = 0;
        for (int p = 0; p < 4; p++)
            per_slice += g->sliceSizes[p];
        FUZZ_ASSERT(per_slice >= 1, "slice size 0");
        FUZZ_ASSERT(per_slice * d->total_slices == d->grain_size, "grainSize %u != %llu x %u", d->grain_size,
                    (unsigned long long)per_slice, d->total_slices);
        FUZZ_ASSERT((uint64_t)MXL_GRAIN_HEADER_SIZE + d->grain_size <= (1ull << 31), "grain file too big");
        FUZZ_ASSERT((unsigned __int128)g->grainCount * (MXL_GRAIN_HEADER_SIZE + d->grain_size) <= (1ull << 47),
                    "ring size");
        FUZZ_ASSERT(c->maxCommitBatchSizeHint >= 1 && c->maxSyncBatchSizeHint >= 1, "hints");
        for (size_t i = 0; i < sizeof g->reserved; i++)
            FUZZ_ASSERT(g->reserved[i] == 0, "discrete reserved");
        /* A header built from this configuration passes the validators the readers use. */
        uint8_t data[MXL_DATA_FILE_SIZE] = {0};
        mxlFlowInfo* info = (mxlFlowInfo*)data;
        info->version = 1;
        info->size = 2048;
        info->config = d->config;
        FUZZ_ASSERT(mxl_validate_data_header(data, sizeof data) == 0, "own header rejected: %s",
                    mxlGetLastErrorMessage());
        mxlGrainInfo gi;
        memset(&gi, 0, sizeof gi);
        gi.version = 1;
        gi.size = 4096;
        gi.grainSize = d->grain_size;
        gi.totalSlices = d->total_slices;
        FUZZ_ASSERT(mxl_validate_grain_header(&gi, MXL_GRAIN_HEADER_SIZE + (size_t)d->grain_size, g) == 0,
                    "own grain header rejected: %s", mxlGetLastErrorMessage());
    }
    (void)json;
}

int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    if (size < 9)
        return 0;
    uint8_t mode = data[0];
    uint64_t history;
    memcpy(&history, data + 1, 8);
    if (!(mode & 2)) {
        static uint64_t const common[4] = {200000000ull, 500000000ull, 1000ull, 40000000ull};
        history = common[history % 4];
    }
    data += 9;
    size -= 9;
    uint8_t const* sep = memchr(data, 0xFF, size);
    size_t jlen = sep ? (size_t)(sep - data) : size;
    char* json = malloc(jlen + 1);
    memcpy(json, data, jlen);
    json[jlen] = 0;
    char* opts = NULL;
    if ((mode & 1) && sep) {
        size_t olen = size - jlen - 1;
        opts = malloc(olen + 1);
        memcpy(opts, sep + 1, olen);
        opts[olen] = 0;
    }

    mxl_flowdef def;
    memset(&def, 0xA5, sizeof def);
    mxlStatus st = mxl_flowdef_parse(json, opts, history, &def);
    if (st == MXL_STATUS_OK)
        check_config(&def, json);
    else
        FUZZ_ASSERT(mxlGetLastErrorMessage()[0] != 0, "failure without a message");

    /* The public wrapper agrees (it maps history 0 to the default). */
    mxlFlowConfigInfo cfg;
    mxlStatus st2 = mxlParseFlowDef(json, opts, history, &cfg);
    if (history != 0) {
        FUZZ_ASSERT(st2 == st, "mxlParseFlowDef %d vs %d", st2, st);
        if (st == MXL_STATUS_OK)
            FUZZ_ASSERT(memcmp(&cfg, &def.config, sizeof cfg) == 0, "config differs");
    }
    free(json);
    free(opts);
    return 0;
}
