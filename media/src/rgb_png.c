/* v210 -> 8-bit RGB (BT.709 narrow range) and a PNG writer through libpng. */
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "mxlmedia.h"
#include "v210_internal.h"

static uint8_t clamp8(double v)
{
    if (v <= 0.0) return 0;
    if (v >= 255.0) return 255;
    return (uint8_t)(v + 0.5);
}

int mxm_v210_to_rgb(mxm_image const* img, uint8_t* rgb, size_t rgb_len)
{
    uint32_t w = img->width, rows = mxm_image_rows(img);
    if ((size_t)w * rows * 3u > rgb_len) return -1;
    for (uint32_t row = 0; row < rows; row++) {
        uint8_t const* line = img->data + (size_t)row * img->stride;
        uint8_t* out = rgb + (size_t)row * w * 3u;
        for (uint32_t x = 0; x < w; x++) {
            size_t k = x / 2u;
            double cb = mxm_v210_get(line, 4u * k), cr = mxm_v210_get(line, 4u * k + 2u);
            if ((x & 1u) && x + 1u < w) { /* odd pixel: midway between its pair's chroma and the next pair's */
                cb = (cb + mxm_v210_get(line, 4u * (k + 1u))) / 2.0;
                cr = (cr + mxm_v210_get(line, 4u * (k + 1u) + 2u)) / 2.0;
            }
            double yn = (mxm_v210_get(line, 2u * (size_t)x + 1u) - 64.0) / 876.0;
            double pb = (cb - 512.0) / 896.0, pr = (cr - 512.0) / 896.0;
            double r = yn + 1.5748 * pr;
            double g = yn - 0.187324 * pb - 0.468124 * pr;
            double b = yn + 1.8556 * pb;
            out[3u * x] = clamp8(r * 255.0);
            out[3u * x + 1u] = clamp8(g * 255.0);
            out[3u * x + 2u] = clamp8(b * 255.0);
        }
    }
    return 0;
}

static void set_err(char* err, size_t errlen, char const* msg)
{
    if (err && errlen) snprintf(err, errlen, "%s", msg);
}

int mxm_png_write_rgb(char const* path, uint8_t const* rgb, uint32_t width, uint32_t height, char* err,
                      size_t errlen)
{
    if (!path || !rgb || width == 0 || height == 0) {
        set_err(err, errlen, "bad arguments");
        return -1;
    }
    FILE* f = fopen(path, "wb");
    if (!f) {
        set_err(err, errlen, strerror(errno));
        return -1;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        set_err(err, errlen, "libpng: out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        set_err(err, errlen, "libpng: write failed");
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(rgb + (size_t)y * width * 3u));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(f) != 0) {
        set_err(err, errlen, strerror(errno));
        return -1;
    }
    return 0;
}
