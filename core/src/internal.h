/* Internal interfaces of libmxl. Nothing here is installed; bindings use only the public headers. */
#ifndef MXL_INTERNAL_H
#define MXL_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mxl/ext.h>
#include <mxl/flow.h>
#include <mxl/flowinfo.h>
#include <mxl/mxl.h>
#include <mxl/time.h>

#define MXL_DEFAULT_HISTORY_NS 200000000ULL
#define MXL_DOMAIN_OPTION_HISTORY "urn:x-mxl:option:history_duration/v1.0"

/* ---- error.c: thread-local last error ------------------------------------------------------------------------
 * mxl_fail() records `status` and a printf-style message for mxlGetLastErrorMessage() and returns `status`, so a
 * failing path reads `return mxl_fail(MXL_ERR_INVALID_ARG, "flow id: ...");`. */
mxlStatus mxl_fail(mxlStatus status, char const* fmt, ...) __attribute__((format(printf, 2, 3)));
mxlStatus mxl_vfail(mxlStatus status, char const* fmt, va_list ap);
/* Prefix the current message with "prefix: " (used to add context on the way up). Returns the current status. */
mxlStatus mxl_fail_context(char const* fmt, ...) __attribute__((format(printf, 1, 2)));
/* Status for an errno from a directory-level step: EACCES/EPERM/EROFS -> PERMISSION_DENIED, else `other`. */
mxlStatus mxl_errno_status(int err, mxlStatus other);

/* ---- uuid.c ---------------------------------------------------------------------------------------------------
 * Lenient parse (MXL-FORMAT.md §11.3): optional surrounding braces, hyphens anywhere, either case, exactly 32 hex
 * digits. Returns 0 and fills `out`, or -1 (no message set). */
int mxl_uuid_parse(char const* text, uint8_t out[16]);
/* Canonical lower-case 8-4-4-4-12 text, NUL-terminated (37 bytes). */
void mxl_uuid_format(uint8_t const id[16], char out[37]);

/* ---- flowdef.c ------------------------------------------------------------------------------------------------
 * The result of validating a flow definition plus writer options: the exact configuration a newly created flow
 * gets (MXL-FORMAT.md §5, §6.3). */
typedef struct mxl_flowdef
{
    mxlFlowConfigInfo config; /* id, format, normalised (field) rate, hints with defaults, geometry */
    char id_text[37];         /* canonical id */
    uint32_t grain_size;      /* discrete: payload bytes per grain */
    uint16_t total_slices;    /* discrete: slices per grain */
    uint32_t word_size;       /* continuous: bytes per sample (4 or 8) */
} mxl_flowdef;

/* Parse and validate `json` (NUL-terminated) and `writer_options` (nullable; "" = none). `history_ns` is the
 * domain history (0 is a zero history, which gives an "empty ring" error; only mxlParseFlowDef maps 0 to the
 * 200 ms default); a history key in the writer options overrides it. On failure nothing is filled, the last error
 * names the problem (JSON syntax errors give line and column; semantic ones the JSON path), and the status is
 * MXL_ERR_UNKNOWN as upstream returns. */
mxlStatus mxl_flowdef_parse(char const* json, char const* writer_options, uint64_t history_ns, mxl_flowdef* out);

/* Read the history duration from the text of a domain options.json. Unparsable text, a missing key or a
 * non-number leaves *history_ns untouched and returns false (upstream logs and ignores). */
bool mxl_domain_options_history(char const* text, uint64_t* history_ns);

/* ---- uri.c: mxlParseUri ---------------------------------------------------------------------------------------- */

/* ---- shm.c: files, mappings, locks (one place per system concern) --------------------------------------------- */
typedef struct mxl_map
{
    uint8_t* base;
    size_t size;
} mxl_map;

/* Map `size` bytes of fd shared; `writable` chooses PROT_READ|PROT_WRITE. Returns 0 or -errno. */
int mxl_map_fd(int fd, size_t size, bool writable, mxl_map* out);
void mxl_unmap(mxl_map* m);
/* Pre-fault a writable mapping (MADV_POPULATE_WRITE, falling back to touching each page). */
void mxl_map_prefault(mxl_map const* m);
/* flock wrappers: 0 on success, -errno on failure. */
int mxl_lock_shared_nb(int fd);
int mxl_lock_exclusive_nb(int fd);
int mxl_unlock(int fd);
/* Recursively delete `name` under dirfd without following symlinks. Adds reclaimed bytes to *bytes (nullable).
 * Returns 0 or -errno of the first failure (continues past failures). */
int mxl_remove_tree(int dirfd, char const* name, uint64_t* bytes);

/* ---- shm header validation (pure functions over bytes, fuzzable) ------------------------------------------------
 * Check a `data` header of `size` bytes: version, format, geometry sanity. Return 0 or -1 with the last error set
 * (MXL_ERR_UNKNOWN). */
#define MXL_DATA_FILE_SIZE 2064u
#define MXL_GRAIN_HEADER_SIZE 8192u
#define MXL_GRAIN_INFO_SIZE 4096u
/* Most grains a flow may have: readers refuse more (one file and one mapping per grain), so writers never create
 * more either. */
#define MXL_MAX_GRAIN_COUNT 1000000u
int mxl_validate_data_header(void const* buf, size_t size);
/* Check a grain file of `file_size` bytes whose first bytes are `hdr` against the flow's slice sizes: version 1,
 * grain size consistent with the flow, file big enough for header + payload. */
int mxl_validate_grain_header(void const* hdr, size_t file_size, mxlDiscreteFlowConfigInfo const* flow);
/* Continuous: word size from the channels file size; -1 with error if inconsistent. */
int mxl_validate_channels(mxlContinuousFlowConfigInfo const* flow, uint64_t file_size, uint32_t* word_size);

/* ---- futex.c ---------------------------------------------------------------------------------------------------
 * Shared (non-private) futex on a u32 in a MAP_SHARED mapping (MXL-FORMAT.md §8.1). */
void mxl_futex_wake_all(uint32_t* word);
/* Wait while *word == expected, at most until the absolute CLOCK_REALTIME deadline (ns). Returns 0 when woken or
 * the value changed, ETIMEDOUT at the deadline, EINTR when interrupted by a signal. Honors the interrupt slice. */
int mxl_futex_wait(uint32_t const* word, uint32_t expected, int64_t deadline_realtime_ns);
/* The registered interrupt flag is set. */
bool mxl_interrupted(void);

/* ---- time.c helpers -------------------------------------------------------------------------------------------- */
int64_t mxl_realtime_now_ns(void);
/* §7.5 deadline: now + timeout with upstream's signed wrap (a wrapped sum is in the past). */
int64_t mxl_deadline_from_timeout(uint64_t timeout_ns);

/* Grain-header extension block in the user-data area (bytes 4096..8191, which upstream never touches). */
#define MXL_GRAIN_EXT_OFFSET 4096u
#define MXL_GRAIN_EXT_MAGIC 0x31584c4du /* "MLX1" little-endian */
typedef struct mxl_grain_ext
{
    uint32_t magic;       /* MXL_GRAIN_EXT_MAGIC once our writer touched the slot */
    uint32_t seq;         /* odd while the slot is open for writing, even when complete; +1 on open, +1 on the
                             completing commit or cancel */
    uint64_t commit_time; /* TAI ns of the latest commit into this slot */
    uint64_t open_time;   /* TAI ns of the latest open */
} mxl_grain_ext;

#endif /* MXL_INTERNAL_H */
