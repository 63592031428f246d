/* (b) The pure shared-memory validators: mxl_validate_data_header, mxl_validate_grain_header (against a claimed
 * file size and the flow's slice sizes) and mxl_validate_channels.
 *
 * Input: [8 bytes file size][64 bytes flow config union][rest: header bytes, zero-padded to 4096]
 * Every verdict of "valid" is checked against what the readers then do with it: the mapped range fits the file,
 * the slices fit the grain, the channel rings fit the channels file. Buffers are exactly sized heap copies, so
 * ASan catches any read past what the validator was given. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    if (size < 8 + 64)
        return 0;
    uint64_t claimed;
    memcpy(&claimed, data, 8);
    union {
        mxlDiscreteFlowConfigInfo d;
        mxlContinuousFlowConfigInfo c;
        uint8_t raw[64];
    } flow;
    memcpy(flow.raw, data + 8, 64);
    data += 72;
    size -= 72;

    /* data header: the validator gets a buffer of exactly min(size, 4096) bytes and is told a size that is the
     * buffer size (a mapping of the file) — never more than it holds. */
    size_t dlen = size < 4096 ? size : 4096;
    uint8_t* dbuf = malloc(dlen ? dlen : 1);
    memcpy(dbuf, data, dlen);
    int dr = mxl_validate_data_header(dbuf, dlen);
    if (dr == 0) {
        FUZZ_ASSERT(dlen >= MXL_DATA_FILE_SIZE, "accepted a %zu-byte data file", dlen);
        mxlFlowInfo info;
        memcpy(&info, dbuf, sizeof info);
        FUZZ_ASSERT(info.version == 1, "version %u", info.version);
        uint32_t fmt = info.config.common.format;
        FUZZ_ASSERT(fmt >= 1 && fmt <= 3, "format %u", fmt);
        if (fmt == MXL_DATA_FORMAT_AUDIO)
            FUZZ_ASSERT(info.config.continuous.channelCount > 0 && info.config.continuous.bufferLength >= 2,
                        "empty audio ring");
        else
            FUZZ_ASSERT(info.config.discrete.grainCount > 0, "empty grain ring");
    } else {
        FUZZ_ASSERT(mxlGetLastErrorStatus() == MXL_ERR_UNKNOWN && mxlGetLastErrorMessage()[0], "no message");
    }
    free(dbuf);

    /* grain header: the first 4096 bytes (zero-padded) against the claimed file size. */
    uint8_t* g = calloc(1, MXL_GRAIN_INFO_SIZE);
    memcpy(g, data, size < MXL_GRAIN_INFO_SIZE ? size : MXL_GRAIN_INFO_SIZE);
    size_t fsize = (size_t)claimed;
    int gr = mxl_validate_grain_header(g, fsize, &flow.d);
    if (gr == 0) {
        mxlGrainInfo gi;
        memcpy(&gi, g, sizeof gi);
        FUZZ_ASSERT(gi.version == 1, "grain version %u", gi.version);
        FUZZ_ASSERT((uint64_t)MXL_GRAIN_HEADER_SIZE + gi.grainSize <= fsize, "payload %u past file %zu",
                    gi.grainSize, fsize);
        FUZZ_ASSERT(gi.totalSlices >= 1, "no slices");
        uint64_t per = 0;
        for (int p = 0; p < 4; p++)
            per += flow.d.sliceSizes[p];
        /* the reader hands out slice s of plane p at planeStart(p) + s * sliceSizes[p]: all inside grainSize */
        FUZZ_ASSERT(per * gi.totalSlices <= gi.grainSize, "slices %llu x %u > grainSize %u",
                    (unsigned long long)per, gi.totalSlices, gi.grainSize);
    } else {
        FUZZ_ASSERT(mxlGetLastErrorMessage()[0], "no message");
    }
    free(g);

    /* channels: the claimed file size against the flow's channel geometry. */
    uint32_t word = 0;
    int cr = mxl_validate_channels(&flow.c, claimed, &word);
    if (cr == 0) {
        FUZZ_ASSERT(word == 4 || word == 8, "word %u", word);
        unsigned __int128 need = (unsigned __int128)flow.c.channelCount * flow.c.bufferLength * word;
        FUZZ_ASSERT(need > 0 && need <= claimed, "channels need %llu > file %llu", (unsigned long long)need,
                    (unsigned long long)claimed);
    } else {
        FUZZ_ASSERT(mxlGetLastErrorMessage()[0], "no message");
    }
    return 0;
}
