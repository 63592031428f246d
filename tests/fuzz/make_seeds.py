#!/usr/bin/env python3
"""Write the hand-made seeds of tests/fuzz/corpus/<target>/ (committed; re-run only to change them).

Usage: tests/fuzz/make_seeds.py [GOLDEN_DIR]
GOLDEN_DIR is the extracted tests/fixtures/golden-create/golden.tar.gz ("golden/" with inputs/, cases/);
without it the script extracts that tarball itself."""
import glob, json, os, shutil, struct, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def golden_dir():
    if len(sys.argv) > 1:
        return sys.argv[1]
    tar = os.path.join(HERE, "../fixtures/golden-create/golden.tar.gz")
    tmp = tempfile.mkdtemp()
    subprocess.check_call(["tar", "-xzf", tar, "-C", tmp])
    return os.path.join(tmp, "golden")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


G = golden_dir()
# Only the named seeds below are (re)written. The other files of each corpus (hash names) are inputs that added
# coverage in long local runs, merged in with `<target> -merge=1 tests/fuzz/corpus/<target> build-fuzz/corpus/<target>`.

defs = sorted(glob.glob(os.path.join(G, "inputs", "case*.json")))
defs += sorted(glob.glob(os.path.join(G, "inputs", "invalid", "*")))
variants = json.load(open(os.path.join(G, "inputs", "writer_options_variants.json")))
opts = []
if isinstance(variants, dict):
    variants = list(variants.values())
for v in variants:
    opts.append(v if isinstance(v, str) else json.dumps(v))
opts += ['{"maxCommitBatchSizeHint": 4294967296}', '{"maxSyncBatchSizeHint": 1e300}',
         '{"urn:x-mxl:option:history_duration/v1.0": 1e9}', '{"maxCommitBatchSizeHint": 1.5, "maxSyncBatchSizeHint": 3}']

# (a) flow definitions: every golden input, with and without options, default and raw histories
for i, p in enumerate(defs):
    text = open(p, "rb").read()
    put("fuzz_flowdef", "def%02d" % i, bytes([0]) + struct.pack("<Q", 0) + text)
    put("fuzz_flowdef", "def%02d-opt" % i, bytes([1]) + struct.pack("<Q", 1) + text + b"\xff" + opts[i % len(opts)].encode())
    put("fuzz_flowdef", "def%02d-hist" % i, bytes([3]) + struct.pack("<Q", 10**9 * (i + 1)) + text + b"\xff" +
        b'{"urn:x-mxl:option:history_duration/v1.0": 123456789}')

# (b) headers: golden data files and grain headers
for case in sorted(glob.glob(os.path.join(G, "cases", "*"))):
    name = os.path.basename(case)[:3]
    dp = os.path.join(case, "data.bin")
    if not os.path.exists(dp):
        dp = os.path.join(case, "data-after-commit.bin")
    data = open(dp, "rb").read()
    cfg = data[136:200]
    gh = os.path.join(case, "grain0-header.bin")
    if not os.path.exists(gh):
        gh = os.path.join(case, "grain-header-after-commit.bin")
    grain = open(gh, "rb").read()[:4096] if os.path.exists(gh) else b""
    gsize = struct.unpack_from("<I", grain, 20)[0] if grain else 0
    put("fuzz_headers", name + "-data", struct.pack("<Q", len(data)) + cfg + data)
    if grain:
        put("fuzz_headers", name + "-grain", struct.pack("<Q", 8192 + gsize) + cfg + grain)
        put("fuzz_headers", name + "-grain-short", struct.pack("<Q", 8192 + gsize - 1) + cfg + grain)
    else:
        ch, blen = struct.unpack_from("<II", cfg, 0)
        put("fuzz_headers", name + "-channels", struct.pack("<Q", ch * blen * 4) + cfg + data)

# (c) options
for i, o in enumerate(opts):
    for m in (1, 2):
        put("fuzz_options", "w%02d-%d" % (i, m), bytes([m]) + o.encode())
for n in ["options-garbage.txt", "options-history-500ms.json", "options-history-string.json"]:
    t = open(os.path.join(G, "inputs", n), "rb").read()
    put("fuzz_options", "d-" + n, bytes([0]) + t)
    put("fuzz_options", "f-" + n, bytes([3]) + t)

# (d) flow files: valid small video, data and audio flows, then classic corruptions
def data_header(fmt, rate, union, head=0):
    h = bytearray(264)
    struct.pack_into("<II", h, 0, 1, 2048)
    h[8:24] = bytes.fromhex("5fbec3b11b0f417d90598b94a47197ed")
    struct.pack_into("<IIqqIIIi", h, 24, fmt, 0, rate[0], rate[1], 8, 8, 0, -1)
    h[136:136 + len(union)] = union
    struct.pack_into("<Q", h, 200, head)
    return bytes(h)


def flow_seed(dlen, nfiles, flags, glen, chlen, hdr, ghdr, ops, spare=0):
    ctl = struct.pack("<HBBIII", dlen, nfiles, flags, glen, chlen, spare)
    state = struct.pack("<QI", 0, 0) + bytes(4)
    return ctl + hdr + state + ghdr + ops


def op(kind, a, b):
    return struct.pack("<BQQ", kind, a, b)


def ghdr(gsize, slices, index=0, valid=0):
    return struct.pack("<IIQIIHH", 1, 4096, index, 0, gsize, slices, valid)


video_union = struct.pack("<IIIII", 128, 0, 0, 0, 4)        # 48 px wide v210: 128 bytes per line, 4 grains
vh = data_header(1, (50, 1), video_union, head=3)
vg = ghdr(128 * 8, 8, valid=8)
reads = op(0, 3, 0) + op(1, 2, 4) + op(7, 3, 8) + op(3, 0, 0) + op(0, 0, 0)
put("fuzz_flow_open", "video-ok", flow_seed(2064, 4, 0xC1, 8192 + 1024, 0, vh, vg, reads))
put("fuzz_flow_open", "video-writer", flow_seed(2064, 4, 0xC5, 8192 + 1024, 0, vh, vg, reads + op(0, 9, 8)))
put("fuzz_flow_open", "video-hostile", flow_seed(2064, 4, 0x41, 8192 + 1024, 0, vh, vg,
                                                 op(5, 20 << 8, 0xFFFFFFFF) + op(4, 200, 2**64 - 1) + reads))
put("fuzz_flow_open", "video-truncated-after-open", flow_seed(2064, 4, 0xC1, 8192 + 1024, 0, vh, vg,
                                                              op(7, (3 << 8) | (3 << 1), 8192 * 2) + reads, spare=2))
put("fuzz_flow_open", "data-truncated-after-open", flow_seed(2064, 4, 0xC1, 8192 + 1024, 0, vh, vg,
                                                             op(7, (2 << 8) | 1, 0) + reads, spare=2))
put("fuzz_flow_open", "video-short-data", flow_seed(2063, 4, 0x41, 8192 + 1024, 0, vh, vg, reads))
put("fuzz_flow_open", "video-grain-short", flow_seed(2064, 4, 0x41, 8192 + 1023, 0, vh, vg, reads))
put("fuzz_flow_open", "video-missing-grains", flow_seed(2064, 2, 0x41, 8192 + 1024, 0, vh, vg, reads))
put("fuzz_flow_open", "video-no-grains-dir", flow_seed(2064, 4, 0x43, 8192 + 1024, 0, vh, vg, reads))
put("fuzz_flow_open", "video-huge-count", flow_seed(2064, 4, 0x41, 8192 + 1024, 0,
                                                    data_header(1, (50, 1), struct.pack("<IIIII", 128, 0, 0, 0, 999999)), vg, reads, spare=1))
put("fuzz_flow_open", "video-lying-grainsize", flow_seed(2064, 4, 0x41, 8192 + 1024, 0, vh, ghdr(1 << 30, 8), reads))
put("fuzz_flow_open", "video-version2", flow_seed(2064, 4, 0x41, 8192 + 1024, 0, b"\x02" + vh[1:], vg, reads))
put("fuzz_flow_open", "video-format9", flow_seed(2064, 4, 0x41, 8192 + 1024, 0, vh[:24] + b"\x09" + vh[25:], vg, reads))
dh = data_header(3, (50, 1), struct.pack("<IIIII", 1, 0, 0, 0, 3), head=7)
put("fuzz_flow_open", "data-ok", flow_seed(2064, 3, 0x45, 8192 + 4096, 0, dh, ghdr(4096, 4096, valid=4096), reads))
ah = data_header(2, (48000, 1), struct.pack("<II", 2, 2048), head=100000)
sreads = op(2, 100000, 480) + op(2, 99500, 1024) + op(6, 100001, 1) + op(3, 0, 0) + op(2, 100000, 1025)
put("fuzz_flow_open", "audio-ok", flow_seed(2064, 0, 0x01, 0, 2 * 2048 * 4, ah, bytes(32), sreads))
put("fuzz_flow_open", "audio-f64", flow_seed(2064, 0, 0x01, 0, 2 * 2048 * 8, ah, bytes(32), sreads))
put("fuzz_flow_open", "audio-writer", flow_seed(2064, 0, 0x05, 0, 2 * 2048 * 4, ah, bytes(32), sreads + op(1, 200000, 512)))
put("fuzz_flow_open", "audio-not-multiple", flow_seed(2064, 0, 0x01, 0, 2 * 2048 * 4 + 3, ah, bytes(32), sreads))
put("fuzz_flow_open", "audio-short", flow_seed(2064, 0, 0x01, 0, 2 * 2048 * 4 - 1, ah, bytes(32), sreads))
put("fuzz_flow_open", "audio-huge-claim", flow_seed(2064, 0, 0x01, 0, 65536, data_header(2, (48000, 1), struct.pack("<II", 65536, 65536)), bytes(32), sreads))
put("fuzz_flow_open", "audio-no-flowdef", flow_seed(2064, 0, 0x09, 0, 2 * 2048 * 4, ah, bytes(32), sreads))

# (e) ids and URIs
for i, s in enumerate(["5fbec3b1-1b0f-417d-9059-8b94a47197ed", "{5FBEC3B1-1B0F-417D-9059-8B94A47197ED}",
                       "5fbec3b11b0f417d90598b94a47197ed", "5fbec3b1-1b0f-417d-9059-8b94a47197e",
                       "../5fbec3b1-1b0f-417d-9059-8b94a47197ed", "5fbec3b1/1b0f-417d-9059-8b94a47197ed",
                       "mxl:///dev/shm/mxl?id=5fbec3b1-1b0f-417d-9059-8b94a47197ed",
                       "mxl://host:1234/dev/shm/mxl?id=5fbec3b1-1b0f-417d-9059-8b94a47197ed&id=b3bb5be7-9fe9-4324-a5bb-4c70e1084449",
                       "mxl://[::1]:80/a%20b?id=%35fbec3b1-1b0f-417d-9059-8b94a47197ed", "MXL://h/p", "mxl://h:99999/p",
                       "mxl:///p?id=" + "&id=".join(["5fbec3b1-1b0f-417d-9059-8b94a47197ed"] * 17)]):
    put("fuzz_uuid_uri", "s%02d" % i, s)

# (f) ANC: a header plus packets in the RFC 8331 layout (same bit packing as media/src/anc.c)
def word(v):
    p = bin(v).count("1") & 1
    return v | (p << 8) | ((p ^ 1) << 9)


def anc(packets, f=0, count=None, length_delta=0):
    bits = []
    def put_bits(v, n):
        bits.extend((v >> (n - 1 - i)) & 1 for i in range(n))
    for (line, did, sdid, udw) in packets:
        start = len(bits)
        dc = word(len(udw))
        ws = [word(u) for u in udw]
        s = (word(did) & 0x1FF) + (word(sdid) & 0x1FF) + (dc & 0x1FF) + sum(w & 0x1FF for w in ws)
        s &= 0x1FF
        cs = s | ((((s >> 8) & 1) ^ 1) << 9)
        put_bits(0, 1); put_bits(line, 11); put_bits(0, 12); put_bits(0, 1); put_bits(0, 7)
        put_bits(word(did), 10); put_bits(word(sdid), 10); put_bits(dc, 10)
        for w in ws:
            put_bits(w, 10)
        put_bits(cs, 10)
        while (len(bits) - start) % 32:
            bits.append(0)
    body = bytearray(len(bits) // 8)
    for i, b in enumerate(bits):
        if b:
            body[i // 8] |= 0x80 >> (i % 8)
    length = len(body) + length_delta
    hdr = struct.pack(">HBB", length & 0xFFFF, len(packets) if count is None else count, f << 6) + b"\0\0"
    return hdr + bytes(body)


atc = (9, 0x60, 0x60, list(range(16)))
cc = (21, 0x61, 0x02, [0x80, 0x94, 0x2c])
put("fuzz_anc", "atc", bytes([8]) + anc([atc]))
put("fuzz_anc", "atc-cc", bytes([8]) + anc([atc, cc], f=2))
put("fuzz_anc", "long", bytes([64]) + anc([(1, 0x41, 0x05, list(range(255)))]))
put("fuzz_anc", "count-lies", bytes([64]) + anc([cc], count=200))
put("fuzz_anc", "length-lies", bytes([64]) + anc([atc, cc], length_delta=+100))
put("fuzz_anc", "length-short", bytes([64]) + anc([atc, cc], length_delta=-5))
put("fuzz_anc", "empty", bytes([1]) + b"\0\0\0\0\0\0")
print("seeds written to", CORPUS)
