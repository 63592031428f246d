/* Test-pattern renderer: a background (pattern + label) rendered once per field parity, then per grain only what
 * changes: the moving box, the frame counter, the timecode and the flash. Destinations are remembered by address
 * so that a reused grain buffer only gets back the background under the previous grain's moving parts. */
#include <stdlib.h>
#include <string.h>

#include "mxlmedia.h"

#define MAX_RECTS 4
#define MAX_DESTS 128

typedef struct rect
{
    uint32_t x0, y0, x1, y1;
} rect;

typedef struct dest
{
    uint8_t* ptr;
    size_t len;
    int parity;
    int full;   /* last render covered everything (flash): restore all */
    int nrect;
    rect r[MAX_RECTS];
    uint64_t used;
} dest;

struct mxm_renderer
{
    mxm_render_opts o;
    char* label;
    uint32_t rows, scale, box, box_y, box_step, margin;
    size_t stride, grain_size;
    uint8_t* bg[2];
    dest dests[MAX_DESTS];
    uint64_t tick;
    mxm_render_stats stats;
};

static int image_of(mxm_renderer const* r, uint8_t* data, size_t len, int parity, mxm_image* img)
{
    return mxm_image_init(img, data, len, r->o.width, r->o.height, r->o.interlace ? parity : MXM_FRAME);
}

static void draw_label(mxm_renderer const* r, mxm_image const* img)
{
    if (!r->label || !*r->label) return;
    mxm_ycc const black = mxm_bar_colour(MXM_BLACK, 100);
    mxm_text_draw(img, r->margin, mxm_counter_band(r->o.height) + r->margin, r->label, r->scale,
                  mxm_bar_colour(MXM_WHITE, 100), &black);
}

mxm_renderer* mxm_renderer_new(mxm_render_opts const* opts)
{
    if (!opts || opts->width < 2 || opts->height < 2 || opts->width > 16384 || opts->height > 8640) return NULL;
    if (opts->interlace && (opts->height & 1u)) return NULL;
    mxm_renderer* r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->o = *opts;
    r->label = opts->label ? strdup(opts->label) : NULL;
    r->o.label = r->label;
    r->stride = mxm_v210_stride(opts->width);
    r->rows = opts->interlace ? opts->height / 2u : opts->height;
    r->grain_size = r->stride * r->rows;
    r->scale = opts->text_scale ? opts->text_scale : (opts->height / 360u ? opts->height / 360u : 1u);
    r->margin = (opts->height / 54u + 1u) & ~1u;
    r->box = (opts->height / 8u) & ~1u;
    if (r->box < 2) r->box = 2;
    if (r->box > opts->width) r->box = opts->width & ~1u;
    r->box_y = opts->height / 2u - r->box / 2u;
    r->box_step = (opts->width / 120u) & ~1u;
    if (r->box_step < 2) r->box_step = 2;
    int nbg = opts->interlace ? 2 : 1;
    for (int p = 0; p < nbg; p++) {
        r->bg[p] = calloc(1, r->grain_size);
        mxm_image img;
        if (!r->bg[p] || image_of(r, r->bg[p], r->grain_size, p, &img) != 0) {
            mxm_renderer_free(r);
            return NULL;
        }
        mxm_render_pattern(&img, opts->pattern, &opts->pattern_opts);
        draw_label(r, &img);
    }
    return r;
}

void mxm_renderer_free(mxm_renderer* r)
{
    if (!r) return;
    free(r->bg[0]);
    free(r->bg[1]);
    free(r->label);
    free(r);
}

size_t mxm_renderer_grain_size(mxm_renderer const* r)
{
    return r->grain_size;
}

uint32_t mxm_renderer_box_x(mxm_renderer const* r, uint64_t index)
{
    uint64_t travel = r->o.width > r->box ? r->o.width - r->box : 0;
    if (travel == 0) return 0;
    uint64_t pos = (index * r->box_step) % (2u * travel);
    uint64_t x = pos < travel ? pos : 2u * travel - pos;
    return (uint32_t)(x & ~(uint64_t)1u);
}

void mxm_renderer_forget(mxm_renderer* r)
{
    memset(r->dests, 0, sizeof r->dests);
}

void mxm_renderer_stats(mxm_renderer const* r, mxm_render_stats* out)
{
    *out = r->stats;
}

/* Copy the background back over the whole 6-pixel groups covering a rectangle. */
static void restore_rect(mxm_renderer const* r, mxm_image const* img, uint8_t const* bg, rect const* q)
{
    size_t b0 = (size_t)(q->x0 / 6u) * 16u, b1 = ((size_t)q->x1 + 5u) / 6u * 16u;
    if (b1 > r->stride) b1 = r->stride;
    for (uint32_t y = q->y0; y < q->y1 && y < r->o.height; y++) {
        uint8_t* line = mxm_image_line(img, y);
        if (line) memcpy(line + b0, bg + (size_t)(line - img->data) + b0, b1 - b0);
    }
}

static dest* find_dest(mxm_renderer* r, uint8_t* ptr, size_t len)
{
    dest* oldest = &r->dests[0];
    for (int i = 0; i < MAX_DESTS; i++) {
        if (r->dests[i].ptr == ptr && r->dests[i].len == len) return &r->dests[i];
        if (r->dests[i].used < oldest->used) oldest = &r->dests[i];
    }
    memset(oldest, 0, sizeof *oldest);
    return oldest;
}

int mxm_renderer_render(mxm_renderer* r, uint8_t* dst, size_t len, uint64_t index, char const* tc_text,
                        int force_full)
{
    if (!dst || len < r->grain_size) return -1;
    int parity = 0;
    if (r->o.interlace) {
        int first = (index & 1u) == 0; /* even grain index = field 1 */
        int f1 = r->o.interlace == 2 ? 1 : 0;
        parity = first ? f1 : 1 - f1;
    }
    mxm_image img;
    if (image_of(r, dst, len, parity, &img) != 0) return -1;
    uint8_t const* bg = r->bg[parity];
    dest* d = find_dest(r, dst, len);
    if (d->ptr == dst && d->parity == parity && !d->full && !force_full) {
        for (int i = 0; i < d->nrect; i++) restore_rect(r, &img, bg, &d->r[i]);
        r->stats.partial_restores++;
    } else {
        memcpy(dst, bg, r->grain_size);
        r->stats.full_copies++;
    }
    d->ptr = dst;
    d->len = len;
    d->parity = parity;
    d->used = ++r->tick;
    d->nrect = 0;
    d->full = 0;

    if (r->o.flash_period && index % r->o.flash_period == 0) {
        mxm_fill_rect(&img, 0, 0, r->o.width, r->o.height, mxm_bar_colour(MXM_WHITE, 100));
        draw_label(r, &img);
        d->full = 1;
    }
    if (r->o.box) {
        uint32_t x = mxm_renderer_box_x(r, index), t = r->box / 8u ? (r->box / 8u + 1u) & ~1u : 2u;
        rect q = {x, r->box_y, x + r->box, r->box_y + r->box};
        mxm_fill_rect(&img, q.x0, q.y0, q.x1, q.y1, mxm_bar_colour(MXM_BLACK, 100));
        mxm_fill_rect(&img, q.x0 + t, q.y0 + t, q.x1 - t, q.y1 - t, mxm_bar_colour(MXM_WHITE, 100));
        d->r[d->nrect++] = q;
    }
    if (r->o.counter) mxm_counter_draw(&img, (uint32_t)index); /* overwrites its whole band every grain */
    if (tc_text && *tc_text) {
        uint32_t w = mxm_text_width(tc_text, r->scale), h = MXM_FONT_H * r->scale;
        uint32_t x = r->o.width > w ? ((r->o.width - w) / 2u) & ~1u : 0u;
        uint32_t y = r->o.height / 16u * 11u;
        mxm_ycc const black = mxm_bar_colour(MXM_BLACK, 100);
        rect q = {x >= r->margin ? x - r->margin : 0, y >= r->margin / 2u ? y - r->margin / 2u : 0,
                  x + w + r->margin, y + h + r->margin / 2u};
        mxm_fill_rect(&img, q.x0, q.y0, q.x1, q.y1, black);
        mxm_text_draw(&img, x, y, tc_text, r->scale, mxm_bar_colour(MXM_WHITE, 100), NULL);
        d->r[d->nrect++] = q;
    }
    r->stats.grains++;
    return 0;
}
