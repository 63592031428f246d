/* mxlmedia core facts: v210 / key packing, bar values, frame counter, timecode, tone phase, UUIDs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <mxlmedia.h>

#include "testutil.h"

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static uint32_t le32(uint8_t const* p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void test_v210_layout(void)
{
    CHECK_EQ_U64(mxm_v210_stride(1280), 3456);
    CHECK_EQ_U64(mxm_v210_stride(1920), 5120);
    CHECK_EQ_U64(mxm_v210_stride(3840), 10240);
    CHECK_EQ_U64(mxm_v210_stride(720), 1920);
    CHECK_EQ_U64(mxm_key_stride(1920), 2560);
    CHECK_EQ_U64(mxm_key_stride(1280), 1708);
    /* One 6-pixel group: w0 = Cb0|Y0<<10|Cr0<<20, w1 = Y1|Cb2<<10|Y2<<20, w2 = Cr2|Y3<<10|Cb4<<20, w3 = Y4|Cr4<<10|Y5<<20 */
    uint16_t y[6] = {101, 102, 103, 104, 105, 106}, cb[3] = {201, 202, 203}, cr[3] = {301, 302, 303};
    uint8_t line[128];
    memset(line, 0xAA, sizeof line);
    CHECK(mxm_v210_pack_line(line, sizeof line, 6, y, cb, cr) == 0);
    CHECK_EQ_U64(le32(line + 0), 201u | 101u << 10 | 301u << 20);
    CHECK_EQ_U64(le32(line + 4), 102u | 202u << 10 | 103u << 20);
    CHECK_EQ_U64(le32(line + 8), 302u | 104u << 10 | 203u << 20);
    CHECK_EQ_U64(le32(line + 12), 105u | 303u << 10 | 106u << 20);
    int pad_zero = 1;
    for (size_t i = 16; i < sizeof line; i++) pad_zero &= line[i] == 0;
    CHECK(pad_zero);
    /* Partial last group: width 2 uses 2 words (Cb0 Y0 Cr0 | Y1), the unused fields are zero. */
    CHECK(mxm_v210_pack_line(line, sizeof line, 2, y, cb, cr) == 0);
    CHECK_EQ_U64(le32(line + 4), 102u);
    CHECK_EQ_U64(le32(line + 8), 0);
    CHECK(mxm_v210_pack_line(line, 127, 6, y, cb, cr) == -1); /* dst shorter than the stride */
    CHECK(mxm_v210_unpack_line(line, 4, 2, y, cb, cr) == -1);  /* width 2 needs 8 bytes */
}

static void test_v210_roundtrip(void)
{
    static uint32_t const widths[] = {1, 2, 3, 4, 5, 6, 7, 8, 47, 48, 49, 95, 720, 1279, 1280, 1920, 3840};
    for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
        uint32_t w = widths[k], c = mxm_chroma_count(w);
        size_t stride = mxm_v210_stride(w);
        uint16_t *y = malloc(w * 2), *cb = malloc(c * 2), *cr = malloc(c * 2);
        uint16_t *y2 = malloc(w * 2), *cb2 = malloc(c * 2), *cr2 = malloc(c * 2);
        uint8_t* line = malloc(stride);
        for (uint32_t i = 0; i < w; i++) y[i] = (uint16_t)(rnd() & 0x3FF);
        for (uint32_t i = 0; i < c; i++) {
            cb[i] = (uint16_t)(rnd() & 0x3FF);
            cr[i] = (uint16_t)(rnd() & 0x3FF);
        }
        memset(line, 0xFF, stride);
        CHECK(mxm_v210_pack_line(line, stride, w, y, cb, cr) == 0);
        CHECK(mxm_v210_unpack_line(line, stride, w, y2, cb2, cr2) == 0);
        CHECK_MSG(memcmp(y, y2, w * 2) == 0 && memcmp(cb, cb2, c * 2) == 0 && memcmp(cr, cr2, c * 2) == 0,
                  "width %u", w);
        /* Everything after the line's samples is zero: top bits of every word, unused fields, padding. */
        size_t samples = (w & 1) ? 2u * w + 1u : 2u * w;
        int clean = 1;
        for (size_t wi = 0; wi < stride / 4; wi++) {
            uint32_t word = le32(line + wi * 4);
            if (word >> 30) clean = 0;
            for (unsigned f = 0; f < 3; f++)
                if (wi * 3 + f >= samples && ((word >> (10 * f)) & 0x3FF)) clean = 0;
        }
        CHECK_MSG(clean, "width %u: padding not zero", w);
        /* key plane */
        size_t ks = mxm_key_stride(w);
        uint8_t* key = malloc(ks);
        memset(key, 0xFF, ks);
        CHECK(mxm_key_pack_line(key, ks, w, y) == 0);
        CHECK(mxm_key_unpack_line(key, ks, w, y2) == 0);
        CHECK_MSG(memcmp(y, y2, w * 2) == 0, "key width %u", w);
        CHECK_EQ_U64(le32(key) & 0x3FF, y[0]);
        if (w % 3) CHECK_EQ_U64(le32(key + ks - 4) >> (10 * (w % 3)), 0);
        free(key);
        free(y), free(cb), free(cr), free(y2), free(cb2), free(cr2), free(line);
    }
}

static void test_bars(void)
{
    uint32_t w = 1920, h = 1080;
    size_t len = mxm_v210_stride(w) * h;
    uint8_t* buf = calloc(1, len);
    mxm_image img;
    CHECK(mxm_image_init(&img, buf, len, w, h, MXM_FRAME) == 0);
    CHECK(mxm_image_init(&img, buf, len - 1, w, h, MXM_FRAME) == -1);
    CHECK(mxm_image_init(&img, buf, len, w, h, MXM_FRAME) == 0);
    static uint16_t const t75[8][3] = {{721, 512, 512}, {674, 176, 543}, {581, 589, 176}, {534, 253, 207},
                                       {251, 771, 817}, {204, 435, 848}, {111, 848, 481}, {64, 512, 512}};
    static uint16_t const t100[8][3] = {{940, 512, 512}, {877, 64, 553}, {754, 615, 64}, {691, 167, 105},
                                        {313, 857, 919}, {250, 409, 960}, {127, 960, 471}, {64, 512, 512}};
    for (int level = 75; level <= 100; level += 25) {
        mxm_render_pattern(&img, level == 75 ? MXM_PAT_BARS75 : MXM_PAT_BARS100, NULL);
        for (int b = 0; b < 8; b++) {
            for (uint32_t x = (uint32_t)b * 240 + 2; x < (uint32_t)b * 240 + 238; x += 59) {
                mxm_ycc c;
                CHECK(mxm_get_pixel(&img, x, 540, &c) == 0);
                uint16_t const* e = level == 75 ? t75[b] : t100[b];
                CHECK_MSG(abs(c.y - e[0]) <= 1 && abs(c.cb - e[1]) <= 1 && abs(c.cr - e[2]) <= 1,
                          "bar %d level %d x %u: %u %u %u", b, level, x, c.y, c.cb, c.cr);
            }
        }
    }
    /* RP 219 style: 40 % grey side panel, 75 % yellow bar, PLUGE +4 % in the bottom row. */
    mxm_render_pattern(&img, MXM_PAT_HDBARS, NULL);
    mxm_ycc c;
    mxm_get_pixel(&img, 100, 100, &c);
    CHECK_EQ_U64(c.y, 414);
    mxm_get_pixel(&img, 240 + 206 + 100, 100, &c);
    CHECK(c.y == 674 && c.cb == 176 && c.cr == 543);
    mxm_get_pixel(&img, 1920 * 126 / 168, 1070, &c);
    CHECK_EQ_U64(c.y, 99);
    mxm_get_pixel(&img, 1920 * 102 / 168, 1070, &c);
    CHECK_EQ_U64(c.y, 46);
    mxm_ycc named;
    CHECK(mxm_colour_by_name("red75", &named) == 0 && named.y == 204 && named.cr == 848);
    CHECK(mxm_colour_by_name("grey40", &named) == 0 && named.y == 414);
    CHECK(mxm_colour_by_name("purple", &named) == -1);
    free(buf);
}

static void test_counter(void)
{
    uint32_t w = 1920, h = 1080;
    size_t stride = mxm_v210_stride(w), len = stride * h;
    uint8_t* buf = calloc(1, len);
    mxm_image img, shifted;
    mxm_image_init(&img, buf, len, w, h, MXM_FRAME);
    static uint32_t const values[] = {0, 1, 0x80000000u, 0xDEADBEEFu, 0xFFFFFFFFu, 123456789u};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        mxm_render_pattern(&img, MXM_PAT_BARS75, NULL);
        mxm_counter_draw(&img, values[i]);
        uint32_t v = 0;
        int margin = 0;
        CHECK(mxm_counter_decode(&img, &v, &margin) == 0);
        CHECK_EQ_U64(v, values[i]);
        CHECK(margin > 400);
        /* The same picture missing its first line (scaled / cropped by one line) still decodes. */
        mxm_image_init(&shifted, buf + stride, len - stride, w, h - 1, MXM_FRAME);
        v = 0;
        CHECK(mxm_counter_decode(&shifted, &v, NULL) == 0);
        CHECK_EQ_U64(v, values[i]);
    }
    /* Bars without a counter are rejected. */
    mxm_render_pattern(&img, MXM_PAT_BARS75, NULL);
    uint32_t v;
    CHECK(mxm_counter_decode(&img, &v, NULL) == -1);
    /* Field image (one field of 1080i). */
    mxm_image field;
    CHECK(mxm_image_init(&field, buf, stride * 540, w, 1080, 1) == 0);
    CHECK_EQ_U64(mxm_image_rows(&field), 540);
    mxm_render_pattern(&field, MXM_PAT_BARS100, NULL);
    mxm_counter_draw(&field, 0xA5A5F00Du);
    CHECK(mxm_counter_decode(&field, &v, NULL) == 0);
    CHECK_EQ_U64(v, 0xA5A5F00Du);
    free(buf);
}

static void tc_check(uint64_t count, uint32_t fps, int drop, char const* expect)
{
    mxm_timecode tc;
    char s[16];
    mxm_timecode_from_count(count, fps, drop, &tc);
    mxm_timecode_format(&tc, s, sizeof s);
    CHECK_MSG(strcmp(s, expect) == 0, "count %llu fps %u: %s, expected %s", (unsigned long long)count, fps, s, expect);
    CHECK_EQ_U64(mxm_timecode_to_count(&tc), count);
}

static void test_timecode(void)
{
    tc_check(1799, 30, 1, "00:00:59;29");
    tc_check(1800, 30, 1, "00:01:00;02");
    tc_check(17981, 30, 1, "00:09:59;29");
    tc_check(17982, 30, 1, "00:10:00;00"); /* every tenth minute keeps ;00 and ;01 */
    tc_check(17982 + 1800, 30, 1, "00:11:00;02");
    tc_check(3599, 60, 1, "00:00:59;59");
    tc_check(3600, 60, 1, "00:01:00;04");
    tc_check(25 * 3600, 25, 0, "01:00:00:00");
    tc_check(24 * 3600 + 23, 24, 0, "01:00:00:23");
    CHECK(mxm_rate_is_drop(30000, 1001) && mxm_rate_is_drop(60000, 1001) && !mxm_rate_is_drop(24000, 1001));
    CHECK_EQ_U64(mxm_rate_whole(30000, 1001), 30);
    CHECK_EQ_U64(mxm_rate_whole(24000, 1001), 24);
    /* Round trip of every label over two hours of drop-frame. */
    int ok = 1;
    for (uint64_t n = 0; n < 2u * 107892u; n++) {
        mxm_timecode tc;
        mxm_timecode_from_count(n, 30, 1, &tc);
        if (mxm_timecode_to_count(&tc) != n || (tc.seconds == 0 && tc.frames < 2 && tc.minutes % 10 != 0)) ok = 0;
    }
    CHECK(ok);
    /* Index/timestamp conversions agree with the MXL library. */
    mxlRational r = {30000, 1001};
    for (uint64_t i = 1000000000ull; i < 1000000000ull + 5000; i += 7) {
        CHECK_EQ_U64(mxm_index_to_ns(i, 30000, 1001), mxlIndexToTimestamp(&r, i));
        uint64_t t = mxlIndexToTimestamp(&r, i) + i % 1000;
        CHECK_EQ_U64(mxm_ns_to_index(t, 30000, 1001), mxlTimestampToIndex(&r, t));
    }
    /* Time of day: at 25 fps the frame at TAI = day * 86400 s + 37 s is the first of that UTC day. */
    uint64_t day = 20000;
    uint64_t first = (day * 86400ull + MXM_TAI_UTC_OFFSET_S) * 25ull;
    CHECK_EQ_U64(mxm_frame_of_day(first, 25, 1), 0);
    CHECK_EQ_U64(mxm_frame_of_day(first - 1, 25, 1), 25u * 86400u - 1u);
    mxm_timecode tc;
    mxm_timecode_of_frame(first + 25 * 3661 + 7, 25, 1, &tc);
    CHECK(tc.hours == 1 && tc.minutes == 1 && tc.seconds == 1 && tc.frames == 7 && !tc.drop);
    /* 30000/1001: the count is contiguous through a midnight and restarts at 0 once. */
    uint64_t mid = mxm_ns_to_index((day * 86400ull + MXM_TAI_UTC_OFFSET_S) * 1000000000ull, 30000, 1001);
    int zeros = 0, contiguous = 1;
    for (uint64_t i = mid - 50; i < mid + 50; i++) {
        uint64_t a = mxm_frame_of_day(i, 30000, 1001), b = mxm_frame_of_day(i + 1, 30000, 1001);
        if (b == 0) zeros++;
        else if (b != a + 1) contiguous = 0;
    }
    CHECK(contiguous);
    CHECK_EQ_U64(zeros, 1);
    /* ATC above 30 fps counts frame pairs. */
    mxm_timecode v, a;
    int fm = -1;
    mxm_timecode_from_count(3600 + 5, 60, 1, &v); /* 00:01:00;09 */
    mxm_atc_label(&v, &a, &fm);
    CHECK(v.frames == 9 && a.frames == 4 && fm == 1 && a.fps == 30);
}

static void test_tone(void)
{
    mxm_tone t = {48000, 1000, 1, 0.1};
    uint64_t s = 86000000000000ull; /* 8.6e13 samples: about 56 years at 48 kHz */
    for (uint64_t k = 0; k < 100; k++) {
        double e = 0.1 * sin(2.0 * M_PI * (double)(((s + k) * 1000ull) % 48000ull) / 48000.0);
        CHECK(fabs(mxm_tone_sample(&t, s + k) - e) < 1e-12);
    }
    mxm_tone third = {48000, 1000, 3, 1.0}; /* 333.33 Hz: phase (s*1000) mod 144000 */
    double e = sin(2.0 * M_PI * (double)((s * 1000ull) % 144000ull) / 144000.0);
    CHECK(fabs(mxm_tone_sample(&third, s) - e) < 1e-12);
    CHECK(fabs(mxm_db_to_amplitude(-20.0) - 0.1) < 1e-12);

    /* Beep windows: 30000/1001 video, every 30 grains; grain 30 starts at sample round(1.001 s * 48000) = 48048. */
    mxm_beep b = {30, 30000, 1001, 2000, 1, 0.5};
    uint64_t end = 0;
    CHECK_EQ_U64(mxm_beep_start(&b, 48000, 30), 48048);
    CHECK(mxm_beep_at(&b, 48000, 48047, &end) == 0 && end == 48048);
    CHECK(mxm_beep_at(&b, 48000, 48048, &end) == 1 && end == 49650);
    CHECK(mxm_beep_at(&b, 48000, 49650, &end) == 0 && end == mxm_beep_start(&b, 48000, 60));
    CHECK(mxm_beep_at(&b, 48000, 0, &end) == 1 && end == 1602);

    /* Fill float32 into two fragments (ring wrap) for 2 channels with a gap between channels. */
    enum { N0 = 100, N1 = 60, STRIDE = 1024 * 4 };
    uint8_t* ring = calloc(2, STRIDE);
    mxm_audio_dst d = {{ring + (1024 - N0) * 4, ring}, {N0 * 4, N1 * 4}, STRIDE, 2, 4};
    mxm_tone tones[2] = {{48000, 1000, 1, 0.1}, {48000, 1500, 1, 0.1}};
    uint64_t first = 48048 - 80;
    CHECK(mxm_audio_fill(&d, first, N0 + N1, tones, 2, &b) == 0);
    int ok = 1;
    for (unsigned c = 0; c < 2; c++) {
        for (unsigned k = 0; k < N0 + N1; k++) {
            float v;
            uint8_t* p = k < N0 ? d.frag[0] + c * STRIDE + k * 4 : d.frag[1] + c * STRIDE + (k - N0) * 4;
            memcpy(&v, p, 4);
            uint64_t sk = first + k;
            mxm_tone bt = {48000, 2000, 1, 0.5};
            double want = sk >= 48048 ? mxm_tone_sample(&bt, sk) : mxm_tone_sample(&tones[c], sk);
            if (fabs(v - want) > 1e-6) ok = 0;
        }
    }
    CHECK(ok);
    float gap;
    memcpy(&gap, ring + N1 * 4, 4); /* between the fragments: untouched */
    CHECK(gap == 0.0f);
    d.frag_bytes[1] = (N1 - 1) * 4;
    CHECK(mxm_audio_fill(&d, first, N0 + N1, tones, 2, NULL) == -1);
    /* float64 */
    mxm_audio_dst d8 = {{ring, NULL}, {64 * 8, 0}, STRIDE, 1, 8};
    CHECK(mxm_audio_fill(&d8, s, 64, tones, 1, NULL) == 0);
    double dv;
    memcpy(&dv, ring + 10 * 8, 8);
    CHECK(fabs(dv - mxm_tone_sample(&tones[0], s + 10)) < 1e-15);
    free(ring);
}

static void test_uuid(void)
{
    char out[37];
    CHECK(mxm_uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org", 10, out) == 0);
    CHECK(strcmp(out, "886313e1-3b8a-5372-9b90-0c9aee199e5d") == 0);
    CHECK(mxm_uuid5("not-a-uuid", "x", 1, out) == -1);
    char a[37], b[37];
    mxm_uuid4(a);
    mxm_uuid4(b);
    CHECK(strlen(a) == 36 && a[14] == '4' && strcmp(a, b) != 0);
}

int main(void)
{
    test_v210_layout();
    test_v210_roundtrip();
    test_bars();
    test_counter();
    test_timecode();
    test_tone();
    test_uuid();
    return test_finish("test_media");
}
