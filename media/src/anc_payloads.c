/* ANC payloads: ST 12-2 ancillary timecode (0x60/0x60) and ST 334 CEA-608 caption pairs (0x61/0x02). */
#include <string.h>

#include "mxlmedia.h"

/* ST 12-1 code word bit positions used by ATC: time digits and flags. Binary (user) group k (1..8) occupies bits
 * 4 + 8 (k - 1) .. 7 + 8 (k - 1). The field mark / frame-pair flag is bit 27 in 30-frame systems and bit 59 in
 * 25-frame systems (where bit 27 is BGF0). */
static unsigned field_bit(int fps)
{
    return fps == 25 ? 59u : 27u;
}

void mxm_anc_atc(mxm_anc_packet* p, mxm_timecode const* tc, int field_mark, uint32_t user, uint16_t line)
{
    uint64_t w = 0;
    w |= (uint64_t)(tc->frames % 10) << 0;
    w |= (uint64_t)(tc->frames / 10 % 4) << 8;
    w |= (uint64_t)(tc->drop ? 1 : 0) << 10;
    w |= (uint64_t)(tc->seconds % 10) << 16;
    w |= (uint64_t)(tc->seconds / 10 % 8) << 24;
    w |= (uint64_t)(tc->minutes % 10) << 32;
    w |= (uint64_t)(tc->minutes / 10 % 8) << 40;
    w |= (uint64_t)(tc->hours % 10) << 48;
    w |= (uint64_t)(tc->hours / 10 % 4) << 56;
    if (field_mark) w |= 1ull << field_bit(tc->fps);
    for (unsigned k = 0; k < 8; k++) w |= (uint64_t)((user >> (4u * k)) & 0xFu) << (4u + 8u * k);
    uint8_t udw[16];
    for (unsigned i = 0; i < 16; i++) udw[i] = (uint8_t)(((w >> (4u * i)) & 0xFu) << 4); /* b4-b7; b0-b3 zero */
    mxm_anc_make(p, 0x60, 0x60, udw, 16, line, 0);
}

int mxm_anc_atc_decode(mxm_anc_packet const* p, uint32_t fps, mxm_timecode* tc, int* field_mark, uint32_t* user)
{
    if ((p->did & 0xFFu) != 0x60 || (p->sdid & 0xFFu) != 0x60 || (p->dc & 0xFFu) != 16) return -1;
    uint64_t w = 0;
    for (unsigned i = 0; i < 16; i++) w |= (uint64_t)((p->udw[i] >> 4) & 0xFu) << (4u * i);
    int fu = (int)(w & 0xF), ft = (int)((w >> 8) & 3), su = (int)((w >> 16) & 0xF), st = (int)((w >> 24) & 7);
    int mu = (int)((w >> 32) & 0xF), mt = (int)((w >> 40) & 7), hu = (int)((w >> 48) & 0xF), ht = (int)((w >> 56) & 3);
    if (fu > 9 || su > 9 || mu > 9 || hu > 9 || st > 5 || mt > 5) return -1;
    memset(tc, 0, sizeof *tc);
    tc->frames = ft * 10 + fu;
    tc->seconds = st * 10 + su;
    tc->minutes = mt * 10 + mu;
    tc->hours = ht * 10 + hu;
    tc->drop = (int)((w >> 10) & 1);
    tc->fps = (int)fps;
    if (tc->hours > 23) return -1;
    if (field_mark) *field_mark = (int)((w >> field_bit((int)fps)) & 1u);
    if (user) {
        uint32_t u = 0;
        for (unsigned k = 0; k < 8; k++) u |= (uint32_t)((w >> (4u + 8u * k)) & 0xFu) << (4u * k);
        *user = u;
    }
    return 0;
}

/* ---- CEA-608 ---------------------------------------------------------------------------------------------- */

static char const caption_text[] = "MXL TEST CAPTION"; /* even length: 8 character pairs */

/* Loop: roll-up 2 rows (twice, as control codes are sent twice), carriage return (twice), the text, 4 null pairs. */
#define LOOP_CONTROL 4
#define LOOP_TEXT ((sizeof caption_text - 1u) / 2u)
#define LOOP_NULL 4
#define LOOP_LEN (LOOP_CONTROL + LOOP_TEXT + LOOP_NULL)

static uint8_t odd_parity(uint8_t v)
{
    v &= 0x7Fu;
    return (__builtin_popcount(v) & 1) ? v : (uint8_t)(v | 0x80u);
}

size_t mxm_cc608_loop_length(void)
{
    return LOOP_LEN;
}

char const* mxm_cc608_text(void)
{
    return caption_text;
}

void mxm_cc608_pair(uint64_t i, uint8_t out[2])
{
    size_t k = (size_t)(i % LOOP_LEN);
    uint8_t a = 0, b = 0;
    if (k < 2) { a = 0x14; b = 0x25; }        /* RU2, data channel 1 */
    else if (k < 4) { a = 0x14; b = 0x2D; }   /* CR */
    else if (k < LOOP_CONTROL + LOOP_TEXT) {
        a = (uint8_t)caption_text[2u * (k - LOOP_CONTROL)];
        b = (uint8_t)caption_text[2u * (k - LOOP_CONTROL) + 1u];
    }
    out[0] = odd_parity(a);
    out[1] = odd_parity(b);
}

void mxm_anc_cc608(mxm_anc_packet* p, uint64_t i, uint16_t line)
{
    uint8_t udw[3];
    udw[0] = 0x80; /* b7: field 1; b4-b0: line offset 0 (unspecified) */
    mxm_cc608_pair(i, udw + 1);
    mxm_anc_make(p, 0x61, 0x02, udw, 3, line, 0);
}
