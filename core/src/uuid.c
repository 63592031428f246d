/* Flow ids: the lenient parser upstream applies to every id it reads (MXL-FORMAT.md §11.3) and the canonical
 * lower-case text form used for directory names.
 *
 * Accepted: an optional '{' ... '}' pair around the whole text, '-' anywhere (any number of them), hex digits of
 * either case, exactly 32 hex digits. Anything else is rejected, which also keeps path syntax ('/', "..") out of
 * every path we build from an id. Formatting uses libuuid; parsing is ours because uuid_parse() only takes the
 * 36-character hyphenated form. */
#include <stdio.h>
#include <string.h>

#include <uuid/uuid.h>

#include "internal.h"

/* Longest text we look at. Upstream puts no bound on the number of hyphens; a 32-digit id with a few separators
 * is < 40 characters, so anything beyond this is garbage and is rejected without scanning it all. */
#define MXL_UUID_TEXT_MAX 256

typedef enum
{
    UUID_OK,
    UUID_NULL,
    UUID_TOO_LONG,
    UUID_UNCLOSED_BRACE,
    UUID_BAD_CHAR,
    UUID_DIGIT_COUNT,
} uuid_verdict;

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The one parser behind mxl_uuid_parse and mxlNormalizeFlowId. Writes `out` only on UUID_OK. On UUID_BAD_CHAR
 * *where is the offending position; on UUID_DIGIT_COUNT *digits is the number of hex digits seen. */
static uuid_verdict uuid_scan(char const* text, uint8_t out[16], size_t* where, size_t* digits)
{
    if (text == NULL)
        return UUID_NULL;
    size_t len = strnlen(text, MXL_UUID_TEXT_MAX + 1);
    if (len > MXL_UUID_TEXT_MAX)
        return UUID_TOO_LONG;

    size_t begin = 0, end = len;
    if (len > 0 && text[0] == '{') {
        /* §11.3: a leading brace needs a trailing one ("{" alone has no closing brace either). */
        if (len < 2 || text[len - 1] != '}')
            return UUID_UNCLOSED_BRACE;
        begin = 1;
        end = len - 1;
    }

    uint8_t bytes[16] = {0};
    size_t n = 0;
    for (size_t i = begin; i < end; i++) {
        if (text[i] == '-')
            continue;
        int v = hex_value(text[i]);
        if (v < 0) {
            *where = i;
            return UUID_BAD_CHAR;
        }
        if (n < 32)
            bytes[n / 2] = (uint8_t)(bytes[n / 2] | (v << ((n % 2) ? 0 : 4)));
        n++;
    }
    if (n != 32) {
        *digits = n;
        return UUID_DIGIT_COUNT;
    }
    memcpy(out, bytes, 16);
    return UUID_OK;
}

/* Contract: see internal.h. Returns 0 and fills `out`, or -1 leaving `out` untouched; sets no error message. */
int mxl_uuid_parse(char const* text, uint8_t out[16])
{
    size_t where = 0, digits = 0;
    return uuid_scan(text, out, &where, &digits) == UUID_OK ? 0 : -1;
}

/* Contract: writes exactly 37 bytes (36 characters + NUL), lower case, 8-4-4-4-12. Cannot fail. */
void mxl_uuid_format(uint8_t const id[16], char out[37])
{
    uuid_unparse_lower(id, out);
}

/* Public (ext.h). On failure `out` is untouched and the last error says what is wrong, quoting at most the first
 * 40 characters of the text (printable ASCII only, other bytes as \xNN). */
mxlStatus mxlNormalizeFlowId(char const* text, char out[37])
{
    uint8_t id[16];
    size_t where = 0, digits = 0;
    if (out == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "flow id: NULL output buffer");
    uuid_verdict v = uuid_scan(text, id, &where, &digits);
    if (v == UUID_OK) {
        mxl_uuid_format(id, out);
        return MXL_STATUS_OK;
    }
    if (v == UUID_NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "flow id: NULL");
    if (v == UUID_TOO_LONG)
        return mxl_fail(MXL_ERR_INVALID_ARG, "flow id: too long (more than %d characters)", MXL_UUID_TEXT_MAX);

    /* Quote the text safely: it may be long or contain control bytes. */
    char quoted[200];
    size_t q = 0;
    size_t len = strlen(text);
    for (size_t i = 0; i < len && i < 40 && q + 5 < sizeof quoted; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            quoted[q++] = (char)c;
        else
            q += (size_t)snprintf(quoted + q, sizeof quoted - q, "\\x%02x", c);
    }
    if (len > 40 && q + 4 < sizeof quoted) {
        memcpy(quoted + q, "...", 3);
        q += 3;
    }
    quoted[q] = '\0';

    switch (v) {
    case UUID_UNCLOSED_BRACE:
        return mxl_fail(MXL_ERR_INVALID_ARG, "flow id \"%s\": opening '{' without a closing '}' at the end", quoted);
    case UUID_BAD_CHAR: {
        unsigned char c = (unsigned char)text[where];
        if (c >= 0x20 && c < 0x7f)
            return mxl_fail(MXL_ERR_INVALID_ARG, "flow id \"%s\": unexpected character '%c' at position %zu", quoted,
                            (char)c, where);
        return mxl_fail(MXL_ERR_INVALID_ARG, "flow id \"%s\": unexpected byte 0x%02x at position %zu", quoted, c,
                        where);
    }
    case UUID_DIGIT_COUNT:
        return mxl_fail(MXL_ERR_INVALID_ARG, "flow id \"%s\": expected 32 hexadecimal digits (got %zu)", quoted,
                        digits);
    default:
        return mxl_fail(MXL_ERR_INVALID_ARG, "flow id \"%s\": invalid", quoted);
    }
}
