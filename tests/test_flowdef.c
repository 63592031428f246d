/* Flow definitions, writer options and domain options (MXL-FORMAT.md §5, §6.3, §2.6) against the golden creation
 * fixture: every input file, the upstream result tables, and the geometry upstream stored. */
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

static char G[600]; /* extracted fixture root ("<dir>/golden") */

static char* load(char const* rel)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", G, rel);
    char* text = test_read_file(path, NULL);
    CHECK_MSG(text != NULL, "cannot read %s", path);
    return text;
}

/* Expected configuration (0 where not applicable). */
typedef struct
{
    char const* id;
    uint32_t format;
    int64_t num, den;
    uint32_t commit, sync;
    uint32_t slices0, slices1, grain_count, grain_size, total_slices; /* discrete */
    uint32_t channels, buffer_length, word_size;                     /* continuous */
} expect;

#define V1080P(id, num, den, gc) {id, 1, num, den, 1080, 1080, 5120, 0, gc, 5529600, 1080, 0, 0, 0}
#define A48K8(id, word) {id, 2, 48000, 1, 480, 480, 0, 0, 0, 0, 0, 8, 19456, word}

static void check_config(char const* what, mxl_flowdef const* fd, expect const* e)
{
    mxlCommonFlowConfigInfo const* c = &fd->config.common;
    CHECK_MSG(strcmp(fd->id_text, e->id) == 0, "%s: id %s, expected %s", what, fd->id_text, e->id);
    uint8_t id[16];
    CHECK(mxl_uuid_parse(e->id, id) == 0 && memcmp(id, c->id, 16) == 0);
    CHECK_MSG(c->format == e->format, "%s: format %u", what, c->format);
    CHECK_MSG(c->grainRate.numerator == e->num && c->grainRate.denominator == e->den, "%s: rate %lld/%lld", what,
              (long long)c->grainRate.numerator, (long long)c->grainRate.denominator);
    CHECK_MSG(c->maxCommitBatchSizeHint == e->commit && c->maxSyncBatchSizeHint == e->sync, "%s: hints %u/%u", what,
              c->maxCommitBatchSizeHint, c->maxSyncBatchSizeHint);
    CHECK(c->flags == 0 && c->payloadLocation == 0 && c->deviceIndex == -1);
    static uint8_t const zero[72];
    CHECK(memcmp(c->reserved, zero, sizeof c->reserved) == 0);
    if (e->format != MXL_DATA_FORMAT_AUDIO) {
        mxlDiscreteFlowConfigInfo const* d = &fd->config.discrete;
        CHECK_MSG(d->sliceSizes[0] == e->slices0 && d->sliceSizes[1] == e->slices1 && d->sliceSizes[2] == 0 &&
                      d->sliceSizes[3] == 0,
                  "%s: sliceSizes %u %u %u %u", what, d->sliceSizes[0], d->sliceSizes[1], d->sliceSizes[2],
                  d->sliceSizes[3]);
        CHECK_MSG(d->grainCount == e->grain_count, "%s: grainCount %u, expected %u", what, d->grainCount,
                  e->grain_count);
        CHECK_MSG(fd->grain_size == e->grain_size && fd->total_slices == e->total_slices, "%s: grain %u x %u", what,
                  fd->grain_size, fd->total_slices);
        CHECK(memcmp(d->reserved, zero, sizeof d->reserved) == 0);
    } else {
        mxlContinuousFlowConfigInfo const* a = &fd->config.continuous;
        CHECK_MSG(a->channelCount == e->channels && a->bufferLength == e->buffer_length && fd->word_size == e->word_size,
                  "%s: %u ch x %u samples x %u bytes", what, a->channelCount, a->bufferLength, fd->word_size);
        CHECK(memcmp(a->reserved, zero, sizeof a->reserved) == 0);
    }
}

/* Status/message of a rejection: MXL_ERR_UNKNOWN, "<prefix>: ..." containing `msg`, output untouched. */
static void check_reject(char const* what, char const* json, char const* opts, uint64_t hist, char const* prefix,
                         char const* msg)
{
    mxl_flowdef fd;
    memset(&fd, 0xab, sizeof fd);
    CHECK_STATUS(mxl_flowdef_parse(json, opts, hist, &fd), MXL_ERR_UNKNOWN);
    char const* m = mxlGetLastErrorMessage();
    CHECK_MSG(strncmp(m, prefix, strlen(prefix)) == 0 && strstr(m, msg) != NULL, "%s: message \"%s\" lacks \"%s\"",
              what, m, msg);
    CHECK(mxlGetLastErrorStatus() == MXL_ERR_UNKNOWN);
    CHECK(fd.config.common.format == 0xabababab && fd.grain_size == 0xabababab);
}

static void check_accept(char const* what, char const* json, char const* opts, uint64_t hist, expect const* e)
{
    mxl_flowdef fd;
    memset(&fd, 0xab, sizeof fd);
    mxlStatus st = mxl_flowdef_parse(json, opts, hist, &fd);
    CHECK_MSG(st == MXL_STATUS_OK, "%s: %s (%s)", what, mxlStatusName(st), mxlGetLastErrorMessage());
    if (st == MXL_STATUS_OK)
        check_config(what, &fd, e);
}

/* ---- every file of inputs/invalid/ ------------------------------------------------------------------------------ */

#define FD "flow definition: "
#define GH "tags.\"urn:x-nmos:tag:grouphint/v1.0\""

typedef struct
{
    char const* name;    /* file name without .json; also the results.tsv key */
    char const* message; /* NULL when accepted */
    bool beyond;         /* deliberate difference: upstream accepted it or crashed (SIGFPE) */
    expect e;            /* when accepted */
} invalid_case;

static invalid_case const INVALID[] = {
    {"I01a_malformed_json", "invalid JSON at line 1, column 6: string or '}' expected near 'this'", false, {0}},
    {"I01b_truncated_json", "invalid JSON at line 42, column 0: '}' expected near end of file", false, {0}},
    {"I02_missing_id", "missing required \"id\"", false, {0}},
    {"I03_missing_grain_rate", "missing required \"grain_rate\"", false, {0}},
    {"I04_missing_media_type", "missing required \"media_type\"", false, {0}},
    {"I05_missing_label", "missing required \"label\"", false, {0}},
    {"I06_empty_label", "\"label\" must not be empty", false, {0}},
    {"I07_bad_grouphint", GH "[1] \"a/b/c\" must be \"group:role\" or \"group:role:scope\"", false, {0}},
    {"I08_zero_denominator", "grain_rate.denominator must be a positive integer (got 0)", true, {0}},
    {"I09_width_0", "frame_width 0 out of range 2..7680", false, {0}},
    {"I10_interlaced_odd_height", "frame_height 1081 must be even for interlaced video", false, {0}},
    {"I11_media_type_video_raw", "media_type \"video/raw\" is not supported for video flows", false, {0}},
    {"I12_audio_missing_channel_count", "missing required \"channel_count\"", true, {0}},
    {"I13_uppercase_uuid", NULL, false, V1080P("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e213", 30000, 1001, 5)},
    {"I14_non_uuid_id", "\"id\" is not a valid UUID: flow id \"../../etc\": unexpected character '.' at position 0",
     false, {0}},
    {"X01_missing_format", "missing required \"format\"", false, {0}},
    {"X02_format_mux", "unsupported format \"urn:x-nmos:format:mux\"", false, {0}},
    {"X03_missing_tags", "missing required \"tags\"", false, {0}},
    {"X04_grouphint_empty_array", GH " must not be empty", false, {0}},
    {"X05_grouphint_bad_scope", GH "[0] \"mxl-golden:Video:site\": scope must be \"device\" or \"node\"", false, {0}},
    {"X06_interlaced_rate_60000_1001", "interlace_mode \"interlaced_tff\" requires grain_rate 30000/1001 or 25/1 (got "
                                       "60000/1001)",
     false, {0}},
    {"X07_interlaced_psf", "interlace_mode \"interlaced_psf\" is not supported", false, {0}},
    {"X08_width_7681", "frame_width 7681 out of range 2..7680", false, {0}},
    {"X09_height_0", "frame_height 0 out of range 1..4320", false, {0}},
    {"X10_zero_numerator", "grain_rate.numerator must be a positive integer (got 0)", true, {0}},
    {"X11_audio_bit_depth_24", "bit_depth 24 is not supported (expected 32 or 64)", false, {0}},
    {"X12_audio_channel_count_0", "channel_count must be a positive integer (got 0)", false, {0}},
    {"X13_audio_channel_count_2_5", "channel_count must be a positive integer (got 2.5)", false, {0}},
    {"X14_audio_zero_denominator", "sample_rate.denominator must be a positive integer (got 0)", true, {0}},
    {"X15_uuid_in_braces", NULL, false, V1080P("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e315", 30000, 1001, 5)},
    {"X16_uuid_without_hyphens", NULL, false, V1080P("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e316", 30000, 1001, 5)},
    {"X17_data_format_with_v210_media_type",
     "media_type \"video/v210\" is not supported for data flows (expected \"video/smpte291\")", false, {0}},
    {"X18_numerator_as_string", "grain_rate.numerator must be a number (got string)", false, {0}},
    {"X19_root_is_array", "root must be a JSON object (got array)", false, {0}},
    {"X20_audio_media_type_L24", "media_type \"audio/L24\" is not supported for audio flows (expected "
                                 "\"audio/float32\")",
     true, {0}},
    {"X21_non_normalised_rate_100000_2000", NULL, false, V1080P("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e321", 50, 1, 10)},
    {"X22_audio_bit_depth_64", NULL, false, A48K8("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e322", 8)},
};
#define N_INVALID (sizeof INVALID / sizeof *INVALID)

/* The upstream status column of invalid/results.tsv for `name` ("0", "1" or "-" for a crash), or NULL. */
static char* tsv_status(char* tsv, char const* name, char* out, size_t cap)
{
    size_t n = strlen(name);
    for (char* line = tsv; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, name, n) == 0 && line[n] == '\t') {
            char const* f = line + n + 1;
            size_t k = strcspn(f, "\t\n");
            snprintf(out, cap, "%.*s", (int)k, f);
            return out;
        }
    }
    return NULL;
}

/* Field `idx` (0-based) of a tab-separated line. */
static void field(char const* line, int idx, char* out, size_t cap)
{
    for (int i = 0; i < idx && line; i++)
        line = strchr(line, '\t') ? strchr(line, '\t') + 1 : NULL;
    size_t k = line ? strcspn(line, "\t\n") : 0;
    snprintf(out, cap, "%.*s", (int)k, line ? line : "");
}

static void test_invalid_inputs(void)
{
    char* tsv = load("invalid/results.tsv");
    for (size_t i = 0; i < N_INVALID; i++) {
        invalid_case const* c = &INVALID[i];
        char rel[200], up[16];
        snprintf(rel, sizeof rel, "inputs/invalid/%s.json", c->name);
        char* json = load(rel);
        if (json == NULL)
            continue;
        /* The upstream table agrees with what we claim about upstream. */
        CHECK_MSG(tsv_status(tsv, c->name, up, sizeof up) != NULL, "%s missing from results.tsv", c->name);
        if (c->beyond)
            CHECK_MSG(strcmp(up, "0") == 0 || strcmp(up, "-") == 0, "%s: upstream %s", c->name, up);
        else
            CHECK_MSG(strcmp(up, c->message ? "1" : "0") == 0, "%s: upstream %s", c->name, up);
        if (c->message)
            check_reject(c->name, json, NULL, MXL_DEFAULT_HISTORY_NS, FD, c->message);
        else {
            check_accept(c->name, json, NULL, MXL_DEFAULT_HISTORY_NS, &c->e);
            /* And upstream's own result for it. */
            char res[900];
            snprintf(res, sizeof res, "%s/invalid/%s/result.json", G, c->name);
            json_t* r = json_load_file(res, 0, NULL);
            json_t* ci = json_object_get(r, "configInfo");
            CHECK_MSG(ci != NULL, "%s: no upstream configInfo", res);
            mxl_flowdef fd;
            if (ci && mxl_flowdef_parse(json, NULL, MXL_DEFAULT_HISTORY_NS, &fd) == MXL_STATUS_OK) {
                CHECK(strcmp(json_string_value(json_object_get(ci, "id")), fd.id_text) == 0);
                CHECK(json_integer_value(json_array_get(json_object_get(ci, "grainRate"), 0)) ==
                      fd.config.common.grainRate.numerator);
                char const* k = c->e.format == 2 ? "bufferLength" : "grainCount";
                uint32_t have = c->e.format == 2 ? fd.config.continuous.bufferLength : fd.config.discrete.grainCount;
                CHECK_EQ_U64(json_integer_value(json_object_get(ci, k)), have);
            }
            json_decref(r);
        }
        free(json);
    }
    free(tsv);

    /* Every file in inputs/invalid/ is covered by the table. */
    char dir[700];
    snprintf(dir, sizeof dir, "%s/inputs/invalid", G);
    DIR* d = opendir(dir);
    CHECK(d != NULL);
    int files = 0;
    for (struct dirent* e; d && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        files++;
        bool found = false;
        for (size_t i = 0; i < N_INVALID; i++)
            if (strncmp(e->d_name, INVALID[i].name, strlen(INVALID[i].name)) == 0 &&
                strcmp(e->d_name + strlen(INVALID[i].name), ".json") == 0)
                found = true;
        CHECK_MSG(found, "inputs/invalid/%s has no table entry", e->d_name);
    }
    if (d)
        closedir(d);
    CHECK_EQ_U64(files, N_INVALID);
}

/* ---- the valid cases, against README numbers and summary.json ---------------------------------------------------- */

static expect const VALID[] = {
    V1080P("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e101", 30000, 1001, 5),
    {"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e102", 1, 50, 1, 540, 540, 5120, 0, 10, 2764800, 540, 0, 0, 0},
    {"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e103", 1, 50, 1, 720, 720, 3456, 1708, 10, 3718080, 720, 0, 0, 0},
    {"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e104", 1, 60000, 1001, 8, 16, 5120, 0, 11, 5529600, 1080, 0, 0, 0},
    A48K8("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e105", 4),
    {"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e106", 2, 96000, 1, 960, 960, 0, 0, 0, 0, 0, 2, 38912, 4},
    {"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e107", 3, 60000, 1001, 4096, 4096, 1, 0, 11, 4096, 4096, 0, 0, 0},
    V1080P("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e108", 30000, 1001, 14),
};

static void test_valid_cases(void)
{
    char path[700];
    snprintf(path, sizeof path, "%s/summary.json", G);
    json_t* sum = json_load_file(path, 0, NULL);
    json_t* valid = json_object_get(sum, "valid");
    CHECK(json_array_size(valid) == 10);
    size_t i;
    json_t* v;
    int seen = 0;
    json_array_foreach (valid, i, v) {
        char const* def = json_string_value(json_object_get(v, "flow_definition"));
        char const* opts = json_string_value(json_object_get(v, "writer_options")); /* NULL for null */
        char const* dom = json_string_value(json_object_get(v, "domain_options_json"));
        int n = 0;
        CHECK(def && sscanf(def, "inputs/case%d.json", &n) == 1 && n >= 1 && n <= 8);
        if (n < 1 || n > 8)
            continue;
        seen |= 1 << n;
        uint64_t hist = MXL_DEFAULT_HISTORY_NS;
        if (dom) {
            char* dtext = load(dom);
            CHECK(dtext && mxl_domain_options_history(dtext, &hist) && hist == 500000000u);
            free(dtext);
        }
        char* json = load(def);
        mxl_flowdef fd;
        CHECK_STATUS(mxl_flowdef_parse(json, opts, hist, &fd), MXL_STATUS_OK);
        check_config(def, &fd, &VALID[n - 1]);
        /* The same numbers as recorded by upstream. */
        json_t* rate = json_object_get(v, "grainRate");
        CHECK(json_integer_value(json_array_get(rate, 0)) == fd.config.common.grainRate.numerator);
        CHECK(json_integer_value(json_array_get(rate, 1)) == fd.config.common.grainRate.denominator);
        CHECK_EQ_U64(json_integer_value(json_object_get(v, "maxCommitBatchSizeHint")),
                     fd.config.common.maxCommitBatchSizeHint);
        CHECK_EQ_U64(json_integer_value(json_object_get(v, "maxSyncBatchSizeHint")),
                     fd.config.common.maxSyncBatchSizeHint);
        CHECK_EQ_U64(json_integer_value(json_object_get(v, "format")), fd.config.common.format);
        if (fd.config.common.format == MXL_DATA_FORMAT_AUDIO) {
            CHECK_EQ_U64(json_integer_value(json_object_get(v, "channelCount")), fd.config.continuous.channelCount);
            CHECK_EQ_U64(json_integer_value(json_object_get(v, "bufferLength")), fd.config.continuous.bufferLength);
            CHECK_EQ_U64(json_integer_value(json_object_get(v, "channels_file_size")),
                         (uint64_t)fd.config.continuous.channelCount * fd.config.continuous.bufferLength *
                             fd.word_size);
        } else {
            for (int p = 0; p < 4; p++)
                CHECK_EQ_U64(json_integer_value(json_array_get(json_object_get(v, "sliceSizes"), (size_t)p)),
                             fd.config.discrete.sliceSizes[p]);
            CHECK_EQ_U64(json_integer_value(json_object_get(v, "grainCount")), fd.config.discrete.grainCount);
            CHECK_EQ_U64(json_integer_value(json_object_get(v, "grainSize")), fd.grain_size);
            CHECK_EQ_U64(json_integer_value(json_object_get(v, "totalSlices")), fd.total_slices);
            CHECK_EQ_U64(json_integer_value(json_object_get(v, "grain_file_size")), 8192u + fd.grain_size);
        }
        /* The public entry point computes the same configuration. */
        mxlFlowConfigInfo ci;
        CHECK_STATUS(mxlParseFlowDef(json, opts, hist, &ci), MXL_STATUS_OK);
        CHECK(memcmp(&ci, &fd.config, sizeof ci) == 0);
        free(json);
    }
    CHECK_EQ_U64(seen, 0x1fe); /* case01..case08 all covered */
    json_decref(sum);
}

/* ---- writer options W01-W11 and domain options D01-D04 ----------------------------------------------------------- */

static void test_writer_options(void)
{
    static char const* const MSG[][2] = {
        {"W01_commit_0", "maxCommitBatchSizeHint must be greater than or equal to 1 (got 0)"},
        {"W02_sync_minus1", "maxSyncBatchSizeHint must be greater than or equal to 1 (got -1)"},
        {"W03_commit5_sync6", "maxSyncBatchSizeHint 6 must be a multiple of maxCommitBatchSizeHint 5"},
        {"W04_commit_string", "maxCommitBatchSizeHint must be a number (got string)"},
        {"W05_not_json", "invalid JSON at line 1, column 3: '[' or '{' expected near 'not'"},
        {"W06_array", "must be a JSON object (got array)"},
    };
    char* tsv = load("options/writer-options.tsv");
    char* def = load("inputs/case01.json");
    int rows = 0;
    for (char* line = tsv ? strchr(tsv, '\n') : NULL; line && line[1]; line = strchr(line + 1, '\n')) {
        char name[64], opts[200], status[8], commit[16], sync[16];
        field(line + 1, 0, name, sizeof name);
        field(line + 1, 1, opts, sizeof opts);
        field(line + 1, 2, status, sizeof status);
        field(line + 1, 4, commit, sizeof commit);
        field(line + 1, 5, sync, sizeof sync);
        rows++;
        if (strcmp(status, "0") == 0) {
            expect e = V1080P("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e101", 30000, 1001, 5);
            e.commit = (uint32_t)atoi(commit);
            e.sync = (uint32_t)atoi(sync);
            check_accept(name, def, opts, MXL_DEFAULT_HISTORY_NS, &e);
            continue;
        }
        char const* msg = NULL;
        for (size_t k = 0; k < sizeof MSG / sizeof *MSG; k++)
            if (strcmp(MSG[k][0], name) == 0)
                msg = MSG[k][1];
        CHECK_MSG(msg != NULL && strcmp(status, "1") == 0, "%s: unexpected row", name);
        if (msg)
            check_reject(name, def, opts, MXL_DEFAULT_HISTORY_NS, "writer options: ", msg);
    }
    CHECK_EQ_U64(rows, 11);

    /* §6.3 truncation order, our range limit and the history extension. */
    expect e = V1080P("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e101", 30000, 1001, 5);
    e.commit = 1, e.sync = 3;
    check_accept("1.9/3", def, "{\"maxCommitBatchSizeHint\": 1.9, \"maxSyncBatchSizeHint\": 3}", 200000000, &e);
    e.commit = 4294967295u, e.sync = 1080;
    check_accept("2^32-1", def, "{\"maxCommitBatchSizeHint\": 4294967295}", 200000000, &e);
    e.commit = 1, e.sync = 1;
    check_accept("1/1", def, "{\"maxCommitBatchSizeHint\": 1, \"maxSyncBatchSizeHint\": 1}", 200000000, &e);
    check_reject("2^32", def, "{\"maxSyncBatchSizeHint\": 4294967296}", 200000000, "writer options: ",
                 "maxSyncBatchSizeHint 4294967296 is too large (max 4294967295)");
    check_reject("2.5/5", def, "{\"maxCommitBatchSizeHint\": 2.5, \"maxSyncBatchSizeHint\": 5}", 200000000,
                 "writer options: ", "maxSyncBatchSizeHint 5 must be a multiple of maxCommitBatchSizeHint 2");
    check_reject("0.5", def, "{\"maxSyncBatchSizeHint\": 0.5}", 200000000, "writer options: ",
                 "maxSyncBatchSizeHint must be greater than or equal to 1 (got 0.5)");
    check_reject("1e10", def, "{\"maxCommitBatchSizeHint\": 1e10}", 200000000, "writer options: ",
                 "maxCommitBatchSizeHint 10000000000 is too large (max 4294967295)");
    check_reject("null hint", def, "{\"maxSyncBatchSizeHint\": null}", 200000000, "writer options: ",
                 "maxSyncBatchSizeHint must be a number (got null)");
    e.commit = e.sync = 1080;
    e.grain_count = 14;
    check_accept("history option", def, "{\"urn:x-mxl:option:history_duration/v1.0\": 500000000}", 200000000, &e);
    check_reject("history string", def, "{\"urn:x-mxl:option:history_duration/v1.0\": \"5\"}", 200000000,
                 "writer options: ", "\"urn:x-mxl:option:history_duration/v1.0\" must be a number (got string)");
    check_reject("history 0", def, "{\"urn:x-mxl:option:history_duration/v1.0\": 0.5}", 200000000,
                 "writer options: ", "must be at least 1 ns (got 0.5)");
    check_reject("history 1e30", def, "{\"urn:x-mxl:option:history_duration/v1.0\": 1e30}", 200000000,
                 "writer options: ", "is too large");
    /* Options are checked before the payload (upstream order): both broken -> the options error. */
    char* raw = load("inputs/invalid/I11_media_type_video_raw.json");
    check_reject("options first", raw, "[]", 200000000, "writer options: ", "must be a JSON object");
    free(raw);
    /* Continuous flows: default 10 ms (480 @ 48 kHz), explicit hints stored. */
    char* audio = load("inputs/case05.json");
    expect a = A48K8("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e105", 4);
    a.commit = 5, a.sync = 10;
    check_accept("audio 5/10", audio, "{\"maxCommitBatchSizeHint\": 5, \"maxSyncBatchSizeHint\": 10}", 200000000, &a);
    check_reject("audio 10/2", audio, "{\"maxCommitBatchSizeHint\": 10, \"maxSyncBatchSizeHint\": 2}", 200000000,
                 "writer options: ", "must be a multiple");
    free(audio);
    free(def);
    free(tsv);
}

static void test_domain_options(void)
{
    char* tsv = load("options/domain-options.tsv");
    int rows = 0;
    for (char* line = tsv ? strchr(tsv, '\n') : NULL; line && line[1]; line = strchr(line + 1, '\n')) {
        char name[64], opt_file[128], flow[128], status[32], value[32];
        field(line + 1, 0, name, sizeof name);
        field(line + 1, 1, opt_file, sizeof opt_file);
        field(line + 1, 2, flow, sizeof flow);
        field(line + 1, 3, status, sizeof status);
        field(line + 1, 4, value, sizeof value);
        rows++;
        char* opt = load(opt_file);
        char* def = load(flow);
        uint64_t hist = MXL_DEFAULT_HISTORY_NS;
        bool used = opt && mxl_domain_options_history(opt, &hist);
        bool expect_used = strncmp(name, "D03", 3) == 0 || strncmp(name, "D04", 3) == 0;
        CHECK_MSG(used == expect_used && hist == (expect_used ? 500000000u : MXL_DEFAULT_HISTORY_NS), "%s", name);
        mxl_flowdef fd;
        CHECK_STATUS(mxl_flowdef_parse(def, NULL, hist, &fd), MXL_STATUS_OK);
        CHECK(strcmp(status, "MXL_STATUS_OK") == 0);
        uint32_t got = fd.config.common.format == MXL_DATA_FORMAT_AUDIO ? fd.config.continuous.bufferLength
                                                                        : fd.config.discrete.grainCount;
        CHECK_MSG(got == (uint32_t)atoi(value), "%s: %u, expected %s", name, got, value);
        free(opt);
        free(def);
    }
    CHECK_EQ_U64(rows, 4);
    free(tsv);
    uint64_t h = 7;
    CHECK(!mxl_domain_options_history("[500000000]", &h) && h == 7);
    CHECK(!mxl_domain_options_history("{\"urn:x-mxl:option:history_duration/v1.0\": -1}", &h) && h == 7);
    CHECK(!mxl_domain_options_history("{\"other\": 1}", &h) && h == 7);
    CHECK(mxl_domain_options_history("{\"urn:x-mxl:option:history_duration/v1.0\": 1234.9, \"x\": 1}", &h) &&
          h == 1234);
}

/* ---- synthetic definitions: every format's geometry, §5.3 / §5.4 lists, extra rejections, JSON positions ------- */

#define ID "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e999"
#define HEAD "{\"id\": \"" ID "\", \"label\": \"l\", \"tags\": {\"urn:x-nmos:tag:grouphint/v1.0\": [\"g:r\"]}, "

static char const* video(char const* rate, double w, double h, char const* im, char const* mt)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             HEAD "\"format\": \"urn:x-nmos:format:video\", \"grain_rate\": %s, \"frame_width\": %.15g, "
                  "\"frame_height\": %.15g, \"interlace_mode\": \"%s\", \"media_type\": \"%s\"}",
             rate, w, h, im, mt);
    return buf;
}

static char const* audio(char const* rate, char const* extra)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             HEAD "\"format\": \"urn:x-nmos:format:audio\", \"sample_rate\": %s, \"media_type\": \"audio/float32\"%s}",
             rate, extra);
    return buf;
}

static void test_synthetic(void)
{
    /* §5.3 grain counts at 200 ms. */
    static struct { char const* rate; int64_t n, d; uint32_t count; } const rates[] = {
        {"{\"numerator\": 24}", 24, 1, 4},          {"{\"numerator\": 24000, \"denominator\": 1001}", 24000, 1001, 4},
        {"{\"numerator\": 25}", 25, 1, 5},          {"{\"numerator\": 30000, \"denominator\": 1001}", 30000, 1001, 5},
        {"{\"numerator\": 30}", 30, 1, 6},          {"{\"numerator\": 50, \"denominator\": 1}", 50, 1, 10},
        {"{\"numerator\": 60000, \"denominator\": 1001}", 60000, 1001, 11},
        {"{\"numerator\": 60}", 60, 1, 12},         {"{\"numerator\": 5}", 5, 1, 1},
        {"{\"numerator\": 120000, \"denominator\": 2002}", 60000, 1001, 11},
    };
    for (size_t i = 0; i < sizeof rates / sizeof *rates; i++) {
        expect e = V1080P(ID, rates[i].n, rates[i].d, rates[i].count);
        check_accept(rates[i].rate, video(rates[i].rate, 1920, 1080, "progressive", "video/v210"), NULL, 200000000, &e);
    }
    /* 1080i 30000/1001 -> 60000/1001 fields (bff too), 60000/2002 normalises first; 720p v210a; 3840 and 720 lines. */
    char const* r2997 = "{\"numerator\": 30000, \"denominator\": 1001}";
    expect i1080 = {ID, 1, 60000, 1001, 540, 540, 5120, 0, 11, 2764800, 540, 0, 0, 0};
    check_accept("1080i", video(r2997, 1920, 1080, "interlaced_tff", "video/v210"), NULL, 200000000, &i1080);
    check_accept("1080i bff", video("{\"numerator\": 60000, \"denominator\": 2002}", 1920, 1080, "interlaced_bff",
                                    "video/v210"), NULL, 200000000, &i1080);
    expect a1080 = {ID, 1, 60000, 1001, 540, 540, 5120, 2560, 11, 7680 * 540, 540, 0, 0, 0};
    check_accept("1080i v210a", video(r2997, 1920, 1080, "interlaced_tff", "video/v210a"), NULL, 200000000, &a1080);
    expect uhd = {ID, 1, 30000, 1001, 2160, 2160, 10240, 0, 5, 10240 * 2160, 2160, 0, 0, 0};
    check_accept("2160p", video(r2997, 3840, 2160, "progressive", "video/v210"), NULL, 200000000, &uhd);
    expect sd = {ID, 1, 30000, 1001, 486, 486, 1920, 0, 5, 1920 * 486, 486, 0, 0, 0};
    check_accept("720x486", video(r2997, 720, 486, "progressive", "video/v210"), NULL, 200000000, &sd);
    expect edge = {ID, 1, 30000, 1001, 4320, 4320, 20480, 10240, 5, 30720 * 4320, 4320, 0, 0, 0};
    check_accept("7680.5x4320", video(r2997, 7680.5, 4320.9, "progressive", "video/v210a"), NULL, 200000000, &edge);
    expect tiny = {ID, 1, 30000, 1001, 1, 1, 128, 0, 5, 128, 1, 0, 0, 0};
    check_accept("2x1", video(r2997, 2, 1, "progressive", "video/v210"), NULL, 200000000, &tiny);

    /* §5.4 continuous lengths, 44.1k/96k/f32/f64 and a rate below 100 Hz (default hint 0, as upstream stores). */
    static struct { char const* rate; char const* extra; int64_t n; uint32_t hint, len, word; } const aud[] = {
        {"{\"numerator\": 48000}", ", \"channel_count\": 2, \"bit_depth\": 32", 48000, 480, 19456, 4},
        {"{\"numerator\": 44100}", ", \"channel_count\": 2, \"bit_depth\": 32", 44100, 441, 18432, 4},
        {"{\"numerator\": 96000}", ", \"channel_count\": 2, \"bit_depth\": 32", 96000, 960, 38912, 4},
        {"{\"numerator\": 48000}", ", \"channel_count\": 2, \"bit_depth\": 64", 48000, 480, 19456, 8},
        {"{\"numerator\": 96000}", ", \"channel_count\": 2, \"bit_depth\": 64.0", 96000, 960, 38400, 8},
        {"{\"numerator\": 50}", ", \"channel_count\": 2, \"bit_depth\": 32", 50, 0, 1024, 4},
    };
    for (size_t i = 0; i < sizeof aud / sizeof *aud; i++) {
        expect e = {ID, 2, aud[i].n, 1, aud[i].hint, aud[i].hint, 0, 0, 0, 0, 0, 2, aud[i].len, aud[i].word};
        check_accept(aud[i].rate, audio(aud[i].rate, aud[i].extra), NULL, 200000000, &e);
    }
    expect wide = {ID, 2, 48000, 1, 480, 480, 0, 0, 0, 0, 0, 1024, 19456, 4};
    check_accept("1024 ch", audio("{\"numerator\": 48000}", ", \"channel_count\": 1024, \"bit_depth\": 32"), NULL,
                 200000000, &wide);

    /* Rejections beyond upstream and other malformations, each with its message. */
#define RV(rate, w, h, im, mt, msg) check_reject(msg, video(rate, w, h, im, mt), NULL, 200000000, FD, msg)
#define RA(rate, extra, msg) check_reject(msg, audio(rate, extra), NULL, 200000000, FD, msg)
#define RJ(json, msg) check_reject(msg, json, NULL, 200000000, FD, msg)
    char const* v210 = "video/v210";
    char const* prog = "progressive";
    RV("{\"numerator\": -30000, \"denominator\": 1001}", 1920, 1080, prog, v210,
       "grain_rate.numerator must be a positive integer (got -30000)");
    RV("{\"numerator\": 29.97}", 1920, 1080, prog, v210, "grain_rate.numerator must be a positive integer (got 29.97)");
    RV("{\"numerator\": 25, \"denominator\": -1}", 1920, 1080, prog, v210,
       "grain_rate.denominator must be a positive integer (got -1)");
    RV("{\"numerator\": 25, \"denominator\": \"1\"}", 1920, 1080, prog, v210,
       "grain_rate.denominator must be a number (got string)");
    RV("[25, 1]", 1920, 1080, prog, v210, "grain_rate must be an object (got array)");
    RV("{\"denominator\": 1}", 1920, 1080, prog, v210, "missing required \"grain_rate.numerator\"");
    RV("{\"numerator\": 4}", 1920, 1080, prog, v210, "grain_rate 4/1 with a history of 200000000 ns gives an empty ring");
    RV("{\"numerator\": 1000000000}", 1920, 1080, prog, v210, "gives an absurdly large ring");
    RV("{\"numerator\": 1e17}", 1920, 1080, prog, v210, "grain_rate.numerator 1e+17 is too large (max 2^53)");
    RV(r2997, 1.9, 1080, prog, v210, "frame_width 1.9 out of range 2..7680");
    RV(r2997, 1920, 4321, prog, v210, "frame_height 4321 out of range 1..4320");
    RV(r2997, 1920, 0.5, prog, v210, "frame_height 0.5 out of range 1..4320");
    RV(r2997, -2, 1080, prog, v210, "frame_width -2 out of range 2..7680");
    RV(r2997, 1920, 1080, "interlaced_psf", v210, "interlace_mode \"interlaced_psf\" is not supported");
    RV("{\"numerator\": 25}", 1920, 575, "interlaced_bff", "video/v210a", "frame_height 575 must be even for interlaced");
    RV("{\"numerator\": 50}", 1920, 1080, "interlaced_tff", v210, "requires grain_rate 30000/1001 or 25/1 (got 50/1)");
    RA("{\"numerator\": 1}", ", \"channel_count\": 2, \"bit_depth\": 32",
       "sample_rate 1/1 with a history of 200000000 ns gives an empty ring: 0 samples per channel");
    RA("{\"numerator\": 1e12}", ", \"channel_count\": 2, \"bit_depth\": 32", "gives an absurdly large ring");
    RA("{\"numerator\": 48000, \"denominator\": 0}", ", \"channel_count\": 2, \"bit_depth\": 32",
       "sample_rate.denominator must be a positive integer (got 0)");
    RA("{\"numerator\": 48000}", ", \"channel_count\": 1025, \"bit_depth\": 32", "channel_count 1025 out of range 1..1024");
    RA("{\"numerator\": 48000}", ", \"channel_count\": -2, \"bit_depth\": 32",
       "channel_count must be a positive integer (got -2)");
    RA("{\"numerator\": 48000}", ", \"channel_count\": \"2\", \"bit_depth\": 32",
       "channel_count must be a number (got string)");
    RA("{\"numerator\": 48000}", ", \"channel_count\": 2", "missing required \"bit_depth\"");
    RA("{\"numerator\": 48000}", ", \"channel_count\": 2, \"bit_depth\": 32.5",
       "bit_depth 32.5 is not supported (expected 32 or 64)");
    RJ("{\"id\": 5}", "id must be a string (got number)");
    RJ("{\"id\": \"" ID "\\u0000\"}", "\"id\" is not a valid UUID: embedded NUL character");
    RJ("{\"id\": \"" ID "1\"}", "\"id\" is not a valid UUID: flow id \"" ID "1\": expected 32 hexadecimal digits (got 33)");
    RJ("{\"id\": \"" ID "\", \"format\": null}", "format must be a string (got null)");
    RJ("{\"id\": \"" ID "\", \"format\": \"urn:x-nmos:format:video\\u0000\"}", "unsupported format");
    RJ("{\"id\": \"" ID "\", \"format\": \"urn:x-nmos:format:data.event\"}",
       "unsupported format \"urn:x-nmos:format:data.event\"");
    RJ("{\"id\": \"" ID "\", \"format\": \"urn:x-nmos:format:audio\", \"grain_rate\": {\"numerator\": 48000}}",
       "missing required \"sample_rate\"");
    RJ("{\"id\": \"" ID "\", \"format\": \"urn:x-nmos:format:data\", \"grain_rate\": {\"numerator\": 50}, \"label\": 1}",
       "label must be a string (got number)");
    RJ(HEAD "\"format\": \"urn:x-nmos:format:video\", \"grain_rate\": {\"numerator\": 50}, \"frame_width\": 1920}",
       "missing required \"frame_height\"");
    RJ(HEAD "\"format\": \"urn:x-nmos:format:video\", \"grain_rate\": {\"numerator\": 50}, \"frame_width\": 1920, "
            "\"frame_height\": 1080, \"interlace_mode\": 1}",
       "interlace_mode must be a string (got number)");
    RJ(HEAD "\"format\": \"urn:x-nmos:format:audio\", \"sample_rate\": {\"numerator\": 48000}, \"channel_count\": 2, "
            "\"bit_depth\": 32}",
       "missing required \"media_type\"");
    RJ(HEAD "\"format\": \"urn:x-nmos:format:data\", \"grain_rate\": {\"numerator\": 50}, \"media_type\": 291}",
       "media_type must be a string (got number)");

    /* Group hints: C++20 split semantics (empty string: no part; trailing ':' adds an empty part). */
    static struct { char const* hint; char const* msg; } const hints[] = {
        {"\"g:r\", \"g:r:device\", \"g:r:node\"", NULL},
        {"\"\"", "[0] \"\" must be \"group:role\" or \"group:role:scope\""},
        {"\"g\"", "[0] \"g\" must be"},
        {"\"g:r:node:x\"", "[0] \"g:r:node:x\" must be"},
        {"\"g:\"", "[0] \"g:\": group name and role must not be empty"},
        {"\":r\"", "[0] \":r\": group name and role must not be empty"},
        {"\"g::node\"", "group name and role must not be empty"},
        {"\"g:r:\"", "[0] \"g:r:\": scope must be \"device\" or \"node\""},
        {"\"g:r\", 7", "[1] must be a string (got number)"},
    };
    for (size_t i = 0; i < sizeof hints / sizeof *hints; i++) {
        char json[700];
        snprintf(json, sizeof json,
                 "{\"id\": \"" ID "\", \"format\": \"urn:x-nmos:format:data\", \"grain_rate\": {\"numerator\": 50}, "
                 "\"label\": \"l\", \"tags\": {\"urn:x-nmos:tag:grouphint/v1.0\": [%s]}, \"media_type\": "
                 "\"video/smpte291\"}",
                 hints[i].hint);
        expect e = {ID, 3, 50, 1, 4096, 4096, 1, 0, 10, 4096, 4096, 0, 0, 0};
        if (hints[i].msg == NULL)
            check_accept(hints[i].hint, json, NULL, 200000000, &e);
        else
            check_reject(hints[i].hint, json, NULL, 200000000, FD GH, hints[i].msg);
    }
    check_reject("tags array", "{\"id\": \"" ID "\", \"format\": \"urn:x-nmos:format:data\", \"grain_rate\": "
                               "{\"numerator\": 50}, \"label\": \"l\", \"tags\": []}",
                 NULL, 200000000, FD, "tags must be an object (got array)");
    check_reject("hint object", "{\"id\": \"" ID "\", \"format\": \"urn:x-nmos:format:data\", \"grain_rate\": "
                                "{\"numerator\": 50}, \"label\": \"l\", \"tags\": {\"urn:x-nmos:tag:grouphint/v1.0\": {}}}",
                 NULL, 200000000, FD, GH " must be an array (got object)");
    check_reject("no grouphint", "{\"id\": \"" ID "\", \"format\": \"urn:x-nmos:format:data\", \"grain_rate\": "
                                 "{\"numerator\": 50}, \"label\": \"l\", \"tags\": {}}",
                 NULL, 200000000, FD, "missing required " GH);

    /* Upstream's accept set kept: text after the root object, duplicate keys (last wins), media_type compared
     * with its full length. */
    char* def = load("inputs/case01.json");
    expect c01 = V1080P("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e101", 30000, 1001, 5);
    char buf[4096];
    snprintf(buf, sizeof buf, "%s trailing text", def);
    check_accept("trailing text", buf, NULL, 200000000, &c01);
    snprintf(buf, sizeof buf, "{\"frame_width\": 0,%s", def + 1);
    check_accept("duplicate key", buf, NULL, 200000000, &c01);
    snprintf(buf, sizeof buf, "%s", def);
    char* mt = strstr(buf, "video/v210\"");
    memmove(mt + 16, mt + 10, strlen(mt + 10) + 1);
    memcpy(mt + 10, "\\u0000", 6);
    check_reject("media_type NUL", buf, NULL, 200000000, FD, "is not supported for video flows");

    /* History: 0 from a domain gives an empty ring; mxlParseFlowDef maps 0 to the 200 ms default. */
    check_reject("history 0", def, NULL, 0, FD, "with a history of 0 ns gives an empty ring");
    mxlFlowConfigInfo ci;
    CHECK_STATUS(mxlParseFlowDef(def, NULL, 0, &ci), MXL_STATUS_OK);
    CHECK(ci.discrete.grainCount == 5);
    CHECK_STATUS(mxlParseFlowDef(def, NULL, 1000000000, &ci), MXL_STATUS_OK);
    CHECK(ci.discrete.grainCount == 29);
    CHECK_STATUS(mxlParseFlowDef(def, "{\"maxCommitBatchSizeHint\": 0}", 0, NULL), MXL_ERR_UNKNOWN);
    CHECK_STATUS(mxlParseFlowDef(NULL, NULL, 0, &ci), MXL_ERR_INVALID_ARG);
    mxl_flowdef fd;
    CHECK_STATUS(mxl_flowdef_parse(NULL, NULL, 200000000, &fd), MXL_ERR_INVALID_ARG);
    free(def);

    /* JSON syntax errors report jansson's line and column. */
    check_reject("multi-line", "{\n  \"a\": 1,\n  \"b\": ]\n}", NULL, 200000000, FD,
                 "invalid JSON at line 3, column 8: unexpected token near ']'");
    check_reject("empty", "", NULL, 200000000, FD, "invalid JSON at line 1, column 0");
    check_reject("scalar root", "\"str\"", NULL, 200000000, FD, "invalid JSON at line 1, column 5");
    check_reject("1e400", "{\"id\": 1e400}", NULL, 200000000, FD, "invalid JSON at line 1, column 12: real number");
}

int main(void)
{
    char const* dir = test_extract(test_fixture_path("golden-create/golden.tar.gz"), "flowdef");
    snprintf(G, sizeof G, "%s/golden", dir);
    test_invalid_inputs();
    test_valid_cases();
    test_writer_options();
    test_domain_options();
    test_synthetic();
    test_rmtree(dir);
    return test_finish("test_flowdef");
}
