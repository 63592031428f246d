/* mxlmedia renderer: partial (dirty-region) renders equal full renders, counter decodes, flash and interlace,
 * text, v210 -> RGB and PNG; prints the measured cost per 1080p grain. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mxlmedia.h>

#include "testutil.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void test_partial_equals_full(int interlace)
{
    mxm_render_opts o = {0};
    o.width = 1920;
    o.height = 1080;
    o.interlace = interlace;
    o.pattern = MXM_PAT_HDBARS;
    o.label = "MXL test 1080";
    o.box = 1;
    o.counter = 1;
    o.flash_period = 30;
    mxm_renderer* r = mxm_renderer_new(&o);
    CHECK(r != NULL);
    if (!r) return;
    size_t gs = mxm_renderer_grain_size(r);
    CHECK_EQ_U64(gs, interlace ? 5120u * 540u : 5120u * 1080u);
    enum { SLOTS = 6 }; /* even: a slot keeps its field parity, so interlaced renders are partial too */
    uint8_t* ring[SLOTS];
    for (int i = 0; i < SLOTS; i++) ring[i] = malloc(gs);
    uint8_t* ref = malloc(gs);
    int same = 1, counters = 1;
    for (uint64_t idx = 1000000; idx < 1000000 + 70; idx++) {
        char tc[16];
        snprintf(tc, sizeof tc, "00:00:%02u:%02u", (unsigned)(idx / 30 % 60), (unsigned)(idx % (idx % 7 ? 30 : 3)));
        uint8_t* dst = ring[idx % SLOTS];
        CHECK(mxm_renderer_render(r, dst, gs, idx, tc, 0) == 0);
        CHECK(mxm_renderer_render(r, ref, gs, idx, tc, 1) == 0); /* forced full render */
        if (memcmp(dst, ref, gs) != 0) same = 0;
        mxm_image img;
        mxm_image_init(&img, dst, gs, 1920, 1080, interlace ? ((idx & 1) ? (interlace == 1) : (interlace == 2)) : MXM_FRAME);
        uint32_t v = 0;
        if (mxm_counter_decode(&img, &v, NULL) != 0 || v != (uint32_t)idx) counters = 0;
    }
    CHECK_MSG(same, "interlace %d: partial render differs from full render", interlace);
    CHECK(counters);
    mxm_render_stats st;
    mxm_renderer_stats(r, &st);
    CHECK(st.partial_restores > 40); /* most grains reused their slot */
    CHECK(mxm_renderer_render(r, ref, gs - 1, 0, NULL, 0) == -1);

    /* A flash grain is white 100 % outside the drawn elements; the next grain is not. */
    mxm_image img;
    mxm_renderer_render(r, ring[0], gs, 30 * 40000, NULL, 0);
    mxm_image_init(&img, ring[0], gs, 1920, 1080, interlace ? (interlace == 2) : MXM_FRAME);
    mxm_ycc c;
    uint32_t y = 1000 + (uint32_t)img.field * (img.field >= 0);
    mxm_get_pixel(&img, 1900, y, &c);
    CHECK(c.y == 940 && c.cb == 512);
    mxm_renderer_render(r, ring[0], gs, 30 * 40000 + 2, NULL, 0);
    mxm_get_pixel(&img, 1900, y, &c);
    CHECK(c.y != 940);
    /* Moving box: white interior at its position. */
    uint32_t bx = mxm_renderer_box_x(r, 30 * 40000 + 2);
    mxm_get_pixel(&img, bx + 67, 540 + (uint32_t)(img.field == 1), &c);
    CHECK_EQ_U64(c.y, 940);
    CHECK(mxm_renderer_box_x(r, 1) != mxm_renderer_box_x(r, 2));
    for (int i = 0; i < SLOTS; i++) free(ring[i]);
    free(ref);
    mxm_renderer_free(r);
}

static void bench(void)
{
    mxm_render_opts o = {0};
    o.width = 1920;
    o.height = 1080;
    o.pattern = MXM_PAT_BARS75;
    o.label = "MXL BENCH";
    o.box = o.counter = 1;
    o.flash_period = 60;
    mxm_renderer* r = mxm_renderer_new(&o);
    size_t gs = mxm_renderer_grain_size(r);
    uint8_t* ring[12];
    for (int i = 0; i < 12; i++) ring[i] = calloc(1, gs);
    int n = 600;
    double t0 = now_s();
    for (int i = 0; i < n; i++) mxm_renderer_render(r, ring[i % 12], gs, (uint64_t)i + 1, "12:34:56;07", 0);
    double partial = (now_s() - t0) / n;
    t0 = now_s();
    for (int i = 0; i < n / 4; i++) mxm_renderer_render(r, ring[i % 12], gs, (uint64_t)i + 1, "12:34:56;07", 1);
    double full = (now_s() - t0) / (n / 4);
    printf("render 1080p grain: %.1f us (dirty regions, 1 flash per 60), %.1f us (full background copy); "
           "at 60 fps: %.2f %% / %.2f %% of a core\n",
           partial * 1e6, full * 1e6, partial * 60 * 100, full * 60 * 100);
    CHECK(partial * 60 < 0.25); /* budget: well under 25 % of one core at 1080p60 */
    for (int i = 0; i < 12; i++) free(ring[i]);
    mxm_renderer_free(r);
}

static void test_text_rgb_png(void)
{
    uint32_t w = 256, h = 64;
    size_t len = mxm_v210_stride(w) * h;
    uint8_t* buf = calloc(1, len);
    mxm_image img;
    mxm_image_init(&img, buf, len, w, h, MXM_FRAME);
    mxm_ycc black = mxm_bar_colour(MXM_BLACK, 100), white = mxm_bar_colour(MXM_WHITE, 100);
    mxm_fill_rect(&img, 0, 0, w, h, black);
    CHECK_EQ_U64(mxm_text_draw(&img, 0, 0, "H1:", 2, white, NULL), 48);
    /* 'H' at scale 2: left stem spans cell columns 1-2 -> pixels 2..5, the bar is at glyph row 3 -> lines 14..17. */
    mxm_ycc c;
    mxm_get_pixel(&img, 3, 10, &c);
    CHECK_EQ_U64(c.y, 940);
    mxm_get_pixel(&img, 0, 10, &c);
    CHECK_EQ_U64(c.y, 64);
    mxm_get_pixel(&img, 8, 15, &c);
    CHECK_EQ_U64(c.y, 940);
    mxm_get_pixel(&img, 8, 10, &c);
    CHECK_EQ_U64(c.y, 64);
    uint8_t g[MXM_FONT_H], q[MXM_FONT_H];
    mxm_font_glyph(0x7F, g);
    mxm_font_glyph('?', q);
    CHECK(memcmp(g, q, sizeof g) == 0);
    mxm_font_glyph(' ', g);
    int blank = 1;
    for (int i = 0; i < MXM_FONT_H; i++) blank &= g[i] == 0;
    CHECK(blank);

    mxm_render_pattern(&img, MXM_PAT_BARS100, NULL);
    uint8_t* rgb = malloc((size_t)w * h * 3);
    CHECK(mxm_v210_to_rgb(&img, rgb, (size_t)w * h * 3) == 0);
    CHECK(mxm_v210_to_rgb(&img, rgb, (size_t)w * h * 3 - 1) == -1);
    uint8_t const* white_px = rgb + (10 * w + 10) * 3;
    uint8_t const* red_px = rgb + (10 * w + 5 * 32 + 10) * 3;
    uint8_t const* blue_px = rgb + (10 * w + 6 * 32 + 10) * 3;
    CHECK(white_px[0] >= 253 && white_px[1] >= 253 && white_px[2] >= 253);
    CHECK(red_px[0] >= 253 && red_px[1] <= 2 && red_px[2] <= 2);
    CHECK(blue_px[0] <= 2 && blue_px[1] <= 2 && blue_px[2] >= 253);
    char const* path = "/tmp/test_media_render.png";
    char err[128];
    CHECK(mxm_png_write_rgb(path, rgb, w, h, err, sizeof err) == 0);
    size_t flen = 0;
    char* file = test_read_file(path, &flen);
    CHECK(file && flen > 8 && memcmp(file, "\x89PNG\r\n\x1a\n", 8) == 0);
    free(file);
    remove(path);
    CHECK(mxm_png_write_rgb("/nonexistent-dir/x.png", rgb, w, h, err, sizeof err) == -1);
    free(rgb);
    free(buf);
}

int main(void)
{
    test_partial_equals_full(0);
    test_partial_equals_full(1);
    test_partial_equals_full(2);
    test_text_rgb_png();
    bench();
    return test_finish("test_media_render");
}
