/* bench_signal - signalling cost with tiny grains (64x36 v210, 9 KiB): an unthrottled writer (commits/s and wake
 * latency of one reader), and a writer paced at one commit per millisecond with 1, 4 and 16 concurrent readers of
 * the same flow (per-reader wake latency, and what the commit call costs the writer when it has to wake them).
 * Payloads are not filled: only the stamp is written. See bench_grain.h for the protocol. */
#include "bench_grain.h"

int main(int argc, char** argv)
{
    if (argc > 2 && strcmp(argv[1], "--child") == 0) {
        child_init(argc, argv);
        int r = grain_child(argv[2], argc, argv);
        if (r < 0)
            die("unknown role %s", argv[2]);
        return r;
    }
    bench_opts o;
    opts_parse(&o, argc, argv);
    double secs = o.quick ? 0.2 : 2.0;
    grain_case cases[] = {
        {"signal_tiny", 0x51, 64, 36, 30000, 1001, secs, false, 0, 1},
        {"signal_paced_r1", 0x52, 64, 36, 30000, 1001, secs, false, 1000000, 1},
        {"signal_paced_r4", 0x53, 64, 36, 30000, 1001, secs, false, 1000000, 4},
        {"signal_paced_r16", 0x54, 64, 36, 30000, 1001, secs, false, 1000000, 16},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (o.quick && cases[i].readers > 1)
            continue; /* the many-reader runs are kept out of --quick */
        run_grain_case(&o, &cases[i]);
    }
    return 0;
}
