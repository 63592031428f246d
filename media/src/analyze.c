/* Verification helpers: compare received audio with the test tone sample by sample and fit its level and phase
 * against the absolute sample index; read a PNG back into 8-bit RGB. */
#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxlmedia.h"

typedef unsigned __int128 u128;

/* Phase of tone f = p/q at sample s as a fraction of a turn: ((s * p) mod (R q)) / (R q), exactly in integers. */
static double phase_frac(uint32_t rate, uint64_t p, uint64_t q, uint64_t s)
{
    if (q == 0) q = 1;
    u128 m = (u128)rate * q;
    u128 ph = ((u128)s % m) * ((u128)p % m) % m;
    return (double)ph / (double)m;
}

static double load(uint8_t const* data, uint32_t word, size_t i)
{
    if (word == 4) {
        float f;
        memcpy(&f, data + i * 4u, 4);
        return f;
    }
    double d;
    memcpy(&d, data + i * 8u, 8);
    return d;
}

int mxm_tone_analyze(uint8_t const* data, size_t count, uint32_t word, uint64_t first_index, int64_t shift,
                     size_t from, size_t to, mxm_tone const* tone, mxm_beep const* beep, double loud, uint32_t guard,
                     double tol, mxm_tone_stats* out)
{
    memset(out, 0, sizeof *out);
    out->worst = -1;
    out->first_mismatch = -1;
    out->first_loud = -1;
    if ((word != 4 && word != 8) || !tone || tone->rate == 0 || from > to || to > count) return -1;
    /* distance to the nearest loud sample, from both sides (only when a loudness threshold is given) */
    int64_t* next_loud = NULL;
    if (loud > 0.0 && count > 0) {
        next_loud = malloc(count * sizeof *next_loud);
        if (!next_loud) return -1;
        int64_t nxt = INT64_MAX;
        for (size_t k = count; k-- > 0;) {
            if (fabs(load(data, word, k)) > loud) nxt = (int64_t)k;
            next_loud[k] = nxt;
        }
    }
    int64_t prev_loud = INT64_MIN;
    if (next_loud) {
        for (size_t k = 0; k < from; k++)
            if (fabs(load(data, word, k)) > loud) prev_loud = (int64_t)k;
    }
    uint64_t beep_end = 0;
    int in_beep = 0;
    double prev_x = 0.0;
    int prev_used = 0;
    size_t prev_pos = 0;
    uint64_t run_n = 0; /* crossings in the current run of consecutive compared samples */
    double run_first = 0.0, run_last = 0.0;
#define FLUSH_RUN()                                     \
    do {                                                \
        if (run_n >= 2) {                               \
            out->zc_periods += run_n - 1u;              \
            out->zc_span += run_last - run_first;       \
        }                                               \
        run_n = 0;                                      \
    } while (0)
    out->n = to - from;
    for (size_t i = from; i < to; i++) {
        double x = load(data, word, i);
        double ax = fabs(x);
        if (ax > out->peak) out->peak = ax;
        if (next_loud && ax > loud) {
            prev_loud = (int64_t)i;
            if (out->first_loud < 0) out->first_loud = (int64_t)i;
        }
        uint64_t s = first_index + i + (uint64_t)shift; /* content index of this sample */
        if (beep && s >= beep_end) in_beep = mxm_beep_at(beep, tone->rate, s, &beep_end);
        int excluded = 0;
        if (in_beep) {
            out->excluded_expected++;
            excluded = 1;
        } else if (next_loud && ((prev_loud != INT64_MIN && (int64_t)i - prev_loud <= (int64_t)guard) ||
                                 (next_loud[i] != INT64_MAX && next_loud[i] - (int64_t)i <= (int64_t)guard))) {
            out->excluded_loud++;
            excluded = 1;
        }
        if (excluded) {
            if (prev_used) FLUSH_RUN();
            prev_used = 0;
            continue;
        }
        double f = phase_frac(tone->rate, tone->freq_num, tone->freq_den, s);
        double sn = sin(2.0 * M_PI * f), cs = cos(2.0 * M_PI * f);
        double want = tone->amplitude * sn;
        double err = fabs(x - want);
        out->used++;
        if (err > out->max_err || out->worst < 0) {
            out->max_err = err;
            out->worst = (int64_t)i;
        }
        if (err > tol) {
            out->mismatches++;
            if (out->first_mismatch < 0) out->first_mismatch = (int64_t)i;
        }
        out->sxs += x * sn;
        out->sxc += x * cs;
        out->sss += sn * sn;
        out->scc += cs * cs;
        out->ssc += sn * cs;
        out->sxx += x * x;
        if (prev_used && prev_pos + 1 == i && prev_x < 0.0 && x >= 0.0) {
            double pos = (double)prev_pos + (-prev_x) / (x - prev_x);
            if (out->zc == 0) out->zc_first = pos;
            out->zc_last = pos;
            out->zc++;
            if (run_n == 0) run_first = pos;
            run_last = pos;
            run_n++;
        }
        prev_x = x;
        prev_pos = i;
        prev_used = 1;
    }
    FLUSH_RUN();
#undef FLUSH_RUN
    free(next_loud);
    return 0;
}

int mxm_png_read_rgb(char const* path, uint8_t** rgb, uint32_t* width, uint32_t* height, char* err, size_t errlen)
{
    *rgb = NULL;
    FILE* f = fopen(path, "rb");
    if (!f) {
        if (err && errlen) snprintf(err, errlen, "cannot open: %s", strerror(errno));
        return -1;
    }
    uint8_t sig[8];
    if (fread(sig, 1, 8, f) != 8 || png_sig_cmp(sig, 0, 8) != 0) {
        fclose(f);
        if (err && errlen) snprintf(err, errlen, "not a PNG file");
        return -1;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t* volatile buf = NULL;
    if (!png || !info) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        if (err && errlen) snprintf(err, errlen, "libpng: out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        free(buf);
        if (err && errlen) snprintf(err, errlen, "libpng: corrupt or unsupported PNG");
        return -1;
    }
    png_init_io(png, f);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int type = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    /* normalise every PNG to 8-bit RGB */
    if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);
    if (type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3u || w == 0 || h == 0 || (size_t)w * h > ((size_t)1 << 30)) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        if (err && errlen) snprintf(err, errlen, "unsupported PNG layout");
        return -1;
    }
    buf = malloc((size_t)w * h * 3u);
    png_bytep* rows = buf ? malloc(h * sizeof *rows) : NULL;
    if (!rows) {
        free(buf);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        if (err && errlen) snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (png_uint_32 y = 0; y < h; y++) rows[y] = buf + (size_t)y * w * 3u;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    *rgb = buf;
    *width = w;
    *height = h;
    return 0;
}
