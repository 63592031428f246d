/* mxl:// URIs (MXL-FORMAT.md §16): mxl://[host[:port]]/domain/path[?id=<uuid>[&id=<uuid>...]]
 *
 * Parsed strictly by RFC 3986 rules for the parts §16 defines; everything §16 does not define (user info,
 * fragments, query parameters other than id) is rejected with its own message rather than silently dropped. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define URI_TEXT_MAX 16384

/* Message prefix quoting (at most 80 characters of) the URI. */
static mxlStatus uri_fail(char const* text, char const* fmt, ...) __attribute__((format(printf, 2, 3)));
static mxlStatus uri_fail(char const* text, char const* fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t len = strlen(text);
    return mxl_fail(MXL_ERR_INVALID_ARG, "mxl URI \"%.80s%s\": %s", text, len > 80 ? "..." : "", msg);
}

static bool is_unreserved(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

static bool is_sub_delim(char c)
{
    return c != '\0' && strchr("!$&'()*+,;=", c) != NULL;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode text[begin, end) into out (capacity cap, NUL-terminated). Characters must be pchar or '/' (path)
 * or, for query values, pchar / '/' / '?'. Returns 0, or -1 after setting the error naming `what`. */
static int decode(char const* text, size_t begin, size_t end, char* out, size_t cap, char const* what, bool query)
{
    size_t n = 0;
    for (size_t i = begin; i < end; i++) {
        char c = text[i];
        if (c == '%') {
            int hi = (i + 2 < end) ? hex_digit(text[i + 1]) : -1;
            int lo = (hi >= 0) ? hex_digit(text[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                uri_fail(text, "invalid percent-encoding in %s at position %zu", what, i);
                return -1;
            }
            c = (char)(hi * 16 + lo);
            if (c == '\0') {
                uri_fail(text, "%%00 (NUL) in %s at position %zu", what, i);
                return -1;
            }
            i += 2;
        } else if (!(is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@' || c == '/' || (query && c == '?'))) {
            if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
                uri_fail(text, "character '%c' not allowed in %s at position %zu (percent-encode it)", c, what, i);
            else
                uri_fail(text, "byte 0x%02x not allowed in %s at position %zu (percent-encode it)", (unsigned char)c,
                         what, i);
            return -1;
        }
        if (n + 1 >= cap) {
            uri_fail(text, "%s too long (max %zu bytes)", what, cap - 1);
            return -1;
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return 0;
}

/* Authority text[begin, end): host | host:port | [IPv6] | [IPv6]:port. */
static mxlStatus parse_authority(char const* text, size_t begin, size_t end, mxlUri* u)
{
    size_t host_end, port_at = 0;
    char const* a = text + begin;
    size_t alen = end - begin;
    if (memchr(a, '@', alen) != NULL)
        return uri_fail(text, "user information (\"...@\") is not supported in the authority");
    if (alen > 0 && a[0] == '[') {
        char const* close = memchr(a, ']', alen);
        if (close == NULL)
            return uri_fail(text, "IPv6 literal without closing ']'");
        size_t iplen = (size_t)(close - a) - 1;
        char ip[64];
        if (iplen == 0 || iplen >= sizeof ip)
            return uri_fail(text, "invalid IPv6 literal (length %zu)", iplen);
        memcpy(ip, a + 1, iplen);
        ip[iplen] = '\0';
        unsigned char bin[16];
        if (inet_pton(AF_INET6, ip, bin) != 1)
            return uri_fail(text, "invalid IPv6 literal \"%s\"", ip);
        memcpy(u->host, ip, iplen + 1); /* stored without the brackets */
        host_end = begin + (size_t)(close - a) + 1;
        if (host_end < end && text[host_end] != ':')
            return uri_fail(text, "unexpected '%c' after IPv6 literal", text[host_end]);
    } else {
        char const* colon = memchr(a, ':', alen);
        host_end = colon ? begin + (size_t)(colon - a) : end;
        size_t hlen = host_end - begin;
        if (hlen == 0 && host_end < end)
            return uri_fail(text, "port given without a host");
        if (hlen >= sizeof u->host)
            return uri_fail(text, "host too long (max %zu characters)", sizeof u->host - 1);
        for (size_t i = begin; i < host_end; i++) {
            unsigned char c = (unsigned char)text[i];
            if (!is_unreserved((char)c))
                return (c >= 0x20 && c < 0x7f)
                           ? uri_fail(text, "character '%c' not allowed in host at position %zu", c, i)
                           : uri_fail(text, "byte 0x%02x not allowed in host at position %zu", c, i);
        }
        memcpy(u->host, a, hlen);
        u->host[hlen] = '\0';
    }
    if (host_end < end) { /* text[host_end] == ':' */
        port_at = host_end + 1;
        if (port_at == end)
            return uri_fail(text, "empty port after ':'");
        long port = 0;
        for (size_t i = port_at; i < end; i++) {
            if (text[i] < '0' || text[i] > '9')
                return uri_fail(text, "port must be decimal digits (found '%c' at position %zu)", text[i], i);
            port = port * 10 + (text[i] - '0');
            if (port > 65535)
                return uri_fail(text, "port out of range 1..65535");
        }
        if (port == 0)
            return uri_fail(text, "port out of range 1..65535");
        u->port = (int)port;
    }
    return MXL_STATUS_OK;
}

/* Query text[begin, end): id=<uuid> parameters joined by '&'; each id normalised by the lenient parser. */
static mxlStatus parse_query(char const* text, size_t begin, size_t end, mxlUri* u)
{
    if (begin == end)
        return uri_fail(text, "empty query after '?'");
    size_t p = begin;
    while (p <= end) {
        char const* amp = memchr(text + p, '&', end - p);
        size_t q = amp ? (size_t)(amp - text) : end;
        if (q == p)
            return uri_fail(text, "empty query parameter at position %zu", p);
        char const* eq = memchr(text + p, '=', q - p);
        size_t name_len = eq ? (size_t)(eq - (text + p)) : q - p;
        if (name_len != 2 || memcmp(text + p, "id", 2) != 0)
            return uri_fail(text, "unknown query parameter \"%.*s\" (only id=<flow id> is defined)",
                            (int)(name_len > 64 ? 64 : name_len), text + p);
        if (eq == NULL || (size_t)(eq - text) + 1 == q)
            return uri_fail(text, "id parameter without a value at position %zu", p);
        if (u->idCount == MXL_URI_MAX_IDS)
            return uri_fail(text, "too many id parameters (max %d)", MXL_URI_MAX_IDS);
        char value[300];
        if (decode(text, (size_t)(eq - text) + 1, q, value, sizeof value, "flow id", true) != 0)
            return MXL_ERR_INVALID_ARG;
        if (mxlNormalizeFlowId(value, u->ids[u->idCount]) != MXL_STATUS_OK) {
            char why[800];
            snprintf(why, sizeof why, "%s", mxlGetLastErrorMessage());
            return uri_fail(text, "id parameter %zu: %s", u->idCount + 1, why);
        }
        u->idCount++;
        p = q + 1;
    }
    return MXL_STATUS_OK;
}

/* Public (ext.h). On failure *out is untouched and the last error (MXL_ERR_INVALID_ARG) names the malformation. */
mxlStatus mxlParseUri(char const* text, mxlUri* out)
{
    if (text == NULL || out == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxl URI: NULL %s", text == NULL ? "text" : "output");
    size_t len = strnlen(text, URI_TEXT_MAX + 1);
    if (len > URI_TEXT_MAX)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxl URI: too long (more than %d characters)", URI_TEXT_MAX);
    if (len < 6 || strncasecmp(text, "mxl://", 6) != 0) /* scheme names are case-insensitive (RFC 3986 §3.1) */
        return uri_fail(text, "must start with \"mxl://\"");

    mxlUri u;
    memset(&u, 0, sizeof u);
    u.port = -1;
    size_t auth_end = 6;
    while (auth_end < len && text[auth_end] != '/' && text[auth_end] != '?' && text[auth_end] != '#')
        auth_end++;
    mxlStatus st = parse_authority(text, 6, auth_end, &u);
    if (st != MXL_STATUS_OK)
        return st;

    if (auth_end == len || text[auth_end] != '/')
        return uri_fail(text, "missing domain path (it must start with '/', e.g. mxl:///dev/shm/mxl)");
    size_t path_end = auth_end;
    while (path_end < len && text[path_end] != '?' && text[path_end] != '#')
        path_end++;
    if (decode(text, auth_end, path_end, u.path, sizeof u.path, "path", false) != 0)
        return MXL_ERR_INVALID_ARG;

    size_t frag = path_end;
    while (frag < len && text[frag] != '#')
        frag++;
    if (frag < len)
        return uri_fail(text, "fragments ('#...') are not supported");
    if (path_end < len && (st = parse_query(text, path_end + 1, len, &u)) != MXL_STATUS_OK)
        return st;
    *out = u;
    return MXL_STATUS_OK;
}
