/* The instance, flow, reader, writer and sync-group objects behind the opaque public handles. */
#ifndef MXL_OBJECTS_H
#define MXL_OBJECTS_H

#include <pthread.h>
#include <stdatomic.h>

#include "internal.h"

#define MXL_READER_MAGIC 0x52444c4du /* "MLDR" */
#define MXL_WRITER_MAGIC 0x52574c4du /* "MLWR" */
#define MXL_GROUP_MAGIC 0x50474c4du  /* "MLGP" */
#define MXL_DEAD_MAGIC 0xdeadbeefu

/* One grain slot as seen by this process. */
typedef struct mxl_slot
{
    mxl_map map;     /* whole grain file: header (8192) + payload */
    uint32_t seen;   /* reader: ext seq recorded by the last successful get of this slot */
    uint64_t seen_index;
} mxl_slot;

/* An opened flow: the files of one <uuid>.mxl-flow directory mapped into this process. */
typedef struct mxl_flow
{
    char id[37];
    uint8_t uuid[16];
    int flowfd;          /* O_DIRECTORY fd of the flow directory (kept for *at calls) */
    int datafd;
    mxl_map data;        /* the 2064-byte `data` file */
    mxlFlowInfo* info;   /* data.base */
    uint32_t* sync;      /* futex word at data + 2056 */
    uint64_t inode;      /* state.inode read at open */
    uint32_t format;
    mxlFlowConfigInfo config; /* validated snapshot of the immutable configuration */
    bool writable;
    bool busy;           /* open failed on an exclusive lock */
    /* discrete */
    uint32_t grain_count;
    uint32_t grain_size;
    uint16_t total_slices;
    mxl_slot* slots;
    int* slot_fds;       /* writers keep grain fds open for their LOCK_SH */
    /* continuous */
    int chfd;
    mxl_map channels;
    uint32_t channel_count;
    uint32_t buffer_length;
    uint32_t word_size;
} mxl_flow;

struct mxlFlowWriter_t
{
    uint32_t magic;
    int refs;
    mxlInstance inst;
    struct mxlFlowWriter_t* next;
    mxl_flow flow;
    /* discrete */
    bool grain_open;
    uint64_t grain_index;
    /* continuous */
    bool samples_open;
    uint64_t samples_index;
    size_t samples_count;
    uint64_t sync_last;  /* §7.4 `last` */
    uint32_t sync_s, sync_c, sync_e;
    /* read-activity watcher */
    int watch_wd;
};

struct mxlFlowReader_t
{
    uint32_t magic;
    int refs;
    mxlInstance inst;
    struct mxlFlowReader_t* next;
    mxl_flow flow;
    int accessfd;        /* discrete: O_RDWR fd of `access`, -1 if it could not be opened */
    uint64_t last_touch; /* CLOCK_MONOTONIC_COARSE ns of the last access/channels touch (discrete and continuous) */
    bool inspect;        /* MXL_EXT_OPTION_READER_INSPECT: never sets the atime of `access` / `channels` */
};

typedef struct mxl_member
{
    mxlFlowReader reader;
    uint16_t min_slices;
} mxl_member;

struct mxlFlowSynchronizationGroup_t
{
    uint32_t magic;
    mxlInstance inst;
    struct mxlFlowSynchronizationGroup_t* next;
    mxl_member* members;
    size_t count, cap;
};

struct mxlInstance_t
{
    int dirfd;           /* O_DIRECTORY fd of the domain: every path is resolved relative to it */
    char* domain;        /* canonical path */
    uint64_t history_ns; /* from options.json (§2.6) */
    pthread_mutex_t lock;
    struct mxlFlowWriter_t* writers;
    struct mxlFlowReader_t* readers;
    struct mxlFlowSynchronizationGroup_t* groups;
    /* read-activity watcher (watcher.c) */
    pthread_t watcher;
    bool watcher_running;
    int inotify_fd;
    int stop_fd;
};

/* ---- flow.c: open/close the files of a flow ----------------------------------------------------------------- */
/* Open flow `id` (canonical) of the domain. Writable opens take LOCK_SH|LOCK_NB on every file and pre-fault.
 * On failure everything is closed, the last error is set and its status returned (FLOW_NOT_FOUND when `data`
 * or `grains/` is missing, UNKNOWN for other failures, as upstream). *busy (nullable) is set when a writable open
 * failed only because someone holds LOCK_EX (a deleter or a GC probe): the caller may retry. */
mxlStatus mxl_flow_open(mxlInstance inst, char const* id, bool writable, mxl_flow* out, bool* busy);
void mxl_flow_close(mxl_flow* f);
/* §7.6: the flow directory still holds the `data` file we mapped. */
bool mxl_flow_is_current(mxlInstance inst, mxl_flow const* f);
/* Current TAI time for runtime fields. */
static inline uint64_t mxl_now_tai(void) { return mxlGetTime(); }

/* ---- domain.c ------------------------------------------------------------------------------------------------ */
/* Create the flow from a parsed definition or attach to an existing one. */
mxlStatus mxl_domain_create_or_attach(mxlInstance inst, mxl_flowdef const* def, char const* json, mxl_flow* out,
                                      bool* created);
/* Delete the flow of a writer that is going away, if no other writer holds it (§8.3). Closes the flow. */
void mxl_domain_release_flow(mxlInstance inst, mxl_flow* f);

/* ---- watcher.c ----------------------------------------------------------------------------------------------- */
void mxl_watcher_add(mxlInstance inst, mxlFlowWriter w);
void mxl_watcher_remove(mxlInstance inst, mxlFlowWriter w);
void mxl_watcher_stop(mxlInstance inst);

/* ---- handle checks ------------------------------------------------------------------------------------------- */
static inline bool mxl_reader_ok(mxlFlowReader r) { return r != NULL && r->magic == MXL_READER_MAGIC; }
static inline bool mxl_writer_ok(mxlFlowWriter w) { return w != NULL && w->magic == MXL_WRITER_MAGIC; }
static inline bool mxl_is_discrete(mxl_flow const* f) { return f->format == MXL_DATA_FORMAT_VIDEO || f->format == MXL_DATA_FORMAT_DATA; }

/* Slot header and extension block of grain slot `i`. */
static inline mxlGrainInfo* mxl_slot_info(mxl_flow const* f, uint32_t i) { return (mxlGrainInfo*)f->slots[i].map.base; }
static inline mxl_grain_ext* mxl_slot_ext(mxl_flow const* f, uint32_t i) { return (mxl_grain_ext*)(f->slots[i].map.base + MXL_GRAIN_EXT_OFFSET); }

/* headIndex never moves backwards: an atomic max with release ordering (§14 item 4). */
static inline void mxl_head_max(uint64_t* head, uint64_t index)
{
    uint64_t cur = __atomic_load_n(head, __ATOMIC_ACQUIRE);
    while (cur < index && !__atomic_compare_exchange_n(head, &cur, index, true, __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
        ;
}

/* §7.6: a read that ends TOO_EARLY on a flow that was deleted or recreated becomes FLOW_INVALID. */
static inline mxlStatus mxl_stale_check(mxlFlowReader r, mxlStatus st)
{
    if (st == MXL_ERR_OUT_OF_RANGE_TOO_EARLY && !mxl_flow_is_current(r->inst, &r->flow))
        return mxl_fail(MXL_ERR_FLOW_INVALID, "flow %s was deleted or recreated: release this reader and open a new one",
                        r->flow.id);
    return st;
}

/* Wait helper shared by discrete, continuous and sync groups: evaluate `rule` until it is not TOO_EARLY or the
 * deadline passes (§7.5, plus one re-check at the deadline, §14 item 19). */
typedef mxlStatus (*mxl_rule_fn)(void* ctx);
mxlStatus mxl_wait_rule(uint32_t* sync, int64_t deadline, mxl_rule_fn rule, void* ctx);

#endif
