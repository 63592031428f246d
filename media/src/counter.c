/* Frame counter: a 32-bit value drawn as 32 equal cells across the top band of the picture, most significant bit
 * at the left, 1 = 100 % white (Y 940), 0 = black (Y 64), neutral chroma. The band is many lines tall and the decoder
 * averages the middle half of each cell (in both directions), so the code survives a picture scaled or cropped by a
 * line or two. */
#include "mxlmedia.h"

#define THRESHOLD 502 /* midway between 64 and 940 */
#define MIN_MARGIN 200

uint32_t mxm_counter_band(uint32_t height)
{
    uint32_t b = (height / 36u) & ~1u;
    return b < 2u ? (height < 2u ? height : 2u) : b;
}

static uint32_t cell_x(uint32_t width, unsigned i)
{
    return (uint32_t)(((uint64_t)width * i / MXM_COUNTER_BITS) & ~(uint64_t)1u);
}

void mxm_counter_draw(mxm_image const* img, uint32_t value)
{
    uint32_t band = mxm_counter_band(img->height);
    mxm_ycc const white = mxm_bar_colour(MXM_WHITE, 100), black = mxm_bar_colour(MXM_BLACK, 100);
    for (unsigned i = 0; i < MXM_COUNTER_BITS; i++) {
        int bit = (int)((value >> (MXM_COUNTER_BITS - 1u - i)) & 1u);
        uint32_t x1 = i + 1u == MXM_COUNTER_BITS ? img->width : cell_x(img->width, i + 1u);
        mxm_fill_rect(img, cell_x(img->width, i), 0, x1, band, bit ? white : black);
    }
}

int mxm_counter_decode(mxm_image const* img, uint32_t* value, int* margin)
{
    uint32_t band = mxm_counter_band(img->height);
    uint32_t v = 0;
    int worst = 1 << 20;
    for (unsigned i = 0; i < MXM_COUNTER_BITS; i++) {
        uint32_t x0 = cell_x(img->width, i);
        uint32_t x1 = i + 1u == MXM_COUNTER_BITS ? img->width : cell_x(img->width, i + 1u);
        uint32_t cw = x1 > x0 ? x1 - x0 : 0;
        uint32_t sx0 = x0 + cw / 4u, sx1 = x1 - cw / 4u;
        uint32_t sy0 = band / 4u, sy1 = band - band / 4u;
        if (sx1 <= sx0) sx1 = sx0 + 1u;
        if (sy1 <= sy0) sy1 = sy0 + 1u;
        uint64_t sum = 0, n = 0;
        for (uint32_t y = sy0; y < sy1; y++) {
            for (uint32_t x = sx0; x < sx1; x++) {
                mxm_ycc c;
                if (mxm_get_pixel(img, x, y, &c) == 0) {
                    sum += c.y;
                    n++;
                }
            }
        }
        if (n == 0) return -1;
        int mean = (int)(sum / n);
        int d = mean > THRESHOLD ? mean - THRESHOLD : THRESHOLD - mean;
        if (d < worst) worst = d;
        v = (v << 1) | (mean > THRESHOLD ? 1u : 0u);
    }
    if (margin) *margin = worst;
    if (worst < MIN_MARGIN) return -1;
    *value = v;
    return 0;
}
