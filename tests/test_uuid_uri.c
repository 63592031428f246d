/* Flow ids (MXL-FORMAT.md §11.3: lenient parse, canonical lower-case text) and mxl:// URIs (§16). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

#define CANON "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e101"

static uint8_t const CANON_BYTES[16] = {0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x49, 0x68,
                                        0x87, 0x76, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0x01};

/* Accepted spellings of CANON. */
static void test_lenient_accepts(void)
{
    char const* ok[] = {
        CANON,
        "0F1E2D3C-4B5A-4968-8776-A5B4C3D2E101",       /* upper case */
        "{0f1e2d3c-4b5a-4968-8776-a5b4c3d2e101}",     /* braces */
        "0f1e2d3c4b5a49688776a5b4c3d2e101",           /* no hyphens */
        "{0F1E2D3C4B5A49688776A5B4C3D2E101}",         /* braces, upper, no hyphens */
        "0f-1e2d3c4b5a4968-8776a5b4c3d2e1-01",        /* hyphens in odd places */
        "-0f1e2d3c4b5a49688776a5b4c3d2e101-",         /* leading and trailing hyphen */
        "0f1e--2d3c---4b5a49688776a5b4c3d2e101",      /* runs of hyphens */
        "0f1E2d3C-4b5A-4968-8776-a5B4c3D2e101",       /* mixed case */
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        uint8_t id[16];
        memset(id, 0xaa, sizeof id);
        CHECK_MSG(mxl_uuid_parse(ok[i], id) == 0, "mxl_uuid_parse(\"%s\") rejected", ok[i]);
        CHECK_MSG(memcmp(id, CANON_BYTES, 16) == 0, "wrong bytes for \"%s\"", ok[i]);
        char out[37];
        memset(out, 'x', sizeof out);
        CHECK_STATUS(mxlNormalizeFlowId(ok[i], out), MXL_STATUS_OK);
        CHECK_MSG(strcmp(out, CANON) == 0, "normalised \"%s\" to \"%.37s\"", ok[i], out);
    }
}

typedef struct
{
    char const* text;
    char const* message; /* substring expected in the last error */
} reject_case;

static void test_lenient_rejects(void)
{
    reject_case const bad[] = {
        {"", "expected 32 hexadecimal digits (got 0)"},
        {"xyz", "unexpected character 'x' at position 0"},
        {"abc", "expected 32 hexadecimal digits (got 3)"},
        {"0f1e/d3c-4b5a-4968-8776-a5b4c3d2e101", "unexpected character '/' at position 4"},
        {"../../etc", "unexpected character '.' at position 0"},
        {"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e101/..", "unexpected character '/' at position 36"},
        {"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e10", "expected 32 hexadecimal digits (got 31)"},
        {"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1011", "expected 32 hexadecimal digits (got 33)"},
        {"{0f1e2d3c-4b5a-4968-8776-a5b4c3d2e101", "opening '{' without a closing '}'"},
        {"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e101}", "unexpected character '}' at position 36"},
        {"{{0f1e2d3c-4b5a-4968-8776-a5b4c3d2e101}}", "unexpected character '{' at position 1"},
        {"{", "opening '{' without a closing '}'"},
        {"{}", "expected 32 hexadecimal digits (got 0)"},
        {" 0f1e2d3c-4b5a-4968-8776-a5b4c3d2e101", "unexpected character ' ' at position 0"},
        {"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e10g", "unexpected character 'g' at position 35"},
        {"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e101\n", "unexpected byte 0x0a at position 36"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint8_t id[16];
        memset(id, 0x55, sizeof id);
        CHECK_MSG(mxl_uuid_parse(bad[i].text, id) == -1, "accepted \"%s\"", bad[i].text);
        CHECK_MSG(id[0] == 0x55 && id[15] == 0x55, "output written for \"%s\"", bad[i].text);
        char out[37] = "untouched";
        CHECK_STATUS(mxlNormalizeFlowId(bad[i].text, out), MXL_ERR_INVALID_ARG);
        CHECK_MSG(strstr(mxlGetLastErrorMessage(), bad[i].message) != NULL, "\"%s\": message \"%s\" lacks \"%s\"",
                  bad[i].text, mxlGetLastErrorMessage(), bad[i].message);
        CHECK(strcmp(out, "untouched") == 0);
    }

    /* C-string semantics: an embedded NUL ends the text, so a valid prefix of 31 digits is too short. */
    char const nul[] = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e10\0" "1";
    uint8_t id[16];
    CHECK(mxl_uuid_parse(nul, id) == -1);

    /* NULL and an over-long (10 kB, all hex) string. */
    CHECK(mxl_uuid_parse(NULL, id) == -1);
    CHECK_STATUS(mxlNormalizeFlowId(NULL, (char[37]){0}), MXL_ERR_INVALID_ARG);
    CHECK(strstr(mxlGetLastErrorMessage(), "NULL") != NULL);
    CHECK_STATUS(mxlNormalizeFlowId(CANON, NULL), MXL_ERR_INVALID_ARG);
    char* big = malloc(10241);
    memset(big, 'a', 10240);
    big[10240] = '\0';
    CHECK(mxl_uuid_parse(big, id) == -1);
    CHECK_STATUS(mxlNormalizeFlowId(big, (char[37]){0}), MXL_ERR_INVALID_ARG);
    CHECK_MSG(strstr(mxlGetLastErrorMessage(), "too long") != NULL, "%s", mxlGetLastErrorMessage());
    /* 32 digits separated by many hyphens are still accepted while under the length cap (upstream accepts any). */
    memset(big, '-', 200);
    memcpy(big + 200, "0f1e2d3c4b5a49688776a5b4c3d2e101", 33);
    CHECK(mxl_uuid_parse(big, id) == 0 && memcmp(id, CANON_BYTES, 16) == 0);
    free(big);

    /* Messages quote long text only partially. */
    CHECK_STATUS(mxlNormalizeFlowId("0123456789abcdef0123456789abcdef0123456789abcdef/", (char[37]){0}),
                 MXL_ERR_INVALID_ARG);
    CHECK_MSG(strstr(mxlGetLastErrorMessage(), "...\": unexpected character '/' at position 48") != NULL, "%s",
              mxlGetLastErrorMessage());
}

static void test_format(void)
{
    char out[37];
    memset(out, 'x', sizeof out);
    mxl_uuid_format(CANON_BYTES, out);
    CHECK(strcmp(out, CANON) == 0);
    CHECK(out[36] == '\0');
    uint8_t ff[16];
    memset(ff, 0xff, sizeof ff);
    mxl_uuid_format(ff, out);
    CHECK(strcmp(out, "ffffffff-ffff-ffff-ffff-ffffffffffff") == 0);
    uint8_t zero[16] = {0};
    mxl_uuid_format(zero, out);
    CHECK(strcmp(out, "00000000-0000-0000-0000-000000000000") == 0);
    /* Round trip of an upper-case braced id. */
    uint8_t id[16];
    CHECK(mxl_uuid_parse("{5FBEC3B1-1B0F-417D-9059-8B94A47197ED}", id) == 0);
    mxl_uuid_format(id, out);
    CHECK(strcmp(out, "5fbec3b1-1b0f-417d-9059-8b94a47197ed") == 0);
}

/* ---- URIs ---------------------------------------------------------------------------------------------------- */

#define ID1 "5fbec3b1-1b0f-417d-9059-8b94a47197ed"
#define ID2 "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e101"

static void test_uri_examples(void)
{
    mxlUri u;
    /* Every §16 example. */
    CHECK_STATUS(mxlParseUri("mxl://host1.local/domain/path?id=" ID1 "&id=" ID2, &u), MXL_STATUS_OK);
    CHECK(strcmp(u.host, "host1.local") == 0 && u.port == -1 && strcmp(u.path, "/domain/path") == 0);
    CHECK(u.idCount == 2 && strcmp(u.ids[0], ID1) == 0 && strcmp(u.ids[1], ID2) == 0);

    CHECK_STATUS(mxlParseUri("mxl://10.1.2.3:5000/domain/path?id=" ID1, &u), MXL_STATUS_OK);
    CHECK(strcmp(u.host, "10.1.2.3") == 0 && u.port == 5000 && strcmp(u.path, "/domain/path") == 0);
    CHECK(u.idCount == 1 && strcmp(u.ids[0], ID1) == 0);

    CHECK_STATUS(mxlParseUri("mxl://[2001:db8::2]/domain/path?id=" ID1, &u), MXL_STATUS_OK);
    CHECK(strcmp(u.host, "2001:db8::2") == 0 && u.port == -1 && strcmp(u.path, "/domain/path") == 0);
    CHECK(u.idCount == 1);

    CHECK_STATUS(mxlParseUri("mxl:///dev/shm/mxl?id=5fbec3b1-1b0f-417d-9059-8b94a47197ed", &u), MXL_STATUS_OK);
    CHECK(strcmp(u.host, "") == 0 && u.port == -1 && strcmp(u.path, "/dev/shm/mxl") == 0);
    CHECK(u.idCount == 1 && strcmp(u.ids[0], ID1) == 0);

    /* Domain root without query. */
    CHECK_STATUS(mxlParseUri("mxl:///dev/shm/mxl", &u), MXL_STATUS_OK);
    CHECK(u.idCount == 0 && strcmp(u.path, "/dev/shm/mxl") == 0 && u.host[0] == '\0');

    /* IPv6 with port, upper-case scheme, lenient ids (upper case, percent-encoded braces, no hyphens). */
    CHECK_STATUS(mxlParseUri("MXL://[::1]:65535/d?id=5FBEC3B1-1B0F-417D-9059-8B94A47197ED&id=%7B" ID2 "%7D"
                             "&id=5fbec3b11b0f417d90598b94a47197ed",
                             &u),
                 MXL_STATUS_OK);
    CHECK(strcmp(u.host, "::1") == 0 && u.port == 65535 && strcmp(u.path, "/d") == 0);
    CHECK(u.idCount == 3 && strcmp(u.ids[0], ID1) == 0 && strcmp(u.ids[1], ID2) == 0 && strcmp(u.ids[2], ID1) == 0);

    /* Percent-decoding of the path. */
    CHECK_STATUS(mxlParseUri("mxl://h:1/my%20domain/a%2fb", &u), MXL_STATUS_OK);
    CHECK(strcmp(u.path, "/my domain/a/b") == 0 && u.port == 1);

    /* Exactly MXL_URI_MAX_IDS ids. */
    char buf[2048] = "mxl:///d?";
    for (int i = 0; i < MXL_URI_MAX_IDS; i++)
        strcat(strcat(buf, i ? "&id=" : "id="), ID2);
    CHECK_STATUS(mxlParseUri(buf, &u), MXL_STATUS_OK);
    CHECK(u.idCount == MXL_URI_MAX_IDS && strcmp(u.ids[MXL_URI_MAX_IDS - 1], ID2) == 0);
    /* One more is too many. */
    strcat(strcat(buf, "&id="), ID1);
    CHECK_STATUS(mxlParseUri(buf, &u), MXL_ERR_INVALID_ARG);
    CHECK(strstr(mxlGetLastErrorMessage(), "too many id parameters (max 16)") != NULL);
}

static void test_uri_rejects(void)
{
    reject_case const bad[] = {
        {"http://host/path", "must start with \"mxl://\""},
        {"mxl:/dev/shm", "must start with \"mxl://\""},
        {"mxl://", "missing domain path"},
        {"mxl://host", "missing domain path"},
        {"mxl://host?id=" ID1, "missing domain path"},
        {"mxl://host:0/p", "port out of range 1..65535"},
        {"mxl://host:65536/p", "port out of range 1..65535"},
        {"mxl://host:99999999999999999999/p", "port out of range 1..65535"},
        {"mxl://host:/p", "empty port after ':'"},
        {"mxl://host:80a/p", "port must be decimal digits (found 'a' at position 13)"},
        {"mxl://:80/p", "port given without a host"},
        {"mxl://user@host/p", "user information"},
        {"mxl://[2001:db8::2/p", "IPv6 literal without closing ']'"},
        {"mxl://[not-ipv6]/p", "invalid IPv6 literal \"not-ipv6\""},
        {"mxl://[]/p", "invalid IPv6 literal"},
        {"mxl://[::1]x/p", "unexpected 'x' after IPv6 literal"},
        {"mxl://ho st/p", "character ' ' not allowed in host"},
        {"mxl://ho%41st/p", "character '%' not allowed in host"},
        {"mxl:///a b", "character ' ' not allowed in path at position 8"},
        {"mxl:///a%2", "invalid percent-encoding in path at position 8"},
        {"mxl:///a%zz", "invalid percent-encoding in path at position 8"},
        {"mxl:///a%00b", "%00 (NUL) in path"},
        {"mxl:///d#frag", "fragments ('#...') are not supported"},
        {"mxl:///d?id=" ID1 "#frag", "fragments ('#...') are not supported"},
        {"mxl:///d?", "empty query after '?'"},
        {"mxl:///d?id=" ID1 "&", "empty query parameter at position 49"},
        {"mxl:///d?id=" ID1 "&&id=" ID2, "empty query parameter"},
        {"mxl:///d?flow=" ID1, "unknown query parameter \"flow\" (only id=<flow id> is defined)"},
        {"mxl:///d?ID=" ID1, "unknown query parameter \"ID\""},
        {"mxl:///d?id", "id parameter without a value"},
        {"mxl:///d?id=", "id parameter without a value"},
        {"mxl:///d?id=xyz", "id parameter 1: flow id \"xyz\": unexpected character 'x' at position 0"},
        {"mxl:///d?id=" ID1 "&id=abc", "id parameter 2: flow id \"abc\": expected 32 hexadecimal digits (got 3)"},
        {"mxl:///d?id=../../etc", "id parameter 1: flow id \"../../etc\": unexpected character '.'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mxlUri u;
        u.port = 12345;
        CHECK_STATUS(mxlParseUri(bad[i].text, &u), MXL_ERR_INVALID_ARG);
        CHECK_MSG(strstr(mxlGetLastErrorMessage(), bad[i].message) != NULL, "\"%s\": message \"%s\" lacks \"%s\"",
                  bad[i].text, mxlGetLastErrorMessage(), bad[i].message);
        CHECK_MSG(u.port == 12345, "\"%s\": output written on failure", bad[i].text);
    }

    mxlUri u;
    CHECK_STATUS(mxlParseUri(NULL, &u), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlParseUri("mxl:///d", NULL), MXL_ERR_INVALID_ARG);

    /* Path longer than the 4096-byte field. */
    char* big = malloc(5000);
    strcpy(big, "mxl://");
    memset(big + 6, 'a', 4990);
    big[6] = '/';
    big[4996] = '\0';
    CHECK_STATUS(mxlParseUri(big, &u), MXL_ERR_INVALID_ARG);
    CHECK_MSG(strstr(mxlGetLastErrorMessage(), "path too long (max 4095 bytes)") != NULL, "%s",
              mxlGetLastErrorMessage());
    /* Host longer than 255 characters. */
    memset(big + 6, 'h', 300);
    strcpy(big + 306, "/p");
    CHECK_STATUS(mxlParseUri(big, &u), MXL_ERR_INVALID_ARG);
    CHECK_MSG(strstr(mxlGetLastErrorMessage(), "host too long") != NULL, "%s", mxlGetLastErrorMessage());
    free(big);
}

int main(void)
{
    test_lenient_accepts();
    test_lenient_rejects();
    test_format();
    test_uri_examples();
    test_uri_rejects();
    return test_finish("test_uuid_uri");
}
