/* mxlrun: a Lua 5.4 host for MXL scripts, shaped like Lua's lua.c.
 *
 *   mxlrun [options] script.lua [args...]
 *   mxlrun [options] -m TOOL [args...]      (an installed tool: scripts/TOOL.lua, module mxl.scripts.TOOL)
 *
 * The `mxl` module is linked in, preloaded and set as the global `mxl`; mxl.default_domain is the chosen domain. Lua
 * modules are found next to the executable (<exe>/../share/lua/5.4, installed trees) and in the source tree's lua/
 * (build tree), with no environment set-up. SIGINT/SIGTERM follow the interruption model of lmxl.c: blocking MXL
 * calls return INTERRUPTED and the script finishes its own shutdown (or is stopped by the stop error); then the state
 * is closed (__gc: writers released, flows removed) and the exit code is 130 / 143 whatever the script returned, with
 * at most one plain line on stderr ("stopped (SIGINT)"). SIGPIPE is ignored, so a closed output pipe never kills the
 * process before its flows are released. A Lua error prints a traceback and exits with 1. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <mxl/mxl.h>

#include "lmxl_int.h"

LUALIB_API int luaopen_mxl(lua_State* L);

static char const* progname = "mxlrun";

/* Directory of the running executable in `out` ("" if unknown). */
static void exe_dir(char* out, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    out[0] = '\0';
    if (n <= 0)
        return;
    exe[n] = '\0';
    char* slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(out, size, "%s", exe);
}

/* Where tools (scripts/<name>.lua) are found, in order: installed next to this executable as the Lua modules
 * mxl.scripts.<name> (<exe>/../share/lua/5.4/mxl/scripts), then the source tree's scripts/ (build tree). Fills up to
 * two directories that exist; returns how many. */
static int tool_dirs(char dirs[2][PATH_MAX + 64])
{
    int n = 0;
    char exe[PATH_MAX];
    exe_dir(exe, sizeof exe);
    if (exe[0])
    {
        snprintf(dirs[n], sizeof dirs[n], "%s/../share/lua/5.4/mxl/scripts", exe);
        struct stat st;
        if (stat(dirs[n], &st) == 0 && S_ISDIR(st.st_mode))
            n++;
    }
#ifdef MXL_SCRIPTS_SOURCE_DIR
    {
        struct stat st;
        if (stat(MXL_SCRIPTS_SOURCE_DIR, &st) == 0 && S_ISDIR(st.st_mode))
            snprintf(dirs[n++], sizeof dirs[0], "%s", MXL_SCRIPTS_SOURCE_DIR);
    }
#endif
    return n;
}

static int cmp_names(void const* a, void const* b)
{
    return strcmp(*(char* const*)a, *(char* const*)b);
}

/* --help: the tool names found, sorted ("Tools (-m): data_probe, info, ..."), from the first directory that has any. */
static void list_tools(FILE* f)
{
    char dirs[2][PATH_MAX + 64];
    int nd = tool_dirs(dirs);
    for (int d = 0; d < nd; d++)
    {
        DIR* dir = opendir(dirs[d]);
        if (dir == NULL)
            continue;
        char* names[64];
        size_t count = 0;
        struct dirent* e;
        while ((e = readdir(dir)) != NULL && count < 64)
        {
            size_t len = strlen(e->d_name);
            if (len > 4 && strcmp(e->d_name + len - 4, ".lua") == 0 && (names[count] = strndup(e->d_name, len - 4)))
                count++;
        }
        closedir(dir);
        qsort(names, count, sizeof names[0], cmp_names);
        for (size_t i = 0; i < count; i++)
        {
            fprintf(f, "%s%s", i == 0 ? "Tools (-m): " : ", ", names[i]);
            free(names[i]);
        }
        if (count > 0)
        {
            fprintf(f, "\n");
            return;
        }
    }
}

static void usage(FILE* f)
{
    fprintf(f,
            "usage: %s [options] [script.lua [args...]]\n"
            "       %s [options] -m TOOL [args...]\n"
            "Options:\n"
            "  -d, --domain DIR  MXL domain directory (default: $MXL_DOMAIN, else /dev/shm/mxl); never created\n"
            "                    here (writers create it), a warning when it is not on tmpfs\n"
            "  -e CODE           execute the Lua string CODE\n"
            "  -l NAME           require library NAME into global NAME (-l g=mod: into global g)\n"
            "  -v, --version     show version information\n"
            "  -h, --help        show this help\n"
            "  --                stop handling options\n"
            "  -m TOOL           run the installed tool TOOL (test_pattern, info, verify, snapshot, sync_rig,\n"
            "                    data_probe, ...: scripts/TOOL.lua, installed as the module mxl.scripts.TOOL)\n"
            "  -                 run stdin as the script\n"
            "The script sees its arguments in `arg` and `...`; `mxl` is a global (and require \"mxl\") with\n"
            "mxl.default_domain set to the domain. SIGINT/SIGTERM: blocking MXL calls return INTERRUPTED and the\n"
            "script finishes; exit code 130/143 (docs/lua-api.md, Interruption).\n",
            progname, progname);
    list_tools(f);
}

static void message(char const* msg)
{
    fprintf(stderr, "%s: %s\n", progname, msg);
    fflush(stderr);
}

/* Error report for a failed protected call (non-string errors are described). */
static int report(lua_State* L, int status)
{
    if (status != LUA_OK)
    {
        char const* msg = lua_tostring(L, -1);
        if (msg == NULL)
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, -1));
        int sig = lmxl_caught_signal();
        if (sig != 0 && strstr(msg, "interrupted") != NULL)
        {
            /* the stop error, or the script's own error about an interrupted call: a normal way to stop */
            fprintf(stderr, "stopped (%s)\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            fflush(stderr);
        }
        else
            message(msg);
        lua_pop(L, 1);
    }
    return status;
}

/* Message handler: add a traceback (kept short for interrupts). */
static int msghandler(lua_State* L)
{
    char const* msg = lua_tostring(L, 1);
    if (msg == NULL)
    {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    if (lmxl_caught_signal() != 0)
    {
        lua_pushstring(L, msg);
        return 1;
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static int docall(lua_State* L, int narg, int nres)
{
    int base = lua_gettop(L) - narg;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    int status = lua_pcall(L, narg, nres, base);
    lua_remove(L, base);
    return status;
}

static int isdir(char const* path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Prepend module search paths computed from the executable's location. */
static void setup_paths(lua_State* L)
{
    char exe[PATH_MAX];
    exe_dir(exe, sizeof exe);
    int n = exe[0] != '\0';
    luaL_Buffer path, cpath;
    lua_getglobal(L, "package");
    luaL_buffinit(L, &path);
    if (n > 0)
    {
        char dir[PATH_MAX + 64];
        snprintf(dir, sizeof dir, "%s/../share/lua/5.4", exe);
        if (isdir(dir))
        {
            lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;", dir, dir);
            luaL_addvalue(&path);
        }
    }
#ifdef MXL_LUA_SOURCE_DIR
    if (isdir(MXL_LUA_SOURCE_DIR))
    {
        lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;", MXL_LUA_SOURCE_DIR, MXL_LUA_SOURCE_DIR);
        luaL_addvalue(&path);
    }
#endif
    lua_getfield(L, -2, "path");
    luaL_addvalue(&path);
    luaL_pushresult(&path);
    lua_setfield(L, -2, "path");

    luaL_buffinit(L, &cpath);
    if (n > 0)
    {
        char dir[PATH_MAX + 64];
        snprintf(dir, sizeof dir, "%s/../lib/lua/5.4", exe);
        if (isdir(dir))
        {
            lua_pushfstring(L, "%s/?.so;", dir);
            luaL_addvalue(&cpath);
        }
    }
    lua_getfield(L, -2, "cpath");
    luaL_addvalue(&cpath);
    luaL_pushresult(&cpath);
    lua_setfield(L, -2, "cpath");

    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, luaopen_mxl);
    lua_setfield(L, -2, "mxl");
    lua_pop(L, 2);
}

/* os.exit([code [, close]]) under mxlrun: closes the state unless `close` is false (so writers are released and
 * flows removed), and exits with 128 + signal after a SIGINT/SIGTERM whatever `code` says. */
static int l_exit(lua_State* L)
{
    int status;
    if (lua_isboolean(L, 1))
        status = lua_toboolean(L, 1) ? EXIT_SUCCESS : EXIT_FAILURE;
    else
        status = (int)luaL_optinteger(L, 1, EXIT_SUCCESS);
    int close = lua_isnoneornil(L, 2) ? 1 : lua_toboolean(L, 2);
    if (close)
        lua_close(L);
    int sig = lmxl_caught_signal();
    if (sig != 0)
        status = 128 + sig;
    exit(status);
}

static int dolibrary(lua_State* L, char const* spec)
{
    char const* eq = strchr(spec, '=');
    char const* mod = eq ? eq + 1 : spec;
    lua_getglobal(L, "require");
    lua_pushstring(L, mod);
    int status = docall(L, 1, 1);
    if (status == LUA_OK)
    {
        if (eq)
            lua_pushlstring(L, spec, (size_t)(eq - spec));
        else
        {
            char const* dot = strrchr(mod, '.');
            lua_pushstring(L, dot ? dot + 1 : mod);
        }
        lua_insert(L, -2);
        lua_setglobal(L, lua_tostring(L, -2));
        lua_pop(L, 1);
    }
    return report(L, status);
}

typedef struct opts
{
    char const* domain;
    int script; /* argv index of the script (or of the -m tool name), 0 = none */
    int tool;   /* the script is a tool name given with -m */
    int version;
} opts;

/* First pass over argv: validate options, find the script. Returns 0, or -1 on a usage error. */
static int parse(int argc, char** argv, opts* o)
{
    for (int i = 1; i < argc; i++)
    {
        char const* a = argv[i];
        if (a[0] != '-' || strcmp(a, "-") == 0)
        {
            o->script = i;
            return 0;
        }
        if (strcmp(a, "--") == 0)
        {
            o->script = i + 1 < argc ? i + 1 : 0;
            return 0;
        }
        if (strcmp(a, "-m") == 0)
        {
            if (i + 1 >= argc)
            {
                fprintf(stderr, "%s: '-m' needs a tool name\n", progname);
                return -1;
            }
            o->script = i + 1;
            o->tool = 1;
            return 0;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
        {
            usage(stdout);
            exit(0);
        }
        else if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0)
            o->version = 1;
        else if (strcmp(a, "-d") == 0 || strcmp(a, "--domain") == 0 || strcmp(a, "-e") == 0 ||
                 strcmp(a, "-l") == 0)
        {
            if (i + 1 >= argc)
            {
                fprintf(stderr, "%s: '%s' needs an argument\n", progname, a);
                return -1;
            }
            if (strcmp(a, "-d") == 0 || strcmp(a, "--domain") == 0)
                o->domain = argv[i + 1];
            i++;
        }
        else if (strncmp(a, "--domain=", 9) == 0)
            o->domain = a + 9;
        else
        {
            fprintf(stderr, "%s: unrecognized option '%s'\n", progname, a);
            return -1;
        }
    }
    return 0;
}

/* arg table as in lua.c: arg[0] = script, arg[1..] = script args, negative = interpreter and options. */
static void create_arg_table(lua_State* L, int argc, char** argv, int script)
{
    int s = script ? script : argc;
    lua_createtable(L, argc - s, s + 1);
    for (int i = 0; i < argc; i++)
    {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - s);
    }
    lua_setglobal(L, "arg");
}

/* Path of tool `name` ("info" or "info.lua"): see tool_dirs, then the module mxl.scripts.<name> on package.path.
 * Returns 0, or -1 after printing why. */
static int find_tool(lua_State* L, char const* name, char* out, size_t size)
{
    size_t len = strlen(name);
    if (len > 4 && strcmp(name + len - 4, ".lua") == 0)
        len -= 4;
    if (len == 0 || memchr(name, '/', len) != NULL || memchr(name, '.', len) != NULL)
    {
        fprintf(stderr, "%s: -m takes a tool name such as info or test_pattern, not '%s' (run a file without -m)\n",
                progname, name);
        return -1;
    }
    char dirs[2][PATH_MAX + 64];
    int nd = tool_dirs(dirs);
    for (int d = 0; d < nd; d++)
    {
        int w = snprintf(out, size, "%s/%.*s.lua", dirs[d], (int)len, name);
        if (w > 0 && (size_t)w < size && access(out, R_OK) == 0)
            return 0;
    }
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "searchpath");
    lua_pushfstring(L, "mxl.scripts.%s", lua_pushlstring(L, name, len));
    lua_remove(L, -2);
    lua_getfield(L, -3, "path");
    lua_call(L, 2, 2);
    if (lua_isstring(L, -2))
    {
        snprintf(out, size, "%s", lua_tostring(L, -2));
        lua_pop(L, 3);
        return 0;
    }
    fprintf(stderr, "%s: no tool '%.*s' (mxlrun --help lists them)\n", progname, (int)len, name);
    lua_pop(L, 3);
    return -1;
}

static int run(lua_State* L, int argc, char** argv, opts const* o)
{
    /* -e and -l in order of appearance */
    int end = o->script ? o->script : argc;
    for (int i = 1; i < end; i++)
    {
        char const* a = argv[i];
        if (strcmp(a, "-e") == 0)
        {
            if (report(L, luaL_loadbuffer(L, argv[i + 1], strlen(argv[i + 1]), "=(command line)")) != LUA_OK)
                return 1;
            if (report(L, docall(L, 0, 0)) != LUA_OK)
                return 1;
            i++;
        }
        else if (strcmp(a, "-l") == 0)
        {
            if (dolibrary(L, argv[i + 1]) != LUA_OK)
                return 1;
            i++;
        }
        else if (strcmp(a, "-d") == 0 || strcmp(a, "--domain") == 0)
            i++;
    }
    if (!o->script)
        return 0;
    char const* fname = argv[o->script];
    char toolpath[PATH_MAX + 128];
    if (o->tool)
    {
        if (find_tool(L, fname, toolpath, sizeof toolpath) != 0)
            return 1;
        fname = toolpath;
        lua_getglobal(L, "arg"); /* arg[0] is the tool's file, as for a script */
        lua_pushstring(L, fname);
        lua_rawseti(L, -2, 0);
        lua_pop(L, 1);
    }
    else if (strcmp(fname, "-") == 0 && strcmp(argv[o->script - 1], "--") != 0)
        fname = NULL; /* stdin */
    if (report(L, luaL_loadfile(L, fname)) != LUA_OK)
        return 1;
    int nargs = argc - o->script - 1;
    luaL_checkstack(L, nargs + 3, "too many arguments to script");
    for (int i = o->script + 1; i < argc; i++)
        lua_pushstring(L, argv[i]);
    return report(L, docall(L, nargs, 0)) == LUA_OK ? 0 : 1;
}

int main(int argc, char** argv)
{
    signal(SIGPIPE, SIG_IGN); /* a closed pipe gives EPIPE to the writer, never kills us with flows held */
    if (argv[0] && argv[0][0])
    {
        char const* slash = strrchr(argv[0], '/');
        progname = slash ? slash + 1 : argv[0];
    }
    opts o = {NULL, 0, 0, 0};
    if (parse(argc, argv, &o) != 0)
    {
        usage(stderr);
        return 1;
    }
    if (o.version)
    {
        mxlVersionType v;
        memset(&v, 0, sizeof v);
        mxlGetVersion(&v);
        printf("mxlrun (libmxl %s) %s\n", v.full ? v.full : "?", LUA_RELEASE);
        if (!o.script)
        {
            int only = 1; /* -v alone: exit like lua -v */
            for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "-e") == 0 || strcmp(argv[i], "-l") == 0)
                    only = 0;
            if (only)
                return 0;
        }
    }
    int has_work = o.script != 0;
    for (int i = 1; i < argc && !has_work; i++)
        if (strcmp(argv[i], "-e") == 0 || strcmp(argv[i], "-l") == 0)
            has_work = 1;
    if (!has_work)
    {
        usage(stderr);
        return 1;
    }

    char const* domain = o.domain;
    if (domain == NULL || *domain == '\0')
    {
        char const* env = getenv("MXL_DOMAIN");
        domain = (env && *env) ? env : "/dev/shm/mxl";
    }
    /* Never created here: readers and tools report a missing domain, writers (test_pattern) create it. */
    bool tmpfs = false;
    if (isdir(domain) && (mxlIsTmpFs(domain, &tmpfs) != MXL_STATUS_OK || !tmpfs))
        fprintf(stderr, "%s: warning: domain '%s' is not on tmpfs; flows will live on disk\n", progname, domain);
    setenv("MXL_DOMAIN", domain, 1); /* child processes inherit the choice */

    lua_State* L = luaL_newstate();
    if (L == NULL)
    {
        message("cannot create state: not enough memory");
        return 1;
    }
    luaL_openlibs(L);
    lmxl_install_signal_handlers(L);
    setup_paths(L);
    lua_getglobal(L, "os");
    lua_pushcfunction(L, l_exit);
    lua_setfield(L, -2, "exit");
    lua_pop(L, 1);
    create_arg_table(L, argc, argv, o.script);
    /* require "mxl" now, so the script sees the domain in mxl.default_domain; `mxl` is also a global (-e) */
    int rc;
    lua_getglobal(L, "require");
    lua_pushliteral(L, "mxl");
    if (report(L, docall(L, 1, 1)) == LUA_OK)
    {
        lua_pushstring(L, domain);
        lua_setfield(L, -2, "default_domain");
        lua_setglobal(L, "mxl");
        rc = run(L, argc, argv, &o);
    }
    else
        rc = 1;
    int sig = lmxl_caught_signal();
    lua_close(L); /* __gc: writers released, instances destroyed */
    if (sig != 0)
        return 128 + sig;
    return rc;
}
