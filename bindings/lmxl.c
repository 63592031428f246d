/* The `mxl` Lua module: entry point, error convention, interrupt handling, the instance object and the
 * library-level helpers (version, status codes, ids, URIs, flow-definition parsing).
 *
 * Error convention (luv style): misuse (wrong type, closed object, bad argument) raises; an expected runtime
 * outcome returns nil, message, code, where code is mxlStatusCode() ("TOO_LATE", "NOT_FOUND", ...) or "TIMEOUT"
 * for a blocking call that reached its deadline. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>

#include "lmxl_int.h"

/* ---- errors ------------------------------------------------------------------------------------------------- */

/* Message of the failed call: the core's last message when it belongs to this status, else the generic text. */
static char const* fail_message(mxlStatus st)
{
    char const* msg = NULL;
    if (mxlGetLastErrorStatus() == st)
        msg = mxlGetLastErrorMessage();
    if (msg == NULL || *msg == '\0')
        msg = mxlStatusMessage(st);
    return msg;
}

int lmxl_fail(lua_State* L, mxlStatus st, char const* code)
{
    if (st == MXL_ERR_INTERRUPTED)
        lmxl_interrupted_result(L); /* may raise the stop error instead */
    lua_pushnil(L);
    lua_pushstring(L, fail_message(st));
    lua_pushstring(L, code ? code : mxlStatusCode(st));
    return 3;
}

int lmxl_fail_wait(lua_State* L, mxlStatus st, uint64_t timeout_ns)
{
    if (st != MXL_ERR_OUT_OF_RANGE_TOO_EARLY)
        return lmxl_fail(L, st, NULL);
    char const* msg = fail_message(st);
    lua_pushnil(L);
    if (strncmp(msg, "timed out", 9) == 0) /* the core already says so */
        lua_pushstring(L, msg);
    else
        lua_pushfstring(L, "timed out after %I ns: %s", (lua_Integer)timeout_ns, msg);
    lua_pushliteral(L, "TIMEOUT");
    return 3;
}

uint64_t lmxl_checku64(lua_State* L, int idx)
{
    return (uint64_t)luaL_checkinteger(L, idx);
}

uint64_t lmxl_optu64(lua_State* L, int idx, uint64_t def)
{
    return lua_isnoneornil(L, idx) ? def : (uint64_t)luaL_checkinteger(L, idx);
}

char const* lmxl_formatname(uint32_t format)
{
    switch (format)
    {
        case MXL_DATA_FORMAT_VIDEO: return "video";
        case MXL_DATA_FORMAT_AUDIO: return "audio";
        case MXL_DATA_FORMAT_DATA: return "data";
        default: return "unspecified";
    }
}

/* ---- interrupts --------------------------------------------------------------------------------------------- */

/* The model (docs/lua-api.md, Interruption): the first SIGINT/SIGTERM sets the interrupt flag, so every blocking call
 * returns nil, msg, "INTERRUPTED" at once and the script finishes its own shutdown. A script that calls a blocking
 * function again after it was told (it ignored the result) gets the stop error instead; a second signal raises the
 * stop error at the next Lua instruction (a script busy in pure Lua); a third restores the default action and
 * re-raises it (the process dies at once, its flows are left to garbage collection). The stop error is the string
 * "interrupted (SIGINT)" without a position. */
static volatile sig_atomic_t intr_flag = 0;
static volatile sig_atomic_t intr_signal = 0;
static volatile sig_atomic_t intr_count = 0; /* signals received */
static int intr_told = 0;                    /* a blocking call returned INTERRUPTED to Lua after a signal */
static lua_State* volatile intr_L = NULL;    /* main thread that gets the stop hook, or NULL */
static int intr_registered = 0;
static int handlers_installed = 0;
static struct sigaction old_int, old_term;

static void register_flag(void)
{
    if (!intr_registered)
    {
        mxlSetInterruptFlag(&intr_flag);
        intr_registered = 1;
    }
}

static char const* signal_name(void)
{
    return intr_signal == SIGTERM ? "SIGTERM" : "SIGINT";
}

/* Raise the stop error (never returns). */
static int raise_stop(lua_State* L)
{
    lua_pushfstring(L, "interrupted (%s)", signal_name());
    return lua_error(L);
}

/* Count hook set by the second signal: raises once at the next Lua instruction (like lua.c's lstop). */
static void intr_hook(lua_State* L, lua_Debug* ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    raise_stop(L);
}

static void on_signal(int sig)
{
    if (intr_signal == 0)
        intr_signal = sig;
    intr_flag = 1;
    intr_count++;
    if (intr_count >= 3)
    {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    lua_State* L = intr_L;
    if (intr_count == 2 && L != NULL)
        lua_sethook(L, intr_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

void lmxl_interrupted_result(lua_State* L)
{
    if (intr_signal == 0)
        return; /* flag set by hand (mxl.interrupt): report, never stop */
    if (intr_told)
        raise_stop(L);
    intr_told = 1;
}

static void uninstall_handlers(void)
{
    intr_L = NULL;
    if (handlers_installed)
    {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        handlers_installed = 0;
    }
}

/* __gc of the registry sentinel: the state is closing, stop pointing the handler at it. */
static int sentinel_gc(lua_State* L)
{
    (void)L;
    uninstall_handlers();
    return 0;
}

void lmxl_install_signal_handlers(lua_State* L)
{
    register_flag();
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
    lua_State* main = lua_tothread(L, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, LUA_REGISTRYINDEX, "mxl.signal_sentinel") == LUA_TNIL)
    {
        lua_newuserdatauv(L, 1, 0);
        lua_newtable(L);
        lua_pushcfunction(L, sentinel_gc);
        lua_setfield(L, -2, "__gc");
        lua_setmetatable(L, -2);
        lua_setfield(L, LUA_REGISTRYINDEX, "mxl.signal_sentinel");
    }
    lua_pop(L, 1);
    intr_L = main;
    if (!handlers_installed)
    {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0; /* no SA_RESTART: blocking syscalls return EINTR */
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        handlers_installed = 1;
    }
}

int lmxl_is_interrupted(void)
{
    return intr_flag != 0;
}

int lmxl_caught_signal(void)
{
    return (int)intr_signal;
}

/* mxl.interrupted() -> bool [, "SIGINT"|"SIGTERM"]: whether the interrupt flag is set. */
static int l_interrupted(lua_State* L)
{
    lua_pushboolean(L, intr_flag != 0);
    if (intr_flag && intr_signal)
    {
        lua_pushstring(L, signal_name());
        return 2;
    }
    return 1;
}

/* mxl.interrupt([on=true]): set or clear the interrupt flag by hand (blocking waits return INTERRUPTED while set).
 * Clearing also forgets a caught signal. */
static int l_interrupt(lua_State* L)
{
    int on = lua_isnone(L, 1) ? 1 : lua_toboolean(L, 1);
    register_flag();
    intr_flag = on ? 1 : 0;
    if (!on)
    {
        intr_signal = 0;
        intr_count = 0;
        intr_told = 0;
        if (intr_L != NULL)
            lua_sethook(intr_L, NULL, 0, 0);
    }
    return 0;
}

/* mxl.set_interrupt_handling(on): install (or remove) the SIGINT/SIGTERM handlers of the interruption model. */
static int l_set_interrupt_handling(lua_State* L)
{
    luaL_checkany(L, 1);
    if (lua_toboolean(L, 1))
        lmxl_install_signal_handlers(L);
    else
        uninstall_handlers();
    return 0;
}

/* ---- instance ----------------------------------------------------------------------------------------------- */

static lmxl_instance* toinstance(lua_State* L, int idx)
{
    return (lmxl_instance*)luaL_checkudata(L, idx, LMXL_INSTANCE_MT);
}

lmxl_instance* lmxl_checkinstance(lua_State* L, int idx)
{
    lmxl_instance* in = toinstance(L, idx);
    if (!in->open)
        luaL_error(L, "attempt to use a closed mxl instance");
    return in;
}

void* lmxl_newchild(lua_State* L, size_t size, int nuv, char const* mt, int inst_idx)
{
    inst_idx = lua_absindex(L, inst_idx);
    lmxl_child* c = (lmxl_child*)lua_newuserdatauv(L, size, nuv);
    memset(c, 0, size);
    c->inst = (lmxl_instance*)lua_touserdata(L, inst_idx);
    luaL_setmetatable(L, mt);
    lua_pushvalue(L, inst_idx);
    lua_setiuservalue(L, -2, 1);
    lua_getiuservalue(L, inst_idx, 1); /* children registry */
    lua_pushvalue(L, -2);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    return c;
}

mxlStatus lmxl_closechild(lmxl_child* c)
{
    if (!c->open)
        return MXL_STATUS_OK;
    c->open = 0; /* views raise from now on */
    if (!c->inst->open)
        return MXL_STATUS_OK; /* cannot happen: the instance closes its children first */
    return c->release(c);
}

/* Close the instance at `idx`: close children (groups first, then writers and readers), then destroy. */
static mxlStatus instance_close(lua_State* L, int idx)
{
    lmxl_instance* in = toinstance(L, idx);
    if (!in->open)
        return MXL_STATUS_OK;
    if (lua_getiuservalue(L, idx, 1) == LUA_TTABLE)
    {
        for (int pass = 0; pass < 2; pass++)
        {
            lua_pushnil(L);
            while (lua_next(L, -2))
            {
                lmxl_child* c = (lmxl_child*)lua_touserdata(L, -2);
                if (c != NULL && c->is_group == (pass == 0))
                    lmxl_closechild(c);
                lua_pop(L, 1);
            }
        }
    }
    lua_pop(L, 1);
    in->open = 0;
    mxlStatus st = mxlDestroyInstance(in->h);
    in->h = NULL;
    return st;
}

/* inst:close() -> true | nil, msg, code. Also __gc and __close. Safe to call twice. */
static int inst_close(lua_State* L)
{
    mxlStatus st = instance_close(L, 1);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lua_pushboolean(L, 1);
    return 1;
}

static int inst_gc(lua_State* L)
{
    instance_close(L, 1);
    return 0;
}

static int inst_tostring(lua_State* L)
{
    lmxl_instance* in = toinstance(L, 1);
    if (in->open)
        lua_pushfstring(L, "mxl.instance (%s)", mxlInstanceGetDomain(in->h));
    else
        lua_pushliteral(L, "mxl.instance (closed)");
    return 1;
}

/* mxl.instance([domain [, options]]) -> inst | nil, msg, code. domain defaults to mxl.default_domain; options is
 * a JSON string or table (parsed by the core, otherwise unused). */
static int l_instance(lua_State* L)
{
    char const* domain;
    if (lua_isnoneornil(L, 1))
    {
        lua_getfield(L, lua_upvalueindex(1), "default_domain");
        domain = lua_tostring(L, -1);
        if (domain == NULL)
            return luaL_error(L, "mxl.default_domain is not a string");
        lua_replace(L, 1);
    }
    else
        domain = luaL_checkstring(L, 1);
    lua_settop(L, 2);
    char const* options = lmxl_tojsonarg(L, 2, 1);
    lmxl_instance* in = (lmxl_instance*)lua_newuserdatauv(L, sizeof *in, 1);
    in->open = 0;
    in->h = NULL;
    luaL_setmetatable(L, LMXL_INSTANCE_MT);
    lua_newtable(L); /* children registry, weak keys */
    lua_newtable(L);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setiuservalue(L, -2, 1);
    in->h = mxlCreateInstance(domain, options);
    if (in->h == NULL)
    {
        mxlStatus st = mxlGetLastErrorStatus();
        return lmxl_fail(L, st == MXL_STATUS_OK ? MXL_ERR_UNKNOWN : st, NULL);
    }
    in->open = 1;
    return 1;
}

/* inst:domain() -> canonical domain directory. */
static int inst_domain(lua_State* L)
{
    lmxl_instance* in = lmxl_checkinstance(L, 1);
    lua_pushstring(L, mxlInstanceGetDomain(in->h));
    return 1;
}

/* inst:is_active(flow_id) -> bool | nil, msg, code. */
static int inst_is_active(lua_State* L)
{
    lmxl_instance* in = lmxl_checkinstance(L, 1);
    char const* id = luaL_checkstring(L, 2);
    bool active = false;
    mxlStatus st = mxlIsFlowActive(in->h, id, &active);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lua_pushboolean(L, active);
    return 1;
}

/* Push the stored flow_def.json text of flow `id`; returns 1, or 3 on failure. */
static int push_flow_def(lua_State* L, lmxl_instance* in, char const* id)
{
    char small[4096];
    size_t size = sizeof small;
    mxlStatus st = mxlGetFlowDef(in->h, id, small, &size);
    if (st == MXL_STATUS_OK)
    {
        lua_pushlstring(L, small, size > 0 ? size - 1 : 0);
        return 1;
    }
    if (st != MXL_ERR_INVALID_ARG || size <= sizeof small)
        return lmxl_fail(L, st, NULL);
    for (int tries = 0; tries < 4; tries++) /* the file may be replaced between calls: retry a few times */
    {
        char* buf = (char*)lua_newuserdatauv(L, size, 0);
        size_t have = size;
        st = mxlGetFlowDef(in->h, id, buf, &have);
        if (st == MXL_STATUS_OK)
        {
            lua_pushlstring(L, buf, have > 0 ? have - 1 : 0);
            return 1;
        }
        lua_pop(L, 1);
        if (st != MXL_ERR_INVALID_ARG || have <= size)
            break;
        size = have;
    }
    return lmxl_fail(L, st, NULL);
}

/* inst:flow_def(flow_id) -> JSON text | nil, msg, code. */
static int inst_flow_def(lua_State* L)
{
    lmxl_instance* in = lmxl_checkinstance(L, 1);
    return push_flow_def(L, in, luaL_checkstring(L, 2));
}

/* inst:flow_def_table(flow_id) -> decoded table (integers stay integers) | nil, msg, code. */
static int inst_flow_def_table(lua_State* L)
{
    lmxl_instance* in = lmxl_checkinstance(L, 1);
    int n = push_flow_def(L, in, luaL_checkstring(L, 2));
    if (n != 1)
        return n;
    size_t len;
    char const* text = lua_tolstring(L, -1, &len);
    return lmxl_pushjson(L, text, len);
}

/* inst:gc([scaffold_grace_ns]) -> {flows=, scaffolds=, bytes=, kept=} | nil, msg, code. */
static int inst_gc_flows(lua_State* L)
{
    lmxl_instance* in = lmxl_checkinstance(L, 1);
    uint64_t grace = lmxl_optu64(L, 2, MXL_DEFAULT_SCAFFOLD_GRACE_NS);
    mxlGcReport rep;
    memset(&rep, 0, sizeof rep);
    mxlStatus st = mxlGarbageCollectFlowsEx(in->h, grace, &rep);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, (lua_Integer)rep.flows);
    lua_setfield(L, -2, "flows");
    lua_pushinteger(L, (lua_Integer)rep.scaffolds);
    lua_setfield(L, -2, "scaffolds");
    lua_pushinteger(L, (lua_Integer)rep.bytes);
    lua_setfield(L, -2, "bytes");
    lua_pushinteger(L, (lua_Integer)rep.flowsKept);
    lua_setfield(L, -2, "kept");
    return 1;
}

typedef struct list_acc
{
    mxlFlowListEntry* v;
    size_t n, cap;
    int oom;
} list_acc;

static int list_cb(mxlFlowListEntry const* e, void* user)
{
    list_acc* a = (list_acc*)user;
    if (a->n == a->cap)
    {
        size_t cap = a->cap ? a->cap * 2 : 16;
        mxlFlowListEntry* v = (mxlFlowListEntry*)realloc(a->v, cap * sizeof *v);
        if (v == NULL)
        {
            a->oom = 1;
            return 1;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = *e;
    return 0;
}

/* inst:list([details]) -> array of flow ids, or with details an array of {id=, format=, format_name=, active=,
 * readable=} | nil, msg, code. Entries come in directory order. */
static int inst_list(lua_State* L)
{
    lmxl_instance* in = lmxl_checkinstance(L, 1);
    int details = lua_toboolean(L, 2);
    list_acc a = {NULL, 0, 0, 0};
    mxlStatus st = mxlListFlows(in->h, details, list_cb, &a);
    if (st != MXL_STATUS_OK || a.oom)
    {
        free(a.v);
        if (a.oom)
            return luaL_error(L, "not enough memory");
        return lmxl_fail(L, st, NULL);
    }
    lua_createtable(L, (int)a.n, 0);
    for (size_t i = 0; i < a.n; i++)
    {
        if (!lua_checkstack(L, 4))
            break;
        if (details)
        {
            lua_createtable(L, 0, 5);
            lua_pushstring(L, a.v[i].id);
            lua_setfield(L, -2, "id");
            lua_pushinteger(L, a.v[i].format);
            lua_setfield(L, -2, "format");
            lua_pushstring(L, lmxl_formatname(a.v[i].format));
            lua_setfield(L, -2, "format_name");
            lua_pushboolean(L, a.v[i].active);
            lua_setfield(L, -2, "active");
            lua_pushboolean(L, a.v[i].readable);
            lua_setfield(L, -2, "readable");
        }
        else
            lua_pushstring(L, a.v[i].id);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    free(a.v);
    return 1;
}

/* ---- library-level helpers ---------------------------------------------------------------------------------- */

/* mxl.version() -> full version string, {major=, minor=, bugfix=, build=, full=}. */
static int l_version(lua_State* L)
{
    mxlVersionType v;
    memset(&v, 0, sizeof v);
    mxlStatus st = mxlGetVersion(&v);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lua_pushstring(L, v.full ? v.full : "");
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, v.major);
    lua_setfield(L, -2, "major");
    lua_pushinteger(L, v.minor);
    lua_setfield(L, -2, "minor");
    lua_pushinteger(L, v.bugfix);
    lua_setfield(L, -2, "bugfix");
    lua_pushinteger(L, v.build);
    lua_setfield(L, -2, "build");
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "full");
    return 2;
}

/* mxl.is_tmpfs(path) -> bool | nil, msg, code. */
static int l_is_tmpfs(lua_State* L)
{
    bool yes = false;
    mxlStatus st = mxlIsTmpFs(luaL_checkstring(L, 1), &yes);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lua_pushboolean(L, yes);
    return 1;
}

/* mxl.create_domain(path) -> true, created | nil, msg, code: make the domain directory and its missing parents
 * (mode 0777 less the umask). `created` is false when it existed already. Only writers call it: readers and tools
 * report a missing domain instead. */
static int l_create_domain(lua_State* L)
{
    size_t n;
    char const* path = luaL_checklstring(L, 1, &n);
    char buf[PATH_MAX];
    luaL_argcheck(L, n > 0 && n < sizeof buf, 1, "domain path must be 1 to PATH_MAX-1 bytes");
    memcpy(buf, path, n + 1);
    struct stat st;
    if (stat(buf, &st) == 0)
    {
        if (!S_ISDIR(st.st_mode))
        {
            lua_pushnil(L);
            lua_pushfstring(L, "domain %s is not a directory", path);
            lua_pushliteral(L, "INVALID_ARG");
            return 3;
        }
        lua_pushboolean(L, 1);
        lua_pushboolean(L, 0);
        return 2;
    }
    for (char* p = buf + 1;; p++)
    {
        char c = *p;
        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        {
            int e = errno;
            lua_pushnil(L);
            lua_pushfstring(L, "cannot create domain %s: %s", path, strerror(e));
            lua_pushstring(L, e == EACCES || e == EPERM || e == EROFS ? "PERMISSION_DENIED" : "UNKNOWN");
            return 3;
        }
        *p = c;
        if (c == '\0')
            break;
    }
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
    {
        lua_pushnil(L);
        lua_pushfstring(L, "cannot create domain %s: %s", path, strerror(errno ? errno : ENOTDIR));
        lua_pushliteral(L, "UNKNOWN");
        return 3;
    }
    lua_pushboolean(L, 1);
    lua_pushboolean(L, 1);
    return 2;
}

/* mxl.normalize_flow_id(text) -> canonical id | nil, msg, "INVALID_ARG". */
static int l_normalize_flow_id(lua_State* L)
{
    char out[37];
    mxlStatus st = mxlNormalizeFlowId(luaL_checkstring(L, 1), out);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lua_pushstring(L, out);
    return 1;
}

/* mxl.parse_uri(text) -> {host=, port=, path=, ids={...}} | nil, msg, "INVALID_ARG". host "" and port -1 when
 * absent (as in C). */
static int l_parse_uri(lua_State* L)
{
    char const* text = luaL_checkstring(L, 1);
    mxlUri* u = (mxlUri*)lua_newuserdatauv(L, sizeof *u, 0); /* 8 KiB: keep it off the C stack */
    memset(u, 0, sizeof *u);
    mxlStatus st = mxlParseUri(text, u);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lua_createtable(L, 0, 4);
    lua_pushstring(L, u->host);
    lua_setfield(L, -2, "host");
    lua_pushinteger(L, u->port);
    lua_setfield(L, -2, "port");
    lua_pushstring(L, u->path);
    lua_setfield(L, -2, "path");
    size_t n = u->idCount < MXL_URI_MAX_IDS ? u->idCount : MXL_URI_MAX_IDS;
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++)
    {
        lua_pushstring(L, u->ids[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "ids");
    return 1;
}

/* mxl.parse_flow_def(def [, writer_options [, history_ns]]) -> config table (as in info()) | nil, msg, code.
 * Validates exactly as writer creation would, without touching any file. */
static int l_parse_flow_def(lua_State* L)
{
    lua_settop(L, 3);
    char const* def = lmxl_tojsonarg(L, 1, 0);
    char const* opts = lmxl_tojsonarg(L, 2, 1);
    uint64_t history = lmxl_optu64(L, 3, 0);
    mxlFlowConfigInfo cfg;
    memset(&cfg, 0, sizeof cfg);
    mxlStatus st = mxlParseFlowDef(def, opts, history, &cfg);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lmxl_pushconfiginfo(L, &cfg);
    return 1;
}

static mxlStatus checkstatus(lua_State* L, int idx)
{
    return (mxlStatus)luaL_checkinteger(L, idx);
}

/* mxl.status_code(n) / status_name(n) / status_message(n): the core's names for a numeric mxlStatus. */
static int l_status_code(lua_State* L)
{
    lua_pushstring(L, mxlStatusCode(checkstatus(L, 1)));
    return 1;
}

static int l_status_name(lua_State* L)
{
    lua_pushstring(L, mxlStatusName(checkstatus(L, 1)));
    return 1;
}

static int l_status_message(lua_State* L)
{
    lua_pushstring(L, mxlStatusMessage(checkstatus(L, 1)));
    return 1;
}

/* mxl.last_error() -> message, code: the last failing MXL call on this thread ("" and "OK" if none). */
static int l_last_error(lua_State* L)
{
    lua_pushstring(L, mxlGetLastErrorMessage());
    lua_pushstring(L, mxlStatusCode(mxlGetLastErrorStatus()));
    return 2;
}

/* ---- module ------------------------------------------------------------------------------------------------- */

static luaL_Reg const inst_methods[] = {
    {"close", inst_close},
    {"domain", inst_domain},
    {"is_active", inst_is_active},
    {"flow_def", inst_flow_def},
    {"flow_def_table", inst_flow_def_table},
    {"gc", inst_gc_flows},
    {"list", inst_list},
    {"writer", lmxl_instance_writer},
    {"reader", lmxl_instance_reader},
    {"sync_group", lmxl_instance_sync_group},
    {NULL, NULL},
};

static luaL_Reg const module_funcs[] = {
    {"instance", l_instance},
    {"version", l_version},
    {"is_tmpfs", l_is_tmpfs},
    {"create_domain", l_create_domain},
    {"normalize_flow_id", l_normalize_flow_id},
    {"parse_uri", l_parse_uri},
    {"parse_flow_def", l_parse_flow_def},
    {"status_code", l_status_code},
    {"status_name", l_status_name},
    {"status_message", l_status_message},
    {"last_error", l_last_error},
    {"interrupted", l_interrupted},
    {"interrupt", l_interrupt},
    {"set_interrupt_handling", l_set_interrupt_handling},
    {NULL, NULL},
};

static void setint(lua_State* L, char const* name, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, name);
}

LUALIB_API int luaopen_mxl(lua_State* L)
{
    luaL_checkversion(L);
    lua_newtable(L);
    int mod = lua_gettop(L);

    luaL_newmetatable(L, LMXL_INSTANCE_MT);
    luaL_newlib(L, inst_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, inst_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, inst_gc);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, inst_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);

    lua_pushvalue(L, mod);
    luaL_setfuncs(L, module_funcs, 1); /* upvalue: the module table (for default_domain) */

    lmxl_view_open(L, mod);
    lmxl_json_open(L, mod);
    lmxl_time_open(L, mod);
    lmxl_flow_open(L);
    lmxl_samples_open(L);
    lmxl_sync_open(L);

    char const* env = getenv("MXL_DOMAIN");
    lua_pushstring(L, env && *env ? env : "/dev/shm/mxl");
    lua_setfield(L, mod, "default_domain");

    setint(L, "UNDEFINED_INDEX", (lua_Integer)MXL_UNDEFINED_INDEX);
    setint(L, "GRAIN_FLAG_INVALID", MXL_GRAIN_FLAG_INVALID);
    setint(L, "VALID_SLICES_ANY", MXL_GRAIN_VALID_SLICES_ANY);
    setint(L, "VALID_SLICES_ALL", MXL_GRAIN_VALID_SLICES_ALL);
    setint(L, "MAX_PLANES_PER_GRAIN", MXL_MAX_PLANES_PER_GRAIN);
    setint(L, "DATA_FORMAT_GRAIN_SIZE", MXL_DATA_FORMAT_GRAIN_SIZE);
    setint(L, "DEFAULT_SCAFFOLD_GRACE_NS", (lua_Integer)MXL_DEFAULT_SCAFFOLD_GRACE_NS);
    setint(L, "INTERRUPT_SLICE_NS", (lua_Integer)MXL_INTERRUPT_SLICE_NS);
    setint(L, "FORMAT_UNSPECIFIED", MXL_DATA_FORMAT_UNSPECIFIED);
    setint(L, "FORMAT_VIDEO", MXL_DATA_FORMAT_VIDEO);
    setint(L, "FORMAT_AUDIO", MXL_DATA_FORMAT_AUDIO);
    setint(L, "FORMAT_DATA", MXL_DATA_FORMAT_DATA);
    lua_pushliteral(L, MXL_EXT_OPTION_HISTORY_DURATION);
    lua_setfield(L, mod, "OPTION_HISTORY_DURATION");
    lua_pushliteral(L, MXL_EXT_OPTION_READER_INSPECT);
    lua_setfield(L, mod, "OPTION_INSPECT");

#ifdef LMXL_HAVE_MEDIA
    lmxl_open_media(L);
    lua_setfield(L, mod, "media");
#endif
    lua_settop(L, mod);
    return 1;
}
