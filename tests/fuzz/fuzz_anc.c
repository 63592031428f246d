/* (f) The ANC packet parser of media/ (SMPTE ST 291 packets in the RFC 8331 layout): mxm_anc_parse on arbitrary
 * bytes in an exactly sized heap buffer (ASan catches any read outside [src, src+len)).
 * Invariants: never more packets than asked for or than ANC_Count; each packet's UDW count is its DC's low 8
 * bits; and a complete parse rebuilt with mxm_anc_build parses back to the same packets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "mxlmedia.h"

#define MAXP 64

int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    if (size < 1)
        return 0;
    size_t max = data[0] % (MAXP + 1); /* how many packets the caller has room for */
    data++;
    size--;
    uint8_t* src = malloc(size ? size : 1);
    memcpy(src, data, size);
    static mxm_anc_packet pk[MAXP], pk2[MAXP];
    mxm_anc_info info, info2;
    int r = mxm_anc_parse(size ? src : NULL, size, &info, pk, max);
    if (size < MXM_ANC_HEADER) {
        FUZZ_ASSERT(r == -1, "short input accepted");
        free(src);
        return 0;
    }
    FUZZ_ASSERT(r == 0, "parse %d", r);
    FUZZ_ASSERT(info.parsed <= max && info.parsed <= info.count, "parsed %u (max %zu, count %u)", info.parsed, max,
                info.count);
    if (!info.truncated && info.parsed == info.count && info.parsed > 0) {
        size_t cap = 6u + info.length + 64;
        uint8_t* dst = malloc(cap);
        size_t used = mxm_anc_build(dst, cap, info.f, pk, info.parsed);
        if (used > 0) {
            uint8_t* exact = malloc(used);
            memcpy(exact, dst, used);
            FUZZ_ASSERT(mxm_anc_parse(exact, used, &info2, pk2, MAXP) == 0, "reparse");
            FUZZ_ASSERT(info2.parsed == info.parsed && !info2.truncated, "reparse count %u vs %u", info2.parsed,
                        info.parsed);
            for (uint32_t i = 0; i < info.parsed; i++) {
                mxm_anc_packet const *a = &pk[i], *b = &pk2[i];
                size_t n = a->dc & 0xFFu;
                FUZZ_ASSERT(a->c == b->c && a->line == b->line && a->hoffset == b->hoffset && a->s == b->s &&
                                a->stream == b->stream && a->did == b->did && a->sdid == b->sdid && a->dc == b->dc &&
                                a->checksum == b->checksum && a->parity_ok == b->parity_ok &&
                                a->checksum_ok == b->checksum_ok && memcmp(a->udw, b->udw, n * 2) == 0,
                            "packet %u differs after rebuild", i);
            }
            free(exact);
        }
        free(dst);
    }
    free(src);
    return 0;
}
