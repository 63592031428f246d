/* (c) Writer options and domain options.
 *
 * Input: [1 byte mode][text]
 *   mode % 4 == 0: domain options text -> mxl_domain_options_history
 *   mode % 4 == 1: writer options for a video flow definition
 *   mode % 4 == 2: writer options for an audio flow definition
 *   mode % 4 == 3: the text as <domain>/options.json, then mxlCreateInstance (the real file path), with the text
 *                  also passed as the instance options string
 * Invariants: accepted hints are >= 1 and a sync hint is a multiple of the commit hint when both are given;
 * the domain history is only changed by a number in [0, 2^64). */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include <jansson.h>

#include "objects.h"

static char const VIDEO[] =
    "{\"id\":\"5fbec3b1-1b0f-417d-9059-8b94a47197ed\",\"format\":\"urn:x-nmos:format:video\",\"label\":\"f\","
    "\"tags\":{\"urn:x-nmos:tag:grouphint/v1.0\":[\"g:v\"]},\"media_type\":\"video/v210\","
    "\"grain_rate\":{\"numerator\":50,\"denominator\":1},\"frame_width\":64,\"frame_height\":16}";
static char const AUDIO[] =
    "{\"id\":\"b3bb5be7-9fe9-4324-a5bb-4c70e1084449\",\"format\":\"urn:x-nmos:format:audio\",\"label\":\"a\","
    "\"tags\":{\"urn:x-nmos:tag:grouphint/v1.0\":[\"g:a\"]},\"media_type\":\"audio/float32\","
    "\"sample_rate\":{\"numerator\":48000},\"bit_depth\":32,\"channel_count\":2}";

static char domain[64];

static void cleanup(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/options.json", domain);
    unlink(path);
    rmdir(domain);
}

int LLVMFuzzerInitialize(int* argc, char*** argv)
{
    (void)argc;
    (void)argv;
    snprintf(domain, sizeof domain, "/dev/shm/mxl-fuzz-options-%d", (int)getpid());
    mkdir(domain, 0755);
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] % 4;
    char* text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;

    if (mode == 0) {
        uint64_t h = 0x123456789abcdefull;
        bool found = mxl_domain_options_history(text, &h);
        if (!found)
            FUZZ_ASSERT(h == 0x123456789abcdefull, "history changed without being found");
    } else if (mode == 1 || mode == 2) {
        mxl_flowdef def;
        mxlStatus st = mxl_flowdef_parse(mode == 1 ? VIDEO : AUDIO, text, MXL_DEFAULT_HISTORY_NS, &def);
        if (st == MXL_STATUS_OK) {
            uint32_t c = def.config.common.maxCommitBatchSizeHint, s = def.config.common.maxSyncBatchSizeHint;
            if (mode == 1)
                FUZZ_ASSERT(c >= 1 && s >= 1, "hints %u/%u", c, s);
            /* what jansson sees as members, with the parser's own flags */
            json_t* root = json_loads(text, JSON_DECODE_INT_AS_REAL | JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, NULL);
            json_t* jc = json_is_object(root) ? json_object_get(root, "maxCommitBatchSizeHint") : NULL;
            json_t* js = json_is_object(root) ? json_object_get(root, "maxSyncBatchSizeHint") : NULL;
            if (jc) {
                double v = json_number_value(jc);
                FUZZ_ASSERT(json_is_number(jc) && v >= 1.0 && v < 4294967296.0 && c == (uint32_t)v,
                            "commit hint %u from %.17g", c, v);
            }
            if (js) {
                double v = json_number_value(js);
                FUZZ_ASSERT(json_is_number(js) && v >= 1.0 && v < 4294967296.0 && s == (uint32_t)v,
                            "sync hint %u from %.17g", s, v);
            }
            if (jc && js)
                FUZZ_ASSERT(s % c == 0, "sync %u not a multiple of commit %u", s, c);
            json_decref(root);
        } else {
            FUZZ_ASSERT(mxlGetLastErrorMessage()[0], "no message");
        }
    } else {
        int dfd = open(domain, O_RDONLY | O_DIRECTORY);
        int fd = openat(dfd, "options.json", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            ssize_t w = write(fd, text, strlen(text));
            (void)w;
            close(fd);
        }
        close(dfd);
        mxlInstance inst = mxlCreateInstance(domain, text);
        FUZZ_ASSERT(inst != NULL, "instance: %s", mxlGetLastErrorMessage());
        uint64_t h = 200000000ull;
        mxl_domain_options_history(text, &h);
        FUZZ_ASSERT(inst->history_ns == h || strlen(text) >= 65535, "instance history %llu vs %llu",
                    (unsigned long long)inst->history_ns, (unsigned long long)h);
        mxlDestroyInstance(inst);
    }
    free(text);
    return 0;
}
