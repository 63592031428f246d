/* Instances and the domain (MXL-FORMAT.md §2, §6.1, §8.3, §11.4; upstream test_instance.cpp and test_options.cpp):
 * instance creation failures and their messages, domain options.json, version, mxlIsTmpFs, per-instance reader and
 * writer caching, flow deletion on the last release / on instance destruction, unwritable domains (as an
 * unprivileged user), hostile flow ids, and symlinks planted in the domain. */
#define _GNU_SOURCE
#include <sys/statfs.h>

#include <mxl/version.h>

#include "flowtest.h"

#define ID1 "11111111-2222-4333-8444-555555555501"
#define ID2 "11111111-2222-4333-8444-555555555502"
#define ID3 "11111111-2222-4333-8444-555555555503"

static char* path_join(char const* a, char const* b)
{
    char* p = malloc(strlen(a) + strlen(b) + 2);
    sprintf(p, "%s/%s", a, b);
    return p;
}

static void write_text(char const* path, char const* text)
{
    FILE* f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

static char* flow_dir(char const* domain, char const* id)
{
    char* p = malloc(strlen(domain) + 64);
    sprintf(p, "%s/%s.mxl-flow", domain, id);
    return p;
}

/* ---- instance creation ---------------------------------------------------------------------------------------- */

static void test_create_failures(void)
{
    char const* dom = test_domain("inst-fail");
    char* missing = path_join(dom, "no-such-domain");
    CHECK(mxlCreateInstance(missing, NULL) == NULL);
    CHECK_MSG(ft_contains(mxlGetLastErrorMessage(), "does not exist"), "message: %s", mxlGetLastErrorMessage());
    CHECK(mxlCreateInstance(NULL, NULL) == NULL);

    char* file = path_join(dom, "plain-file");
    write_text(file, "x");
    CHECK(mxlCreateInstance(file, NULL) == NULL);
    CHECK_MSG(ft_contains(mxlGetLastErrorMessage(), "not a directory"), "message: %s", mxlGetLastErrorMessage());
    free(missing);
    free(file);
    test_rmtree(dom);
}

typedef struct
{
    char closed[512];    /* a 0700 root directory used as a domain */
    char inside[512];    /* a domain below it */
} perm_paths;

static void nobody_create(void* arg)
{
    perm_paths const* p = arg;
    CHECK(geteuid() == FT_NOBODY);
    mxlInstance inst = mxlCreateInstance(p->closed, NULL);
    CHECK(inst == NULL);
    CHECK_MSG(ft_contains(mxlGetLastErrorMessage(), "permission denied"), "message: %s", mxlGetLastErrorMessage());
    CHECK(mxlGetLastErrorStatus() == MXL_ERR_PERMISSION_DENIED);
    inst = mxlCreateInstance(p->inside, NULL);
    CHECK(inst == NULL);
    CHECK_MSG(ft_contains(mxlGetLastErrorMessage(), "permission denied"), "message: %s", mxlGetLastErrorMessage());
}

static void test_create_permission(void)
{
    char const* dom = test_domain("inst-perm");
    perm_paths p;
    snprintf(p.closed, sizeof p.closed, "%s/closed", dom);
    snprintf(p.inside, sizeof p.inside, "%s/closed/domain", dom);
    CHECK(mkdir(p.closed, 0700) == 0);
    CHECK(mkdir(p.inside, 0777) == 0);
    CHECK(chown(p.closed, 0, 0) == 0);
    CHECK_EQ_U64(ft_run_as_nobody(nobody_create, &p), 0);
    /* root can (sanity: the directories are fine, only the permissions differ) */
    mxlInstance inst = mxlCreateInstance(p.inside, "");
    CHECK(inst != NULL);
    if (inst)
        CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    test_rmtree(dom);
}

/* ---- domain options.json (§2.6) ------------------------------------------------------------------------------- */

static uint32_t grain_count_with_options(char const* name, char const* options_json, char const* instance_options)
{
    char const* dom = test_domain(name);
    if (options_json) {
        char* p = path_join(dom, "options.json");
        write_text(p, options_json);
        free(p);
    }
    uint32_t gc = 0;
    mxlInstance inst = mxlCreateInstance(dom, instance_options);
    CHECK_MSG(inst != NULL, "options %s: %s", options_json ? options_json : "(none)", mxlGetLastErrorMessage());
    if (inst) {
        char* def = ft_video_def(ID1, 1920, 1080, 30000, 1001, "video/v210", NULL);
        mxlFlowWriter w;
        mxlFlowConfigInfo cfg;
        bool created = false;
        CHECK_STATUS(mxlCreateFlowWriter(inst, def, NULL, &w, &cfg, &created), MXL_STATUS_OK);
        CHECK(created);
        gc = cfg.discrete.grainCount;
        /* the reader sees the same ring (readers use the header, not the options) */
        mxlFlowReader r;
        CHECK_STATUS(mxlCreateFlowReader(inst, ID1, NULL, &r), MXL_STATUS_OK);
        mxlFlowConfigInfo rc;
        CHECK_STATUS(mxlFlowReaderGetConfigInfo(r, &rc), MXL_STATUS_OK);
        CHECK_EQ_U64(rc.discrete.grainCount, gc);
        char path[600];
        snprintf(path, sizeof path, "%s/%s.mxl-flow/grains", dom, ID1);
        CHECK_EQ_U64(ft_count_prefix(path, "data."), gc);
        CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
        free(def);
    }
    test_rmtree(dom);
    return gc;
}

static void test_domain_options(void)
{
    CHECK_EQ_U64(grain_count_with_options("opt-none", NULL, NULL), 5);
    CHECK_EQ_U64(grain_count_with_options("opt-500", "{\"urn:x-mxl:option:history_duration/v1.0\": 500000000}",
                                          NULL),
                 14);
    CHECK_EQ_U64(grain_count_with_options("opt-garbage", "this is not json", NULL), 5);
    CHECK_EQ_U64(grain_count_with_options("opt-string", "{\"urn:x-mxl:option:history_duration/v1.0\": \"500000000\"}",
                                          NULL),
                 5);
    CHECK_EQ_U64(grain_count_with_options("opt-array", "[1, 2, 3]", NULL), 5);
    CHECK_EQ_U64(grain_count_with_options("opt-empty", "", NULL), 5);
    /* instance options are parsed and ignored, garbage included (§6.1) */
    CHECK_EQ_U64(grain_count_with_options("opt-inst", NULL, "{\"urn:x-mxl:option:history_duration/v1.0\": 1e9}"), 5);
    CHECK_EQ_U64(grain_count_with_options("opt-inst-bad", NULL, "{ not json"), 5);

    /* audio with a 500 ms history: 48000 rounded up to a multiple of 1024 (golden D03) */
    char const* dom = test_domain("opt-audio");
    char* p = path_join(dom, "options.json");
    write_text(p, "{\"urn:x-mxl:option:history_duration/v1.0\": 500000000}");
    free(p);
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    CHECK(inst != NULL);
    char* def = ft_audio_def(ID2, 48000, 8, 32);
    mxlFlowWriter w;
    mxlFlowConfigInfo cfg;
    CHECK_STATUS(mxlCreateFlowWriter(inst, def, NULL, &w, &cfg, NULL), MXL_STATUS_OK);
    CHECK_EQ_U64(cfg.continuous.bufferLength, 48128);
    /* options.json is read once at instance creation: changing it later does not affect this instance */
    p = path_join(dom, "options.json");
    write_text(p, "{\"urn:x-mxl:option:history_duration/v1.0\": 1000000000}");
    free(p);
    char* vdef = ft_video_def(ID3, 1920, 1080, 30000, 1001, "video/v210", NULL);
    mxlFlowWriter vw;
    CHECK_STATUS(mxlCreateFlowWriter(inst, vdef, NULL, &vw, &cfg, NULL), MXL_STATUS_OK);
    CHECK_EQ_U64(cfg.discrete.grainCount, 14);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    free(def);
    free(vdef);
    test_rmtree(dom);
}

/* ---- version and tmpfs ---------------------------------------------------------------------------------------- */

static void test_version_tmpfs(void)
{
    CHECK_STATUS(mxlGetVersion(NULL), MXL_ERR_INVALID_ARG);
    mxlVersionType v;
    memset(&v, 0xff, sizeof v);
    CHECK_STATUS(mxlGetVersion(&v), MXL_STATUS_OK);
    CHECK_EQ_U64(v.major, MXL_VERSION_MAJOR);
    CHECK_EQ_U64(v.minor, MXL_VERSION_MINOR);
    CHECK_EQ_U64(v.bugfix, MXL_VERSION_PATCH);
    CHECK_EQ_U64(v.build, MXL_VERSION_BUILD);
    CHECK(v.major == 1 && v.minor == 2);
    CHECK(v.full != NULL && strcmp(v.full, MXL_VERSION_FULL) == 0);
    CHECK(v.full != NULL && strncmp(v.full, "1.2.0", 5) == 0);

    bool tmp = false;
    CHECK_STATUS(mxlIsTmpFs(NULL, &tmp), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlIsTmpFs("/dev/shm", NULL), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlIsTmpFs("/dev/shm", &tmp), MXL_STATUS_OK);
    CHECK(tmp);
    struct statfs sf;
    CHECK(statfs("/", &sf) == 0);
    bool root_tmp = sf.f_type == 0x01021994 || (unsigned long)sf.f_type == 0x858458f6UL;
    tmp = !root_tmp;
    CHECK_STATUS(mxlIsTmpFs("/", &tmp), MXL_STATUS_OK);
    CHECK(tmp == root_tmp);
    CHECK(statfs("/proc", &sf) == 0);
    CHECK_STATUS(mxlIsTmpFs("/proc", &tmp), MXL_STATUS_OK);
    CHECK(!tmp); /* procfs */
    CHECK_STATUS(mxlIsTmpFs("/dev/shm/mxl-no-such-path/at/all", &tmp), MXL_ERR_UNKNOWN);
}

/* ---- caching ---------------------------------------------------------------------------------------------------- */

static void test_caching(void)
{
    char const* dom = test_domain("inst-cache");
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    CHECK(inst != NULL);
    char const* ids[3] = {ID1, ID2, ID3};
    char* defs[3] = {ft_video_def(ID1, 1920, 1080, 30000, 1001, "video/v210", NULL), ft_audio_def(ID2, 48000, 2, 32),
                     ft_data_def(ID3, 30000, 1001)};
    mxlFlowWriter w[3];
    mxlFlowReader r[3], r2[3];
    for (int i = 0; i < 3; i++) {
        bool created = false;
        CHECK_STATUS(mxlCreateFlowWriter(inst, defs[i], NULL, &w[i], NULL, &created), MXL_STATUS_OK);
        CHECK(created);
        /* the same flow in the same instance: the same writer, not created */
        mxlFlowWriter again;
        mxlFlowConfigInfo cfg;
        created = true;
        CHECK_STATUS(mxlCreateFlowWriter(inst, defs[i], NULL, &again, &cfg, &created), MXL_STATUS_OK);
        CHECK(!created);
        CHECK(again == w[i]);
        CHECK_STATUS(mxlReleaseFlowWriter(inst, again), MXL_STATUS_OK); /* drops one reference only */
        CHECK_STATUS(mxlCreateFlowReader(inst, ids[i], NULL, &r[i]), MXL_STATUS_OK);
        CHECK_STATUS(mxlCreateFlowReader(inst, ids[i], "ignored options", &r2[i]), MXL_STATUS_OK);
        CHECK(r[i] == r2[i]);
        CHECK((void*)r[i] != (void*)w[i]);
    }
    CHECK(r[0] != r[1] && r[1] != r[2] && r[0] != r[2]);
    CHECK(w[0] != w[1] && w[1] != w[2] && w[0] != w[2]);
    /* lenient id forms name the same flow and so the same cached reader (§11.3) */
    mxlFlowReader r3;
    CHECK_STATUS(mxlCreateFlowReader(inst, "{11111111-2222-4333-8444-555555555501}", NULL, &r3), MXL_STATUS_OK);
    CHECK(r3 == r[0]);
    CHECK_STATUS(mxlCreateFlowReader(inst, "11111111222243338444555555555501", NULL, &r3), MXL_STATUS_OK);
    CHECK(r3 == r[0]);
    CHECK_STATUS(mxlCreateFlowReader(inst, "11111111-2222-4333-8444-5555555555AB", NULL, &r3),
                 MXL_ERR_FLOW_NOT_FOUND);
    CHECK_STATUS(mxlReleaseFlowReader(inst, r[0]), MXL_STATUS_OK);
    CHECK_STATUS(mxlReleaseFlowReader(inst, r[0]), MXL_STATUS_OK);
    /* still referenced once: usable */
    mxlFlowInfo info;
    CHECK_STATUS(mxlFlowReaderGetInfo(r[0], &info), MXL_STATUS_OK);
    CHECK_EQ_U64(info.config.common.format, MXL_DATA_FORMAT_VIDEO);
    /* the writers were not deleted by the extra release: still active */
    for (int i = 0; i < 3; i++) {
        bool active = false;
        CHECK_STATUS(mxlIsFlowActive(inst, ids[i], &active), MXL_STATUS_OK);
        CHECK(active);
    }
    /* GetFlowDef (upstream mxlGetFlowDef test) */
    size_t size = 7;
    CHECK_STATUS(mxlGetFlowDef(NULL, ID1, NULL, &size), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlGetFlowDef(inst, NULL, NULL, &size), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlGetFlowDef(inst, "not-a-uuid", NULL, &size), MXL_ERR_INVALID_ARG);
    CHECK_EQ_U64(size, 7);
    CHECK_STATUS(mxlGetFlowDef(inst, ID1, NULL, NULL), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlGetFlowDef(inst, "11111111-2222-4333-8444-5555555555ff", NULL, &size), MXL_ERR_FLOW_NOT_FOUND);
    CHECK_STATUS(mxlGetFlowDef(inst, ID1, NULL, &size), MXL_ERR_INVALID_ARG);
    CHECK_EQ_U64(size, strlen(defs[0]) + 1);
    char small[8];
    size = sizeof small;
    CHECK_STATUS(mxlGetFlowDef(inst, ID1, small, &size), MXL_ERR_INVALID_ARG);
    CHECK_EQ_U64(size, strlen(defs[0]) + 1);
    char* buf = malloc(size);
    CHECK_STATUS(mxlGetFlowDef(inst, ID1, buf, &size), MXL_STATUS_OK);
    CHECK(strcmp(buf, defs[0]) == 0);
    free(buf);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    /* destroying the instance released the last writers: the flows are gone */
    CHECK_EQ_U64(ft_count_entries(dom), 0);
    for (int i = 0; i < 3; i++)
        free(defs[i]);
    test_rmtree(dom);
}

/* ---- deletion --------------------------------------------------------------------------------------------------- */

static void test_delete_on_release(void)
{
    char const* dom = test_domain("inst-release");
    char* dir = flow_dir(dom, ID1);
    char* def = ft_video_def(ID1, 1920, 1080, 30000, 1001, "video/v210", NULL);
    mxlInstance a = mxlCreateInstance(dom, NULL), b = mxlCreateInstance(dom, NULL);
    CHECK(a != NULL && b != NULL);
    mxlFlowWriter wa, wb;
    bool created = false;
    CHECK_STATUS(mxlCreateFlowWriter(a, def, NULL, &wa, NULL, &created), MXL_STATUS_OK);
    CHECK(created);
    CHECK_STATUS(mxlCreateFlowWriter(b, def, NULL, &wb, NULL, &created), MXL_STATUS_OK);
    CHECK(!created);
    CHECK(wa != wb);
    CHECK_STATUS(mxlReleaseFlowWriter(a, wa), MXL_STATUS_OK);
    CHECK_MSG(ft_exists(dir), "the flow must survive the first release");
    bool active = false;
    CHECK_STATUS(mxlIsFlowActive(a, ID1, &active), MXL_STATUS_OK);
    CHECK(active);
    CHECK_STATUS(mxlReleaseFlowWriter(b, wb), MXL_STATUS_OK);
    CHECK_MSG(!ft_exists(dir), "the last release must delete the flow");
    CHECK_STATUS(mxlIsFlowActive(a, ID1, &active), MXL_ERR_FLOW_NOT_FOUND);
    CHECK_EQ_U64(ft_count_entries(dom), 0);
    CHECK_STATUS(mxlDestroyInstance(a), MXL_STATUS_OK);
    CHECK_STATUS(mxlDestroyInstance(b), MXL_STATUS_OK);
    free(dir);
    free(def);
    test_rmtree(dom);
}

static void test_delete_on_destroy(void)
{
    char const* dom = test_domain("inst-destroy");
    char* dir1 = flow_dir(dom, ID1);
    char* dir2 = flow_dir(dom, ID2);
    char* def1 = ft_video_def(ID1, 1920, 1080, 30000, 1001, "video/v210", NULL);
    char* def2 = ft_audio_def(ID2, 48000, 2, 32);
    mxlInstance a = mxlCreateInstance(dom, NULL), b = mxlCreateInstance(dom, NULL);
    mxlFlowWriter w;
    bool created = false;
    CHECK_STATUS(mxlCreateFlowWriter(a, def1, NULL, &w, NULL, &created), MXL_STATUS_OK);
    CHECK(created);
    CHECK_STATUS(mxlCreateFlowWriter(a, def2, NULL, &w, NULL, &created), MXL_STATUS_OK);
    CHECK(created);
    CHECK_STATUS(mxlCreateFlowWriter(b, def1, NULL, &w, NULL, &created), MXL_STATUS_OK);
    CHECK(!created);
    CHECK_STATUS(mxlCreateFlowWriter(b, def2, NULL, &w, NULL, &created), MXL_STATUS_OK);
    CHECK(!created);
    /* readers do not keep a flow alive */
    mxlFlowReader r;
    CHECK_STATUS(mxlCreateFlowReader(a, ID1, NULL, &r), MXL_STATUS_OK);
    CHECK_STATUS(mxlDestroyInstance(a), MXL_STATUS_OK);
    CHECK(ft_exists(dir1) && ft_exists(dir2));
    CHECK_STATUS(mxlDestroyInstance(b), MXL_STATUS_OK);
    CHECK(!ft_exists(dir1) && !ft_exists(dir2));
    CHECK_EQ_U64(ft_count_entries(dom), 0);
    CHECK_STATUS(mxlDestroyInstance(NULL), MXL_ERR_INVALID_ARG);
    free(dir1);
    free(dir2);
    free(def1);
    free(def2);
    test_rmtree(dom);
}

/* ---- attaching to an existing flow (§2.3 step 1, §6.3, §11.4) -------------------------------------------------- */

static void test_attach_semantics(void)
{
    char const* dom = test_domain("inst-attach");
    mxlInstance a = mxlCreateInstance(dom, NULL);
    char* def = ft_video_def(ID1, 1920, 1080, 30000, 1001, "video/v210", NULL);
    mxlFlowWriter wa, wb;
    mxlFlowConfigInfo cfg;
    bool created = false;
    CHECK_STATUS(mxlCreateFlowWriter(a, def, "{\"maxCommitBatchSizeHint\": 8, \"maxSyncBatchSizeHint\": 16}", &wa, &cfg,
                                     &created),
                 MXL_STATUS_OK);
    CHECK(created && cfg.common.maxCommitBatchSizeHint == 8 && cfg.common.maxSyncBatchSizeHint == 16);
    /* a second instance with another history and other hints attaches: it gets the flow as it exists */
    char* p = path_join(dom, "options.json");
    write_text(p, "{\"urn:x-mxl:option:history_duration/v1.0\": 500000000}");
    free(p);
    mxlInstance b = mxlCreateInstance(dom, NULL);
    memset(&cfg, 0, sizeof cfg);
    created = true;
    CHECK_STATUS(mxlCreateFlowWriter(b, def, "{\"maxCommitBatchSizeHint\": 4}", &wb, &cfg, &created), MXL_STATUS_OK);
    CHECK(!created);
    CHECK_EQ_U64(cfg.discrete.grainCount, 5);
    CHECK_EQ_U64(cfg.common.maxCommitBatchSizeHint, 8);
    CHECK_EQ_U64(cfg.common.maxSyncBatchSizeHint, 16);
    CHECK_EQ_U64(cfg.discrete.sliceSizes[0], 5120);
    /* an attaching writer must still present a valid definition and valid options */
    mxlFlowWriter wx;
    char* bad = ft_video_def(ID1, 1920, 1080, 30000, 1001, "video/raw", NULL);
    CHECK_STATUS(mxlCreateFlowWriter(b, bad, NULL, &wx, NULL, NULL), MXL_ERR_UNKNOWN);
    mxlInstance c = mxlCreateInstance(dom, NULL);
    CHECK_STATUS(mxlCreateFlowWriter(c, def, "{\"maxCommitBatchSizeHint\": 0}", &wx, NULL, NULL), MXL_ERR_UNKNOWN);
    CHECK_STATUS(mxlCreateFlowWriter(c, def, "not json", &wx, NULL, NULL), MXL_ERR_UNKNOWN);
    /* the same id with another format is refused */
    char* adef = ft_audio_def(ID1, 48000, 2, 32);
    CHECK_STATUS(mxlCreateFlowWriter(c, adef, NULL, &wx, NULL, NULL), MXL_ERR_UNKNOWN);
    CHECK(ft_contains(mxlGetLastErrorMessage(), "format"));
    /* none of the refused calls left anything behind, and the flow is intact */
    CHECK_EQ_U64(ft_count_entries(dom), 2); /* the flow and options.json */
    CHECK_STATUS(mxlDestroyInstance(c), MXL_STATUS_OK);
    CHECK_STATUS(mxlDestroyInstance(b), MXL_STATUS_OK);
    bool active = false;
    CHECK_STATUS(mxlIsFlowActive(a, ID1, &active), MXL_STATUS_OK);
    CHECK(active);
    /* NULL arguments */
    CHECK_STATUS(mxlCreateFlowWriter(NULL, def, NULL, &wx, NULL, NULL), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlCreateFlowWriter(a, NULL, NULL, &wx, NULL, NULL), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlCreateFlowWriter(a, def, NULL, NULL, NULL, NULL), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlCreateFlowReader(a, NULL, NULL, &(mxlFlowReader){0}), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlReleaseFlowWriter(NULL, wa), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlReleaseFlowWriter(a, NULL), MXL_ERR_INVALID_FLOW_WRITER);
    CHECK_STATUS(mxlReleaseFlowReader(a, NULL), MXL_ERR_INVALID_FLOW_READER);
    CHECK_STATUS(mxlIsFlowActive(a, ID1, NULL), MXL_ERR_INVALID_ARG);
    CHECK_STATUS(mxlDestroyInstance(a), MXL_STATUS_OK);
    CHECK_EQ_U64(ft_count_entries(dom), 1);
    free(def);
    free(bad);
    free(adef);
    test_rmtree(dom);
}

/* ---- unwritable domain ------------------------------------------------------------------------------------------ */

typedef struct
{
    char const* dom;
    uint64_t index;
} ro_args;

static void nobody_ro_domain(void* arg)
{
    ro_args const* a = arg;
    mxlInstance inst = mxlCreateInstance(a->dom, NULL);
    CHECK_MSG(inst != NULL, "%s", mxlGetLastErrorMessage());
    if (inst == NULL)
        return;
    mxlFlowWriter w;
    char* vdef = ft_video_def(ID2, 1920, 1080, 30000, 1001, "video/v210", NULL);
    char* adef = ft_audio_def(ID3, 48000, 2, 32);
    CHECK_STATUS(mxlCreateFlowWriter(inst, vdef, NULL, &w, NULL, NULL), MXL_ERR_PERMISSION_DENIED);
    CHECK_STATUS(mxlCreateFlowWriter(inst, adef, NULL, &w, NULL, NULL), MXL_ERR_PERMISSION_DENIED);
    /* attaching to root's flow needs write access to its files */
    char* def1 = ft_video_def(ID1, 1920, 1080, 30000, 1001, "video/v210", NULL);
    mxlStatus st = mxlCreateFlowWriter(inst, def1, NULL, &w, NULL, NULL);
    CHECK_MSG(st == MXL_ERR_PERMISSION_DENIED, "attach: %s (%s)", mxlStatusName(st), mxlGetLastErrorMessage());
    /* nothing was left behind by the failed attempts */
    CHECK_EQ_U64(ft_count_prefix(a->dom, ".mxl-"), 0);
    /* readers work */
    mxlFlowReader r;
    CHECK_STATUS(mxlCreateFlowReader(inst, ID1, NULL, &r), MXL_STATUS_OK);
    mxlGrainInfo gi;
    uint8_t* payload = NULL;
    CHECK_STATUS(mxlFlowReaderGetGrain(r, a->index, 1000000000ULL, &gi, &payload), MXL_STATUS_OK);
    CHECK_EQ_U64(gi.index, a->index);
    CHECK(payload != NULL && payload[0] == 0x5a && payload[gi.grainSize - 1] == 0x5a);
    bool active = false;
    CHECK_STATUS(mxlIsFlowActive(inst, ID1, &active), MXL_STATUS_OK);
    CHECK(active);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    free(vdef);
    free(adef);
    free(def1);
}

static void test_unwritable_domain(void)
{
    char const* dom = test_domain("inst-ro");
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    char* def = ft_video_def(ID1, 1920, 1080, 30000, 1001, "video/v210", NULL);
    mxlFlowWriter w;
    CHECK_STATUS(mxlCreateFlowWriter(inst, def, NULL, &w, NULL, NULL), MXL_STATUS_OK);
    mxlGrainInfo gi;
    uint8_t* payload;
    ro_args a = {dom, 1000};
    CHECK_STATUS(mxlFlowWriterOpenGrain(w, a.index, &gi, &payload), MXL_STATUS_OK);
    memset(payload, 0x5a, gi.grainSize);
    gi.validSlices = gi.totalSlices;
    CHECK_STATUS(mxlFlowWriterCommitGrain(w, &gi), MXL_STATUS_OK);
    CHECK(chmod(dom, 0555) == 0);
    CHECK_EQ_U64(ft_run_as_nobody(nobody_ro_domain, &a), 0);
    CHECK(chmod(dom, 0755) == 0);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    CHECK_EQ_U64(ft_count_entries(dom), 0);
    free(def);
    test_rmtree(dom);
}

/* ---- hostile ids ------------------------------------------------------------------------------------------------ */

static void test_bad_ids(void)
{
    char const* dom = test_domain("inst-ids");
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    char* def = ft_video_def(ID1, 1920, 1080, 30000, 1001, "video/v210", NULL);
    mxlFlowWriter w;
    CHECK_STATUS(mxlCreateFlowWriter(inst, def, NULL, &w, NULL, NULL), MXL_STATUS_OK);
    char longid[5000];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = 0;
    char const nul_id[] = "11111111-2222-4333-8444\0-555555555501";
    char const* bad[] = {
        "",
        "../" ID1,
        ID1 "/..",
        "11111111-2222-4333-8444-55555555550/",
        "11111111/2222-4333-8444-555555555501",
        "..",
        "/etc/passwd",
        "../../etc",
        nul_id,                                     /* C string ends at the NUL: 20 hex digits */
        "11111111-2222-4333-8444-5555555555012",    /* 33 digits */
        "11111111-2222-4333-8444-55555555550",      /* 31 digits */
        "11111111-2222-4333-8444-55555555550g",     /* not hex */
        "11111111-2222-4333-8444-55555555550G",
        "{11111111-2222-4333-8444-555555555501",    /* unbalanced brace */
        "11111111-2222-4333-8444-555555555501.mxl-flow",
        " 11111111-2222-4333-8444-555555555501",
        longid,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mxlFlowReader r = NULL;
        mxlStatus st = mxlCreateFlowReader(inst, bad[i], NULL, &r);
        CHECK_MSG(st == MXL_ERR_INVALID_ARG, "id #%zu \"%.60s\": %s", i, bad[i], mxlStatusName(st));
        char const* msg = mxlGetLastErrorMessage();
        CHECK_MSG(ft_contains(msg, "UUID") && strlen(msg) < 300, "id #%zu: message \"%s\"", i, msg);
        size_t size = 0;
        CHECK_STATUS(mxlGetFlowDef(inst, bad[i], NULL, &size), MXL_ERR_INVALID_ARG);
        bool active;
        CHECK(mxlIsFlowActive(inst, bad[i], &active) != MXL_STATUS_OK);
    }
    /* upper-case hex digits are a valid UUID spelling (§11.3): normalised, not rejected */
    mxlFlowReader r1, r2;
    CHECK_STATUS(mxlCreateFlowReader(inst, "11111111-2222-4333-8444-555555555501", NULL, &r1), MXL_STATUS_OK);
    char const* upper = "AAAAAAAA-2222-4333-8444-555555555501";
    CHECK_STATUS(mxlCreateFlowReader(inst, upper, NULL, &r2), MXL_ERR_FLOW_NOT_FOUND);
    char* def2 = ft_video_def("aaaaaaaa-2222-4333-8444-555555555501", 1920, 1080, 30000, 1001, "video/v210", NULL);
    mxlFlowWriter w2;
    CHECK_STATUS(mxlCreateFlowWriter(inst, def2, NULL, &w2, NULL, NULL), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowReader(inst, upper, NULL, &r2), MXL_STATUS_OK);
    char out[37];
    CHECK_STATUS(mxlFlowReaderGetFlowId(r2, out), MXL_STATUS_OK);
    CHECK(strcmp(out, "aaaaaaaa-2222-4333-8444-555555555501") == 0);
    /* the domain holds only the two flows: no stray directory was made from a hostile id */
    CHECK_EQ_U64(ft_count_entries(dom), 2);
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    free(def);
    free(def2);
    test_rmtree(dom);
}

/* ---- symlinks planted in the domain ------------------------------------------------------------------------------ */

static bool same_file_content(char const* path, char const* expect, size_t len)
{
    size_t n = 0;
    char* text = test_read_file(path, &n);
    bool ok = text != NULL && n == len && memcmp(text, expect, len) == 0;
    free(text);
    return ok;
}

/* The victim: a directory outside the domain holding a complete copy of a real flow (so that following a link
 * would "work"), plus a plain file. */
static void test_symlinks(void)
{
    char const* base = test_domain("inst-symlink");
    char dom[600], outside[600], cmd[2000];
    snprintf(dom, sizeof dom, "%s/domain", base);
    snprintf(outside, sizeof outside, "%s/outside", base);
    CHECK(mkdir(dom, 0755) == 0 && mkdir(outside, 0755) == 0);
    mxlInstance inst = mxlCreateInstance(dom, NULL);
    /* a real flow, copied outside while its writer holds it */
    char* def = ft_video_def(ID1, 8, 4, 30000, 1001, "video/v210", NULL);
    mxlFlowWriter w;
    CHECK_STATUS(mxlCreateFlowWriter(inst, def, NULL, &w, NULL, NULL), MXL_STATUS_OK);
    mxlGrainInfo gi;
    uint8_t* payload;
    CHECK_STATUS(mxlFlowWriterOpenGrain(w, 77, &gi, &payload), MXL_STATUS_OK);
    memset(payload, 0x77, gi.grainSize);
    gi.validSlices = gi.totalSlices;
    CHECK_STATUS(mxlFlowWriterCommitGrain(w, &gi), MXL_STATUS_OK);
    snprintf(cmd, sizeof cmd, "cp -a '%s/%s.mxl-flow' '%s/victim-flow'", dom, ID1, outside);
    CHECK(system(cmd) == 0);
    char victim_file[700];
    snprintf(victim_file, sizeof victim_file, "%s/secret", outside);
    write_text(victim_file, "do not touch");
    struct stat victim_st0;
    CHECK(stat(victim_file, &victim_st0) == 0);

    /* 1. a flow directory that is a symlink to the copy */
    char link1[700], target[800];
    snprintf(link1, sizeof link1, "%s/%s.mxl-flow", dom, ID2);
    snprintf(target, sizeof target, "%s/victim-flow", outside);
    CHECK(symlink(target, link1) == 0);
    /* 2. a flow whose data file is a symlink */
    char* def3 = ft_video_def(ID3, 8, 4, 30000, 1001, "video/v210", NULL);
    mxlFlowWriter w3;
    CHECK_STATUS(mxlCreateFlowWriter(inst, def3, NULL, &w3, NULL, NULL), MXL_STATUS_OK);
    /* 3. grain file and 4. grains/ directory as symlinks, in two more flows */
    char const* id4 = "11111111-2222-4333-8444-555555555504";
    char const* id5 = "11111111-2222-4333-8444-555555555505";
    char* def4 = ft_video_def(id4, 8, 4, 30000, 1001, "video/v210", NULL);
    char* def5 = ft_video_def(id5, 8, 4, 30000, 1001, "video/v210", NULL);
    mxlFlowWriter w4, w5;
    CHECK_STATUS(mxlCreateFlowWriter(inst, def4, NULL, &w4, NULL, NULL), MXL_STATUS_OK);
    CHECK_STATUS(mxlCreateFlowWriter(inst, def5, NULL, &w5, NULL, NULL), MXL_STATUS_OK);
    char p[800], t[800];
    snprintf(p, sizeof p, "%s/%s.mxl-flow/data", dom, ID3);
    snprintf(t, sizeof t, "%s/victim-flow/data", outside);
    CHECK(unlink(p) == 0 && symlink(t, p) == 0);
    snprintf(p, sizeof p, "%s/%s.mxl-flow/grains/data.2", dom, id4);
    snprintf(t, sizeof t, "%s/victim-flow/grains/data.2", outside);
    CHECK(unlink(p) == 0 && symlink(t, p) == 0);
    snprintf(p, sizeof p, "rm -rf '%s/%s.mxl-flow/grains'", dom, id5);
    CHECK(system(p) == 0);
    snprintf(p, sizeof p, "%s/%s.mxl-flow/grains", dom, id5);
    snprintf(t, sizeof t, "%s/victim-flow/grains", outside);
    CHECK(symlink(t, p) == 0);
    /* 5. a flow_def.json symlink to the secret file (GetFlowDef must not read it) */
    snprintf(p, sizeof p, "%s/%s.mxl-flow/flow_def.json", dom, id4);
    CHECK(unlink(p) == 0 && symlink(victim_file, p) == 0);
    /* 6. an options.json symlink is not read either (a history from outside would change the ring) */
    char optfile[800];
    snprintf(optfile, sizeof optfile, "%s/opts.json", outside);
    write_text(optfile, "{\"urn:x-mxl:option:history_duration/v1.0\": 500000000}");
    snprintf(p, sizeof p, "%s/options.json", dom);
    CHECK(symlink(optfile, p) == 0);

    /* Readers, in a second instance */
    mxlInstance inst2 = mxlCreateInstance(dom, NULL);
    CHECK(inst2 != NULL);
    char const* bad_ids[] = {ID2, ID3, id4, id5};
    for (size_t i = 0; i < 4; i++) {
        mxlFlowReader r = NULL;
        mxlStatus st = mxlCreateFlowReader(inst2, bad_ids[i], NULL, &r);
        CHECK_MSG(st != MXL_STATUS_OK, "reader of %s followed a symlink", bad_ids[i]);
        if (st == MXL_STATUS_OK)
            mxlReleaseFlowReader(inst2, r);
    }
    size_t size = 0;
    CHECK(mxlGetFlowDef(inst2, id4, NULL, &size) != MXL_STATUS_OK || size != strlen("do not touch") + 1);
    /* writers do not attach through the links either */
    mxlFlowWriter wx;
    char* def2 = ft_video_def(ID2, 8, 4, 30000, 1001, "video/v210", NULL);
    CHECK(mxlCreateFlowWriter(inst2, def2, NULL, &wx, NULL, NULL) != MXL_STATUS_OK);
    /* options.json behind a link was ignored: a new flow gets the default 5 grains */
    char const* id6 = "11111111-2222-4333-8444-555555555506";
    char* def6 = ft_video_def(id6, 8, 4, 30000, 1001, "video/v210", NULL);
    mxlFlowConfigInfo cfg;
    CHECK_STATUS(mxlCreateFlowWriter(inst2, def6, NULL, &wx, &cfg, NULL), MXL_STATUS_OK);
    CHECK_EQ_U64(cfg.discrete.grainCount, 5);
    CHECK_STATUS(mxlReleaseFlowWriter(inst2, wx), MXL_STATUS_OK);
    /* the original flow still reads fine */
    mxlFlowReader r1;
    CHECK_STATUS(mxlCreateFlowReader(inst2, ID1, NULL, &r1), MXL_STATUS_OK);
    uint8_t* rp;
    CHECK_STATUS(mxlFlowReaderGetGrainNonBlocking(r1, 77, &gi, &rp), MXL_STATUS_OK);

    /* Release, destroy and GC: everything inside the domain may go, nothing outside may change */
    CHECK_STATUS(mxlDestroyInstance(inst), MXL_STATUS_OK);
    mxlGcReport rep;
    CHECK_STATUS(mxlGarbageCollectFlowsEx(inst2, 0, &rep), MXL_STATUS_OK);
    CHECK_STATUS(mxlDestroyInstance(inst2), MXL_STATUS_OK);
    CHECK(same_file_content(victim_file, "do not touch", strlen("do not touch")));
    struct stat victim_st1;
    CHECK(stat(victim_file, &victim_st1) == 0 && victim_st1.st_mtim.tv_sec == victim_st0.st_mtim.tv_sec &&
          victim_st1.st_mtim.tv_nsec == victim_st0.st_mtim.tv_nsec);
    char const* opt_text = "{\"urn:x-mxl:option:history_duration/v1.0\": 500000000}";
    CHECK(same_file_content(optfile, opt_text, strlen(opt_text)));
    char vp[900];
    snprintf(vp, sizeof vp, "%s/victim-flow/data", outside);
    CHECK(ft_exists(vp));
    for (int i = 0; i < 5; i++) {
        snprintf(vp, sizeof vp, "%s/victim-flow/grains/data.%d", outside, i);
        struct stat st;
        CHECK_MSG(stat(vp, &st) == 0 && st.st_size == 8192 + 512, "%s", vp);
    }
    snprintf(vp, sizeof vp, "%s/victim-flow/flow_def.json", outside);
    CHECK(ft_exists(vp));
    /* the victim copy still holds its grain 77 */
    snprintf(vp, sizeof vp, "%s/victim-flow/grains/data.2", outside);
    size_t n = 0;
    unsigned char* g = (unsigned char*)test_read_file(vp, &n);
    CHECK(g != NULL && n == 8192 + 512 && g[8192] == 0x77 && g[8192 + 511] == 0x77);
    free(g);
    free(def);
    free(def2);
    free(def3);
    free(def4);
    free(def5);
    free(def6);
    test_rmtree(base);
}

int main(void)
{
    umask(022);
    test_create_failures();
    test_create_permission();
    test_domain_options();
    test_version_tmpfs();
    test_caching();
    test_delete_on_release();
    test_delete_on_destroy();
    test_attach_semantics();
    test_unwritable_domain();
    test_bad_ids();
    test_symlinks();
    return test_finish("test_instance");
}
