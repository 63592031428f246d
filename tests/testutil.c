#define _GNU_SOURCE /* nftw, FTW_DEPTH, FTW_PHYS */
#include "testutil.h"

#include <dirent.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mxl_test_failures;
int mxl_test_checks;

int test_finish(char const* name)
{
    printf("%s: %d checks, %d failed\n", name, mxl_test_checks, mxl_test_failures);
    return mxl_test_failures == 0 ? 0 : 1;
}

static int rm_entry(char const* path, struct stat const* sb, int flag, struct FTW* ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void test_rmtree(char const* path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char paths[8][512];
static int next_path;

char const* test_domain(char const* name)
{
    char* p = paths[next_path++ % 8];
    snprintf(p, 512, "/dev/shm/mxl-test-%d-%s", (int)getpid(), name);
    test_rmtree(p);
    if (mkdir(p, 0755) != 0) {
        perror(p);
        exit(2);
    }
    return p;
}

char const* test_fixture_path(char const* rel)
{
    char* p = paths[next_path++ % 8];
    snprintf(p, 512, "%s/%s", MXL_FIXTURES_DIR, rel);
    return p;
}

char const* test_extract(char const* tarball, char const* name)
{
    char const* dir = test_domain(name);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "tar --sparse -xzf '%s' -C '%s'", tarball, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot extract %s\n", tarball);
        exit(2);
    }
    return dir;
}

char* test_read_file(char const* path, size_t* len)
{
    FILE* f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char* buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        if (len)
            *len = (size_t)n;
    }
    return buf;
}

int test_count_entries(char const* dir)
{
    DIR* d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent* e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}
