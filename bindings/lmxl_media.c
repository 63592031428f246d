/* mxl.media: Lua face of the mxlmedia C library (media/include/mxlmedia.h). Functions take views (bounds- and
 * write-checked through lmxl_view_range) and numbers; no per-pixel work happens in Lua.
 *
 * Conventions: pictures are v210 with the MXL stride ((w+47)/48)*128; `field` (optional, last argument where
 * accepted) is nil for a frame or 0/1 for a field image holding the lines of that parity. Colours are names
 * ("white", "red75", "grey40", ...) or {y, cb, cr} tables of 10-bit codes. Misuse raises; runtime failures return
 * nil, message. */
#include <stdlib.h>
#include <string.h>

#include <mxlmedia.h>

#include "lmxl.h"

#define RENDERER_MT "mxl.media.renderer"

/* ---- argument helpers --------------------------------------------------------------------------------------- */

static uint32_t check_u32(lua_State* L, int idx, char const* what)
{
    lua_Integer v = luaL_checkinteger(L, idx);
    if (v < 0 || v > (lua_Integer)UINT32_MAX) luaL_error(L, "bad %s: %I", what, v);
    return (uint32_t)v;
}

static uint64_t check_u64(lua_State* L, int idx)
{
    return (uint64_t)luaL_checkinteger(L, idx);
}

static int opt_field(lua_State* L, int idx)
{
    if (lua_isnoneornil(L, idx)) return MXM_FRAME;
    lua_Integer f = luaL_checkinteger(L, idx);
    luaL_argcheck(L, f == 0 || f == 1, idx, "field must be nil, 0 or 1");
    return (int)f;
}

/* Image over the view at idx (from offset 0) for a w x h picture; raises when the view is too short. */
static mxm_image check_image(lua_State* L, int idx, int widx, int field, int write)
{
    mxm_image img;
    uint32_t w = check_u32(L, widx, "width"), h = check_u32(L, widx + 1, "height");
    luaL_argcheck(L, w > 0 && h > 0, widx, "empty picture");
    img.width = w;
    img.height = h;
    img.field = field;
    img.stride = mxm_v210_stride(w);
    size_t need = (size_t)mxm_image_rows(&img) * img.stride;
    img.data = lmxl_view_range(L, idx, 0, need, write);
    img.len = need;
    return img;
}

static mxm_ycc check_colour(lua_State* L, int idx)
{
    mxm_ycc c;
    if (lua_type(L, idx) == LUA_TSTRING) {
        if (mxm_colour_by_name(lua_tostring(L, idx), &c) != 0) luaL_error(L, "unknown colour '%s'", lua_tostring(L, idx));
        return c;
    }
    luaL_checktype(L, idx, LUA_TTABLE);
    uint16_t v[3];
    for (int i = 0; i < 3; i++) {
        lua_geti(L, idx, i + 1);
        lua_Integer x = luaL_checkinteger(L, -1);
        if (x < 0 || x > 1023) luaL_error(L, "colour component out of range: %I", x);
        v[i] = (uint16_t)x;
        lua_pop(L, 1);
    }
    c.y = v[0];
    c.cb = v[1];
    c.cr = v[2];
    return c;
}

/* Scratch memory owned by a userdata pushed on the stack (collected, also when a later check raises). */
static void* scratch(lua_State* L, size_t bytes)
{
    return lua_newuserdatauv(L, bytes ? bytes : 1, 0);
}

/* Fill an array of n 10-bit samples from the Lua array at idx (1-based). */
static void read_samples(lua_State* L, int idx, uint16_t* out, size_t n, char const* what)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    for (size_t i = 0; i < n; i++) {
        lua_geti(L, idx, (lua_Integer)i + 1);
        int ok;
        lua_Integer v = lua_tointegerx(L, -1, &ok);
        if (!ok || v < 0 || v > 1023) luaL_error(L, "%s[%I]: expected an integer 0..1023", what, (lua_Integer)i + 1);
        out[i] = (uint16_t)v;
        lua_pop(L, 1);
    }
}

static void push_samples(lua_State* L, uint16_t const* v, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushinteger(L, v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static lua_Integer field_int(lua_State* L, int t, char const* k, lua_Integer dflt)
{
    lua_getfield(L, t, k);
    lua_Integer v = lua_isnil(L, -1) ? dflt : luaL_checkinteger(L, -1);
    lua_pop(L, 1);
    return v;
}

static double field_num(lua_State* L, int t, char const* k, double dflt)
{
    lua_getfield(L, t, k);
    double v = lua_isnil(L, -1) ? dflt : luaL_checknumber(L, -1);
    lua_pop(L, 1);
    return v;
}

/* ---- v210 lines ---------------------------------------------------------------------------------------------- */

/* media.v210_stride(w), media.key_stride(w) -> bytes per line. */
static int l_v210_stride(lua_State* L)
{
    lua_pushinteger(L, (lua_Integer)mxm_v210_stride(check_u32(L, 1, "width")));
    return 1;
}

static int l_key_stride(lua_State* L)
{
    lua_pushinteger(L, (lua_Integer)mxm_key_stride(check_u32(L, 1, "width")));
    return 1;
}

/* media.v210_pack_line(view, offset, w, y, cb, cr): y has w entries, cb/cr (w+1)//2 (10-bit codes). Writes the whole
 * stride at offset (padding zero). */
static int l_v210_pack_line(lua_State* L)
{
    size_t off = (size_t)check_u64(L, 2);
    uint32_t w = check_u32(L, 3, "width");
    luaL_argcheck(L, w > 0, 3, "width must be positive");
    size_t stride = mxm_v210_stride(w), c = mxm_chroma_count(w);
    uint8_t* dst = lmxl_view_range(L, 1, off, stride, 1);
    uint16_t* buf = scratch(L, (w + 2u * c) * sizeof(uint16_t));
    read_samples(L, 4, buf, w, "y");
    read_samples(L, 5, buf + w, c, "cb");
    read_samples(L, 6, buf + w + c, c, "cr");
    mxm_v210_pack_line(dst, stride, w, buf, buf + w, buf + w + c);
    return 0;
}

/* media.v210_unpack_line(view, offset, w) -> y, cb, cr (arrays of 10-bit codes). */
static int l_v210_unpack_line(lua_State* L)
{
    size_t off = (size_t)check_u64(L, 2);
    uint32_t w = check_u32(L, 3, "width");
    luaL_argcheck(L, w > 0, 3, "width must be positive");
    size_t c = mxm_chroma_count(w);
    uint8_t const* src = lmxl_view_range(L, 1, off, mxm_v210_stride(w), 0);
    uint16_t* buf = scratch(L, (w + 2u * c) * sizeof(uint16_t));
    mxm_v210_unpack_line(src, mxm_v210_stride(w), w, buf, buf + w, buf + w + c);
    push_samples(L, buf, w);
    push_samples(L, buf + w, c);
    push_samples(L, buf + w + c, c);
    return 3;
}

/* media.key_pack_line(view, offset, w, a) / media.key_unpack_line(view, offset, w) -> a: v210a key lines. */
static int l_key_pack_line(lua_State* L)
{
    size_t off = (size_t)check_u64(L, 2);
    uint32_t w = check_u32(L, 3, "width");
    luaL_argcheck(L, w > 0, 3, "width must be positive");
    uint8_t* dst = lmxl_view_range(L, 1, off, mxm_key_stride(w), 1);
    uint16_t* buf = scratch(L, w * sizeof(uint16_t));
    read_samples(L, 4, buf, w, "a");
    mxm_key_pack_line(dst, mxm_key_stride(w), w, buf);
    return 0;
}

static int l_key_unpack_line(lua_State* L)
{
    size_t off = (size_t)check_u64(L, 2);
    uint32_t w = check_u32(L, 3, "width");
    luaL_argcheck(L, w > 0, 3, "width must be positive");
    uint8_t const* src = lmxl_view_range(L, 1, off, mxm_key_stride(w), 0);
    uint16_t* buf = scratch(L, w * sizeof(uint16_t));
    mxm_key_unpack_line(src, mxm_key_stride(w), w, buf);
    push_samples(L, buf, w);
    return 1;
}

/* ---- pictures ------------------------------------------------------------------------------------------------ */

/* media.render_pattern(view, w, h, name [, {colour=, size=, field=}]): bars75, bars100, hdbars, ramp, solid,
 * checker over the whole picture. media.render_bars(view, w, h [, kind="bars75" [, field]]) is the bars shortcut. */
static int l_render_pattern(lua_State* L)
{
    char const* name = luaL_checkstring(L, 4);
    mxm_pattern pat;
    if (mxm_pattern_by_name(name, &pat) != 0) return luaL_error(L, "unknown pattern '%s'", name);
    mxm_pattern_opts po = {mxm_bar_colour(MXM_BLACK, 100), 0};
    int field = MXM_FRAME;
    if (lua_istable(L, 5)) {
        lua_getfield(L, 5, "colour");
        if (!lua_isnil(L, -1)) po.solid = check_colour(L, lua_gettop(L));
        lua_pop(L, 1);
        po.checker = (uint32_t)field_int(L, 5, "size", 0);
        lua_getfield(L, 5, "field");
        field = opt_field(L, lua_gettop(L));
        lua_pop(L, 1);
    }
    mxm_image img = check_image(L, 1, 2, field, 1);
    mxm_render_pattern(&img, pat, &po);
    return 0;
}

static int l_render_bars(lua_State* L)
{
    char const* kind = luaL_optstring(L, 4, "bars75");
    mxm_pattern pat;
    if (mxm_pattern_by_name(kind, &pat) != 0 || (pat != MXM_PAT_BARS75 && pat != MXM_PAT_BARS100 &&
                                                  pat != MXM_PAT_HDBARS))
        return luaL_error(L, "unknown bars kind '%s' (bars75, bars100, hdbars)", kind);
    mxm_image img = check_image(L, 1, 2, opt_field(L, 5), 1);
    mxm_render_pattern(&img, pat, NULL);
    return 0;
}

/* media.fill_rect(view, w, h, x0, y0, x1, y1, colour [, field]) */
static int l_fill_rect(lua_State* L)
{
    mxm_image img = check_image(L, 1, 2, opt_field(L, 9), 1);
    mxm_fill_rect(&img, check_u32(L, 4, "x0"), check_u32(L, 5, "y0"), check_u32(L, 6, "x1"), check_u32(L, 7, "y1"),
                  check_colour(L, 8));
    return 0;
}

/* media.get_pixel(view, w, h, x, y [, field]) -> y, cb, cr | nil (outside or other field) */
static int l_get_pixel(lua_State* L)
{
    mxm_image img = check_image(L, 1, 2, opt_field(L, 6), 0);
    mxm_ycc c;
    if (mxm_get_pixel(&img, check_u32(L, 4, "x"), check_u32(L, 5, "y"), &c) != 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushinteger(L, c.y);
    lua_pushinteger(L, c.cb);
    lua_pushinteger(L, c.cr);
    return 3;
}

/* media.frame_counter_draw(view, w, h, value [, field]) */
static int l_counter_draw(lua_State* L)
{
    mxm_image img = check_image(L, 1, 2, opt_field(L, 5), 1);
    mxm_counter_draw(&img, (uint32_t)(luaL_checkinteger(L, 4) & 0xFFFFFFFF));
    return 0;
}

/* media.frame_counter_decode(view, w, h [, field]) -> value, margin | nil, margin */
static int l_counter_decode(lua_State* L)
{
    mxm_image img = check_image(L, 1, 2, opt_field(L, 4), 0);
    uint32_t v = 0;
    int margin = 0;
    if (mxm_counter_decode(&img, &v, &margin) == 0) lua_pushinteger(L, v);
    else lua_pushnil(L);
    lua_pushinteger(L, margin);
    return 2;
}

/* media.counter_band(h) -> lines of the counter band */
static int l_counter_band(lua_State* L)
{
    lua_pushinteger(L, mxm_counter_band(check_u32(L, 1, "height")));
    return 1;
}

/* media.text(view, w, h, x, y, str, scale, fg [, bg [, field]]) -> width in pixels */
static int l_text(lua_State* L)
{
    mxm_image img = check_image(L, 1, 2, opt_field(L, 10), 1);
    mxm_ycc fg = check_colour(L, 8), bg;
    int has_bg = !lua_isnoneornil(L, 9);
    if (has_bg) bg = check_colour(L, 9);
    uint32_t w = mxm_text_draw(&img, check_u32(L, 4, "x"), check_u32(L, 5, "y"), luaL_checkstring(L, 6),
                               (uint32_t)luaL_optinteger(L, 7, 1), fg, has_bg ? &bg : NULL);
    lua_pushinteger(L, w);
    return 1;
}

/* media.text_width(str, scale) -> pixels */
static int l_text_width(lua_State* L)
{
    lua_pushinteger(L, mxm_text_width(luaL_checkstring(L, 1), (uint32_t)luaL_optinteger(L, 2, 1)));
    return 1;
}

/* ---- timecode ------------------------------------------------------------------------------------------------ */

static void push_tc(lua_State* L, mxm_timecode const* tc)
{
    char s[16];
    mxm_timecode_format(tc, s, sizeof s);
    lua_pushstring(L, s);
    lua_createtable(L, 0, 8);
    lua_pushinteger(L, tc->hours), lua_setfield(L, -2, "hours");
    lua_pushinteger(L, tc->minutes), lua_setfield(L, -2, "minutes");
    lua_pushinteger(L, tc->seconds), lua_setfield(L, -2, "seconds");
    lua_pushinteger(L, tc->frames), lua_setfield(L, -2, "frames");
    lua_pushboolean(L, tc->drop), lua_setfield(L, -2, "drop");
    lua_pushinteger(L, tc->fps), lua_setfield(L, -2, "fps");
    lua_pushinteger(L, (lua_Integer)tc->frame_of_day), lua_setfield(L, -2, "frame_of_day");
}

static void check_rate(lua_State* L, int idx, int64_t* num, int64_t* den)
{
    *num = luaL_checkinteger(L, idx);
    *den = luaL_optinteger(L, idx + 1, 1);
    luaL_argcheck(L, *num > 0 && *den > 0, idx, "rate must be positive");
}

/* media.timecode(frame_index, rate_num, rate_den [, tai_ns]) -> "HH:MM:SS:FF", fields. The time of day of the
 * frame's TAI timestamp (or of tai_ns when given) minus the TAI-UTC offset; drop-frame for 30000/1001, 60000/1001.
 * fields = {hours, minutes, seconds, frames, drop, fps, frame_of_day}. */
static int l_timecode(lua_State* L)
{
    int64_t num, den;
    check_rate(L, 2, &num, &den);
    uint64_t frame = lua_isnoneornil(L, 4) ? check_u64(L, 1) : mxm_ns_to_index(check_u64(L, 4), num, den);
    mxm_timecode tc;
    mxm_timecode_of_frame(frame, num, den, &tc);
    push_tc(L, &tc);
    return 2;
}

/* media.timecode_from_count(frames_of_day, fps [, drop]) -> string, fields */
static int l_timecode_from_count(lua_State* L)
{
    mxm_timecode tc;
    mxm_timecode_from_count(check_u64(L, 1), check_u32(L, 2, "fps"), lua_toboolean(L, 3), &tc);
    push_tc(L, &tc);
    return 2;
}

/* media.timecode_to_count(fields) -> frames since midnight of that label */
static int l_timecode_to_count(lua_State* L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    mxm_timecode tc = {0};
    tc.hours = (int)field_int(L, 1, "hours", 0);
    tc.minutes = (int)field_int(L, 1, "minutes", 0);
    tc.seconds = (int)field_int(L, 1, "seconds", 0);
    tc.frames = (int)field_int(L, 1, "frames", 0);
    tc.fps = (int)field_int(L, 1, "fps", 30);
    lua_getfield(L, 1, "drop");
    tc.drop = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_pushinteger(L, (lua_Integer)mxm_timecode_to_count(&tc));
    return 1;
}

/* media.tai_utc_offset() -> seconds subtracted from TAI to get the time of day */
static int l_tai_utc_offset(lua_State* L)
{
    lua_pushinteger(L, MXM_TAI_UTC_OFFSET_S);
    return 1;
}

/* ---- audio --------------------------------------------------------------------------------------------------- */

/* Frequency at idx: a number of Hz (integer, or a decimal turned into a fraction with denominator 1000) or
 * {num, den}. */
static void check_freq(lua_State* L, int idx, uint64_t* num, uint64_t* den)
{
    if (lua_istable(L, idx)) {
        lua_geti(L, idx, 1);
        lua_geti(L, idx, 2);
        lua_Integer n = luaL_checkinteger(L, -2), d = luaL_optinteger(L, -1, 1);
        lua_pop(L, 2);
        if (n < 0 || d <= 0) luaL_error(L, "bad frequency %I/%I", n, d);
        *num = (uint64_t)n;
        *den = (uint64_t)d;
        return;
    }
    if (lua_isinteger(L, idx)) {
        lua_Integer n = lua_tointeger(L, idx);
        if (n < 0) luaL_error(L, "negative frequency");
        *num = (uint64_t)n;
        *den = 1;
        return;
    }
    double f = luaL_checknumber(L, idx);
    if (!(f >= 0 && f < 1e9)) luaL_error(L, "bad frequency %f", f);
    *num = (uint64_t)(f * 1000.0 + 0.5);
    *den = 1000;
}

/* Tone parameters from the table at t: {rate=48000, freq=1000 | {num, den}, level=-20 (dBFS) | amplitude=,
 * silence=bool}. */
static mxm_tone check_tone(lua_State* L, int t)
{
    luaL_checktype(L, t, LUA_TTABLE);
    mxm_tone tone;
    lua_Integer rate = field_int(L, t, "rate", 48000);
    if (rate <= 0 || rate > 10000000) luaL_error(L, "bad sample rate %I", rate);
    tone.rate = (uint32_t)rate;
    lua_getfield(L, t, "freq");
    if (lua_isnil(L, -1)) tone.freq_num = 1000, tone.freq_den = 1;
    else check_freq(L, lua_gettop(L), &tone.freq_num, &tone.freq_den);
    lua_pop(L, 1);
    lua_getfield(L, t, "amplitude");
    if (!lua_isnil(L, -1)) tone.amplitude = luaL_checknumber(L, -1);
    else tone.amplitude = mxm_db_to_amplitude(field_num(L, t, "level", -20.0));
    lua_pop(L, 1);
    lua_getfield(L, t, "silence");
    if (lua_toboolean(L, -1)) tone.amplitude = 0.0;
    lua_pop(L, 1);
    return tone;
}

/* Beep parameters from the table at t: {period=grains, video_rate={num, den}, freq=, level=}. */
static mxm_beep check_beep(lua_State* L, int t)
{
    luaL_checktype(L, t, LUA_TTABLE);
    mxm_beep b;
    b.period_grains = (uint64_t)field_int(L, t, "period", 0);
    lua_getfield(L, t, "video_rate");
    luaL_checktype(L, -1, LUA_TTABLE);
    int vr = lua_gettop(L);
    lua_geti(L, vr, 1);
    lua_geti(L, vr, 2);
    b.video_num = luaL_checkinteger(L, -2);
    b.video_den = luaL_optinteger(L, -1, 1);
    lua_pop(L, 3);
    if (b.video_num <= 0 || b.video_den <= 0) luaL_error(L, "bad beep video_rate");
    lua_getfield(L, t, "freq");
    if (lua_isnil(L, -1)) b.freq_num = 2000, b.freq_den = 1;
    else check_freq(L, lua_gettop(L), &b.freq_num, &b.freq_den);
    lua_pop(L, 1);
    b.amplitude = mxm_db_to_amplitude(field_num(L, t, "level", -6.0));
    return b;
}

/* media.tone_fill(view0, view1|nil, first_sample, word_size, tone [, beep]) -> samples written: one channel's
 * window (fragment 0 then fragment 1, as returned by samples:channel(c)) filled from absolute sample first_sample,
 * float32 (word 4) or float64 (word 8). */
static int l_tone_fill(lua_State* L)
{
    uint64_t first = check_u64(L, 3);
    lua_Integer word = luaL_checkinteger(L, 4);
    luaL_argcheck(L, word == 4 || word == 8, 4, "word size must be 4 or 8");
    mxm_tone tone = check_tone(L, 5);
    mxm_beep beep;
    int has_beep = !lua_isnoneornil(L, 6);
    if (has_beep) beep = check_beep(L, 6);
    lmxl_view* v0 = lmxl_checkview(L, 1);
    mxm_audio_dst d = {{NULL, NULL}, {0, 0}, 0, 1, (uint32_t)word};
    size_t n0 = v0->len / (size_t)word, n1 = 0;
    d.frag[0] = lmxl_view_range(L, 1, 0, n0 * (size_t)word, 1);
    d.frag_bytes[0] = n0 * (size_t)word;
    if (!lua_isnoneornil(L, 2)) {
        n1 = lmxl_checkview(L, 2)->len / (size_t)word;
        d.frag[1] = lmxl_view_range(L, 2, 0, n1 * (size_t)word, 1);
        d.frag_bytes[1] = n1 * (size_t)word;
    }
    if (n0 + n1 > 0 && mxm_audio_fill(&d, first, n0 + n1, &tone, 1, has_beep ? &beep : NULL) != 0)
        return luaL_error(L, "tone_fill: bad destination");
    lua_pushinteger(L, (lua_Integer)(n0 + n1));
    return 1;
}

/* media.tone_sample(s, tone) -> value of the tone at absolute sample s (tone table as for tone_fill). */
static int l_tone_sample(lua_State* L)
{
    mxm_tone tone = check_tone(L, 2);
    lua_pushnumber(L, mxm_tone_sample(&tone, check_u64(L, 1)));
    return 1;
}

/* media.beep_at(s, audio_rate, beep) -> in_beep, end: whether sample s is in a beep and where that state ends. */
static int l_beep_at(lua_State* L)
{
    mxm_beep b = check_beep(L, 3);
    uint64_t end = 0;
    int in = mxm_beep_at(&b, check_u32(L, 2, "rate"), check_u64(L, 1), &end);
    lua_pushboolean(L, in);
    lua_pushinteger(L, (lua_Integer)end);
    return 2;
}

/* media.db_to_amplitude(db) -> linear */
static int l_db_to_amplitude(lua_State* L)
{
    lua_pushnumber(L, mxm_db_to_amplitude(luaL_checknumber(L, 1)));
    return 1;
}

/* media.tone_analyze(view, first_index, word, tone [, opts]) -> stats: one channel's samples, contiguous in view
 * (position i = absolute sample first_index + i), compared with the tone (tone table as for tone_fill) at their
 * content index first_index + i + shift. opts: {beep=, shift=0, from=0, to=count, loud=0 (off), guard=0,
 * tol=1e-6}. Samples in expected beep windows or within guard of a sample louder than loud are excluded. stats:
 * n, used, excluded_expected, excluded_loud, max_err, worst, mismatches, first_mismatch, sxs, sxc, sss, scc, ssc,
 * sxx (least-squares sums against sin/cos of the tone phase), zc, zc_first, zc_last (upward zero crossings,
 * interpolated positions), zc_periods, zc_span (frequency = zc_periods / zc_span * rate), peak, first_loud; positions are 0-based (-1 = none). */
static int l_tone_analyze(lua_State* L)
{
    lmxl_view* v = lmxl_checkview(L, 1);
    uint64_t first = check_u64(L, 2);
    lua_Integer word = luaL_checkinteger(L, 3);
    luaL_argcheck(L, word == 4 || word == 8, 3, "word size must be 4 or 8");
    mxm_tone tone = check_tone(L, 4);
    size_t count = v->len / (size_t)word;
    uint8_t const* data = lmxl_view_range(L, 1, 0, count * (size_t)word, 0);
    mxm_beep beep;
    int has_beep = 0;
    int64_t shift = 0;
    lua_Integer from = 0, to = (lua_Integer)count, guard = 0;
    double loud = 0.0, tol = 1e-6;
    if (lua_istable(L, 5)) {
        lua_getfield(L, 5, "beep");
        if (!lua_isnil(L, -1)) {
            beep = check_beep(L, lua_gettop(L));
            has_beep = 1;
        }
        lua_pop(L, 1);
        shift = field_int(L, 5, "shift", 0);
        from = field_int(L, 5, "from", 0);
        to = field_int(L, 5, "to", (lua_Integer)count);
        guard = field_int(L, 5, "guard", 0);
        loud = field_num(L, 5, "loud", 0.0);
        tol = field_num(L, 5, "tol", 1e-6);
    }
    luaL_argcheck(L, from >= 0 && from <= to && to <= (lua_Integer)count, 5, "bad from/to");
    luaL_argcheck(L, guard >= 0 && guard <= 1000000, 5, "bad guard");
    mxm_tone_stats st;
    if (mxm_tone_analyze(data, count, (uint32_t)word, first, shift, (size_t)from, (size_t)to, &tone,
                         has_beep ? &beep : NULL, loud, (uint32_t)guard, tol, &st) != 0)
        return luaL_error(L, "tone_analyze: out of memory");
    lua_createtable(L, 0, 20);
#define SETI(k, x) (lua_pushinteger(L, (lua_Integer)(x)), lua_setfield(L, -2, k))
#define SETN(k, x) (lua_pushnumber(L, (x)), lua_setfield(L, -2, k))
    SETI("n", st.n);
    SETI("used", st.used);
    SETI("excluded_expected", st.excluded_expected);
    SETI("excluded_loud", st.excluded_loud);
    SETN("max_err", st.max_err);
    SETI("worst", st.worst);
    SETI("mismatches", st.mismatches);
    SETI("first_mismatch", st.first_mismatch);
    SETN("sxs", st.sxs);
    SETN("sxc", st.sxc);
    SETN("sss", st.sss);
    SETN("scc", st.scc);
    SETN("ssc", st.ssc);
    SETN("sxx", st.sxx);
    SETI("zc", st.zc);
    SETN("zc_first", st.zc_first);
    SETN("zc_last", st.zc_last);
    SETI("zc_periods", st.zc_periods);
    SETN("zc_span", st.zc_span);
    SETN("peak", st.peak);
    SETI("first_loud", st.first_loud);
#undef SETI
#undef SETN
    return 1;
}

/* media.png_read(path) -> width, height, rgb (string of height rows x width x 3 bytes) | nil, msg: any PNG read
 * back as 8-bit RGB through libpng. */
static int l_png_read(lua_State* L)
{
    char const* path = luaL_checkstring(L, 1);
    uint8_t* rgb = NULL;
    uint32_t w = 0, h = 0;
    char err[256];
    if (mxm_png_read_rgb(path, &rgb, &w, &h, err, sizeof err) != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: %s", path, err);
        return 2;
    }
    lua_pushinteger(L, w);
    lua_pushinteger(L, h);
    lua_pushlstring(L, (char const*)rgb, (size_t)w * h * 3u);
    free(rgb);
    return 3;
}

/* ---- ANC ----------------------------------------------------------------------------------------------------- */

static void push_packet_table(lua_State* L, uint8_t did, uint8_t sdid, uint8_t const* udw, size_t n, uint16_t line)
{
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, did), lua_setfield(L, -2, "did");
    lua_pushinteger(L, sdid), lua_setfield(L, -2, "sdid");
    lua_pushinteger(L, line), lua_setfield(L, -2, "line");
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushinteger(L, udw[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "udw");
}

/* media.anc_timecode_packet(frame_index, rate_num, rate_den [, user [, line]]) -> packet table, label: the ST 12-2
 * ATC packet for a video frame (rates above 30 carry frame pairs with the field mark on odd frames). user (default:
 * low 32 bits of frame_index) goes into the binary groups. */
static int l_anc_timecode_packet(lua_State* L)
{
    int64_t num, den;
    check_rate(L, 2, &num, &den);
    uint64_t frame = check_u64(L, 1);
    uint32_t user = (uint32_t)(luaL_optinteger(L, 4, (lua_Integer)(frame & 0xFFFFFFFFu)) & 0xFFFFFFFF);
    mxm_timecode vtc, atc;
    int fm;
    mxm_timecode_of_frame(frame, num, den, &vtc);
    mxm_atc_label(&vtc, &atc, &fm);
    mxm_anc_packet p;
    mxm_anc_atc(&p, &atc, fm, user, (uint16_t)luaL_optinteger(L, 5, 9));
    uint8_t udw[16];
    for (int i = 0; i < 16; i++) udw[i] = (uint8_t)p.udw[i];
    push_packet_table(L, 0x60, 0x60, udw, 16, p.line);
    char s[16];
    mxm_timecode_format(&vtc, s, sizeof s);
    lua_pushstring(L, s);
    return 2;
}

/* media.anc_cc608_packet(grain_index [, line]) -> packet table: ST 334 CEA-608 pair of the looping caption. */
static int l_anc_cc608_packet(lua_State* L)
{
    mxm_anc_packet p;
    mxm_anc_cc608(&p, check_u64(L, 1), (uint16_t)luaL_optinteger(L, 2, 21));
    uint8_t udw[3] = {(uint8_t)p.udw[0], (uint8_t)p.udw[1], (uint8_t)p.udw[2]};
    push_packet_table(L, 0x61, 0x02, udw, 3, p.line);
    return 1;
}

/* media.cc608_text() -> the caption text, loop length in pairs */
static int l_cc608_text(lua_State* L)
{
    lua_pushstring(L, mxm_cc608_text());
    lua_pushinteger(L, (lua_Integer)mxm_cc608_loop_length());
    return 2;
}

/* media.anc_build(view, packets [, f=0]) -> bytes used: packets = { {did=, sdid=, udw={8-bit...}, line=, hoffset=,
 * c=, s=, stream=}, ... }; parity bits and checksums are computed. The rest of the view is zeroed. */
static int l_anc_build(lua_State* L)
{
    lmxl_view* v = lmxl_checkview(L, 1);
    uint8_t* dst = lmxl_view_range(L, 1, 0, v->len, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer f = luaL_optinteger(L, 3, 0);
    luaL_argcheck(L, f >= 0 && f <= 3, 3, "F must be 0..3");
    lua_Integer n = luaL_len(L, 2);
    luaL_argcheck(L, n >= 0 && n <= 255, 2, "at most 255 packets");
    mxm_anc_packet* pk = scratch(L, (size_t)(n ? n : 1) * sizeof *pk);
    for (lua_Integer i = 0; i < n; i++) {
        lua_geti(L, 2, i + 1);
        int t = lua_gettop(L);
        luaL_checktype(L, t, LUA_TTABLE);
        lua_getfield(L, t, "udw");
        int u = lua_gettop(L);
        size_t nu = lua_istable(L, u) ? (size_t)luaL_len(L, u) : 0;
        if (nu > MXM_ANC_MAX_UDW) luaL_error(L, "packet %I: more than 255 UDWs", i + 1);
        uint8_t udw[MXM_ANC_MAX_UDW];
        for (size_t k = 0; k < nu; k++) {
            lua_geti(L, u, (lua_Integer)k + 1);
            udw[k] = (uint8_t)(luaL_checkinteger(L, -1) & 0xFF);
            lua_pop(L, 1);
        }
        mxm_anc_make(&pk[i], (uint8_t)field_int(L, t, "did", 0), (uint8_t)field_int(L, t, "sdid", 0), udw, nu,
                     (uint16_t)field_int(L, t, "line", 0), (uint16_t)field_int(L, t, "hoffset", 0));
        pk[i].c = (uint8_t)field_int(L, t, "c", 0);
        pk[i].s = (uint8_t)field_int(L, t, "s", 0);
        pk[i].stream = (uint8_t)field_int(L, t, "stream", 0);
        lua_settop(L, t - 1);
    }
    size_t used = mxm_anc_build(dst, v->len, (uint8_t)f, pk, (size_t)n);
    if (used == 0) return luaL_error(L, "anc_build: packets do not fit in %I bytes", (lua_Integer)v->len);
    lua_pushinteger(L, (lua_Integer)used);
    return 1;
}

static void push_words(lua_State* L, uint16_t const* w, size_t n, int mask8)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushinteger(L, mask8 ? (w[i] & 0xFF) : w[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* media.anc_parse(view [, offset [, len]]) -> {length=, count=, f=, truncated=, packets={...}} | nil, msg.
 * Each packet: did, sdid, dc (8-bit values), did_word, sdid_word, dc_word, checksum (10-bit words), line, hoffset,
 * c, s, stream, udw (8-bit values), udw_words (10-bit), parity_ok, checksum_ok. Any bytes are safe to parse. */
static int l_anc_parse(lua_State* L)
{
    lmxl_view* v = lmxl_checkview(L, 1);
    size_t off = (size_t)luaL_optinteger(L, 2, 0);
    size_t len = lua_isnoneornil(L, 3) ? (off <= v->len ? v->len - off : 0) : (size_t)luaL_checkinteger(L, 3);
    uint8_t const* src = lmxl_view_range(L, 1, off, len, 0);
    mxm_anc_packet* pk = scratch(L, 255 * sizeof *pk);
    mxm_anc_info info;
    if (mxm_anc_parse(src, len, &info, pk, 255) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, "shorter than the 6-byte RFC 8331 header");
        return 2;
    }
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, info.length), lua_setfield(L, -2, "length");
    lua_pushinteger(L, info.count), lua_setfield(L, -2, "count");
    lua_pushinteger(L, info.f), lua_setfield(L, -2, "f");
    lua_pushboolean(L, info.truncated), lua_setfield(L, -2, "truncated");
    lua_createtable(L, (int)info.parsed, 0);
    for (uint32_t i = 0; i < info.parsed; i++) {
        mxm_anc_packet const* p = &pk[i];
        size_t n = p->dc & 0xFFu;
        lua_createtable(L, 0, 16);
        lua_pushinteger(L, p->did & 0xFF), lua_setfield(L, -2, "did");
        lua_pushinteger(L, p->sdid & 0xFF), lua_setfield(L, -2, "sdid");
        lua_pushinteger(L, (lua_Integer)n), lua_setfield(L, -2, "dc");
        lua_pushinteger(L, p->did), lua_setfield(L, -2, "did_word");
        lua_pushinteger(L, p->sdid), lua_setfield(L, -2, "sdid_word");
        lua_pushinteger(L, p->dc), lua_setfield(L, -2, "dc_word");
        lua_pushinteger(L, p->checksum), lua_setfield(L, -2, "checksum");
        lua_pushinteger(L, p->line), lua_setfield(L, -2, "line");
        lua_pushinteger(L, p->hoffset), lua_setfield(L, -2, "hoffset");
        lua_pushinteger(L, p->c), lua_setfield(L, -2, "c");
        lua_pushinteger(L, p->s), lua_setfield(L, -2, "s");
        lua_pushinteger(L, p->stream), lua_setfield(L, -2, "stream");
        push_words(L, p->udw, n, 1), lua_setfield(L, -2, "udw");
        push_words(L, p->udw, n, 0), lua_setfield(L, -2, "udw_words");
        lua_pushboolean(L, p->parity_ok), lua_setfield(L, -2, "parity_ok");
        lua_pushboolean(L, p->checksum_ok), lua_setfield(L, -2, "checksum_ok");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "packets");
    return 1;
}

/* media.atc_decode(packet, fps) -> "HH:MM:SS:FF", fields + field_mark, user | nil: decode a parsed ATC packet (fps
 * = the ATC's nominal rate, e.g. 30 for 60000/1001 video, 25 for 50). */
static int l_atc_decode(lua_State* L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    mxm_anc_packet p;
    memset(&p, 0, sizeof p);
    p.did = (uint16_t)field_int(L, 1, "did", 0);
    p.sdid = (uint16_t)field_int(L, 1, "sdid", 0);
    p.dc = (uint16_t)field_int(L, 1, "dc", 0);
    lua_getfield(L, 1, "udw");
    if (lua_istable(L, -1)) {
        size_t n = (size_t)luaL_len(L, -1);
        if (p.dc == 0) p.dc = (uint16_t)(n & 0xFF);
        for (size_t i = 0; i < n && i < MXM_ANC_MAX_UDW; i++) {
            lua_geti(L, -1, (lua_Integer)i + 1);
            p.udw[i] = (uint16_t)luaL_checkinteger(L, -1);
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    mxm_timecode tc;
    int fm = 0;
    uint32_t user = 0;
    if (mxm_anc_atc_decode(&p, check_u32(L, 2, "fps"), &tc, &fm, &user) != 0) {
        lua_pushnil(L);
        return 1;
    }
    push_tc(L, &tc);
    lua_pushboolean(L, fm), lua_setfield(L, -2, "field_mark");
    lua_pushinteger(L, user), lua_setfield(L, -2, "user");
    return 2;
}

/* ---- RGB, PNG, UUID ------------------------------------------------------------------------------------------ */

/* media.v210_to_rgb(view, w, h [, field]) -> string of rows x w x 3 bytes (BT.709 narrow range). */
static int l_v210_to_rgb(lua_State* L)
{
    mxm_image img = check_image(L, 1, 2, opt_field(L, 4), 0);
    size_t n = (size_t)img.width * mxm_image_rows(&img) * 3u;
    luaL_Buffer b;
    uint8_t* rgb = (uint8_t*)luaL_buffinitsize(L, &b, n);
    mxm_v210_to_rgb(&img, rgb, n);
    luaL_pushresultsize(&b, n);
    return 1;
}

/* media.png_write(path, view, w, h [, field]) -> true | nil, msg: snapshot of a v210 picture as an RGB PNG. */
static int l_png_write(lua_State* L)
{
    char const* path = luaL_checkstring(L, 1);
    mxm_image img = check_image(L, 2, 3, opt_field(L, 5), 0);
    uint32_t rows = mxm_image_rows(&img);
    size_t n = (size_t)img.width * rows * 3u;
    uint8_t* rgb = scratch(L, n);
    mxm_v210_to_rgb(&img, rgb, n);
    char err[256];
    if (mxm_png_write_rgb(path, rgb, img.width, rows, err, sizeof err) != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: %s", path, err);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* media.uuid4() -> random UUID text; media.uuid5(namespace, name) -> name-based SHA-1 UUID text. */
static int l_uuid4(lua_State* L)
{
    char s[37];
    mxm_uuid4(s);
    lua_pushstring(L, s);
    return 1;
}

static int l_uuid5(lua_State* L)
{
    size_t n;
    char const* ns = luaL_checkstring(L, 1);
    char const* name = luaL_checklstring(L, 2, &n);
    char s[37];
    if (mxm_uuid5(ns, name, n, s) != 0) return luaL_error(L, "uuid5: bad namespace UUID '%s'", ns);
    lua_pushstring(L, s);
    return 1;
}

/* ---- renderer ------------------------------------------------------------------------------------------------ */

typedef struct lrenderer
{
    mxm_renderer* r;
} lrenderer;

static lrenderer* check_renderer(lua_State* L, int idx)
{
    lrenderer* lr = luaL_checkudata(L, idx, RENDERER_MT);
    if (!lr->r) luaL_error(L, "renderer is closed");
    return lr;
}

/* media.renderer{width=, height=, interlace="progressive"|"tff"|"bff", pattern="bars75", colour=, checker=,
 * label=, text_scale=, box=true, counter=true, flash_period=0} -> renderer */
static int l_renderer(lua_State* L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    mxm_render_opts o;
    memset(&o, 0, sizeof o);
    o.width = (uint32_t)field_int(L, 1, "width", 1920);
    o.height = (uint32_t)field_int(L, 1, "height", 1080);
    lua_getfield(L, 1, "interlace");
    if (lua_isstring(L, -1)) {
        char const* s = lua_tostring(L, -1);
        if (strcmp(s, "tff") == 0 || strcmp(s, "interlaced_tff") == 0) o.interlace = 1;
        else if (strcmp(s, "bff") == 0 || strcmp(s, "interlaced_bff") == 0) o.interlace = 2;
        else if (strcmp(s, "progressive") != 0) return luaL_error(L, "bad interlace '%s'", s);
    } else if (lua_toboolean(L, -1)) {
        o.interlace = 1;
    }
    lua_pop(L, 1);
    lua_getfield(L, 1, "pattern");
    char const* pname = luaL_optstring(L, -1, "bars75");
    if (mxm_pattern_by_name(pname, &o.pattern) != 0) return luaL_error(L, "unknown pattern '%s'", pname);
    lua_pop(L, 1);
    o.pattern_opts.solid = mxm_bar_colour(MXM_BLACK, 100);
    lua_getfield(L, 1, "colour");
    if (!lua_isnil(L, -1)) o.pattern_opts.solid = check_colour(L, lua_gettop(L));
    lua_pop(L, 1);
    o.pattern_opts.checker = (uint32_t)field_int(L, 1, "checker", 0);
    lua_getfield(L, 1, "label");
    o.label = luaL_optstring(L, -1, NULL); /* copied by mxm_renderer_new; kept on the stack until then */
    o.text_scale = (uint32_t)field_int(L, 1, "text_scale", 0);
    lua_getfield(L, 1, "box");
    o.box = lua_isnil(L, -1) ? 1 : lua_toboolean(L, -1);
    lua_getfield(L, 1, "counter");
    o.counter = lua_isnil(L, -1) ? 1 : lua_toboolean(L, -1);
    lua_pop(L, 2);
    o.flash_period = (uint64_t)field_int(L, 1, "flash_period", 0);
    lrenderer* lr = lua_newuserdatauv(L, sizeof *lr, 0);
    lr->r = NULL;
    luaL_setmetatable(L, RENDERER_MT);
    lr->r = mxm_renderer_new(&o);
    if (!lr->r) return luaL_error(L, "renderer: bad geometry %dx%d or out of memory", (int)o.width, (int)o.height);
    return 1;
}

/* r:render(view, grain_index [, timecode_text [, force_full]]) -> true: background + moving parts into a grain
 * (even indices carry field 1 when interlaced). */
static int r_render(lua_State* L)
{
    lrenderer* lr = check_renderer(L, 1);
    size_t gs = mxm_renderer_grain_size(lr->r);
    uint8_t* dst = lmxl_view_range(L, 2, 0, gs, 1);
    char const* tc = luaL_optstring(L, 4, NULL);
    mxm_renderer_render(lr->r, dst, gs, check_u64(L, 3), tc, lua_toboolean(L, 5));
    lua_pushboolean(L, 1);
    return 1;
}

/* r:grain_size() -> bytes; r:box_x(index) -> box position; r:forget(); r:stats() -> {grains=, full_copies=,
 * partial_restores=}; r:close() (also __gc / __close). */
static int r_grain_size(lua_State* L)
{
    lua_pushinteger(L, (lua_Integer)mxm_renderer_grain_size(check_renderer(L, 1)->r));
    return 1;
}

static int r_box_x(lua_State* L)
{
    lua_pushinteger(L, mxm_renderer_box_x(check_renderer(L, 1)->r, check_u64(L, 2)));
    return 1;
}

static int r_forget(lua_State* L)
{
    mxm_renderer_forget(check_renderer(L, 1)->r);
    return 0;
}

static int r_stats(lua_State* L)
{
    mxm_render_stats st;
    mxm_renderer_stats(check_renderer(L, 1)->r, &st);
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, (lua_Integer)st.grains), lua_setfield(L, -2, "grains");
    lua_pushinteger(L, (lua_Integer)st.full_copies), lua_setfield(L, -2, "full_copies");
    lua_pushinteger(L, (lua_Integer)st.partial_restores), lua_setfield(L, -2, "partial_restores");
    return 1;
}

static int r_close(lua_State* L)
{
    lrenderer* lr = luaL_checkudata(L, 1, RENDERER_MT);
    mxm_renderer_free(lr->r);
    lr->r = NULL;
    return 0;
}

/* ---- module -------------------------------------------------------------------------------------------------- */

int lmxl_open_media(lua_State* L)
{
    static luaL_Reg const rmethods[] = {
        {"render", r_render}, {"grain_size", r_grain_size}, {"box_x", r_box_x}, {"forget", r_forget},
        {"stats", r_stats},   {"close", r_close},           {NULL, NULL},
    };
    if (luaL_newmetatable(L, RENDERER_MT)) {
        luaL_newlib(L, rmethods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, r_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, r_close);
        lua_setfield(L, -2, "__close");
    }
    lua_pop(L, 1);
    static luaL_Reg const funcs[] = {
        {"v210_stride", l_v210_stride},
        {"key_stride", l_key_stride},
        {"v210_pack_line", l_v210_pack_line},
        {"v210_unpack_line", l_v210_unpack_line},
        {"key_pack_line", l_key_pack_line},
        {"key_unpack_line", l_key_unpack_line},
        {"render_pattern", l_render_pattern},
        {"render_bars", l_render_bars},
        {"fill_rect", l_fill_rect},
        {"get_pixel", l_get_pixel},
        {"frame_counter_draw", l_counter_draw},
        {"frame_counter_decode", l_counter_decode},
        {"counter_band", l_counter_band},
        {"text", l_text},
        {"text_width", l_text_width},
        {"timecode", l_timecode},
        {"timecode_from_count", l_timecode_from_count},
        {"timecode_to_count", l_timecode_to_count},
        {"tai_utc_offset", l_tai_utc_offset},
        {"tone_fill", l_tone_fill},
        {"tone_sample", l_tone_sample},
        {"beep_at", l_beep_at},
        {"db_to_amplitude", l_db_to_amplitude},
        {"anc_timecode_packet", l_anc_timecode_packet},
        {"anc_cc608_packet", l_anc_cc608_packet},
        {"cc608_text", l_cc608_text},
        {"anc_build", l_anc_build},
        {"anc_parse", l_anc_parse},
        {"atc_decode", l_atc_decode},
        {"v210_to_rgb", l_v210_to_rgb},
        {"png_write", l_png_write},
        {"png_read", l_png_read},
        {"tone_analyze", l_tone_analyze},
        {"uuid4", l_uuid4},
        {"uuid5", l_uuid5},
        {"renderer", l_renderer},
        {NULL, NULL},
    };
    luaL_newlib(L, funcs);
    return 1;
}
