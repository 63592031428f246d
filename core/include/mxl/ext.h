/* mxl/ext.h - additions of this implementation, beyond the upstream MXL API.
 *
 * Everything here is optional for MXL programs: mxl.h/flow.h/time.h stay source-compatible with upstream, and the
 * on-disk format is unchanged. Extensions that store data in shared memory use only areas upstream never touches
 * (the grain header "user data" bytes 4096..8191, see docs/formats.md). */
#ifndef MXL_EXT_H
#define MXL_EXT_H

#ifdef __cplusplus
#   include <csignal>
#   include <cstddef>
#   include <cstdint>
#else
#   include <signal.h>
#   include <stdbool.h>
#   include <stddef.h>
#   include <stdint.h>
#endif

#include <mxl/flow.h>
#include <mxl/flowinfo.h>
#include <mxl/mxl.h>
#include <mxl/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------------------------------------------- */

/** Precise message of the last failing MXL call on this thread ("" if none). The string stays valid until the
 * next MXL call on the same thread. Successful calls do not clear it. */
MXL_EXPORT char const* mxlGetLastErrorMessage(void);

/** Status of the last failing MXL call on this thread (MXL_STATUS_OK if none). */
MXL_EXPORT mxlStatus mxlGetLastErrorStatus(void);

/** Full enum name, e.g. "MXL_ERR_OUT_OF_RANGE_TOO_LATE"; "MXL_STATUS_UNKNOWN_VALUE" for unknown values. */
MXL_EXPORT char const* mxlStatusName(mxlStatus status);

/** Short code, e.g. "OK", "TOO_LATE", "TOO_EARLY", "FLOW_INVALID", "NOT_FOUND" (flow not found), "INVALID_ARG". */
MXL_EXPORT char const* mxlStatusCode(mxlStatus status);

/** One-line English description of a status. */
MXL_EXPORT char const* mxlStatusMessage(mxlStatus status);

/* ---- interruption ------------------------------------------------------------------------------------------- */

/** Register a process-wide interrupt flag (usually set by a SIGINT/SIGTERM handler), or NULL to unregister.
 * While a flag is registered, every blocking wait sleeps in slices of at most MXL_INTERRUPT_SLICE_NS and returns
 * MXL_ERR_INTERRUPTED as soon as *flag != 0, so a signal that lands just before the futex sleep is noticed within
 * one slice. */
#define MXL_INTERRUPT_SLICE_NS 20000000ULL
MXL_EXPORT void mxlSetInterruptFlag(volatile sig_atomic_t const* flag);

/* ---- zero-copy read-then-verify ----------------------------------------------------------------------------- */

/** After using the payload of a grain obtained from a successful get of `index`, tell whether the writer has
 * since reopened the slot: MXL_STATUS_OK if the slot still holds `index` and was not reopened after the read,
 * MXL_ERR_OUT_OF_RANGE_TOO_LATE otherwise (the payload may be torn). For flows written by writers that do not
 * maintain the slot sequence (upstream), only the index is checked. */
MXL_EXPORT mxlStatus mxlFlowReaderGrainIntact(mxlFlowReader reader, uint64_t index);

/** Read-then-verify for audio: after using the window [index - count, index) obtained from a successful get, tell
 * whether the writer may have started overwriting it since: MXL_STATUS_OK while the head is short of
 * index - count + bufferLength/2 (a writer opens at most bufferLength/2 samples past its head), else
 * MXL_ERR_OUT_OF_RANGE_TOO_LATE with a message. Works with any writer (it reads only the head). */
MXL_EXPORT mxlStatus mxlFlowReaderSamplesIntact(mxlFlowReader reader, uint64_t index, size_t count);

/** TAI ns at which our writer committed the grain now in the slot of `index` (stamped in the grain header's
 * user-data area). MXL_ERR_NOT_FOUND if the slot holds another index or its writer did not stamp it. */
MXL_EXPORT mxlStatus mxlFlowReaderGetGrainCommitTime(mxlFlowReader reader, uint64_t index, uint64_t* taiNs);

/** Copy the complete grain `index` into `dst` (at least grainSize bytes), non-blocking, without ever touching the
 * shared mapping directly: every byte goes through the kernel (process_vm_readv), so a grain or data file that
 * another process truncated after this reader mapped it gives MXL_ERR_FLOW_INVALID instead of SIGBUS. On OK the
 * copy is complete and the writer did not reopen the slot while it was copied (the read-then-verify check is built
 * in); `grain` receives the slot header. Otherwise TOO_EARLY (not written, or partial), TOO_LATE (left the ring or
 * overwritten during the copy), FLOW_INVALID (deleted, recreated or truncated), INVALID_ARG (dst too small: then
 * grain->grainSize tells the size needed).
 * Costs one extra copy; zero-copy readers that cannot rule out hostile peers use it. */
MXL_EXPORT mxlStatus mxlFlowReaderCopyGrain(mxlFlowReader reader, uint64_t index, mxlGrainInfo* grain, void* dst,
                                           size_t dstSize);

/* ---- introspection ------------------------------------------------------------------------------------------ */

/** Copy of the flow header seen by a writer. */
MXL_EXPORT mxlStatus mxlFlowWriterGetInfo(mxlFlowWriter writer, mxlFlowInfo* info);

/** Canonical lower-case flow id of a reader / writer (37 bytes including NUL). */
MXL_EXPORT mxlStatus mxlFlowReaderGetFlowId(mxlFlowReader reader, char out[37]);
MXL_EXPORT mxlStatus mxlFlowWriterGetFlowId(mxlFlowWriter writer, char out[37]);

/** Canonical directory of the instance's domain. */
MXL_EXPORT char const* mxlInstanceGetDomain(mxlInstance instance);

/** Parse a flow id in any form upstream accepts (braces, hyphens anywhere, either case; 32 hex digits) and write
 * the canonical lower-case 8-4-4-4-12 form. MXL_ERR_INVALID_ARG with a message otherwise. */
MXL_EXPORT mxlStatus mxlNormalizeFlowId(char const* text, char out[37]);

/* ---- flow definitions --------------------------------------------------------------------------------------- */

/** Validate an NMOS flow definition and writer options exactly as mxlCreateFlowWriter would, and compute the
 * configuration a new flow would get with the given history (0 = the 200 ms default). Touches no file. */
MXL_EXPORT mxlStatus mxlParseFlowDef(char const* flowDef, char const* writerOptions, uint64_t historyNs,
                                     mxlFlowConfigInfo* configInfo);

/** Writer-option key (extension; upstream ignores unknown keys) that sets the history duration in ns of a flow
 * created by this writer, overriding the domain options.json. */
#define MXL_EXT_OPTION_HISTORY_DURATION "urn:x-mxl:option:history_duration/v1.0"

/** Reader-option key (extension; upstream ignores reader options): `{"urn:x-mxl:option:inspect/v1.0": true}` in the
 * options of mxlCreateFlowReader makes an *inspection* reader. It reads like any reader but never marks a read: it
 * does not open `access` and never sets the atime of `access` (discrete) or `channels` (continuous), the touch the
 * writer's inotify watch turns into `lastReadTime` (§9); so `lastReadTime` keeps showing real consumers only. Monitoring tools (info, exporters) use it. An instance shares one
 * reader per flow id and kind: inspection and ordinary readers of the same flow are distinct objects. Options that
 * are not JSON, or other keys, are ignored as upstream does. */
#define MXL_EXT_OPTION_READER_INSPECT "urn:x-mxl:option:inspect/v1.0"

/* ---- domain listing and garbage collection ------------------------------------------------------------------ */

typedef struct mxlFlowListEntry_t
{
    char id[37];     /**< canonical flow id */
    uint32_t format; /**< mxlDataFormat, 0 if `data` is unreadable */
    bool active;     /**< a writer holds the flow */
    bool readable;   /**< `data` could be opened and validated */
} mxlFlowListEntry;

/** Call `fn` for each flow directory of the domain (skipping temp scaffolds and foreign entries), in directory
 * order. A non-zero return from fn stops the walk. With `details` false, only `id` is filled (no file is opened). */
MXL_EXPORT mxlStatus mxlListFlows(mxlInstance instance, bool details,
                                  int (*fn)(mxlFlowListEntry const* entry, void* user), void* user);

typedef struct mxlGcReport_t
{
    uint64_t flows;          /**< inactive flows deleted */
    uint64_t scaffolds;      /**< abandoned .mxl-tmp-* directories deleted */
    uint64_t bytes;          /**< file bytes reclaimed (st_blocks * 512) */
    uint64_t flowsKept;      /**< active flows left alone */
} mxlGcReport;

/** Garbage collection with a report: deletes inactive flows (no writer holds `data`), and reclaims temporary
 * `.mxl-tmp-*` / `.mxl-del-*` directories left by processes that died: one whose `data` nobody locks once it is
 * older than min(scaffoldGraceNs, 1 s), one without `data` once older than scaffoldGraceNs (10 s in
 * mxlGarbageCollectFlows). Never deletes a flow a writer holds. `report` is nullable. */
MXL_EXPORT mxlStatus mxlGarbageCollectFlowsEx(mxlInstance instance, uint64_t scaffoldGraceNs, mxlGcReport* report);

#define MXL_DEFAULT_SCAFFOLD_GRACE_NS 10000000000ULL

/* ---- mxl:// URIs (MXL-FORMAT.md §16) ------------------------------------------------------------------------ */

#define MXL_URI_MAX_IDS 16
typedef struct mxlUri_t
{
    char host[256];                    /**< "" when the URI has no authority */
    int port;                          /**< -1 when absent */
    char path[4096];                   /**< the domain path */
    size_t idCount;
    char ids[MXL_URI_MAX_IDS][37];     /**< canonical flow ids from id= parameters */
} mxlUri;

/** Parse an mxl:// URI. MXL_ERR_INVALID_ARG with a precise message when malformed. */
MXL_EXPORT mxlStatus mxlParseUri(char const* text, mxlUri* out);

#ifdef __cplusplus
}
#endif

#endif /* MXL_EXT_H */
