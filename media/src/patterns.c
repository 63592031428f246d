/* Static background patterns: colour bars (75 %, 100 %), RP 219-1 style HD bars, ramp, solid, checkerboard.
 * Layouts and values are documented in docs/test-signals.md. */
#include <string.h>
#include <strings.h>

#include "mxlmedia.h"

int mxm_pattern_by_name(char const* name, mxm_pattern* out)
{
    static struct { char const* name; mxm_pattern p; } const names[] = {
        {"bars75", MXM_PAT_BARS75}, {"bars", MXM_PAT_BARS75},   {"bars100", MXM_PAT_BARS100},
        {"hdbars", MXM_PAT_HDBARS}, {"smpte", MXM_PAT_HDBARS},  {"rp219", MXM_PAT_HDBARS},
        {"ramp", MXM_PAT_RAMP},     {"solid", MXM_PAT_SOLID},   {"checker", MXM_PAT_CHECKER},
    };
    if (!name) return -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].p;
            return 0;
        }
    }
    return -1;
}

/* Even-rounded position num/den of the width (bar edges fall on pixel pairs so every pixel has its own chroma). */
static uint32_t even_pos(uint32_t width, uint64_t num, uint64_t den)
{
    uint64_t x = ((uint64_t)width * num + den / 2u) / den;
    x &= ~(uint64_t)1u;
    return x > width ? width : (uint32_t)x;
}

static void bars(mxm_image const* img, int level)
{
    for (int i = 0; i < 8; i++) {
        uint32_t x0 = even_pos(img->width, (uint64_t)i, 8), x1 = even_pos(img->width, (uint64_t)i + 1u, 8);
        if (i == 7) x1 = img->width;
        mxm_fill_rect(img, x0, 0, x1, img->height, mxm_bar_colour(i, level));
    }
}

static mxm_ycc grey(unsigned code)
{
    mxm_ycc c = {(uint16_t)code, 512, 512};
    return c;
}

/* Luma ramp from 64 (black) at x0 to 940 (white) at x1-1 over rows [y0, y1), neutral chroma. */
static void ramp(mxm_image const* img, uint32_t x0, uint32_t x1, uint32_t y0, uint32_t y1)
{
    if (x1 <= x0) return;
    uint32_t span = x1 - x0 > 1u ? x1 - x0 - 1u : 1u;
    for (uint32_t x = x0; x < x1; x++) {
        unsigned code = 64u + (unsigned)((876u * (uint64_t)(x - x0) + span / 2u) / span);
        mxm_fill_rect(img, x, y0, x + 1u, y1, grey(code));
    }
}

/* SMPTE RP 219-1 layout, 16:9: side panels d = W/8, seven bars c = 3W/28 in between.
 * Rows: 7/12 bars (40 % grey sides, 75 % bars), 1/12 (100 % cyan | 100 % white | 75 % white | 100 % blue),
 * 1/12 (100 % yellow | black | ramp | 100 % white | 100 % red), 3/12 (15 % grey | black 1.5c | white 2c |
 * black 5c/6 | -2 % | black | +2 % | black | +4 % (c/3 each) | black c | 15 % grey). */
static void hdbars(mxm_image const* img)
{
    uint32_t w = img->width, h = img->height;
    uint32_t h1 = (uint32_t)(((uint64_t)h * 7u + 6u) / 12u), h2 = (uint32_t)(((uint64_t)h * 8u + 6u) / 12u);
    uint32_t h3 = (uint32_t)(((uint64_t)h * 9u + 6u) / 12u);
    /* Positions in units of 1/168 of the width: d = 21, c = 18 (21 + 7*18 + 21 = 168). */
#define P(u) even_pos(w, (u), 168)
    mxm_ycc const grey40 = grey(414), grey15 = grey(195);
    mxm_fill_rect(img, 0, 0, P(21), h1, grey40);
    for (int i = 0; i < 7; i++) mxm_fill_rect(img, P(21u + 18u * (unsigned)i), 0, P(39u + 18u * (unsigned)i), h1,
                                              mxm_bar_colour(i, 75));
    mxm_fill_rect(img, P(147), 0, w, h1, grey40);

    mxm_fill_rect(img, 0, h1, P(21), h2, mxm_bar_colour(MXM_CYAN, 100));
    mxm_fill_rect(img, P(21), h1, P(39), h2, mxm_bar_colour(MXM_WHITE, 100));
    mxm_fill_rect(img, P(39), h1, P(147), h2, mxm_bar_colour(MXM_WHITE, 75));
    mxm_fill_rect(img, P(147), h1, w, h2, mxm_bar_colour(MXM_BLUE, 100));

    mxm_fill_rect(img, 0, h2, P(21), h3, mxm_bar_colour(MXM_YELLOW, 100));
    mxm_fill_rect(img, P(21), h2, P(39), h3, mxm_bar_colour(MXM_BLACK, 100));
    ramp(img, P(39), P(129), h2, h3);
    mxm_fill_rect(img, P(129), h2, P(147), h3, mxm_bar_colour(MXM_WHITE, 100));
    mxm_fill_rect(img, P(147), h2, w, h3, mxm_bar_colour(MXM_RED, 100));

    /* Bottom row in 1/168 units: 21 | 27 black | 36 white | 15 black | 6 -2% | 6 black | 6 +2% | 6 black | 6 +4% |
     * 18 black | 21 (sums to 168). */
    static unsigned const edges[] = {0, 21, 48, 84, 99, 105, 111, 117, 123, 129, 147, 168};
    static unsigned const codes[] = {195, 64, 940, 64, 46, 64, 82, 64, 99, 64, 195};
    for (int i = 0; i < 11; i++) {
        uint32_t x1 = i == 10 ? w : P(edges[i + 1]);
        mxm_fill_rect(img, P(edges[i]), h3, x1, h, i == 0 || i == 10 ? grey15 : grey(codes[i]));
    }
#undef P
}

static void checker(mxm_image const* img, uint32_t size)
{
    if (size == 0) size = img->height / 9u ? img->height / 9u : 1u;
    size = (size + 1u) & ~1u;
    mxm_ycc const white = mxm_bar_colour(MXM_WHITE, 100), black = mxm_bar_colour(MXM_BLACK, 100);
    for (uint32_t y = 0; y < img->height; y += size) {
        for (uint32_t x = 0; x < img->width; x += size) {
            int on = (int)(((x / size) + (y / size)) & 1u);
            mxm_fill_rect(img, x, y, x + size, y + size, on ? black : white);
        }
    }
}

void mxm_render_pattern(mxm_image const* img, mxm_pattern pat, mxm_pattern_opts const* opts)
{
    switch (pat) {
    case MXM_PAT_BARS75: bars(img, 75); break;
    case MXM_PAT_BARS100: bars(img, 100); break;
    case MXM_PAT_HDBARS: hdbars(img); break;
    case MXM_PAT_RAMP: ramp(img, 0, img->width, 0, img->height); break;
    case MXM_PAT_SOLID: {
        mxm_ycc c = opts ? opts->solid : mxm_bar_colour(MXM_BLACK, 100);
        mxm_fill_rect(img, 0, 0, img->width, img->height, c);
        break;
    }
    case MXM_PAT_CHECKER: checker(img, opts ? opts->checker : 0); break;
    }
}
