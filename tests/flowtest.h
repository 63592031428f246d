/* Shared helpers of the flow tests (test_discrete, test_continuous, test_instance, test_gc, test_syncgroup, ...):
 * NMOS flow definitions, child processes, shared control pages and polling. Header-only (static functions) so each
 * test executable stays self-contained. */
#ifndef MXL_FLOWTEST_H
#define MXL_FLOWTEST_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define FT_UNUSED __attribute__((unused))

/* ---- flow definitions ----------------------------------------------------------------------------------------- */

static FT_UNUSED char* ft_video_def(char const* id, int width, int height, long long num, long long den,
                                    char const* media_type, char const* interlace)
{
    char* s = malloc(2048);
    snprintf(s, 2048,
             "{\"id\": \"%s\", \"description\": \"mxl test\", \"label\": \"mxl test video\","
             " \"format\": \"urn:x-nmos:format:video\","
             " \"tags\": {\"urn:x-nmos:tag:grouphint/v1.0\": [\"mxl-test:Video\"]},"
             " \"media_type\": \"%s\", \"grain_rate\": {\"numerator\": %lld, \"denominator\": %lld},"
             " \"frame_width\": %d, \"frame_height\": %d, \"interlace_mode\": \"%s\", \"colorspace\": \"BT709\","
             " \"parents\": []}",
             id, media_type, num, den, width, height, interlace ? interlace : "progressive");
    return s;
}

static FT_UNUSED char* ft_audio_def(char const* id, long long rate, int channels, int bit_depth)
{
    char* s = malloc(2048);
    snprintf(s, 2048,
             "{\"id\": \"%s\", \"description\": \"mxl test\", \"label\": \"mxl test audio\","
             " \"format\": \"urn:x-nmos:format:audio\","
             " \"tags\": {\"urn:x-nmos:tag:grouphint/v1.0\": [\"mxl-test:Audio\"]},"
             " \"media_type\": \"audio/float32\", \"sample_rate\": {\"numerator\": %lld},"
             " \"channel_count\": %d, \"bit_depth\": %d, \"parents\": []}",
             id, rate, channels, bit_depth);
    return s;
}

static FT_UNUSED char* ft_data_def(char const* id, long long num, long long den)
{
    char* s = malloc(2048);
    snprintf(s, 2048,
             "{\"id\": \"%s\", \"description\": \"mxl test\", \"label\": \"mxl test data\","
             " \"format\": \"urn:x-nmos:format:data\","
             " \"tags\": {\"urn:x-nmos:tag:grouphint/v1.0\": [\"mxl-test:Data\"]},"
             " \"media_type\": \"video/smpte291\", \"grain_rate\": {\"numerator\": %lld, \"denominator\": %lld},"
             " \"parents\": []}",
             id, num, den);
    return s;
}

/* ---- processes ------------------------------------------------------------------------------------------------ */

/* Run fn(arg) in a child process; the child exits 0 when none of its CHECKs failed. */
static FT_UNUSED pid_t ft_spawn(void (*fn)(void*), void* arg)
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
        fn(arg);
        fflush(stdout);
        fflush(stderr);
        _exit(mxl_test_failures == 0 ? 0 : 1);
    }
    return pid;
}

/* Wait for a child: its exit code, or 128 + signal. */
static FT_UNUSED int ft_reap(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

#define FT_NOBODY 65534

/* Run fn(arg) in a child process as the unprivileged user nobody (uid/gid 65534). */
static FT_UNUSED void ft_as_nobody_trampoline(void* a)
{
    void** p = a;
    if (setgroups(0, NULL) != 0 || setgid(FT_NOBODY) != 0 || setuid(FT_NOBODY) != 0) {
        CHECK_MSG(false, "cannot drop privileges to %d: %s", FT_NOBODY, strerror(errno));
        return;
    }
    ((void (*)(void*))p[0])(p[1]);
}

static FT_UNUSED int ft_run_as_nobody(void (*fn)(void*), void* arg)
{
    void* p[2] = {(void*)fn, arg};
    return ft_reap(ft_spawn(ft_as_nobody_trampoline, p));
}

/* A zeroed page (or more) shared with children forked after this call. */
static FT_UNUSED void* ft_shared(size_t size)
{
    void* p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    return p;
}

static FT_UNUSED void ft_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static FT_UNUSED uint64_t ft_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Wait until *flag reaches at least `value` (set by another process), at most timeout_ms. */
static FT_UNUSED bool ft_wait_flag(int volatile* flag, int value, int timeout_ms)
{
    uint64_t end = ft_mono_ns() + (uint64_t)timeout_ms * 1000000ULL;
    while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) < value) {
        if (ft_mono_ns() > end)
            return false;
        ft_sleep_ms(1);
    }
    return true;
}

static FT_UNUSED void ft_set_flag(int volatile* flag, int value)
{
    __atomic_store_n(flag, value, __ATOMIC_RELEASE);
}

/* ---- files ---------------------------------------------------------------------------------------------------- */

static FT_UNUSED bool ft_exists(char const* path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static FT_UNUSED uint64_t ft_inode(char const* path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static FT_UNUSED bool ft_contains(char const* haystack, char const* needle)
{
    return haystack != NULL && strstr(haystack, needle) != NULL;
}

/* Count entries of `dir` whose name starts with `prefix`. */
#include <dirent.h>
static FT_UNUSED int ft_count_prefix(char const* dir, char const* prefix)
{
    DIR* d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent* e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(d);
    return n;
}

/* Entries of `dir` other than . and .. */
static FT_UNUSED int ft_count_entries(char const* dir)
{
    return test_count_entries(dir);
}

#endif
