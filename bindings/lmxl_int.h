/* Private declarations shared by the lmxl*.c files of the `mxl` Lua module (not part of the view contract).
 *
 * Object model (liolib.c style): every handle is a full userdata created in the closed state *before* the C
 * resource is opened, with ONE closer that serves :close(), __gc and __close and is safe to call twice.
 * Children (writers, readers, sync groups) keep their instance alive through user value 1; the instance keeps a
 * weak-keyed registry of its children (its user value 1) and closes them all (groups first) before destroying the
 * C instance, so no child handle is ever used after mxlDestroyInstance. */
#ifndef LMXL_INT_H
#define LMXL_INT_H

#include <signal.h>

#include <mxl/ext.h>
#include <mxl/flow.h>
#include <mxl/mxl.h>
#include <mxl/time.h>

#include "lmxl.h"

#define LMXL_INSTANCE_MT "mxl.instance"
#define LMXL_WRITER_MT "mxl.writer"
#define LMXL_READER_MT "mxl.reader"
#define LMXL_GROUP_MT "mxl.syncgroup"
#define LMXL_SAMPLES_MT "mxl.samples"

/* ---- objects ---------------------------------------------------------------------------------------------- */

typedef struct lmxl_instance
{
    int open; /* 1 while `h` is valid */
    mxlInstance h;
} lmxl_instance;

typedef struct lmxl_child lmxl_child;
struct lmxl_child
{
    int open;                                   /* 1 while the C handle is valid; views point `alive` here */
    int is_group;                               /* groups are closed before readers/writers */
    mxlStatus (*release)(lmxl_child* self);     /* release the C handle (called once, with open == 1) */
    lmxl_instance* inst;                        /* owner; kept alive by user value 1 */
};

typedef struct lmxl_flowinfo
{
    char id[37];
    uint32_t format;
    uint32_t grainCount;   /* discrete */
    uint32_t channelCount; /* continuous */
    uint32_t bufferLength; /* continuous */
} lmxl_flowinfo;

typedef struct lmxl_reader
{
    lmxl_child c;
    mxlFlowReader h;
    lmxl_flowinfo f;
} lmxl_reader;

typedef struct lmxl_writer
{
    lmxl_child c;
    mxlFlowWriter h;
    lmxl_flowinfo f;
    int grain_open;     /* an open_grain is pending commit/cancel */
    mxlGrainInfo grain; /* header of the open grain as returned by mxlFlowWriterOpenGrain */
} lmxl_writer;

typedef struct lmxl_group
{
    lmxl_child c;
    mxlFlowSynchronizationGroup h;
} lmxl_group;

/* Metadata tail of a reader/writer grain view (lmxl_view.grain). Reused per ring slot: updated in place by every
 * get/open of an index in that slot. */
typedef struct lmxl_grainmeta
{
    lmxl_reader* reader; /* NULL for writer grain views */
    uint64_t index;     /* the index asked for (get) or opened */
    uint64_t hdr_index; /* the index field of the slot header copy (upstream does not compare it on reads) */
    uint32_t version, size, flags, grainSize;
    uint16_t totalSlices, validSlices;
} lmxl_grainmeta;

/* Continuous window (one per reader/writer, reused by every get/open). */
typedef struct lmxl_samples
{
    int writable;
    int const* alive;
    uint64_t index;
    size_t count;    /* samples per channel */
    size_t word;     /* bytes per sample: 4 (float32) or 8 (float64) */
    size_t channels;
    size_t stride;
    uint8_t* frag[2];
    size_t fraglen[2]; /* bytes */
} lmxl_samples;

/* ---- lmxl.c: errors, interrupts, instance ------------------------------------------------------------------ */

/* Push nil, message, code for a failed call and return 3. `code` NULL = mxlStatusCode(st). */
int lmxl_fail(lua_State* L, mxlStatus st, char const* code);
/* Same for a blocking call: TOO_EARLY (deadline reached) is reported as "TIMEOUT". */
int lmxl_fail_wait(lua_State* L, mxlStatus st, uint64_t timeout_ns);
/* Check an instance/child argument; raise "attempt to use a closed mxl <what>" when closed. */
lmxl_instance* lmxl_checkinstance(lua_State* L, int idx);
lmxl_writer* lmxl_checkwriter(lua_State* L, int idx);
lmxl_reader* lmxl_checkreader(lua_State* L, int idx);
lmxl_group* lmxl_checkgroup(lua_State* L, int idx);
/* Create a child userdata of `size` bytes, closed, owned by the instance at `inst_idx`, registered in its child
 * table, with `nuv` user values (>= 1; user value 1 = the instance). */
void* lmxl_newchild(lua_State* L, size_t size, int nuv, char const* mt, int inst_idx);
/* Close a child (idempotent): marks it closed, then releases its handle. Returns the release status. */
mxlStatus lmxl_closechild(lmxl_child* c);
uint64_t lmxl_checku64(lua_State* L, int idx);
uint64_t lmxl_optu64(lua_State* L, int idx, uint64_t def);
/* Parse a rate argument: {numerator=,denominator=}, {n, d}, "n/d" or an integer n. */
void lmxl_checkrate(lua_State* L, int idx, mxlRational* out);
void lmxl_pushrate(lua_State* L, mxlRational const* r);
char const* lmxl_formatname(uint32_t format);

/* Signal/interrupt support (lmxl.c). mxlrun installs the handlers at start; plain lua5.4 users call
 * mxl.set_interrupt_handling(true). */
void lmxl_install_signal_handlers(lua_State* L);
int lmxl_caught_signal(void); /* 0 or the first SIGINT/SIGTERM received */
int lmxl_is_interrupted(void); /* the interrupt flag is set */
/* Before a blocking call returns INTERRUPTED to Lua: after a caught signal, the first such return tells the script,
 * a later one raises the stop error "interrupted (SIGINT|SIGTERM)" instead (the script ignored the first). */
void lmxl_interrupted_result(lua_State* L);

/* ---- lmxl_json.c ------------------------------------------------------------------------------------------- */

/* Argument `idx` is a JSON string or a Lua table (encoded with jansson); nil gives NULL when allow_nil. A table is
 * replaced on the stack by its encoding, so the returned text stays anchored at `idx`. Bad values raise. */
char const* lmxl_tojsonarg(lua_State* L, int idx, int allow_nil);
/* Decode JSON text: pushes the value and returns 1, or pushes nil, message, "INVALID_ARG" and returns 3. */
int lmxl_pushjson(lua_State* L, char const* text, size_t len);
void lmxl_json_open(lua_State* L, int module_idx);

/* ---- lmxl_view.c ------------------------------------------------------------------------------------------- */

/* Push a view with `extra` bytes of tail (lmxl_view.grain points at it when extra > 0). */
lmxl_view* lmxl_pushview_ex(lua_State* L, void* ptr, size_t len, int writable, int owner_idx, int const* alive,
                            size_t extra);
void lmxl_view_open(lua_State* L, int module_idx);
/* Bulk sample conversion between memory (float32 when word == 4, float64 when 8) and t[first..first+n-1]. */
void lmxl_floats_to_table(lua_State* L, int tidx, lua_Integer first, uint8_t const* p, size_t n, size_t word);
void lmxl_table_to_floats(lua_State* L, int tidx, lua_Integer first, uint8_t* p, size_t n, size_t word);

/* ---- lmxl_flow.c / lmxl_samples.c / lmxl_sync.c / lmxl_time.c ---------------------------------------------- */

void lmxl_flow_open(lua_State* L);
/* Writer/reader creation (instance methods). */
int lmxl_instance_writer(lua_State* L);
int lmxl_instance_reader(lua_State* L);
/* Push a flow-info table for a header copy. */
void lmxl_pushflowinfo(lua_State* L, mxlFlowInfo const* info);
void lmxl_pushconfiginfo(lua_State* L, mxlFlowConfigInfo const* c);

void lmxl_samples_open(lua_State* L);
/* Return the reusable samples object of reader/writer at `owner_idx` (user value 3), updated with `s`. */
int lmxl_push_samples(lua_State* L, int owner_idx, int const* alive, int writable, uint64_t index, size_t count,
                      mxlMutableWrappedMultiBufferSlice const* s, uint32_t bufferLength);
int lmxl_writer_open_samples(lua_State* L);
int lmxl_reader_get_samples(lua_State* L);
int lmxl_reader_get_samples_nb(lua_State* L);

void lmxl_sync_open(lua_State* L);
int lmxl_instance_sync_group(lua_State* L);

void lmxl_time_open(lua_State* L, int module_idx);

#endif
