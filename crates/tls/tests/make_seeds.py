#!/usr/bin/env python3
"""Writes the seed inputs of the `tls` fuzz corpus (fuzz/corpus/tls/seed_*) from the golden
captures in tests/golden, in the op format of crates/tls/src/fuzzing.rs. Needs tshark.

    python3 crates/tls/tests/make_seeds.py        (from the workspace root)

Each TCP segment becomes one data op (in capture order, so both directions interleave as on
the wire); the session's key log, when used, is fed first. Broken variants cut, flip, lose
or mislabel bytes. tests/fuzz_corpus.rs checks what some of the seeds must produce.
"""
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
GOLDEN = os.path.join(ROOT, "tests", "golden")
CORPUS = os.path.join(ROOT, "fuzz", "corpus", "tls")


def segments(capture, stream):
    """[(dir, payload)] of one TCP stream, dir 0 = client (the SYN's sender)."""
    out = subprocess.run(
        ["tshark", "-r", os.path.join(GOLDEN, capture), "-Y", f"tcp.stream == {stream}",
         "-T", "fields", "-e", "tcp.srcport", "-e", "tcp.payload"],
        check=True, capture_output=True, text=True).stdout
    client = None
    segs = []
    for line in out.splitlines():
        port, _, payload = line.partition("\t")
        if client is None:
            client = port
        if payload:
            segs.append((0 if port == client else 1, bytes.fromhex(payload.replace(":", ""))))
    return segs


def keys(name):
    with open(os.path.join(GOLDEN, name), "rb") as f:
        return f.read()


def long(n):
    return (min(max(n, 1), 65536) - 1).to_bytes(2, "little")


def data(d, b, piece=65536):
    out = b""
    for i in range(0, len(b), piece):
        c = b[i:i + piece]
        out += (bytes([d, len(c) - 1]) if len(c) <= 256 else bytes([d | 2]) + long(len(c))) + c
    return out


def gap(d, n):
    return bytes([d | 4]) + long(n)


def keylog(text, finish=True):
    return bytes([6 | (1 if finish else 0)]) + long(len(text)) + text


def stream_ops(segs, piece=65536):
    return b"".join(data(d, b, piece) for d, b in segs)


def write(name, content):
    with open(os.path.join(CORPUS, "seed_" + name), "wb") as f:
        f.write(content)


def first_app_record(segs, d, skip=0):
    """(segment index, byte index) inside the body of an application data record of
    direction d, past the first `skip` such records."""
    for i, (sd, b) in enumerate(segs):
        if sd == d and b[:3] == b"\x17\x03\x03" and len(b) > 40:
            if skip == 0:
                return i, 20
            skip -= 1
    raise SystemExit("no application record")


def main():
    os.makedirs(CORPUS, exist_ok=True)
    k13, k12 = keys("tls13-nginx.keys"), keys("tls12-nginx.keys")
    t13_0, t13_1 = segments("tls13-nginx.pcapng", 0), segments("tls13-nginx.pcapng", 1)
    t12_0 = segments("tls12-nginx.pcapng", 0)

    # Real sessions with their keys.
    write("tls13_nginx", keylog(k13) + stream_ops(t13_0))
    write("tls13_nginx_pieces7", keylog(k13) + stream_ops(t13_1, 7))
    write("tls12_nginx", keylog(k12) + stream_ops(t12_0))
    kr = keys("tls-resumed.keys")
    for s in range(4):
        write(f"resumed_{s}", keylog(kr) + stream_ops(segments("tls-resumed.pcapng", s)))
    write("tls12_partial_keys", keylog(keys("tls12-partial-keys.keys"))
          + stream_ops(segments("tls12-partial-keys.pcapng", 0)))
    write("tls13_nokeys", stream_ops(segments("tls13-nokeys.pcapng", 0)))

    # Broken variants.
    # A lost server segment in the middle of the stream.
    i, _ = first_app_record(t13_1, 1)
    write("tls13_gap", keylog(k13) + b"".join(
        gap(d, len(b)) if n == i else data(d, b) for n, (d, b) in enumerate(t13_1)))
    # One flipped ciphertext byte in a server application record.
    i, j = first_app_record(t13_1, 1, 1)
    flipped = list(t13_1)
    b = bytearray(flipped[i][1])
    b[j] ^= 0x40
    flipped[i] = (1, bytes(b))
    write("tls13_flipped", keylog(k13) + stream_ops(flipped))
    # A wrong secret: one hex digit of every CLIENT_RANDOM secret changed.
    wrong = b"\n".join(l[:-1] + (b"0" if l[-1:] != b"0" else b"1") if l else l
                       for l in k12.split(b"\n"))
    write("tls12_wrong_key", keylog(wrong) + stream_ops(t12_0))
    # The key log arrives in pieces, the last line without a newline, after the hellos.
    hello = next(n for n, (d, _) in enumerate(t12_0) if d == 1) + 1
    write("tls12_keys_late", stream_ops(t12_0[:hello]) + keylog(k12[:100], False)
          + keylog(k12[100:].rstrip(b"\n"), True) + stream_ops(t12_0[hello:]))
    # ... or only after the first encrypted records.
    half = len(t12_0) // 2
    write("tls12_keys_after_finished", stream_ops(t12_0[:half]) + keylog(k12)
          + stream_ops(t12_0[half:]))
    # Cut in the middle of a record, both directions.
    write("tls13_truncated", keylog(k13) + stream_ops(t13_1[:4]) + data(1, t13_1[4][1][:30]))
    # Not TLS at all from the server; then plain HTTP from the client.
    write("garbage_header", stream_ops(t13_1[:1]) + data(1, b"HTTP/1.1 400 Bad Request\r\n\r\n")
          + data(0, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
    # Directions swapped.
    write("swapped", keylog(k13) + stream_ops([(1 - d, b) for d, b in t13_1]))
    # A fatal handshake_failure alert in clear after the ClientHello.
    write("alert", stream_ops(t13_1[:1]) + data(1, bytes.fromhex("150303000202 28")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
