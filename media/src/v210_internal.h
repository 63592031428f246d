/* Internal helpers shared by the media sources: little-endian word access and single-sample v210 access. */
#ifndef MXM_V210_INTERNAL_H
#define MXM_V210_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t mxm_load_le32(uint8_t const* p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void mxm_store_le32(uint8_t* p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Stream sample i of a v210 line (see v210.c for the sample order). */
static inline uint16_t mxm_v210_get(uint8_t const* line, size_t i)
{
    return (uint16_t)((mxm_load_le32(line + (i / 3u) * 4u) >> (10u * (i % 3u))) & 0x3FFu);
}

static inline void mxm_v210_set(uint8_t* line, size_t i, uint16_t v)
{
    uint8_t* p = line + (i / 3u) * 4u;
    unsigned shift = 10u * (unsigned)(i % 3u);
    uint32_t w = mxm_load_le32(p);
    w = (w & ~(0x3FFu << shift)) | (((uint32_t)v & 0x3FFu) << shift);
    mxm_store_le32(p, w);
}

/* Words of a line that hold samples (the rest of the stride is padding). */
size_t mxm_v210_line_words(uint32_t width);

#endif
