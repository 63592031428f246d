/* NMOS flow definitions and option strings -> the configuration of a new flow (MXL-FORMAT.md §5, §6.3, §2.6).
 *
 * JSON is parsed with jansson using flags that keep picojson's (upstream's) accept set: every number is decoded
 * as a double (JSON_DECODE_INT_AS_REAL), duplicate keys are allowed (last wins), "\u0000" inside strings is
 * allowed (so every string is compared with its length), and text after the root value is ignored
 * (JSON_DISABLE_EOF_CHECK; picojson::parse stops after the first value). Scalars at the root are rejected by
 * jansson itself; upstream rejects them one step later ("root must be an object").
 *
 * Every validation failure returns MXL_ERR_UNKNOWN (what upstream returns) with a message naming the JSON path.
 * Rejections beyond upstream (§14 items 6-7) are marked "beyond upstream" below. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define GROUPHINT "urn:x-nmos:tag:grouphint/v1.0"
#define JSON_FLAGS (JSON_DECODE_INT_AS_REAL | JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL)

#define MAX_WIDTH 7680
#define MAX_HEIGHT 4320
#define MAX_CHANNELS 1024
#define MAX_RATE_TERM 9007199254740992.0 /* 2^53: largest range where a JSON double is an exact integer */
#define MAX_GRAIN_FILE (1ull << 31)      /* per grain file (header + payload) */
#define MAX_RING_BYTES (1ull << 47)      /* whole ring: more than a 47-bit address space can ever map */
#define TWO_POW_32 4294967296.0
#define TWO_POW_64 18446744073709551616.0

typedef unsigned __int128 u128;

/* ---- small helpers ------------------------------------------------------------------------------------------ */

static mxlStatus failv(char const* prefix, char const* fmt, va_list ap)
{
    char msg[900];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return mxl_fail(MXL_ERR_UNKNOWN, "%s: %s", prefix, msg);
}

/* "flow definition: ..." with MXL_ERR_UNKNOWN. */
static mxlStatus fd_fail(char const* fmt, ...) __attribute__((format(printf, 1, 2)));
static mxlStatus fd_fail(char const* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mxlStatus st = failv("flow definition", fmt, ap);
    va_end(ap);
    return st;
}

/* "writer options: ..." with MXL_ERR_UNKNOWN. */
static mxlStatus wo_fail(char const* fmt, ...) __attribute__((format(printf, 1, 2)));
static mxlStatus wo_fail(char const* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mxlStatus st = failv("writer options", fmt, ap);
    va_end(ap);
    return st;
}

static char const* type_name(json_t const* v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

/* A JSON string equal to `lit`, embedded NULs included (C string compare would stop early). */
static bool str_is(json_t const* s, char const* lit)
{
    size_t n = strlen(lit);
    return json_string_length(s) == n && memcmp(json_string_value(s), lit, n) == 0;
}

/* Required (or optional when `present` is non-NULL) member of type string / number / object. `path` names it in
 * messages. Returns OK and sets *out, or fails with "missing required" / "must be a <type>". */
static mxlStatus member(json_t* obj, char const* key, char const* path, int type, json_t** out, bool* present)
{
    json_t* v = json_object_get(obj, key);
    if (present)
        *present = (v != NULL);
    if (v == NULL) {
        if (present)
            return MXL_STATUS_OK;
        return fd_fail("missing required \"%s\"", path);
    }
    bool ok = (type == JSON_REAL) ? json_is_number(v) : (json_typeof(v) == (json_type)type);
    if (!ok) {
        char const* want = (type == JSON_REAL) ? "number" : (type == JSON_STRING) ? "string" : "object";
        return fd_fail("%s must be a%s %s (got %s)", path, type == JSON_OBJECT ? "n" : "", want, type_name(v));
    }
    *out = v;
    return MXL_STATUS_OK;
}

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b != 0) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* ---- §5 step 4: rates ------------------------------------------------------------------------------------------
 * Upstream truncates both terms to int64 and divides by their gcd. Beyond upstream (§14 item 6): both terms must
 * be positive integers, so 0/x (empty ring), x/0 (SIGFPE upstream), negatives and 29.97 are rejected here. */
static mxlStatus parse_rate(json_t* root, char const* key, mxlRational* out)
{
    char path[64];
    json_t *obj = NULL, *num = NULL, *den = NULL;
    bool has_den;
    mxlStatus st = member(root, key, key, JSON_OBJECT, &obj, NULL);
    if (st != MXL_STATUS_OK)
        return st;
    snprintf(path, sizeof path, "%s.numerator", key);
    if ((st = member(obj, "numerator", path, JSON_REAL, &num, NULL)) != MXL_STATUS_OK)
        return st;
    snprintf(path, sizeof path, "%s.denominator", key);
    if ((st = member(obj, "denominator", path, JSON_REAL, &den, &has_den)) != MXL_STATUS_OK)
        return st;

    double terms[2] = {json_number_value(num), has_den ? json_number_value(den) : 1.0};
    char const* names[2] = {"numerator", "denominator"};
    for (int i = 0; i < 2; i++) {
        double v = terms[i];
        if (!(v >= 1.0) || v != trunc(v))
            return fd_fail("%s.%s must be a positive integer (got %.15g)", key, names[i], v);
        if (v > MAX_RATE_TERM)
            return fd_fail("%s.%s %.15g is too large (max 2^53)", key, names[i], v);
    }
    int64_t n = (int64_t)terms[0], d = (int64_t)terms[1];
    int64_t g = gcd64(n, d);
    out->numerator = n / g;
    out->denominator = d / g;
    return MXL_STATUS_OK;
}

/* ---- §5 step 6: group hints -------------------------------------------------------------------------------------
 * Each element splits on ':' into 2 or 3 parts (an empty string has no parts; a trailing ':' makes an empty last
 * part), group and role non-empty, optional scope "device" or "node". */
static mxlStatus check_group_hints(json_t* root)
{
    json_t *tags = NULL, *hints = NULL;
    mxlStatus st = member(root, "tags", "tags", JSON_OBJECT, &tags, NULL);
    if (st != MXL_STATUS_OK)
        return st;
    hints = json_object_get(tags, GROUPHINT);
    if (hints == NULL)
        return fd_fail("missing required tags.\"" GROUPHINT "\"");
    if (!json_is_array(hints))
        return fd_fail("tags.\"" GROUPHINT "\" must be an array (got %s)", type_name(hints));
    if (json_array_size(hints) == 0)
        return fd_fail("tags.\"" GROUPHINT "\" must not be empty");

    size_t i;
    json_t* h = NULL;
    json_array_foreach (hints, i, h) {
        if (!json_is_string(h))
            return fd_fail("tags.\"" GROUPHINT "\"[%zu] must be a string (got %s)", i, type_name(h));
        char const* s = json_string_value(h);
        size_t len = json_string_length(h);
        size_t parts = (len == 0) ? 0 : 1, cut[2] = {len, len};
        for (size_t k = 0; k < len; k++) {
            if (s[k] == ':') {
                if (parts <= 2)
                    cut[parts - 1] = k;
                parts++;
            }
        }
        if (parts < 2 || parts > 3)
            return fd_fail("tags.\"" GROUPHINT "\"[%zu] \"%s\" must be \"group:role\" or \"group:role:scope\"", i, s);
        size_t role_len = (parts == 3 ? cut[1] : len) - cut[0] - 1;
        if (cut[0] == 0 || role_len == 0)
            return fd_fail("tags.\"" GROUPHINT "\"[%zu] \"%s\": group name and role must not be empty", i, s);
        if (parts == 3) {
            char const* scope = s + cut[1] + 1;
            size_t scope_len = len - cut[1] - 1;
            if (!((scope_len == 6 && memcmp(scope, "device", 6) == 0) || (scope_len == 4 && memcmp(scope, "node", 4) == 0)))
                return fd_fail("tags.\"" GROUPHINT "\"[%zu] \"%s\": scope must be \"device\" or \"node\"", i, s);
        }
    }
    return MXL_STATUS_OK;
}

/* ---- §6.3 writer options ----------------------------------------------------------------------------------------- */
typedef struct
{
    bool has_commit, has_sync, has_history;
    uint32_t commit, sync;
    uint64_t history;
} writer_opts;

/* One batch hint: number, >= 1 tested on the double *before* truncation (0.5 fails, 1.9 -> 1); values >= 2^32
 * are rejected (upstream's conversion is undefined there). */
static mxlStatus hint_value(json_t* root, char const* key, bool* has, uint32_t* out)
{
    json_t* v = json_object_get(root, key);
    *has = (v != NULL);
    if (v == NULL)
        return MXL_STATUS_OK;
    if (!json_is_number(v))
        return wo_fail("%s must be a number (got %s)", key, type_name(v));
    double d = json_number_value(v);
    if (!(d >= 1.0))
        return wo_fail("%s must be greater than or equal to 1 (got %.15g)", key, d);
    if (d >= TWO_POW_32)
        return wo_fail("%s %.15g is too large (max 4294967295)", key, d);
    *out = (uint32_t)d;
    return MXL_STATUS_OK;
}

/* NULL or "" -> no options. Unknown keys are ignored. The multiple test uses the truncated values and only applies
 * when both hints are given (8.9/16 ok, 2.5/5 fails, 1.9/3 ok). */
static mxlStatus parse_writer_options(char const* text, writer_opts* o)
{
    memset(o, 0, sizeof *o);
    if (text == NULL || text[0] == '\0')
        return MXL_STATUS_OK;
    json_error_t err;
    json_t* root = json_loads(text, JSON_FLAGS, &err);
    if (root == NULL)
        return wo_fail("invalid JSON at line %d, column %d: %s", err.line, err.column, err.text);
    mxlStatus st = MXL_STATUS_OK;
    if (!json_is_object(root)) {
        st = wo_fail("must be a JSON object (got %s)", type_name(root));
        goto out;
    }
    if ((st = hint_value(root, "maxCommitBatchSizeHint", &o->has_commit, &o->commit)) != MXL_STATUS_OK)
        goto out;
    if ((st = hint_value(root, "maxSyncBatchSizeHint", &o->has_sync, &o->sync)) != MXL_STATUS_OK)
        goto out;
    if (o->has_sync && o->has_commit && o->sync % o->commit != 0) {
        st = wo_fail("maxSyncBatchSizeHint %u must be a multiple of maxCommitBatchSizeHint %u", o->sync, o->commit);
        goto out;
    }
    /* Extension: per-writer history (ns), overriding the domain options.json. */
    json_t* h = json_object_get(root, MXL_EXT_OPTION_HISTORY_DURATION);
    if (h != NULL) {
        double d = json_is_number(h) ? json_number_value(h) : 0.0;
        if (!json_is_number(h))
            st = wo_fail("\"%s\" must be a number (got %s)", MXL_EXT_OPTION_HISTORY_DURATION, type_name(h));
        else if (!(d >= 1.0))
            st = wo_fail("\"%s\" must be at least 1 ns (got %.15g)", MXL_EXT_OPTION_HISTORY_DURATION, d);
        else if (d >= TWO_POW_64)
            st = wo_fail("\"%s\" %.15g is too large", MXL_EXT_OPTION_HISTORY_DURATION, d);
        else {
            o->has_history = true;
            o->history = (uint64_t)d;
        }
    }
out:
    json_decref(root);
    return st;
}

/* ---- §5 step 8 + ring sizing ----------------------------------------------------------------------------------- */

/* Video/data payload geometry (§5.1, §5.2). */
static mxlStatus discrete_payload(json_t* root, uint32_t format, uint32_t width, uint32_t height, bool interlaced,
                                  mxl_flowdef* fd)
{
    json_t* mt = NULL;
    mxlStatus st = member(root, "media_type", "media_type", JSON_STRING, &mt, NULL);
    if (st != MXL_STATUS_OK)
        return st;
    mxlDiscreteFlowConfigInfo* d = &fd->config.discrete;
    if (format == MXL_DATA_FORMAT_DATA) {
        if (!str_is(mt, "video/smpte291"))
            return fd_fail("media_type \"%s\" is not supported for data flows (expected \"video/smpte291\")",
                           json_string_value(mt));
        d->sliceSizes[0] = 1;
        fd->grain_size = MXL_DATA_FORMAT_GRAIN_SIZE;
        fd->total_slices = MXL_DATA_FORMAT_GRAIN_SIZE;
        return MXL_STATUS_OK;
    }
    bool alpha = str_is(mt, "video/v210a");
    if (!alpha && !str_is(mt, "video/v210"))
        return fd_fail("media_type \"%s\" is not supported for video flows (expected \"video/v210\" or \"video/v210a\")",
                       json_string_value(mt));
    if (interlaced && height % 2 != 0)
        return fd_fail("frame_height %u must be even for interlaced video", height);
    uint32_t lines = interlaced ? height / 2 : height;
    d->sliceSizes[0] = ((width + 47) / 48) * 128;        /* L210(w) */
    d->sliceSizes[1] = alpha ? ((width + 2) / 3) * 4 : 0; /* LA(w): key plane right after the fill */
    fd->grain_size = (d->sliceSizes[0] + d->sliceSizes[1]) * lines;
    fd->total_slices = (uint16_t)lines;
    return MXL_STATUS_OK;
}

/* Audio (§5 step 8). Beyond upstream: media_type must be "audio/float32" and channel_count is mandatory (NMOS
 * requires it) and at most MAX_CHANNELS. Order as upstream: bit_depth before channel_count. */
static mxlStatus audio_payload(json_t* root, mxl_flowdef* fd)
{
    json_t *mt = NULL, *bd = NULL, *cc = NULL;
    mxlStatus st = member(root, "media_type", "media_type", JSON_STRING, &mt, NULL);
    if (st != MXL_STATUS_OK)
        return st;
    if (!str_is(mt, "audio/float32"))
        return fd_fail("media_type \"%s\" is not supported for audio flows (expected \"audio/float32\")",
                       json_string_value(mt));
    if ((st = member(root, "bit_depth", "bit_depth", JSON_REAL, &bd, NULL)) != MXL_STATUS_OK)
        return st;
    double bits = json_number_value(bd);
    if (bits != 32.0 && bits != 64.0)
        return fd_fail("bit_depth %.15g is not supported (expected 32 or 64)", bits);
    fd->word_size = (uint32_t)bits / 8;
    if ((st = member(root, "channel_count", "channel_count", JSON_REAL, &cc, NULL)) != MXL_STATUS_OK)
        return st;
    double ch = json_number_value(cc);
    if (!(ch >= 1.0) || ch != trunc(ch))
        return fd_fail("channel_count must be a positive integer (got %.15g)", ch);
    if (ch > MAX_CHANNELS)
        return fd_fail("channel_count %.15g out of range 1..%d", ch, MAX_CHANNELS);
    fd->config.continuous.channelCount = (uint32_t)ch;
    return MXL_STATUS_OK;
}

/* §5.3 / §5.4 ring length in 128-bit arithmetic (upstream's u64 math only wraps for inputs rejected here).
 * Beyond upstream (§14 item 6): an empty ring (0 grains, < 2 samples) and absurd sizes (grain file > 2^31 bytes,
 * more than 2^32-1 grains or samples, ring > 2^47 bytes) are rejected instead of being created. */
static mxlStatus size_ring(mxl_flowdef* fd, uint64_t history)
{
    mxlRational r = fd->config.common.grainRate;
    if (mxlIsDiscreteDataFormat(fd->config.common.format)) {
        u128 count = (u128)history * (u128)r.numerator / ((u128)1000000000u * (u128)r.denominator);
        if (count == 0)
            return fd_fail("grain_rate %lld/%lld with a history of %llu ns gives an empty ring: less than one grain",
                           (long long)r.numerator, (long long)r.denominator, (unsigned long long)history);
        uint64_t file = (uint64_t)MXL_GRAIN_HEADER_SIZE + fd->grain_size;
        if (file > MAX_GRAIN_FILE)
            return fd_fail("grain file of %llu bytes exceeds the 2^31 limit", (unsigned long long)file);
        if (count > MXL_MAX_GRAIN_COUNT || count * file > MAX_RING_BYTES)
            return fd_fail("grain_rate %lld/%lld with a history of %llu ns gives an absurdly large ring (%llu grains "
                           "of %llu bytes)",
                           (long long)r.numerator, (long long)r.denominator, (unsigned long long)history,
                           (unsigned long long)(count > UINT64_MAX ? UINT64_MAX : (uint64_t)count),
                           (unsigned long long)file);
        fd->config.discrete.grainCount = (uint32_t)count;
        return MXL_STATUS_OK;
    }
    /* Twice the history: only half the ring is readable; then rounded up to whole 4096-byte pages. */
    u128 raw = (u128)history * (u128)r.numerator / ((u128)500000000u * (u128)r.denominator);
    u128 per_page = 4096u / fd->word_size;
    u128 len = (raw + per_page - 1) / per_page * per_page;
    if (len < 2)
        return fd_fail("sample_rate %lld/%lld with a history of %llu ns gives an empty ring: %llu samples per channel",
                       (long long)r.numerator, (long long)r.denominator, (unsigned long long)history,
                       (unsigned long long)len);
    if (len > UINT32_MAX || len * fd->config.continuous.channelCount * fd->word_size > MAX_RING_BYTES)
        return fd_fail("sample_rate %lld/%lld with a history of %llu ns gives an absurdly large ring",
                       (long long)r.numerator, (long long)r.denominator, (unsigned long long)history);
    fd->config.continuous.bufferLength = (uint32_t)len;
    return MXL_STATUS_OK;
}

/* ---- the parser ------------------------------------------------------------------------------------------------ */

/* Steps 2-7 of §5 on the parsed root, then the writer options (upstream parses them right after the definition),
 * then step 8, then ring sizing and hint defaults. Fills *fd (a scratch copy) as it goes. */
static mxlStatus parse_root(json_t* root, char const* writer_options, uint64_t history_ns, mxl_flowdef* fd)
{
    mxlStatus st;
    json_t *id = NULL, *fmt = NULL, *label = NULL;
    mxlCommonFlowConfigInfo* c = &fd->config.common;
    if (!json_is_object(root))
        return fd_fail("root must be a JSON object (got %s)", type_name(root));

    if ((st = member(root, "id", "id", JSON_STRING, &id, NULL)) != MXL_STATUS_OK) /* step 2 */
        return st;
    if (strlen(json_string_value(id)) != json_string_length(id))
        return fd_fail("\"id\" is not a valid UUID: embedded NUL character");
    if (mxl_uuid_parse(json_string_value(id), c->id) != 0) {
        char why[600];
        mxlNormalizeFlowId(json_string_value(id), fd->id_text); /* fails too; only its message is wanted */
        snprintf(why, sizeof why, "%s", mxlGetLastErrorMessage());
        return fd_fail("\"id\" is not a valid UUID: %s", why);
    }
    mxl_uuid_format(c->id, fd->id_text);

    if ((st = member(root, "format", "format", JSON_STRING, &fmt, NULL)) != MXL_STATUS_OK) /* step 3 */
        return st;
    if (str_is(fmt, "urn:x-nmos:format:video"))
        c->format = MXL_DATA_FORMAT_VIDEO;
    else if (str_is(fmt, "urn:x-nmos:format:audio"))
        c->format = MXL_DATA_FORMAT_AUDIO;
    else if (str_is(fmt, "urn:x-nmos:format:data"))
        c->format = MXL_DATA_FORMAT_DATA;
    else
        return fd_fail("unsupported format \"%s\" (expected urn:x-nmos:format:video, :audio or :data)",
                       json_string_value(fmt));
    bool audio = c->format == MXL_DATA_FORMAT_AUDIO;
    if ((st = parse_rate(root, audio ? "sample_rate" : "grain_rate", &c->grainRate)) != MXL_STATUS_OK) /* step 4 */
        return st;

    if ((st = member(root, "label", "label", JSON_STRING, &label, NULL)) != MXL_STATUS_OK) /* step 5 */
        return st;
    if (json_string_length(label) == 0)
        return fd_fail("\"label\" must not be empty");
    if ((st = check_group_hints(root)) != MXL_STATUS_OK) /* step 6 */
        return st;

    uint32_t width = 0, height = 0;
    bool interlaced = false;
    if (c->format == MXL_DATA_FORMAT_VIDEO) { /* step 7 */
        json_t *w = NULL, *h = NULL, *im = NULL;
        bool has_im;
        if ((st = member(root, "frame_width", "frame_width", JSON_REAL, &w, NULL)) != MXL_STATUS_OK ||
            (st = member(root, "frame_height", "frame_height", JSON_REAL, &h, NULL)) != MXL_STATUS_OK)
            return st;
        double wd = json_number_value(w), hd = json_number_value(h);
        /* Upstream truncates first, then range-checks (7680.5 is accepted as 7680). */
        if (!(trunc(wd) >= 2 && trunc(wd) <= MAX_WIDTH))
            return fd_fail("frame_width %.15g out of range 2..%d", wd, MAX_WIDTH);
        if (!(trunc(hd) >= 1 && trunc(hd) <= MAX_HEIGHT))
            return fd_fail("frame_height %.15g out of range 1..%d", hd, MAX_HEIGHT);
        width = (uint32_t)wd;
        height = (uint32_t)hd;
        if ((st = member(root, "interlace_mode", "interlace_mode", JSON_STRING, &im, &has_im)) != MXL_STATUS_OK)
            return st;
        if (has_im && !str_is(im, "progressive")) {
            if (!str_is(im, "interlaced_tff") && !str_is(im, "interlaced_bff"))
                return fd_fail("interlace_mode \"%s\" is not supported (expected progressive, interlaced_tff or "
                               "interlaced_bff)",
                               json_string_value(im));
            /* On the already normalised rate; the stored rate is then the field rate (numerator x 2). */
            mxlRational r = c->grainRate;
            if (!((r.numerator == 30000 && r.denominator == 1001) || (r.numerator == 25 && r.denominator == 1)))
                return fd_fail("interlace_mode \"%s\" requires grain_rate 30000/1001 or 25/1 (got %lld/%lld)",
                               json_string_value(im), (long long)r.numerator, (long long)r.denominator);
            c->grainRate.numerator *= 2;
            interlaced = true;
        }
    }

    writer_opts opts;
    if ((st = parse_writer_options(writer_options, &opts)) != MXL_STATUS_OK)
        return st;

    if (audio) /* step 8 */
        st = audio_payload(root, fd);
    else
        st = discrete_payload(root, c->format, width, height, interlaced, fd);
    if (st != MXL_STATUS_OK)
        return st;

    if ((st = size_ring(fd, opts.has_history ? opts.history : history_ns)) != MXL_STATUS_OK)
        return st;

    /* §6.3 defaults: discrete -> totalSlices; continuous -> 10 ms of samples, floor(num / (100 den)), which is 0
     * below 100 Hz (stored as is, like upstream). */
    uint64_t dflt = fd->total_slices;
    if (audio) {
        dflt = (uint64_t)(c->grainRate.numerator / (100 * c->grainRate.denominator));
        if (dflt > UINT32_MAX)
            return fd_fail("sample_rate %lld/%lld is too large", (long long)c->grainRate.numerator,
                           (long long)c->grainRate.denominator);
    }
    c->maxCommitBatchSizeHint = opts.has_commit ? opts.commit : (uint32_t)dflt;
    c->maxSyncBatchSizeHint = opts.has_sync ? opts.sync : (uint32_t)dflt;
    c->flags = 0;
    c->payloadLocation = MXL_PAYLOAD_LOCATION_HOST_MEMORY;
    c->deviceIndex = -1;
    return MXL_STATUS_OK;
}

/* Contract: see internal.h. Step 1 of §5 here (JSON syntax, with jansson's line and column); `out` is written only
 * on success, so a failed parse leaves the caller's struct as it was. */
mxlStatus mxl_flowdef_parse(char const* json, char const* writer_options, uint64_t history_ns, mxl_flowdef* out)
{
    if (json == NULL || out == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "flow definition: NULL %s", json == NULL ? "text" : "output");
    json_error_t err;
    json_t* root = json_loads(json, JSON_FLAGS, &err);
    if (root == NULL)
        return fd_fail("invalid JSON at line %d, column %d: %s", err.line, err.column, err.text);
    mxl_flowdef fd;
    memset(&fd, 0, sizeof fd); /* every reserved byte zero */
    mxlStatus st = parse_root(root, writer_options, history_ns, &fd);
    json_decref(root);
    if (st == MXL_STATUS_OK)
        *out = fd;
    return st;
}

/* §2.6: the domain options.json. Only a number under the history key counts; it is truncated to u64 (negative or
 * >= 2^64 values are ignored rather than converted with undefined behaviour). Never sets an error. */
bool mxl_domain_options_history(char const* text, uint64_t* history_ns)
{
    if (text == NULL || history_ns == NULL)
        return false;
    json_error_t err;
    json_t* root = json_loads(text, JSON_FLAGS, &err);
    if (root == NULL)
        return false;
    bool found = false;
    json_t* v = json_is_object(root) ? json_object_get(root, MXL_DOMAIN_OPTION_HISTORY) : NULL;
    if (v != NULL && json_is_number(v)) {
        double d = json_number_value(v);
        if (d >= 0.0 && d < TWO_POW_64) {
            *history_ns = (uint64_t)d;
            found = true;
        }
    }
    json_decref(root);
    return found;
}

/* Public (ext.h): validation without touching any file. historyNs 0 means the 200 ms default; configInfo may be
 * NULL to validate only. */
mxlStatus mxlParseFlowDef(char const* flowDef, char const* writerOptions, uint64_t historyNs,
                          mxlFlowConfigInfo* configInfo)
{
    if (flowDef == NULL)
        return mxl_fail(MXL_ERR_INVALID_ARG, "mxlParseFlowDef: NULL flow definition");
    mxl_flowdef fd;
    mxlStatus st = mxl_flowdef_parse(flowDef, writerOptions, historyNs ? historyNs : MXL_DEFAULT_HISTORY_NS, &fd);
    if (st == MXL_STATUS_OK && configInfo != NULL)
        *configInfo = fd.config;
    return st;
}
