/* mxlmedia ANC: 10-bit words, checksums, RFC 8331 build/parse round trip, ATC and CEA-608 payloads, and a parser
 * that stays inside its buffer for truncated and random input. */
#include <stdlib.h>
#include <string.h>

#include <mxlmedia.h>

#include "testutil.h"

static void test_words(void)
{
    CHECK_EQ_U64(mxm_anc_word(0x60), 0x260); /* two ones: parity bit 0, b9 = 1 */
    CHECK_EQ_U64(mxm_anc_word(0x61), 0x161); /* three ones: parity bit 1, b9 = 0 */
    CHECK_EQ_U64(mxm_anc_word(0x00), 0x200);
    CHECK_EQ_U64(mxm_anc_word(0x10), 0x110);
    uint16_t udw[2] = {mxm_anc_word(0x01), mxm_anc_word(0x02)};
    /* 9-bit sums: DID 0x060 + SDID 0x060 + DC 0x102 + 0x101 + 0x102 = 0x3C5 -> 0x1C5, b8 = 1 -> b9 = 0 */
    CHECK_EQ_U64(mxm_anc_checksum(0x260, 0x260, mxm_anc_word(2), udw, 2), 0x1C5);
}

static void test_roundtrip(void)
{
    mxm_anc_packet pk[3];
    mxm_timecode tc;
    mxm_timecode_from_count(1800, 30, 1, &tc); /* 00:01:00;02 */
    mxm_anc_atc(&pk[0], &tc, 1, 0x12345678u, 9);
    mxm_anc_cc608(&pk[1], 5, 21);
    uint8_t odd[5] = {1, 2, 3, 4, 5};
    mxm_anc_make(&pk[2], 0x41, 0x05, odd, 5, 11, 7);
    pk[2].c = 1;
    pk[2].s = 1;
    pk[2].stream = 0x55;
    uint8_t buf[4096];
    memset(buf, 0xEE, sizeof buf);
    size_t used = mxm_anc_build(buf, sizeof buf, 2, pk, 3);
    /* ATC: 32 + 10 * 20 = 232 bits -> 256 (32 bytes); 608: 32 + 70 = 102 -> 128 (16 bytes); 5 UDW: 122 -> 128 */
    CHECK_EQ_U64(used, 6 + 32 + 16 + 16);
    CHECK(buf[0] == 0 && buf[1] == 64 && buf[2] == 3 && buf[3] == 0x80);
    CHECK(buf[used] == 0 && buf[4095] == 0); /* rest of the grain zeroed */
    /* First packet header: C=0, line 9, hoffset 0 -> bits 0 000 0000 1001 0000 ... */
    CHECK(buf[6] == 0x00 && buf[7] == 0x90 && buf[8] == 0x00);
    mxm_anc_info info;
    mxm_anc_packet out[8];
    CHECK(mxm_anc_parse(buf, sizeof buf, &info, out, 8) == 0);
    CHECK(info.length == 64 && info.count == 3 && info.f == 2 && info.parsed == 3 && !info.truncated);
    for (int i = 0; i < 3; i++) {
        CHECK(out[i].parity_ok && out[i].checksum_ok);
        CHECK(out[i].did == pk[i].did && out[i].sdid == pk[i].sdid && out[i].dc == pk[i].dc);
        CHECK(out[i].line == pk[i].line && out[i].hoffset == pk[i].hoffset);
        CHECK(memcmp(out[i].udw, pk[i].udw, (pk[i].dc & 0xFF) * 2u) == 0);
    }
    CHECK(out[2].c == 1 && out[2].s == 1 && out[2].stream == 0x55 && out[2].hoffset == 7);
    /* ATC decode: label, frame-pair flag, user bits. */
    mxm_timecode back;
    int fm = 0;
    uint32_t user = 0;
    CHECK(mxm_anc_atc_decode(&out[0], 30, &back, &fm, &user) == 0);
    CHECK(back.hours == 0 && back.minutes == 1 && back.seconds == 0 && back.frames == 2 && back.drop);
    CHECK(fm == 1 && user == 0x12345678u);
    /* The frame units digit is in b4-b7 of UDW 1, b0-b3 zero. */
    CHECK_EQ_U64(out[0].udw[0] & 0xFF, 0x20);
    /* 25-frame systems carry the field mark in bit 59 (UDW 15 b7), not bit 27. */
    mxm_timecode t25;
    mxm_timecode_from_count(100, 25, 0, &t25);
    mxm_anc_atc(&pk[0], &t25, 1, 0, 9);
    CHECK((pk[0].udw[14] & 0x80) != 0 && (pk[0].udw[6] & 0x80) == 0);
    /* CEA-608: UDW0 0x80, then the caption pair with odd parity. */
    uint8_t pair[2];
    mxm_cc608_pair(5, pair);
    CHECK((out[1].udw[1] & 0xFF) == pair[0] && (out[1].udw[2] & 0xFF) == pair[1]);
    CHECK((out[1].udw[0] & 0xFF) == 0x80);
    CHECK(__builtin_popcount(pair[0]) % 2 == 1 && __builtin_popcount(pair[1]) % 2 == 1);
    CHECK(pair[0] == 'L' && pair[1] == ' '); /* pair 5 = text pair 1 of "MXL TEST CAPTION"; both odd already */
    mxm_cc608_pair(0, pair);
    CHECK(pair[0] == 0x94 && pair[1] == 0x25); /* RU2 0x14 0x25: 0x14 gets the parity bit, 0x25 is odd already */
    /* A flipped UDW bit breaks the checksum, a flipped DID parity bit breaks parity. */
    uint8_t bad[4096];
    memcpy(bad, buf, sizeof bad);
    bad[6 + 8] ^= 0x01;
    CHECK(mxm_anc_parse(bad, sizeof bad, &info, out, 8) == 0);
    CHECK(out[0].checksum_ok == 0 || out[0].parity_ok == 0);
    memcpy(bad, buf, sizeof bad);
    bad[6 + 4] ^= 0x40; /* DID b8 */
    CHECK(mxm_anc_parse(bad, sizeof bad, &info, out, 8) == 0);
    CHECK(out[0].parity_ok == 0);
    CHECK(mxm_anc_build(buf, 10, 0, pk, 3) == 0); /* does not fit */
}

static void test_truncated_and_random(void)
{
    mxm_anc_packet pk[2];
    mxm_timecode tc;
    mxm_timecode_from_count(0, 25, 0, &tc);
    mxm_anc_atc(&pk[0], &tc, 0, 0, 9);
    mxm_anc_cc608(&pk[1], 0, 21);
    uint8_t buf[128];
    size_t used = mxm_anc_build(buf, sizeof buf, 0, pk, 2);
    CHECK(used == 6 + 32 + 16);
    mxm_anc_info info;
    mxm_anc_packet out[4];
    int ok = 1;
    for (size_t n = 0; n < used; n++) {
        uint8_t* copy = malloc(n ? n : 1); /* exact-size heap copy: ASan sees any overread */
        memcpy(copy, buf, n);
        int rc = mxm_anc_parse(copy, n, &info, out, 4);
        if (n < 6 ? rc != -1 : (rc != 0 || !info.truncated || info.parsed >= 2)) ok = 0;
        free(copy);
    }
    CHECK(ok);
    CHECK(mxm_anc_parse(buf, used, &info, out, 4) == 0 && info.parsed == 2 && !info.truncated);
    CHECK(mxm_anc_parse(buf, used, &info, out, 1) == 0 && info.parsed == 1); /* max respected */
    uint32_t seed = 7;
    for (int it = 0; it < 20000; it++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 8) % 700;
        uint8_t* r = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            r[i] = (uint8_t)(seed >> 16);
        }
        if (n >= 3 && (it & 1)) r[0] = 0, r[1] = (uint8_t)(n - 6), r[2] = (uint8_t)(seed % 8); /* plausible */
        mxm_anc_packet many[8];
        int rc = mxm_anc_parse(r, n, &info, many, 8);
        if (rc == 0 && info.parsed > 8) ok = 0;
        free(r);
    }
    CHECK(ok);
}

int main(void)
{
    test_words();
    test_roundtrip();
    test_truncated_and_random();
    return test_finish("test_media_anc");
}
