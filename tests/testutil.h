/* Minimal test helpers: each tests/test_*.c is one ctest executable; a failed CHECK prints where and why and makes
 * the executable exit non-zero. */
#ifndef MXL_TESTUTIL_H
#define MXL_TESTUTIL_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <mxl/ext.h>
#include <mxl/flow.h>
#include <mxl/mxl.h>
#include <mxl/time.h>

extern int mxl_test_failures;
extern int mxl_test_checks;

#define CHECK(cond)                                                                                               \
    do {                                                                                                          \
        mxl_test_checks++;                                                                                        \
        if (!(cond)) {                                                                                            \
            mxl_test_failures++;                                                                                  \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                              \
        }                                                                                                         \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                                      \
    do {                                                                                                          \
        mxl_test_checks++;                                                                                        \
        if (!(cond)) {                                                                                            \
            mxl_test_failures++;                                                                                  \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);                              \
            fprintf(stderr, __VA_ARGS__);                                                                         \
            fputc('\n', stderr);                                                                                  \
        }                                                                                                         \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                                                        \
    do {                                                                                                          \
        uint64_t va_ = (uint64_t)(a), vb_ = (uint64_t)(b);                                                        \
        CHECK_MSG(va_ == vb_, "%s = %" PRIu64 ", expected %s = %" PRIu64, #a, va_, #b, vb_);                    \
    } while (0)

#define CHECK_STATUS(expr, expected)                                                                              \
    do {                                                                                                          \
        mxlStatus st_ = (expr);                                                                                   \
        CHECK_MSG(st_ == (expected), "%s returned %s, expected %s (last error: %s)", #expr, mxlStatusName(st_),  \
                  mxlStatusName(expected), mxlGetLastErrorMessage());                                             \
    } while (0)

/* Print a summary line and return the process exit code. */
int test_finish(char const* name);

/* A fresh, empty domain directory on /dev/shm (tmpfs), unique per process and `name`. Returns a static-lifetime
 * string owned by the helper (up to 8 live at once). */
char const* test_domain(char const* name);
/* Delete a directory tree (rm -rf). */
void test_rmtree(char const* path);
/* Path of a file in tests/fixtures (the upstream fixtures, tests/fixtures/README.md). */
char const* test_fixture_path(char const* rel);
/* Extract a tar.gz into a fresh directory on /dev/shm and return that directory. */
char const* test_extract(char const* tarball, char const* name);
/* Number of entries of a directory other than . and .., or -1 if it cannot be read. */
int test_count_entries(char const* dir);
/* Read a whole file into a malloc'd NUL-terminated buffer (NULL on failure); *len gets its size (nullable). */
char* test_read_file(char const* path, size_t* len);

#endif
