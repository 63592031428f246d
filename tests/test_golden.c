/* Golden creation (fixtures/golden-create): for every valid case, create the flow with our library in an empty
 * tmpfs domain (umask 022) and compare with what upstream left on disk: the file set with types, sizes, modes,
 * link counts and allocated bytes; `data` outside the volatile ranges (and its SHA-256 with those ranges zeroed);
 * the inode; every grain header and payload; flow_def.json; channels. Cases 01c/07c additionally commit one grain
 * and compare the result.
 *
 * Documented deviation: our writer stamps an extension block (magic, sequence, commit/open time; internal.h
 * mxl_grain_ext) into the grain header's user-data area, bytes 4096..8191, on open/commit. Upstream never touches
 * that area. So after a commit only bytes 0..4095 are compared exactly, and 4096..8191 must hold our block. At
 * creation the whole 8192-byte header is compared. */
#define _GNU_SOURCE
#include <dirent.h>
#include <jansson.h>

#include "flowtest.h"
#include "internal.h"

static char G[700]; /* "<extracted>/golden" */

typedef struct
{
    char const* folder;
    char const* input;          /* inputs/<file> */
    char const* domain_options; /* inputs/<file> copied to options.json, or NULL */
    char const* creation_ref;   /* commit cases: folder holding the creation grain0-header.bin */
    bool commit;
    char const* payload_sha256; /* commit cases: SHA-256 of the committed payload (README) */
} golden_case;

static golden_case const CASES[] = {
    {"01-v210-1080p-30000_1001", "case01.json", NULL, NULL, false, NULL},
    {"01c-v210-1080p-30000_1001-commit", "case01.json", NULL, "01-v210-1080p-30000_1001", true,
     "7d2d039624614b74d0ca11abf30d7b4374a013433becf498d3862acd7d7e20bb"},
    {"02-v210-1080i-25_1-tff", "case02.json", NULL, NULL, false, NULL},
    {"03-v210a-720p-50_1", "case03.json", NULL, NULL, false, NULL},
    {"04-v210-1080p-60000_1001-hints", "case04.json", NULL, NULL, false, NULL},
    {"05-audio-f32-48k-8ch", "case05.json", NULL, NULL, false, NULL},
    {"06-audio-f32-96k-2ch", "case06.json", NULL, NULL, false, NULL},
    {"07-smpte291-60000_1001", "case07.json", NULL, NULL, false, NULL},
    {"07c-smpte291-60000_1001-commit", "case07.json", NULL, "07-smpte291-60000_1001", true,
     "c8f5d0341d54d951a71b136e6e2afcb14d11ed8489a7ae126a8fee0df6ecf193"},
    {"08-v210-1080p-30000_1001-history500ms", "case08.json", "options-history-500ms.json", NULL, false, NULL},
};

static char* gpath(char const* a, char const* b, char const* c)
{
    char* p = malloc(2048);
    snprintf(p, 2048, "%s/%s%s%s", a, b, c ? "/" : "", c ? c : "");
    return p;
}

static char* load(char const* path, size_t* len)
{
    char* t = test_read_file(path, len);
    CHECK_MSG(t != NULL, "cannot read %s", path);
    return t;
}

/* SHA-256 (hex) of a file from byte `skip` on, through the sha256sum tool. */
static void sha256_file(char const* path, size_t skip, char out[65])
{
    char cmd[2600];
    snprintf(cmd, sizeof cmd, "tail -c +%zu '%s' | sha256sum", skip + 1, path);
    out[0] = 0;
    FILE* f = popen(cmd, "r");
    if (f == NULL)
        return;
    if (fscanf(f, "%64s", out) != 1)
        out[0] = 0;
    pclose(f);
}

static void sha256_buffer(void const* buf, size_t len, char out[65])
{
    char tmp[128];
    snprintf(tmp, sizeof tmp, "/dev/shm/mxl-test-%d-sha.bin", (int)getpid());
    FILE* f = fopen(tmp, "wb");
    CHECK(f != NULL && fwrite(buf, 1, len, f) == len);
    if (f)
        fclose(f);
    sha256_file(tmp, 0, out);
    unlink(tmp);
}

static bool all_zero(uint8_t const* p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* mmap a whole file read-only. */
static uint8_t* map_file(char const* path, size_t* size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    struct stat st;
    fstat(fd, &st);
    *size = (size_t)st.st_size;
    void* p = *size ? mmap(NULL, *size, PROT_READ, MAP_SHARED, fd, 0) : NULL;
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

/* Relative paths of everything under `root` (files and directories), "." for the root itself. */
static int walk(char const* root, char const* rel, char names[][320], int n, int max)
{
    char dirpath[2048];
    snprintf(dirpath, sizeof dirpath, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR* d = opendir(dirpath);
    if (d == NULL)
        return n;
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || n >= max)
            continue;
        snprintf(names[n], 320, "%.50s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        char full[2200];
        snprintf(full, sizeof full, "%s/%s", root, names[n]);
        struct stat st;
        bool dir = lstat(full, &st) == 0 && S_ISDIR(st.st_mode);
        char sub[320];
        snprintf(sub, sizeof sub, "%s", names[n]);
        n++;
        if (dir)
            n = walk(root, sub, names, n, max);
    }
    closedir(d);
    return n;
}

static uint64_t rd64(uint8_t const* p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint32_t rd32(uint8_t const* p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Compare a[from..to) with b, skipping the [start, end) ranges in `skip` (terminated by {0, 0}). */
static void compare_bytes(char const* what, uint8_t const* ours, uint8_t const* ref, size_t from, size_t to,
                          size_t const skip[][2])
{
    size_t diffs = 0, first = 0;
    for (size_t i = from; i < to; i++) {
        bool skipped = false;
        for (int k = 0; skip[k][1] != 0; k++)
            if (i >= skip[k][0] && i < skip[k][1])
                skipped = true;
        if (!skipped && ours[i] != ref[i] && diffs++ == 0)
            first = i;
    }
    CHECK_MSG(diffs == 0, "%s: %zu bytes differ, first at offset %zu (ours 0x%02x, upstream 0x%02x)", what, diffs,
              first, diffs ? ours[first] : 0, diffs ? ref[first] : 0);
}

static void run_case(golden_case const* gc)
{
    char* casedir = gpath(G, "cases", gc->folder);
    char* mpath = gpath(casedir, "manifest.json", NULL);
    json_error_t jerr;
    json_t* manifest = json_load_file(mpath, 0, &jerr);
    CHECK_MSG(manifest != NULL, "%s: %s", mpath, jerr.text);
    char* rpath = gpath(casedir, "result.json", NULL);
    json_t* result = json_load_file(rpath, 0, &jerr);
    CHECK_MSG(result != NULL, "%s: %s", rpath, jerr.text);
    if (manifest == NULL || result == NULL)
        return;
    char const* flow_dir_name = json_string_value(json_object_get(manifest, "flow_dir"));
    json_t* opt = json_object_get(result, "options_arg");
    char const* writer_options = json_is_string(opt) ? json_string_value(opt) : NULL;

    char name[80];
    snprintf(name, sizeof name, "golden-%.2s%s", gc->folder, gc->commit ? "c" : "");
    char const* dom = test_domain(name);
    if (gc->domain_options) {
        char* src = gpath(G, "inputs", gc->domain_options);
        size_t n = 0;
        char* text = load(src, &n);
        char* dst = gpath(dom, "options.json", NULL);
        FILE* f = fopen(dst, "wb");
        CHECK(f != NULL && fwrite(text, 1, n, f) == n);
        if (f)
            fclose(f);
        free(src);
        free(text);
        free(dst);
    }
    char* input = gpath(G, "inputs", gc->input);
    size_t def_len = 0;
    char* def = load(input, &def_len);

    /* ---- create ---- */
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    CHECK(inst != NULL);
    mxlFlowWriter w;
    mxlFlowConfigInfo cfg;
    bool created = false;
    uint64_t t0 = mxlGetTime();
    CHECK_STATUS(mxlCreateFlowWriter(inst, def, writer_options, &w, &cfg, &created), MXL_STATUS_OK);
    uint64_t t1 = mxlGetTime();
    CHECK(created);
    /* the configuration returned equals upstream's */
    json_t* ci = json_object_get(result, "configInfo");
    char idtext[37];
    mxl_uuid_format(cfg.common.id, idtext);
    CHECK(strcmp(idtext, json_string_value(json_object_get(ci, "id"))) == 0);
    CHECK_EQ_U64(cfg.common.format, json_integer_value(json_object_get(ci, "format")));
    CHECK_EQ_U64(cfg.common.grainRate.numerator, json_integer_value(json_array_get(json_object_get(ci, "grainRate"), 0)));
    CHECK_EQ_U64(cfg.common.grainRate.denominator,
                 json_integer_value(json_array_get(json_object_get(ci, "grainRate"), 1)));
    CHECK_EQ_U64(cfg.common.maxCommitBatchSizeHint, json_integer_value(json_object_get(ci, "maxCommitBatchSizeHint")));
    CHECK_EQ_U64(cfg.common.maxSyncBatchSizeHint, json_integer_value(json_object_get(ci, "maxSyncBatchSizeHint")));
    CHECK(cfg.common.deviceIndex == -1 && cfg.common.payloadLocation == 0);
    bool discrete = cfg.common.format != MXL_DATA_FORMAT_AUDIO;
    if (discrete) {
        CHECK_EQ_U64(cfg.discrete.grainCount, json_integer_value(json_object_get(ci, "grainCount")));
        for (int p = 0; p < 4; p++)
            CHECK_EQ_U64(cfg.discrete.sliceSizes[p],
                         json_integer_value(json_array_get(json_object_get(ci, "sliceSizes"), (size_t)p)));
    } else {
        CHECK_EQ_U64(cfg.continuous.channelCount, json_integer_value(json_object_get(ci, "channelCount")));
        CHECK_EQ_U64(cfg.continuous.bufferLength, json_integer_value(json_object_get(ci, "bufferLength")));
        size_t maxw = 0;
        CHECK_STATUS(mxlFlowWriterGetMaxWriteLengthSamples(w, &maxw), MXL_STATUS_OK);
        CHECK_EQ_U64(maxw, json_integer_value(json_object_get(result, "maxWriteLengthSamples")));
    }

    /* ---- one commit ---- */
    uint64_t index = 0, tc0 = 0, tc1 = 0;
    if (gc->commit) {
        index = mxlGetCurrentIndex(&cfg.common.grainRate);
        mxlGrainInfo gi;
        uint8_t* payload;
        CHECK_STATUS(mxlFlowWriterOpenGrain(w, index, &gi, &payload), MXL_STATUS_OK);
        json_t* fo = json_object_get(json_object_get(result, "commit"), "grainInfo_from_open");
        CHECK_EQ_U64(gi.version, json_integer_value(json_object_get(fo, "version")));
        CHECK_EQ_U64(gi.size, json_integer_value(json_object_get(fo, "size")));
        CHECK_EQ_U64(gi.index, index);
        CHECK_EQ_U64(gi.grainSize, json_integer_value(json_object_get(fo, "grainSize")));
        CHECK_EQ_U64(gi.totalSlices, json_integer_value(json_object_get(fo, "totalSlices")));
        CHECK_EQ_U64(gi.validSlices, 0);
        for (size_t i = 0; i < gi.grainSize; i++)
            payload[i] = (uint8_t)(i & 0xff);
        gi.flags = 0;
        gi.validSlices = gi.totalSlices;
        tc0 = mxlGetTime();
        CHECK_STATUS(mxlFlowWriterCommitGrain(w, &gi), MXL_STATUS_OK);
        tc1 = mxlGetTime();
    }

    /* ---- the domain and the file set ---- */
    char* flowdir = gpath(dom, flow_dir_name, NULL);
    json_t* dentries = json_object_get(manifest, "domain_entries");
    CHECK_EQ_U64(ft_count_entries(dom), json_array_size(dentries)); /* nothing else: no .mxl-tmp-* left */
    size_t i;
    json_t* v;
    json_array_foreach(dentries, i, v)
    {
        char* p = gpath(dom, json_string_value(json_object_get(v, "name")), NULL);
        struct stat st;
        bool is_dir = strcmp(json_string_value(json_object_get(v, "type")), "dir") == 0;
        CHECK_MSG(lstat(p, &st) == 0 && (S_ISDIR(st.st_mode) == is_dir), "%s: domain entry %s", gc->folder, p);
        free(p);
    }
    CHECK_EQ_U64(ft_count_prefix(dom, ".mxl-tmp-"), 0);
    static char names[64][320];
    int n = walk(flowdir, "", names, 0, 64);
    json_t* entries = json_object_get(manifest, "entries");
    CHECK_MSG((size_t)n + 1 == json_array_size(entries), "%s: %d paths, manifest has %zu (incl. '.')", gc->folder,
              n + 1, json_array_size(entries));
    for (int k = 0; k < n; k++) {
        bool found = false;
        json_array_foreach(entries, i, v) found |= strcmp(json_string_value(json_object_get(v, "path")), names[k]) == 0;
        CHECK_MSG(found, "%s: unexpected path %s", gc->folder, names[k]);
    }
    json_array_foreach(entries, i, v)
    {
        char const* rel = json_string_value(json_object_get(v, "path"));
        char* p = strcmp(rel, ".") == 0 ? gpath(flowdir, "", NULL) : gpath(flowdir, rel, NULL);
        struct stat st;
        if (lstat(p, &st) != 0) {
            CHECK_MSG(false, "%s: missing %s", gc->folder, rel);
            free(p);
            continue;
        }
        bool is_dir = strcmp(json_string_value(json_object_get(v, "type")), "dir") == 0;
        CHECK_MSG(is_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode), "%s: %s has the wrong type", gc->folder, rel);
        unsigned mode = (unsigned)strtoul(json_string_value(json_object_get(v, "mode")), NULL, 8);
        CHECK_MSG((st.st_mode & 07777) == mode, "%s: %s mode %04o, upstream %04o", gc->folder, rel,
                  (unsigned)(st.st_mode & 07777), mode);
        CHECK_MSG((uint64_t)st.st_nlink == (uint64_t)json_integer_value(json_object_get(v, "nlink")),
                  "%s: %s nlink %llu", gc->folder, rel, (unsigned long long)st.st_nlink);
        if (!is_dir) {
            CHECK_MSG((uint64_t)st.st_size == (uint64_t)json_integer_value(json_object_get(v, "size")),
                      "%s: %s size %lld", gc->folder, rel, (long long)st.st_size);
            CHECK_MSG((uint64_t)st.st_blocks * 512 ==
                          (uint64_t)json_integer_value(json_object_get(v, "allocated_bytes")),
                      "%s: %s allocated %llu bytes, upstream %lld", gc->folder, rel,
                      (unsigned long long)st.st_blocks * 512,
                      (long long)json_integer_value(json_object_get(v, "allocated_bytes")));
        }
        free(p);
    }

    /* ---- data ---- */
    char* datapath = gpath(flowdir, "data", NULL);
    size_t dlen = 0, rlen = 0;
    uint8_t* data = (uint8_t*)load(datapath, &dlen);
    char* refpath = gpath(casedir, gc->commit ? "data-after-commit.bin" : "data.bin", NULL);
    uint8_t* ref = (uint8_t*)load(refpath, &rlen);
    CHECK_EQ_U64(dlen, 2064);
    CHECK_EQ_U64(rlen, 2064);
    if (data && ref && dlen == 2064 && rlen == 2064) {
        size_t const create_skip[][2] = {{208, 224}, {2048, 2056}, {0, 0}};
        size_t const commit_skip[][2] = {{200, 224}, {2048, 2056}, {0, 0}};
        compare_bytes(gc->folder, data, ref, 0, 2064, gc->commit ? commit_skip : create_skip);
        struct stat st;
        CHECK(stat(datapath, &st) == 0 && rd64(data + 2048) == (uint64_t)st.st_ino);
        uint64_t lw = rd64(data + 208), lr = rd64(data + 216);
        CHECK(lr >= t0 && lr <= t1); /* creation time, kept by the commit */
        if (gc->commit) {
            CHECK_EQ_U64(rd64(data + 200), index);
            CHECK_EQ_U64(rd32(data + 2056), 1);
            CHECK(lw >= tc0 && lw <= tc1);
        } else {
            CHECK_EQ_U64(rd64(data + 200), 0);
            CHECK_EQ_U64(rd32(data + 2056), 0);
            CHECK_EQ_U64(lw, lr);
        }
        /* SHA-256 with the volatile ranges zeroed, as the manifest records it */
        uint8_t masked[2064];
        memcpy(masked, data, sizeof masked);
        memset(masked + (gc->commit ? 200 : 208), 0, gc->commit ? 24 : 16);
        memset(masked + 2048, 0, 8);
        char sha[65];
        sha256_buffer(masked, sizeof masked, sha);
        json_array_foreach(entries, i, v) if (strcmp(json_string_value(json_object_get(v, "path")), "data") == 0)
            CHECK_MSG(strcmp(sha, json_string_value(json_object_get(v, "sha256_volatile_ranges_zeroed"))) == 0,
                      "%s: masked data SHA-256 %s", gc->folder, sha);
    }

    /* ---- flow_def.json ---- */
    char* fdpath = gpath(flowdir, "flow_def.json", NULL);
    size_t fdlen = 0, cfdlen = 0;
    char* fd = load(fdpath, &fdlen);
    char* cfdpath = gpath(casedir, "flow_def.json", NULL);
    char* cfd = load(cfdpath, &cfdlen);
    CHECK(fd && cfd && fdlen == cfdlen && memcmp(fd, cfd, fdlen) == 0);
    CHECK(fd && fdlen == def_len && memcmp(fd, def, def_len) == 0);

    /* ---- grains / channels ---- */
    if (discrete) {
        char* hdrpath = gpath(G, "cases", gc->commit ? gc->creation_ref : gc->folder);
        char* h0 = gpath(hdrpath, "grain0-header.bin", NULL);
        size_t hlen = 0;
        uint8_t* hdr0 = (uint8_t*)load(h0, &hlen);
        CHECK_EQ_U64(hlen, 8192);
        uint8_t* hdrc = NULL;
        if (gc->commit) {
            char* hc = gpath(casedir, "grain-header-after-commit.bin", NULL);
            hdrc = (uint8_t*)load(hc, &hlen);
            CHECK_EQ_U64(hlen, 8192);
            free(hc);
        }
        uint32_t G_ = cfg.discrete.grainCount;
        for (uint32_t g = 0; g < G_ && hdr0 != NULL; g++) {
            char rel[32];
            snprintf(rel, sizeof rel, "grains/data.%u", g);
            char* gp = gpath(flowdir, rel, NULL);
            size_t size = 0;
            uint8_t* m = map_file(gp, &size);
            CHECK_MSG(m != NULL && size > 8192, "%s: cannot map %s", gc->folder, rel);
            if (m == NULL) {
                free(gp);
                continue;
            }
            char what[200];
            snprintf(what, sizeof what, "%s %s header", gc->folder, rel);
            bool committed = gc->commit && g == index % G_;
            if (!committed) {
                size_t const none[][2] = {{0, 0}};
                compare_bytes(what, m, hdr0, 0, 8192, none); /* incl. 4096..8191 zero at creation */
                CHECK_MSG(all_zero(m + 8192, size - 8192), "%s: %s payload is not zero", gc->folder, rel);
                if (!gc->commit) {
                    char sha[65];
                    sha256_file(gp, 0, sha);
                    json_array_foreach(entries, i, v) if (strcmp(json_string_value(json_object_get(v, "path")), rel) == 0)
                        CHECK_MSG(strcmp(sha, json_string_value(json_object_get(v, "sha256"))) == 0, "%s: %s sha %s",
                                  gc->folder, rel, sha);
                }
            } else if (hdrc != NULL) {
                size_t const idx[][2] = {{8, 16}, {0, 0}};
                compare_bytes(what, m, hdrc, 0, 4096, idx);
                CHECK_EQ_U64(rd64(m + 8), index);
                /* our extension block, the documented deviation */
                mxl_grain_ext x;
                memcpy(&x, m + MXL_GRAIN_EXT_OFFSET, sizeof x);
                CHECK_EQ_U64(x.magic, MXL_GRAIN_EXT_MAGIC);
                CHECK_EQ_U64(x.seq, 2); /* opened once (odd), completed once (even) */
                CHECK(x.commit_time >= tc0 && x.commit_time <= tc1);
                CHECK(x.open_time >= t1 && x.open_time <= tc0);
                CHECK(all_zero(m + MXL_GRAIN_EXT_OFFSET + sizeof x, 4096 - sizeof x));
                size_t bad = 0;
                for (size_t b = 0; b < size - 8192; b++)
                    bad += m[8192 + b] != (uint8_t)(b & 0xff);
                CHECK_MSG(bad == 0, "%s: %zu committed payload bytes differ", gc->folder, bad);
                char sha[65];
                sha256_file(gp, 8192, sha);
                CHECK_MSG(strcmp(sha, gc->payload_sha256) == 0, "%s: payload SHA-256 %s", gc->folder, sha);
            }
            munmap(m, size);
            free(gp);
        }
        free(hdrpath);
        free(h0);
        free(hdr0);
        free(hdrc);
    } else {
        char* cp = gpath(flowdir, "channels", NULL);
        size_t size = 0;
        uint8_t* m = map_file(cp, &size);
        CHECK_EQ_U64(size, (uint64_t)cfg.continuous.channelCount * cfg.continuous.bufferLength * 4);
        CHECK(m != NULL && all_zero(m, size));
        if (m)
            munmap(m, size);
        free(cp);
    }

    /* the last writer's release deletes the flow again */
    CHECK_STATUS(mxlReleaseFlowWriter(inst, w), MXL_STATUS_OK);
    CHECK(!ft_exists(flowdir));
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    test_rmtree(dom);
    free(data);
    free(ref);
    free(datapath);
    free(refpath);
    free(fdpath);
    free(fd);
    free(cfdpath);
    free(cfd);
    free(flowdir);
    free(input);
    free(def);
    free(casedir);
    free(mpath);
    free(rpath);
    json_decref(manifest);
    json_decref(result);
}

int main(void)
{
    umask(022);
    char const* dir = test_extract(test_fixture_path("golden-create/golden.tar.gz"), "golden");
    char base[600];
    snprintf(base, sizeof base, "%s", dir);
    snprintf(G, sizeof G, "%s/golden", base);
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++)
        run_case(&CASES[c]);
    test_rmtree(base);
    return test_finish("test_golden");
}
