/* mxlmedia.h - media helpers for MXL test signals: v210 packing, pattern rendering, frame counter, text burn-in,
 * timecode, audio tone, SMPTE 291 / RFC 8331 ANC, v210 -> RGB and PNG, UUIDs.
 *
 * Pure C, no Lua, no libmxl. Every function works on raw pointers plus lengths and never touches memory outside
 * [ptr, ptr+len). Integers in v210 and ANC payloads are little-endian 32-bit words (v210) or a big-endian bit
 * stream (RFC 8331). All 10-bit video values are BT.709 narrow range (Y' 64..940, C 64..960). */
#ifndef MXLMEDIA_H
#define MXLMEDIA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------------------------
 * v210 lines and the v210a key plane (v210.c) */

/* Bytes per v210 line: ((w + 47) / 48) * 128. */
size_t mxm_v210_stride(uint32_t width);
/* Bytes per v210a key line: ((w + 2) / 3) * 4. */
size_t mxm_key_stride(uint32_t width);
/* Chroma samples per line (Cb or Cr): (w + 1) / 2; chroma is co-sited with even luma. */
static inline uint32_t mxm_chroma_count(uint32_t width) { return (width + 1u) / 2u; }

/* Pack one line: y[w], cb[(w+1)/2], cr[(w+1)/2] (values masked to 10 bits) into dst. Writes the whole stride:
 * sample fields beyond the line's last sample and all padding words are zero. Returns 0, or -1 if dst_len is
 * smaller than mxm_v210_stride(w) or w == 0. */
int mxm_v210_pack_line(uint8_t* dst, size_t dst_len, uint32_t width, uint16_t const* y, uint16_t const* cb,
                       uint16_t const* cr);
/* Unpack one line into y[w], cb[(w+1)/2], cr[(w+1)/2]. Reads only the words the line needs. Returns 0, or -1 if
 * src_len is too small for the line's words or w == 0. */
int mxm_v210_unpack_line(uint8_t const* src, size_t src_len, uint32_t width, uint16_t* y, uint16_t* cb, uint16_t* cr);
/* Pack / unpack one key line (3 samples per LE word, bits 0-9, 10-19, 20-29; padding zero). Same return rules. */
int mxm_key_pack_line(uint8_t* dst, size_t dst_len, uint32_t width, uint16_t const* a);
int mxm_key_unpack_line(uint8_t const* src, size_t src_len, uint32_t width, uint16_t* a);

/* ---------------------------------------------------------------------------------------------------------------
 * Images and drawing (draw.c). An image is a v210 picture of width x height lines; a field image holds only the
 * lines y with y % 2 == field, stored at row y / 2 (one MXL grain of an interlaced flow). */

#define MXM_FRAME (-1)

typedef struct mxm_image
{
    uint8_t* data;   /* first stored row */
    size_t len;      /* bytes available from data */
    uint32_t width;  /* pixels */
    uint32_t height; /* lines of the full picture (a field image covers half of them) */
    size_t stride;   /* bytes per stored row, >= mxm_v210_stride(width) */
    int field;       /* MXM_FRAME, or 0 / 1 for a field image */
} mxm_image;

typedef struct mxm_ycc
{
    uint16_t y, cb, cr;
} mxm_ycc;

/* Build an image descriptor with the MXL stride; returns 0, or -1 if the rows do not fit in len, the size is zero,
 * or field is not MXM_FRAME/0/1. */
int mxm_image_init(mxm_image* img, uint8_t* data, size_t len, uint32_t width, uint32_t height, int field);
/* Number of stored rows: height for a frame, the lines of the given parity for a field image. */
uint32_t mxm_image_rows(mxm_image const* img);
/* Pointer to the stored row that holds picture line y, or NULL if y is outside the image or of the other field. */
uint8_t* mxm_image_line(mxm_image const* img, uint32_t y);
/* Fill the rectangle [x0,x1) x [y0,y1) (clipped to the picture). Chroma is written for even x only, so a
 * rectangle starting on an odd column keeps its left neighbour's chroma for that pixel. */
void mxm_fill_rect(mxm_image const* img, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1, mxm_ycc c);
/* Set one pixel (luma always, chroma if x is even); ignored when outside the image. */
void mxm_put_pixel(mxm_image const* img, uint32_t x, uint32_t y, mxm_ycc c);
/* Read one pixel's samples (the chroma of its pair); returns 0 or -1 when outside the image. */
int mxm_get_pixel(mxm_image const* img, uint32_t x, uint32_t y, mxm_ycc* out);

/* Named colours (BT.709, 10-bit narrow range). Indices into mxm_bar_colours: */
enum { MXM_WHITE, MXM_YELLOW, MXM_CYAN, MXM_GREEN, MXM_MAGENTA, MXM_RED, MXM_BLUE, MXM_BLACK, MXM_NCOLOURS };
/* level is 75 or 100 (any other value gives 100). */
mxm_ycc mxm_bar_colour(int index, int level);
/* Parse a colour name ("white", "red75", "grey40", "black", ...); returns 0 or -1 if unknown. */
int mxm_colour_by_name(char const* name, mxm_ycc* out);

/* ---------------------------------------------------------------------------------------------------------------
 * Background patterns (patterns.c) */

typedef enum mxm_pattern
{
    MXM_PAT_BARS75,   /* 8 full-height bars, 75 % */
    MXM_PAT_BARS100,  /* 8 full-height bars, 100 % */
    MXM_PAT_HDBARS,   /* SMPTE RP 219-1 style HD bars (docs/test-signals.md) */
    MXM_PAT_RAMP,     /* horizontal luma ramp black..white, neutral chroma */
    MXM_PAT_SOLID,    /* one colour */
    MXM_PAT_CHECKER,  /* black/white squares */
} mxm_pattern;

typedef struct mxm_pattern_opts
{
    mxm_ycc solid;     /* MXM_PAT_SOLID colour */
    uint32_t checker;  /* MXM_PAT_CHECKER square size in pixels (0 = height / 9) */
} mxm_pattern_opts;

/* Parse a pattern name: bars75, bars100, hdbars (alias smpte), ramp, solid, checker. Returns 0 or -1. */
int mxm_pattern_by_name(char const* name, mxm_pattern* out);
/* Render a pattern over the whole image (frame or field image). opts may be NULL. */
void mxm_render_pattern(mxm_image const* img, mxm_pattern pat, mxm_pattern_opts const* opts);

/* ---------------------------------------------------------------------------------------------------------------
 * Frame counter (counter.c): 32 cells across the top band of the picture, MSB first, white = 1, black = 0. */

#define MXM_COUNTER_BITS 32
/* Height in picture lines of the counter band for a picture height: max(2, height / 36) rounded down to even. */
uint32_t mxm_counter_band(uint32_t height);
/* Draw value into the band. */
void mxm_counter_draw(mxm_image const* img, uint32_t value);
/* Decode the band by averaging the middle half of every cell. Returns 0 and the value, or -1 if any cell is not
 * clearly black or white (no counter present). *margin (nullable) gets the smallest distance of a cell mean from
 * the decision threshold in 10-bit code values. */
int mxm_counter_decode(mxm_image const* img, uint32_t* value, int* margin);

/* ---------------------------------------------------------------------------------------------------------------
 * Text (font.c): an embedded 8x16 font (ASCII 32..126; others render as '?'). */

#define MXM_FONT_W 8
#define MXM_FONT_H 16
/* Draw str with its top-left at (x, y), each font pixel scale x scale picture pixels. If bg is non-NULL the text
 * cell box is filled with it first. Returns the width in pixels of the drawn text. */
uint32_t mxm_text_draw(mxm_image const* img, uint32_t x, uint32_t y, char const* str, uint32_t scale, mxm_ycc fg,
                       mxm_ycc const* bg);
/* Width in pixels of str at the given scale. */
uint32_t mxm_text_width(char const* str, uint32_t scale);
/* The 16 row bitmaps of a character's 8x16 cell (bit 7 = leftmost pixel). */
void mxm_font_glyph(unsigned char ch, uint8_t out[MXM_FONT_H]);

/* ---------------------------------------------------------------------------------------------------------------
 * Time, timecode (timecode.c) */

/* TAI - UTC in seconds, applied to get the time of day from a TAI timestamp (docs/test-signals.md). */
#define MXM_TAI_UTC_OFFSET_S 37

/* MXL index <-> TAI ns conversions (same rounding as the MXL time functions). 0 / UINT64_MAX on a bad rate. */
uint64_t mxm_index_to_ns(uint64_t index, int64_t num, int64_t den);
uint64_t mxm_ns_to_index(uint64_t ns, int64_t num, int64_t den);

typedef struct mxm_timecode
{
    int hours, minutes, seconds, frames; /* frames counts frames at the nominal rate (0..59 at 60 fps) */
    int drop;                            /* drop-frame counting */
    int fps;                             /* nominal whole frame rate (30 for 30000/1001) */
    uint64_t frame_of_day;               /* frames since midnight (actual frames, not labels) */
} mxm_timecode;

/* 1 if the frame rate uses drop-frame timecode (30000/1001 and 60000/1001). */
int mxm_rate_is_drop(int64_t num, int64_t den);
/* Whole frames per second: ceil(num / den). */
uint32_t mxm_rate_whole(int64_t num, int64_t den);
/* Label frame count `count` (frames since midnight) as a timecode at nominal rate fps, drop-frame if drop (fps 30
 * or 60). The count wraps at 24 hours. */
void mxm_timecode_from_count(uint64_t count, uint32_t fps, int drop, mxm_timecode* tc);
/* Inverse: frames since midnight of a timecode label. */
uint64_t mxm_timecode_to_count(mxm_timecode const* tc);
/* Frames since UTC midnight of frame index `frame` at rate num/den: the day is taken from the frame's TAI
 * timestamp minus MXM_TAI_UTC_OFFSET_S, and the count restarts at the first frame of that day. */
uint64_t mxm_frame_of_day(uint64_t frame, int64_t num, int64_t den);
/* Timecode of video frame index `frame` at frame rate num/den (time of day, drop-frame where applicable). */
void mxm_timecode_of_frame(uint64_t frame, int64_t num, int64_t den, mxm_timecode* tc);
/* "HH:MM:SS:FF" (";" before FF when drop-frame). buf needs 12 bytes. */
void mxm_timecode_format(mxm_timecode const* tc, char* buf, size_t len);

/* ---------------------------------------------------------------------------------------------------------------
 * Audio (audio.c) */

typedef struct mxm_tone
{
    uint32_t rate;        /* sample rate R (Hz) */
    uint64_t freq_num;    /* tone frequency f = freq_num / freq_den Hz */
    uint64_t freq_den;    /* 0 treated as 1 */
    double amplitude;     /* linear, 1.0 = full scale; 0 = silence */
} mxm_tone;

typedef struct mxm_beep
{
    uint64_t period_grains; /* beep on video grains with index % period_grains == 0; 0 = no beep */
    int64_t video_num, video_den; /* video grain rate */
    uint64_t freq_num, freq_den;  /* beep tone frequency */
    double amplitude;
} mxm_beep;

/* dBFS -> linear amplitude (10^(dB/20)). */
double mxm_db_to_amplitude(double db);
/* The tone's value at absolute sample s: amplitude * sin(2 pi ((s * f) mod R) / R), where for f = p/q the phase
 * numerator is (s * p) mod (R * q) over R * q, computed exactly in integers. */
double mxm_tone_sample(mxm_tone const* tone, uint64_t s);
/* First sample of the beep belonging to video grain g: the audio index of that grain's TAI timestamp. */
uint64_t mxm_beep_start(mxm_beep const* beep, uint32_t audio_rate, uint64_t grain);
/* If sample s is inside a beep, return 1 and set *end to the first sample after it; else return 0 and set *end to
 * the first sample of the next beep (UINT64_MAX if there are no beeps). */
int mxm_beep_at(mxm_beep const* beep, uint32_t audio_rate, uint64_t s, uint64_t* end);

/* Where the samples of one write go: MXL continuous layout, per channel two fragments, channel c at +c*stride. */
typedef struct mxm_audio_dst
{
    uint8_t* frag[2];
    size_t frag_bytes[2];
    size_t stride;     /* bytes between the same position of two channels */
    uint32_t channels;
    uint32_t word;     /* 4 (float32) or 8 (float64) */
} mxm_audio_dst;

/* Fill the destination with `count` samples starting at absolute sample `first`: channel c plays tones[c]
 * (tones[0] repeated if ntones <= c), replaced by the beep tone inside beep windows (beep may be NULL).
 * Returns 0, or -1 if the fragments do not hold count samples or word is not 4/8. */
int mxm_audio_fill(mxm_audio_dst const* dst, uint64_t first, size_t count, mxm_tone const* tones, size_t ntones,
                   mxm_beep const* beep);

/* ---------------------------------------------------------------------------------------------------------------
 * ANC: SMPTE ST 291 packets in the RFC 8331 layout starting at the Length field (anc.c, anc_payloads.c) */

#define MXM_ANC_MAX_UDW 255
#define MXM_ANC_HEADER 6

typedef struct mxm_anc_packet
{
    uint8_t c;            /* colour-difference channel flag */
    uint16_t line;        /* 11 bits */
    uint16_t hoffset;     /* 12 bits */
    uint8_t s;            /* data stream flag */
    uint8_t stream;       /* 7 bits */
    uint16_t did, sdid;   /* 10-bit words as stored (the builder adds parity to 8-bit values) */
    uint16_t dc;          /* data count word as stored; low 8 bits = number of UDWs */
    uint16_t udw[MXM_ANC_MAX_UDW];
    uint16_t checksum;    /* checksum word as stored */
    int parity_ok;        /* parser: DID, SDID, DC parity bits valid */
    int checksum_ok;      /* parser: checksum word matches */
} mxm_anc_packet;

typedef struct mxm_anc_info
{
    uint16_t length;      /* Length field */
    uint8_t count;        /* ANC_Count field */
    uint8_t f;            /* F field: 0 progressive, 2 field 1, 3 field 2 */
    uint32_t parsed;      /* packets returned */
    int truncated;        /* 1 if Length / ANC_Count promised more than the buffer or Length held */
} mxm_anc_info;

/* 10-bit word for an 8-bit value: b8 = even parity of b0-b7, b9 = NOT b8. */
uint16_t mxm_anc_word(uint8_t v);
/* Checksum word over DID, SDID, DC and UDWs (9-bit sum, b9 = NOT b8). */
uint16_t mxm_anc_checksum(uint16_t did, uint16_t sdid, uint16_t dc, uint16_t const* udw, size_t n);
/* Packet from 8-bit values: fills did/sdid/dc/udw words with parity and the checksum. n <= 255. */
void mxm_anc_make(mxm_anc_packet* p, uint8_t did, uint8_t sdid, uint8_t const* udw, size_t n, uint16_t line,
                  uint16_t hoffset);
/* Write header + packets (as stored, no parity recomputed) into dst; the rest of dst is zeroed. Returns the bytes
 * used (6 + Length), or 0 if they do not fit or n > 255. */
size_t mxm_anc_build(uint8_t* dst, size_t cap, uint8_t f, mxm_anc_packet const* pkts, size_t n);
/* Parse up to max packets from src (any bytes: never reads outside [src, src+len)). Returns 0, or -1 if src is
 * shorter than the header. Packets that would run past Length or len stop parsing (info->truncated = 1). */
int mxm_anc_parse(uint8_t const* src, size_t len, mxm_anc_info* info, mxm_anc_packet* out, size_t max);

/* ST 12-2 ancillary timecode (DID/SDID 0x60/0x60, 16 UDWs). tc holds the label; field_mark is the frame-pair /
 * field flag; user is put in the binary groups (group 1 = least significant nibble). fps selects the flag bit
 * positions (25/50 use the 25-frame assignment). */
void mxm_anc_atc(mxm_anc_packet* p, mxm_timecode const* tc, int field_mark, uint32_t user, uint16_t line);
/* Decode an ATC packet's UDWs (8-bit values in b4-b7). Returns 0 or -1 if not 16 UDWs / bad digits. fps is
 * needed for the field-mark bit position. */
int mxm_anc_atc_decode(mxm_anc_packet const* p, uint32_t fps, mxm_timecode* tc, int* field_mark, uint32_t* user);
/* The ATC label for a video frame at a rate: rates above 30 count frame pairs (frames / 2, field_mark = odd). */
void mxm_atc_label(mxm_timecode const* video_tc, mxm_timecode* atc_tc, int* field_mark);

/* CEA-608 byte pair of the looping caption text for grain index i (odd parity in bit 7). */
void mxm_cc608_pair(uint64_t i, uint8_t out[2]);
/* ST 334 CEA-608 packet (DID/SDID 0x61/0x02): UDW0 = 0x80 (field 1, line offset 0), then the pair. */
void mxm_anc_cc608(mxm_anc_packet* p, uint64_t i, uint16_t line);
/* Number of pairs in the caption loop and the caption text. */
size_t mxm_cc608_loop_length(void);
char const* mxm_cc608_text(void);

/* ---------------------------------------------------------------------------------------------------------------
 * Renderer (render.c): a static background prepared once, per-grain elements composed on top. */

typedef struct mxm_render_opts
{
    uint32_t width, height;   /* picture size (full frame height for interlaced) */
    int interlace;            /* 0 progressive, 1 tff, 2 bff */
    mxm_pattern pattern;
    mxm_pattern_opts pattern_opts;
    char const* label;        /* burnt in under the counter; NULL = none */
    uint32_t text_scale;      /* 0 = automatic (height / 270, min 1) */
    int box;                  /* moving box on/off */
    int counter;              /* frame counter on/off */
    uint64_t flash_period;    /* grains; flash white on index % period == 0; 0 = off */
} mxm_render_opts;

typedef struct mxm_renderer mxm_renderer;

typedef struct mxm_render_stats
{
    uint64_t grains, full_copies, partial_restores;
} mxm_render_stats;

/* Create a renderer (copies the label). NULL on bad geometry or out of memory. */
mxm_renderer* mxm_renderer_new(mxm_render_opts const* opts);
void mxm_renderer_free(mxm_renderer* r);
/* Bytes of one grain: stride * rows (rows = height, or height / 2 for interlaced). */
size_t mxm_renderer_grain_size(mxm_renderer const* r);
/* Render grain `index` into dst (len >= grain size). For interlaced flows, even indices carry field 1 (the top
 * field for tff, bottom for bff). If dst was last rendered by this renderer (same pointer, same parity, not
 * `force_full`) only the regions changed by that render are restored from the background; otherwise the whole
 * background is copied. tc_text (nullable) is burnt in. Returns 0 or -1 if len is too small. */
int mxm_renderer_render(mxm_renderer* r, uint8_t* dst, size_t len, uint64_t index, char const* tc_text,
                        int force_full);
/* Forget every remembered destination (call when buffers may have been written by someone else). */
void mxm_renderer_forget(mxm_renderer* r);
/* Box x position (picture pixels) for a grain index, for verifiers. */
uint32_t mxm_renderer_box_x(mxm_renderer const* r, uint64_t index);
void mxm_renderer_stats(mxm_renderer const* r, mxm_render_stats* out);

/* ---------------------------------------------------------------------------------------------------------------
 * RGB and PNG (rgb_png.c) */

/* Convert a v210 image (frame or field image: its stored rows) to packed 8-bit RGB, BT.709 narrow range, chroma of
 * odd pixels interpolated. rgb needs width * rows * 3 bytes. Returns 0 or -1 if rgb_len is too small. */
int mxm_v210_to_rgb(mxm_image const* img, uint8_t* rgb, size_t rgb_len);
/* Write 8-bit RGB rows as a PNG file through libpng. Returns 0, or -1 with a message in err (nullable). */
int mxm_png_write_rgb(char const* path, uint8_t const* rgb, uint32_t width, uint32_t height, char* err,
                      size_t errlen);

/* ---------------------------------------------------------------------------------------------------------------
 * Verification (analyze.c): received audio against the test tone, PNG read-back. */

typedef struct mxm_tone_stats
{
    uint64_t n;                 /* samples in the analysed region */
    uint64_t used;              /* tone samples compared (not excluded) */
    uint64_t excluded_expected; /* inside a beep window of the content index (s + shift) */
    uint64_t excluded_loud;     /* within `guard` samples of a sample louder than `loud` (an observed beep) */
    double max_err;             /* largest |x - expected tone| over the compared samples */
    int64_t worst;              /* its position (0-based in the buffer), -1 if none */
    uint64_t mismatches;        /* compared samples with |x - expected| > tol */
    int64_t first_mismatch;     /* position of the first, -1 if none */
    double sxs, sxc, sss, scc, ssc, sxx; /* least-squares sums: x ~ a sin(theta) + b cos(theta), theta = tone phase */
    uint64_t zc;                /* upward zero crossings between consecutive compared samples */
    double zc_first, zc_last;   /* their interpolated positions (first and last) */
    uint64_t zc_periods;        /* whole tone periods between crossings within runs of consecutive compared samples */
    double zc_span;             /* and the samples they span: frequency = zc_periods / zc_span * rate */
    double peak;                /* max |x| over the region */
    int64_t first_loud;         /* first position in the region louder than `loud`, -1 if none */
} mxm_tone_stats;

/* Analyse samples [from, to) of one channel held contiguously in data (count samples, word 4 = float32 or 8 =
 * float64; position i is absolute sample first_index + i, and carries the content of sample first_index + i +
 * shift). Samples inside an expected beep window (beep may be NULL) or within guard positions of a sample louder
 * than loud (0 = off; the whole buffer is searched, so context outside [from, to) counts) are excluded; the rest
 * are compared with the tone at their content index. Returns 0, or -1 on bad arguments or out of memory. */
int mxm_tone_analyze(uint8_t const* data, size_t count, uint32_t word, uint64_t first_index, int64_t shift,
                     size_t from, size_t to, mxm_tone const* tone, mxm_beep const* beep, double loud, uint32_t guard,
                     double tol, mxm_tone_stats* out);

/* Read a PNG file (any colour type / depth, converted to 8-bit RGB). On success *rgb is malloc'd (free it), w*h*3
 * bytes. Returns 0, or -1 with a message in err (nullable). */
int mxm_png_read_rgb(char const* path, uint8_t** rgb, uint32_t* width, uint32_t* height, char* err, size_t errlen);

/* ---------------------------------------------------------------------------------------------------------------
 * UUIDs (uuid.c, through libuuid): lower-case canonical text, 37 bytes with the NUL. */

void mxm_uuid4(char out[37]);
/* Name-based UUID version 5 (SHA-1) in the namespace given as text; returns 0 or -1 if ns does not parse. */
int mxm_uuid5(char const* ns, char const* name, size_t name_len, char out[37]);

#ifdef __cplusplus
}
#endif

#endif
