/* Helpers of the reliability tests (test_hostile, test_crash, test_races): flow definitions, child processes with
 * a watchdog, file surgery and tmpfs accounting. Header-only (static functions). */
#ifndef MXL_RELTEST_H
#define MXL_RELTEST_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define RT_UNUSED __attribute__((unused))

/* A small v210 video definition (width x height at num/den). */
static RT_UNUSED char* rt_video_def(char const* id, int width, int height, long long num, long long den,
                                    char const* media_type)
{
    size_t n = strlen(id) + 1024;
    char* s = malloc(n);
    snprintf(s, n,
             "{\"id\":\"%s\",\"label\":\"rel\",\"format\":\"urn:x-nmos:format:video\","
             "\"tags\":{\"urn:x-nmos:tag:grouphint/v1.0\":[\"rel:v\"]},\"media_type\":\"%s\","
             "\"grain_rate\":{\"numerator\":%lld,\"denominator\":%lld},\"frame_width\":%d,\"frame_height\":%d,"
             "\"interlace_mode\":\"progressive\"}",
             id, media_type, num, den, width, height);
    return s;
}

static RT_UNUSED char* rt_audio_def(char const* id, long long rate, int channels)
{
    char* s = malloc(1024);
    snprintf(s, 1024,
             "{\"id\":\"%s\",\"label\":\"rel\",\"format\":\"urn:x-nmos:format:audio\","
             "\"tags\":{\"urn:x-nmos:tag:grouphint/v1.0\":[\"rel:a\"]},\"media_type\":\"audio/float32\","
             "\"sample_rate\":{\"numerator\":%lld},\"bit_depth\":32,\"channel_count\":%d}",
             id, rate, channels);
    return s;
}

static RT_UNUSED char* rt_data_def(char const* id, long long num, long long den)
{
    char* s = malloc(1024);
    snprintf(s, 1024,
             "{\"id\":\"%s\",\"label\":\"rel\",\"format\":\"urn:x-nmos:format:data\","
             "\"tags\":{\"urn:x-nmos:tag:grouphint/v1.0\":[\"rel:d\"]},\"media_type\":\"video/smpte291\","
             "\"grain_rate\":{\"numerator\":%lld,\"denominator\":%lld}}",
             id, num, den);
    return s;
}

/* The last error message contains `sub`. */
static RT_UNUSED bool rt_msg_has(char const* sub)
{
    return strstr(mxlGetLastErrorMessage(), sub) != NULL;
}

/* status == expected and the message contains `sub`; prints both on failure. */
#define CHECK_FAIL(expr, expected, sub)                                                                           \
    do {                                                                                                          \
        mxlStatus st_ = (expr);                                                                                   \
        CHECK_MSG(st_ == (expected) && rt_msg_has(sub), "%s returned %s, expected %s with \"%s\" (message: %s)", \
                  #expr, mxlStatusName(st_), mxlStatusName(expected), sub, mxlGetLastErrorMessage());            \
    } while (0)

static RT_UNUSED int64_t rt_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Run fn(arg) in a child process with a watchdog of `seconds` (SIGALRM kills a hung child). Returns the child's
 * exit code, or 128 + signal when it died from a signal. The child exits 0 when none of its CHECKs failed. */
static RT_UNUSED int rt_run_child(void (*fn)(void*), void* arg, unsigned seconds)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        mxl_test_failures = 0;
        alarm(seconds);
        fn(arg);
        fflush(stdout);
        fflush(stderr);
        _exit(mxl_test_failures == 0 ? 0 : 1);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* Sum of st_blocks * 512 of everything under `path` (not following symlinks). */
static RT_UNUSED uint64_t rt_tree_bytes(char const* path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    uint64_t total = (uint64_t)st.st_blocks * 512u;
    if (!S_ISDIR(st.st_mode))
        return total;
    DIR* d = opendir(path);
    if (d == NULL)
        return total;
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        total += rt_tree_bytes(sub);
    }
    closedir(d);
    return total;
}

/* Number of entries in a directory (without . and ..), -1 if it cannot be read. */
static RT_UNUSED int rt_count_entries(char const* path)
{
    return test_count_entries(path);
}

/* Overwrite `len` bytes at `off` of file `path`. */
static RT_UNUSED bool rt_poke(char const* path, off_t off, void const* buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = pwrite(fd, buf, len, off) == (ssize_t)len;
    close(fd);
    return ok;
}

static RT_UNUSED bool rt_truncate(char const* path, off_t len)
{
    return truncate(path, len) == 0;
}

/* Copy a directory tree (regular files, directories) with cp -a. */
static RT_UNUSED bool rt_copy_tree(char const* from, char const* to)
{
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", to, from, to);
    return system(cmd) == 0;
}

#endif
