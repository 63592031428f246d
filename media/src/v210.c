/* v210 line packing and the v210a key plane (MEDIA-NOTES §2, MXL-FORMAT §5.1).
 *
 * A v210 line is a stream of 10-bit samples, three per little-endian 32-bit word (bits 0-9, 10-19, 20-29), in the
 * order Cb0 Y0 Cr0 Y1 Cb1 Y2 Cr1 Y3 ... (CbK/CrK = chroma of pixel pair K, co-sited with Y(2K)). So the luma of
 * pixel x is stream sample 2x+1 and the chroma of an even pixel x is at 2x (Cb) and 2x+2 (Cr). An even-width line
 * has 2w samples; an odd width ends with Cb Y Cr of the last (half) pair: 2w+1 samples. Only the words holding
 * samples are "line words"; unused fields of the last word and the stride padding are zero. */
#include "mxlmedia.h"
#include "v210_internal.h"

size_t mxm_v210_stride(uint32_t width)
{
    return ((size_t)width + 47u) / 48u * 128u;
}

size_t mxm_key_stride(uint32_t width)
{
    return ((size_t)width + 2u) / 3u * 4u;
}

/* Number of stream samples in a line of `width` pixels. */
static size_t line_samples(uint32_t width)
{
    return (width & 1u) ? 2u * (size_t)width + 1u : 2u * (size_t)width;
}

size_t mxm_v210_line_words(uint32_t width)
{
    return (line_samples(width) + 2u) / 3u;
}

int mxm_v210_pack_line(uint8_t* dst, size_t dst_len, uint32_t width, uint16_t const* y, uint16_t const* cb,
                       uint16_t const* cr)
{
    size_t stride = mxm_v210_stride(width);
    if (width == 0 || dst == NULL || dst_len < stride) return -1;
    size_t n = line_samples(width);
    size_t words = (n + 2u) / 3u;
    for (size_t wi = 0; wi < words; wi++) {
        uint32_t word = 0;
        for (unsigned k = 0; k < 3; k++) {
            size_t i = wi * 3u + k;
            if (i >= n) break;
            uint32_t v;
            if (i & 1u) v = y[i / 2u];                    /* odd stream position: luma of pixel (i-1)/2 */
            else if ((i & 3u) == 0) v = cb[i / 4u];       /* 4K: Cb of pair K */
            else v = cr[i / 4u];                          /* 4K+2: Cr of pair K */
            word |= (v & 0x3FFu) << (10u * k);
        }
        mxm_store_le32(dst + wi * 4u, word);
    }
    for (size_t b = words * 4u; b < stride; b++) dst[b] = 0;
    return 0;
}

int mxm_v210_unpack_line(uint8_t const* src, size_t src_len, uint32_t width, uint16_t* y, uint16_t* cb, uint16_t* cr)
{
    if (width == 0 || src == NULL) return -1;
    size_t n = line_samples(width);
    size_t words = (n + 2u) / 3u;
    if (src_len < words * 4u) return -1;
    for (size_t wi = 0; wi < words; wi++) {
        uint32_t word = mxm_load_le32(src + wi * 4u);
        for (unsigned k = 0; k < 3; k++) {
            size_t i = wi * 3u + k;
            if (i >= n) break;
            uint16_t v = (uint16_t)((word >> (10u * k)) & 0x3FFu);
            if (i & 1u) y[i / 2u] = v;
            else if ((i & 3u) == 0) cb[i / 4u] = v;
            else cr[i / 4u] = v;
        }
    }
    return 0;
}

int mxm_key_pack_line(uint8_t* dst, size_t dst_len, uint32_t width, uint16_t const* a)
{
    size_t stride = mxm_key_stride(width);
    if (width == 0 || dst == NULL || dst_len < stride) return -1;
    for (size_t wi = 0; wi < stride / 4u; wi++) {
        uint32_t word = 0;
        for (unsigned k = 0; k < 3; k++) {
            size_t i = wi * 3u + k;
            if (i < width) word |= ((uint32_t)a[i] & 0x3FFu) << (10u * k);
        }
        mxm_store_le32(dst + wi * 4u, word);
    }
    return 0;
}

int mxm_key_unpack_line(uint8_t const* src, size_t src_len, uint32_t width, uint16_t* a)
{
    size_t stride = mxm_key_stride(width);
    if (width == 0 || src == NULL || src_len < stride) return -1;
    for (size_t i = 0; i < width; i++) {
        uint32_t word = mxm_load_le32(src + (i / 3u) * 4u);
        a[i] = (uint16_t)((word >> (10u * (i % 3u))) & 0x3FFu);
    }
    return 0;
}
