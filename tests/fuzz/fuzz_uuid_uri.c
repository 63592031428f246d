/* (e) Flow ids and mxl:// URIs: mxl_uuid_parse, mxlNormalizeFlowId, mxlParseUri on arbitrary NUL-terminated
 * text (exactly sized heap copies, so ASan sees any read past the terminator).
 * Invariants: parse and normalise agree; the canonical form is 36 lower-case characters in 8-4-4-4-12 and parses
 * back to the same bytes; a parsed URI has NUL-terminated fields, at most MXL_URI_MAX_IDS canonical ids, a port
 * of -1 or 0..65535; and normalising an id found in a URI is the identity. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "internal.h"

static void check_canonical(char const* s)
{
    FUZZ_ASSERT(strlen(s) == 36, "canonical length %zu", strlen(s));
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            FUZZ_ASSERT(s[i] == '-', "hyphen at %d", i);
        else
            FUZZ_ASSERT(isxdigit((unsigned char)s[i]) && !isupper((unsigned char)s[i]), "digit at %d", i);
    }
}

int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    char* text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;

    uint8_t id[16];
    int pr = mxl_uuid_parse(text, id);
    char canon[37];
    memset(canon, 'x', sizeof canon);
    mxlStatus ns = mxlNormalizeFlowId(text, canon);
    FUZZ_ASSERT((pr == 0) == (ns == MXL_STATUS_OK), "parse %d vs normalise %d", pr, ns);
    if (pr == 0) {
        check_canonical(canon);
        uint8_t back[16];
        FUZZ_ASSERT(mxl_uuid_parse(canon, back) == 0 && memcmp(back, id, 16) == 0, "round trip");
        char again[37];
        mxl_uuid_format(id, again);
        FUZZ_ASSERT(strcmp(again, canon) == 0, "format vs normalise");
    } else {
        FUZZ_ASSERT(ns == MXL_ERR_INVALID_ARG && mxlGetLastErrorMessage()[0], "no message");
    }

    mxlUri* u = malloc(sizeof *u);
    memset(u, 0x7f, sizeof *u);
    mxlStatus us = mxlParseUri(text, u);
    if (us == MXL_STATUS_OK) {
        FUZZ_ASSERT(memchr(u->host, 0, sizeof u->host) != NULL, "host not terminated");
        FUZZ_ASSERT(memchr(u->path, 0, sizeof u->path) != NULL, "path not terminated");
        FUZZ_ASSERT(u->port == -1 || (u->port >= 0 && u->port <= 65535), "port %d", u->port);
        FUZZ_ASSERT(u->idCount <= MXL_URI_MAX_IDS, "idCount %zu", u->idCount);
        for (size_t i = 0; i < u->idCount; i++) {
            check_canonical(u->ids[i]);
            char c2[37];
            FUZZ_ASSERT(mxlNormalizeFlowId(u->ids[i], c2) == MXL_STATUS_OK && strcmp(c2, u->ids[i]) == 0,
                        "uri id not canonical");
        }
    } else {
        FUZZ_ASSERT(us == MXL_ERR_INVALID_ARG && mxlGetLastErrorMessage()[0], "no message");
    }
    free(u);
    free(text);
    return 0;
}
