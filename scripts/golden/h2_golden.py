#!/usr/bin/env python3
"""HTTP/2 golden captures: served files, the plan of every connection, expected files.

The table RUNS is the single description of what h2-captures.sh makes each client do; the
expected files (tests/golden/<name>.h2-expected.json) are derived from it, from the sizes of the
files served and from the documented behaviour of the servers (nghttpd's built-in 404 page), never
from a parser. The one measured number is the size of nginx's gzip output for style.css, fetched
before the capture and checked to gunzip to the original (passed in as css_gz=N). Standard library.

Subcommands:
  site DIR                     write the document tree (nginx, nghttpd and h2c_upgrade_server.py)
  expected NAME OUT [k=v ...]  write tests/golden/NAME.h2-expected.json
  nghttpd-404 PORT             print nghttpd 1.52's built-in 404 page for that port (no newline)
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden  # noqa: E402

HOST = "golden.test"          # TLS: SNI and :authority (curl --resolve golden.test:PORT:127.0.0.1)
PORT_TLS = 18100              # nginx 1.22, `listen 127.0.0.1:18100 ssl http2` (h2-nginx-tls)
PORT_H2C = 18101              # nghttpd --no-tls (h2c-prior-knowledge)
PORT_UPGRADE = 18102          # h2c_upgrade_server.py (python3-h2), Upgrade: h2c (h2c-upgrade)
H2_PORTS = (PORT_TLS, PORT_H2C, PORT_UPGRADE)

SIZES = {
    "index.html": 2048,
    "medium.bin": 102400,
    "style.css": 30720,
    "data.bin": 20000,
    "par/1.bin": 65536, "par/2.bin": 65536, "par/3.bin": 65536, "par/4.bin": 65536,
    "errors/404.html": 345,   # nginx error_page 404 /errors/404.html
}
NOT_FOUND_UPGRADE = 10        # h2c_upgrade_server.NOT_FOUND = b"not found\n"


def nghttpd_404(port):
    # nghttp2 1.52 src/HttpServer.cc create_html() for 404 (text/html; charset=UTF-8)
    return (f"<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1><hr>"
            f"<address>nghttpd nghttp2/1.52.0 at port {port}</address></body></html>")


# One entry per TCP connection, in the order the script opens them:
#   (client, scheme, authority, how the connection becomes HTTP/2, [(target, stream id)], concurrent)
# Stream ids: curl numbers its streams 1, 3, 5, ... in URL order (with -Z too: it adds the transfers
# in order and they all wait for the one multiplexed connection, --parallel-max 4). nghttp 1.52 first
# sends PRIORITY frames that create idle anchor streams 3, 5, 7, 9, 11 (its dependency tree), so its
# requests are streams 13, 15, 17; the script checks nghttp -v's own log of the HEADERS it sent. In an
# h2c upgrade the HTTP/1.1 request that carried `Upgrade: h2c` becomes stream 1 (RFC 7540 3.2).
# concurrent: a lower bound for the number of streams open at once (the -Z run: at least 2).
RUNS = {
    "h2-nginx-tls": [
        ("curl", "https", f"{HOST}:{PORT_TLS}", "tls_alpn",
         [("/index.html", 1), ("/medium.bin", 3), ("/missing", 5), ("/style.css", 7)], 1),
        ("curl -Z", "https", f"{HOST}:{PORT_TLS}", "tls_alpn",
         [("/par/1.bin", 1), ("/par/2.bin", 3), ("/par/3.bin", 5), ("/par/4.bin", 7)], 2),
    ],
    "h2c-prior-knowledge": [
        ("curl", "http", f"127.0.0.1:{PORT_H2C}", "prior_knowledge", [("/index.html", 1)], 1),
        ("nghttp", "http", f"127.0.0.1:{PORT_H2C}", "prior_knowledge",
         [("/index.html", 13), ("/data.bin", 15), ("/missing", 17)], 1),
    ],
    "h2c-upgrade": [
        ("curl", "http", f"127.0.0.1:{PORT_UPGRADE}", "h2c_upgrade",
         [("/index.html", 1), ("/data.bin", 3), ("/missing", 5)], 1),
    ],
}

NOTES = {
    "h2-nginx-tls": (
        "nginx 1.22 (generated config, `listen 127.0.0.1:{pt} ssl http2`, TLS 1.3, throwaway EC P-256 certificate "
        "for golden.test, sendfile off, output_buffers 2 8k, gzip only for *.css, gzip_comp_level 1, "
        "error_page 404 -> 345 B page). Key log: curl's SSLKEYLOGFILE (both curls append to h2-nginx-tls.keys). "
        "ALPN: curl offers h2 and http/1.1, nginx selects h2. Connection 1: one `curl --http2 --compressed` with "
        "four URLs, one after another on one connection (streams 1, 3, 5, 7): /index.html 2048 B, /medium.bin "
        "102400 B, /missing -> 404 (345 B), /style.css gzip {css_gz} B -> 30720 B (curl --compressed sends "
        "accept-encoding to all four; only the css is compressed). Connection 2: `curl --http2 -Z --parallel-max 4` "
        "with /par/1.bin .. /par/4.bin (65536 B each), one multiplexed connection, streams 1, 3, 5, 7; nginx "
        "interleaves their DATA frames (h2-captures.sh checks this in tshark: DATA frames of a stream appear "
        "between DATA frames of another one). The :authority is golden.test:{pt}."),
    "h2c-prior-knowledge": (
        "nghttpd 1.52 --no-tls (-d docroot) on 127.0.0.1:{pc}, cleartext HTTP/2 with prior knowledge (client "
        "preface first, no Upgrade). Connection 1: `curl --http2-prior-knowledge` /index.html (2048 B, stream "
        "1); only one URL because curl 7.88.1 fails the second request on a reused prior-knowledge connection "
        "('Error in the HTTP2 framing layer', seen against nghttpd and nginx). Connection 2: `nghttp -n` with "
        "/index.html, /data.bin (20000 B) and /missing (nghttpd's built-in 404 page, 148 B text/html); nghttp "
        "first sends PRIORITY frames for idle streams 3, 5, 7, 9, 11 (no requests, no transactions) and sends "
        "its three requests on streams 13, 15, 17."),
    "h2c-upgrade": (
        "h2c_upgrade_server.py (python3-h2 4.1.0; nghttpd 1.52 does not implement the h2c upgrade) on "
        "127.0.0.1:{pu}. One `curl --http2` (not prior knowledge) with three URLs: the first request goes out "
        "as HTTP/1.1 with `Connection: Upgrade, HTTP2-Settings`, `Upgrade: h2c`, `HTTP2-Settings`; the server "
        "answers `HTTP/1.1 101 Switching Protocols` and then HTTP/2: that request is stream 1 and its response "
        "(200, 2048 B) comes as HTTP/2 HEADERS + DATA on stream 1. The 101 is an interim step, not a transaction, "
        "and it is not a tunnel: the bytes after it are HTTP/2. Then /data.bin (20000 B) on stream 3 and /missing "
        "on stream 5 (404, 10 B 'not found\\n')."),
}


def write_site(root):
    files = {
        "index.html": golden.index_html(SIZES["index.html"]),
        "medium.bin": golden._stream("h2-medium", SIZES["medium.bin"]),
        "style.css": golden.style_css(SIZES["style.css"]),
        "data.bin": golden._stream("h2-data", SIZES["data.bin"]),
        "errors/404.html": golden.not_found_html(SIZES["errors/404.html"]),
    }
    for i in range(1, 5):
        files[f"par/{i}.bin"] = golden._stream(f"h2-par-{i}", SIZES[f"par/{i}.bin"])
    for name, data in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (golden.MTIME, golden.MTIME))
        assert os.path.getsize(path) == SIZES[name], path


def response(name, target, port, facts):
    """(status, body bytes on the wire, decoded bytes or None) of a target, as served."""
    if target == "/missing":
        if name == "h2c-prior-knowledge":
            return 404, len(nghttpd_404(port)), None
        if name == "h2c-upgrade":
            return 404, NOT_FOUND_UPGRADE, None
        return 404, SIZES["errors/404.html"], None
    if target == "/style.css":
        return 200, int(facts["css_gz"]), SIZES["style.css"]
    return 200, SIZES[target.lstrip("/")], None


def expected(name, facts):
    txs, conns = [], []
    for c, (client, scheme, authority, how, streams, concurrent) in enumerate(RUNS[name], 1):
        port = int(authority.rsplit(":", 1)[1])
        for pos, (target, stream) in enumerate(streams):
            status, body, decoded = response(name, target, port, facts)
            t = golden.tx("GET", f"{scheme}://{authority}{target}", status, resp=body, decoded=decoded,
                          connection=c, position=pos)
            t["protocol"] = "HTTP/2"
            t["stream"] = stream
            txs.append(t)
        conns.append({"connection": c, "client": client, "how": how, "streams": len(streams),
                      "stream_ids": [s for _, s in streams], "max_concurrent_at_least": concurrent})
    out = {"capture": name + ".pcapng", "keylog": (name + ".keys") if name == "h2-nginx-tls" else None,
           "transactions": txs, "h2_connections": conns}
    out["notes"] = NOTES[name].format(pt=PORT_TLS, pc=PORT_H2C, pu=PORT_UPGRADE, css_gz=facts.get("css_gz", "?"))
    return out


def main(argv):
    if len(argv) == 2 and argv[0] == "site":
        return write_site(argv[1])
    if len(argv) >= 3 and argv[0] == "expected":
        facts = dict(a.split("=", 1) for a in argv[3:])
        with open(argv[2], "w") as f:
            json.dump(expected(argv[1], facts), f, indent=2)
            f.write("\n")
        return
    if len(argv) == 2 and argv[0] == "nghttpd-404":
        sys.stdout.write(nghttpd_404(int(argv[1])))
        return
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
