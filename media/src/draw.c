/* Image descriptors and drawing primitives on v210 pictures, frame or single-field images. */
#include <string.h>
#include <strings.h>

#include "mxlmedia.h"
#include "v210_internal.h"

int mxm_image_init(mxm_image* img, uint8_t* data, size_t len, uint32_t width, uint32_t height, int field)
{
    if (!img || !data || width == 0 || height == 0) return -1;
    if (field != MXM_FRAME && field != 0 && field != 1) return -1;
    img->data = data;
    img->len = len;
    img->width = width;
    img->height = height;
    img->stride = mxm_v210_stride(width);
    img->field = field;
    uint32_t rows = mxm_image_rows(img);
    if (rows == 0 || (size_t)rows * img->stride > len) return -1;
    return 0;
}

uint32_t mxm_image_rows(mxm_image const* img)
{
    if (img->field == MXM_FRAME) return img->height;
    return (img->height + 1u - (uint32_t)img->field) / 2u;
}

uint8_t* mxm_image_line(mxm_image const* img, uint32_t y)
{
    if (y >= img->height) return NULL;
    size_t row = y;
    if (img->field != MXM_FRAME) {
        if ((int)(y & 1u) != img->field) return NULL;
        row = y / 2u;
    }
    size_t off = row * img->stride;
    if (off + mxm_v210_line_words(img->width) * 4u > img->len) return NULL;
    return img->data + off;
}

/* Value of stream sample i in a line of one solid colour. */
static uint16_t solid_sample(size_t i, mxm_ycc c)
{
    if (i & 1u) return c.y;
    return (i & 3u) == 0 ? c.cb : c.cr;
}

/* Fill stream samples [s0, s1) of one line with a solid colour: edge samples one by one, whole words from a
 * 4-word period (12 samples = 3 pixel pairs). */
static void fill_samples(uint8_t* line, size_t s0, size_t s1, mxm_ycc c, uint32_t const period[4])
{
    size_t w0 = (s0 + 2u) / 3u, w1 = s1 / 3u;
    if (w0 >= w1) {
        for (size_t i = s0; i < s1; i++) mxm_v210_set(line, i, solid_sample(i, c));
        return;
    }
    for (size_t i = s0; i < w0 * 3u; i++) mxm_v210_set(line, i, solid_sample(i, c));
    for (size_t w = w0; w < w1; w++) mxm_store_le32(line + w * 4u, period[w & 3u]);
    for (size_t i = w1 * 3u; i < s1; i++) mxm_v210_set(line, i, solid_sample(i, c));
}

void mxm_fill_rect(mxm_image const* img, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1, mxm_ycc c)
{
    if (x1 > img->width) x1 = img->width;
    if (y1 > img->height) y1 = img->height;
    if (x0 >= x1 || y0 >= y1) return;
    uint32_t period[4];
    for (unsigned w = 0; w < 4; w++) {
        uint32_t word = 0;
        for (unsigned k = 0; k < 3; k++) word |= ((uint32_t)solid_sample(w * 3u + k, c) & 0x3FFu) << (10u * k);
        period[w] = word;
    }
    /* Touched stream samples: Y(x) = 2x+1, Cb/Cr(even x) = 2x / 2x+2, so the span is contiguous. */
    size_t s0 = 2u * (size_t)x0 + (x0 & 1u);
    size_t s1 = 2u * (size_t)x1 + (x1 & 1u);
    for (uint32_t y = y0; y < y1; y++) {
        uint8_t* line = mxm_image_line(img, y);
        if (line) fill_samples(line, s0, s1, c, period);
    }
}

void mxm_put_pixel(mxm_image const* img, uint32_t x, uint32_t y, mxm_ycc c)
{
    if (x >= img->width) return;
    uint8_t* line = mxm_image_line(img, y);
    if (!line) return;
    mxm_v210_set(line, 2u * (size_t)x + 1u, c.y);
    if ((x & 1u) == 0) {
        mxm_v210_set(line, 2u * (size_t)x, c.cb);
        mxm_v210_set(line, 2u * (size_t)x + 2u, c.cr);
    }
}

int mxm_get_pixel(mxm_image const* img, uint32_t x, uint32_t y, mxm_ycc* out)
{
    if (x >= img->width) return -1;
    uint8_t const* line = mxm_image_line(img, y);
    if (!line) return -1;
    size_t even = (size_t)(x & ~1u);
    out->y = mxm_v210_get(line, 2u * (size_t)x + 1u);
    out->cb = mxm_v210_get(line, 2u * even);
    out->cr = mxm_v210_get(line, 2u * even + 2u);
    return 0;
}

/* MEDIA-NOTES §3: Y' = 64 + 876 Y, C = 512 + 896 C, BT.709. Order: white, yellow, cyan, green, magenta, red, blue,
 * black. */
static mxm_ycc const bars100[MXM_NCOLOURS] = {
    {940, 512, 512}, {877, 64, 553}, {754, 615, 64}, {691, 167, 105},
    {313, 857, 919}, {250, 409, 960}, {127, 960, 471}, {64, 512, 512},
};
static mxm_ycc const bars75[MXM_NCOLOURS] = {
    {721, 512, 512}, {674, 176, 543}, {581, 589, 176}, {534, 253, 207},
    {251, 771, 817}, {204, 435, 848}, {111, 848, 481}, {64, 512, 512},
};
static char const* const colour_names[MXM_NCOLOURS] = {"white", "yellow", "cyan", "green",
                                                        "magenta", "red", "blue", "black"};

mxm_ycc mxm_bar_colour(int index, int level)
{
    if (index < 0 || index >= MXM_NCOLOURS) index = MXM_BLACK;
    return level == 75 ? bars75[index] : bars100[index];
}

int mxm_colour_by_name(char const* name, mxm_ycc* out)
{
    if (!name) return -1;
    if (strncasecmp(name, "grey", 4) == 0 || strncasecmp(name, "gray", 4) == 0) {
        /* greyNN: NN % luma, neutral chroma (default 50 %). */
        char const* p = name + 4;
        unsigned pct = 50;
        if (*p) {
            pct = 0;
            for (; *p; p++) {
                if (*p < '0' || *p > '9' || pct > 100) return -1;
                pct = pct * 10u + (unsigned)(*p - '0');
            }
            if (pct > 100) return -1;
        }
        out->y = (uint16_t)(64u + (876u * pct + 50u) / 100u);
        out->cb = out->cr = 512;
        return 0;
    }
    for (int i = 0; i < MXM_NCOLOURS; i++) {
        size_t n = strlen(colour_names[i]);
        if (strncasecmp(name, colour_names[i], n) != 0) continue;
        char const* rest = name + n;
        if (*rest == 0 || strcmp(rest, "100") == 0) { *out = bars100[i]; return 0; }
        if (strcmp(rest, "75") == 0) { *out = bars75[i]; return 0; }
        return -1;
    }
    return -1;
}
