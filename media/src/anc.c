/* SMPTE ST 291 packets in the RFC 8331 layout as stored in MXL smpte291 grains: the payload starts at the RFC 8331
 * Length field. Header (6 bytes): Length (16, big-endian, bytes after the header), ANC_Count (8), F (2), reserved
 * (22). Each packet is a big-endian bit stream C(1) Line(11) HOffset(12) S(1) StreamNum(7) DID(10) SDID(10)
 * DC(10) UDW(10 x n) Checksum(10), zero-padded to a multiple of 32 bits. */
#include <string.h>

#include "mxlmedia.h"

uint16_t mxm_anc_word(uint8_t v)
{
    unsigned ones = (unsigned)__builtin_popcount(v);
    uint16_t b8 = (uint16_t)(ones & 1u); /* even parity: b8 makes the count of ones in b0-b8 even */
    return (uint16_t)(v | (b8 << 8) | ((b8 ^ 1u) << 9));
}

uint16_t mxm_anc_checksum(uint16_t did, uint16_t sdid, uint16_t dc, uint16_t const* udw, size_t n)
{
    unsigned sum = (did & 0x1FFu) + (sdid & 0x1FFu) + (dc & 0x1FFu);
    for (size_t i = 0; i < n; i++) sum += udw[i] & 0x1FFu;
    sum &= 0x1FFu;
    return (uint16_t)(sum | ((((sum >> 8) & 1u) ^ 1u) << 9));
}

void mxm_anc_make(mxm_anc_packet* p, uint8_t did, uint8_t sdid, uint8_t const* udw, size_t n, uint16_t line,
                  uint16_t hoffset)
{
    memset(p, 0, sizeof *p);
    if (n > MXM_ANC_MAX_UDW) n = MXM_ANC_MAX_UDW;
    p->line = line & 0x7FFu;
    p->hoffset = hoffset & 0xFFFu;
    p->did = mxm_anc_word(did);
    p->sdid = mxm_anc_word(sdid);
    p->dc = mxm_anc_word((uint8_t)n);
    for (size_t i = 0; i < n; i++) p->udw[i] = mxm_anc_word(udw[i]);
    p->checksum = mxm_anc_checksum(p->did, p->sdid, p->dc, p->udw, n);
    p->parity_ok = p->checksum_ok = 1;
}

/* Bits of one packet, padded to 32. */
static size_t packet_bits(size_t n)
{
    size_t bits = 32u + 10u * (4u + n);
    return (bits + 31u) / 32u * 32u;
}

static void put_bits(uint8_t* base, size_t* pos, uint32_t v, unsigned nbits)
{
    for (unsigned i = 0; i < nbits; i++, (*pos)++) {
        if ((v >> (nbits - 1u - i)) & 1u) base[*pos / 8u] |= (uint8_t)(0x80u >> (*pos % 8u));
    }
}

static uint32_t get_bits(uint8_t const* base, size_t* pos, unsigned nbits)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < nbits; i++, (*pos)++) v = (v << 1) | ((base[*pos / 8u] >> (7u - *pos % 8u)) & 1u);
    return v;
}

size_t mxm_anc_build(uint8_t* dst, size_t cap, uint8_t f, mxm_anc_packet const* pkts, size_t n)
{
    if (!dst || cap < MXM_ANC_HEADER || n > 255) return 0;
    size_t bits = 0;
    for (size_t i = 0; i < n; i++) bits += packet_bits(pkts[i].dc & 0xFFu);
    size_t length = bits / 8u;
    if (length > 0xFFFFu || MXM_ANC_HEADER + length > cap) return 0;
    memset(dst, 0, cap);
    dst[0] = (uint8_t)(length >> 8);
    dst[1] = (uint8_t)length;
    dst[2] = (uint8_t)n;
    dst[3] = (uint8_t)((f & 3u) << 6);
    uint8_t* body = dst + MXM_ANC_HEADER;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        mxm_anc_packet const* p = &pkts[i];
        size_t start = pos, nudw = p->dc & 0xFFu;
        put_bits(body, &pos, p->c & 1u, 1);
        put_bits(body, &pos, p->line & 0x7FFu, 11);
        put_bits(body, &pos, p->hoffset & 0xFFFu, 12);
        put_bits(body, &pos, p->s & 1u, 1);
        put_bits(body, &pos, p->stream & 0x7Fu, 7);
        put_bits(body, &pos, p->did & 0x3FFu, 10);
        put_bits(body, &pos, p->sdid & 0x3FFu, 10);
        put_bits(body, &pos, p->dc & 0x3FFu, 10);
        for (size_t k = 0; k < nudw; k++) put_bits(body, &pos, p->udw[k] & 0x3FFu, 10);
        put_bits(body, &pos, p->checksum & 0x3FFu, 10);
        pos = start + packet_bits(nudw);
    }
    return MXM_ANC_HEADER + length;
}

static int parity_valid(uint16_t w)
{
    return w == mxm_anc_word((uint8_t)w);
}

int mxm_anc_parse(uint8_t const* src, size_t len, mxm_anc_info* info, mxm_anc_packet* out, size_t max)
{
    memset(info, 0, sizeof *info);
    if (!src || len < MXM_ANC_HEADER) return -1;
    info->length = (uint16_t)((src[0] << 8) | src[1]);
    info->count = src[2];
    info->f = (uint8_t)(src[3] >> 6);
    size_t avail = len - MXM_ANC_HEADER;
    if (info->length > avail) info->truncated = 1;
    else avail = info->length;
    uint8_t const* body = src + MXM_ANC_HEADER;
    size_t total = avail * 8u, pos = 0;
    for (unsigned k = 0; k < info->count && info->parsed < max; k++) {
        /* The fixed part (header word + DID, SDID, DC) must fit before DC can be read. */
        if (total - pos < 62u) { info->truncated = 1; break; }
        size_t start = pos;
        mxm_anc_packet* p = &out[info->parsed];
        memset(p, 0, sizeof *p);
        p->c = (uint8_t)get_bits(body, &pos, 1);
        p->line = (uint16_t)get_bits(body, &pos, 11);
        p->hoffset = (uint16_t)get_bits(body, &pos, 12);
        p->s = (uint8_t)get_bits(body, &pos, 1);
        p->stream = (uint8_t)get_bits(body, &pos, 7);
        p->did = (uint16_t)get_bits(body, &pos, 10);
        p->sdid = (uint16_t)get_bits(body, &pos, 10);
        p->dc = (uint16_t)get_bits(body, &pos, 10);
        size_t n = p->dc & 0xFFu;
        if (total - start < packet_bits(n)) { info->truncated = 1; break; }
        for (size_t i = 0; i < n; i++) p->udw[i] = (uint16_t)get_bits(body, &pos, 10);
        p->checksum = (uint16_t)get_bits(body, &pos, 10);
        p->parity_ok = parity_valid(p->did) && parity_valid(p->sdid) && parity_valid(p->dc);
        p->checksum_ok = p->checksum == mxm_anc_checksum(p->did, p->sdid, p->dc, p->udw, n);
        pos = start + packet_bits(n);
        info->parsed++;
    }
    return 0;
}
