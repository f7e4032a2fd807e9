#!/usr/bin/env python3
"""Shared constants, site generation and expected-result generation for the golden captures.

Everything the expected files say is derived from what these scripts send or serve (file
sizes, exact handcrafted bytes), never from a parser. Standard library only.

Subcommands:
  site DIR                  write the nginx / http.server document trees under DIR
  enc-site DIR              write the plain text files that encodings.pcapng serves compressed
  expected NAME OUT [k=v]   write tests/golden/NAME.expected.json (k=v: measured facts such
                            as the size of nginx's gzip output or of the brotli/zstd CLI output)
"""
import hashlib
import html
import http.server
import json
import os
import sys
from http import HTTPStatus

# Ports (all loopback). Distinct and high so that tests may run beside other things.
PORT_NGINX_KEEPALIVE = 18080   # 127.0.0.1, nginx-keepalive.pcap
PORT_PYHTTP = 18081            # 127.0.0.1, python -m http.server
PORT_HANDCRAFTED = 18082       # 127.0.0.1, handcrafted.py server
PORT_NGINX_V6 = 18083          # [::1], ipv6-sll2.pcapng
PORT_MULTI_A = 18084           # 127.0.0.1 nginx, multi-interface (captured on lo, Ethernet)
PORT_MULTI_B = 18085           # 127.0.0.1 nginx, multi-interface (captured on any, SLL2)
PORT_ENCODINGS = 18086         # 127.0.0.1 encodings_server.py, encodings.pcapng
PORT_UPSTREAM = 18089          # 127.0.0.1 upload_server.py behind nginx (never captured)

MTIME = 1700000000             # fixed mtime of served files -> stable nginx ETags / Last-Modified

SIZES = {
    "index.html": 2048,
    "style.css": 30720,
    "big.bin": 307200,
    "404.html": 345,
    "post-small.bin": 3000,
    "post-expect.bin": 4000,
}
PY_SIZES = {"index.html": 2048, "data.json": 1000, "hello.txt": 14}

# encodings.pcapng: plain text files, compressed by the real CLI tools (brotli, zstd, gzip) in
# make-captures.sh; encodings_server.py serves the compressed files with these headers.
ENC_TEXT_SIZES = {"text-40k.txt": 40000, "text-100k.txt": 100000}
# (target, plain file, Content-Encoding header, suffix of the compressed file, framing)
# The file DIR/<plain file><suffix> is made by the CLI tools in the order the header lists the
# codings: ".gz.br" = gzip -n, then brotli of the result -> "Content-Encoding: gzip, br".
ENC_ROUTES = [
    ("/text-40k.br", "text-40k.txt", "br", ".br", "length"),
    ("/text-100k.br", "text-100k.txt", "br", ".br", "chunked"),
    ("/text-100k.zst", "text-100k.txt", "zstd", ".zst", "length"),
    ("/text-40k.zst", "text-40k.txt", "zstd", ".zst", "chunked"),
    ("/text-40k.gz.br", "text-40k.txt", "gzip, br", ".gz.br", "length"),
]
ENC_CHUNK = 8192               # chunk size of the chunked responses (the last one is shorter)
ENC_ACCEPT = {"br": "br", "zstd": "zstd", "gzip, br": "gzip, br"}  # Accept-Encoding curl sends


def _stream(label, n):
    """Deterministic pseudo-random bytes (SHA-256 in counter mode)."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}:{i}".encode()).digest()
        i += 1
    return bytes(out[:n])


def _text(label, n, make_line):
    out = []
    size = 0
    i = 0
    while size < n:
        line = make_line(i, hashlib.sha256(f"{label}:{i}".encode()).hexdigest())
        out.append(line)
        size += len(line)
        i += 1
    return "".join(out).encode()[:n]


def index_html(n):
    head = b"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>golden</title>" \
           b"<link rel=\"stylesheet\" href=\"/style.css\"></head>\n<body>\n"
    tail = b"</body></html>\n"
    body = _text("index", n, lambda i, h: f"<p id=\"p{i}\">paragraph {i} {h[:24]}</p>\n")
    data = head + body
    return data[: n - len(tail)] + tail


def style_css(n):
    # Text with some entropy so that gzip output spans several packets.
    return _text("css", n, lambda i, h:
                 f".c{h[:6]} {{ color: #{h[6:12]}; margin: {int(h[12:14], 16)}px "
                 f"{int(h[14:16], 16)}px; background: url(/img/{h[16:28]}.png); }}\n")


def not_found_html(n):
    head = b"<!doctype html>\n<html><head><title>404 Not Found</title></head><body><h1>Not found</h1>\n<p>"
    tail = b"</p></body></html>\n"
    return head + b"x" * (n - len(head) - len(tail)) + tail


def enc_text(label, n):
    # English-ish lines with some entropy: compresses about 2-3x, so every body spans several
    # segments.
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
             "juliett", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo"]
    return _text(label, n, lambda i, h: "line %d: %s %s %s, checksum %s.\n" % (
        i, words[int(h[0:2], 16) % len(words)], words[int(h[2:4], 16) % len(words)],
        words[int(h[4:6], 16) % len(words)], h[8:40]))


def write_enc_site(root):
    os.makedirs(root, exist_ok=True)
    for name, n in ENC_TEXT_SIZES.items():
        path = os.path.join(root, name)
        with open(path, "wb") as f:
            f.write(enc_text(name, n))
        assert os.path.getsize(path) == n, (path, n)


def site_files():
    return {
        "index.html": index_html(SIZES["index.html"]),
        "style.css": style_css(SIZES["style.css"]),
        "big.bin": _stream("big", SIZES["big.bin"]),
        "errors/404.html": not_found_html(SIZES["404.html"]),
    }


def post_bodies():
    # Bodies that cannot be mistaken for an HTTP message start (the loss edit drops a request's
    # headers and leaves its body on the wire).
    return {
        "post-small.bin": _text("post", SIZES["post-small.bin"], lambda i, h: f"field{i}={h}&"),
        "post-expect.bin": _text("expect", SIZES["post-expect.bin"], lambda i, h: f"{h}\n"),
    }


def py_files():
    return {
        "index.html": index_html(PY_SIZES["index.html"]),
        "data.json": b"{\"items\": [" + b",".join(b"%d" % i for i in range(1000))[: PY_SIZES["data.json"] - 14] + b"]}\n",
        "hello.txt": b"hello, golden\n",
    }


def write_site(root):
    groups = {"www": site_files(), "post": post_bodies(), "py": py_files()}
    for sub, files in groups.items():
        for name, data in files.items():
            path = os.path.join(root, sub, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            os.utime(path, (MTIME, MTIME))
    # sanity: sizes are what the expected files will claim
    for name, n in SIZES.items():
        p = os.path.join(root, "post" if name.startswith("post") else "www",
                         "errors/404.html" if name == "404.html" else name)
        assert os.path.getsize(p) == n, (p, os.path.getsize(p), n)
    for name, n in PY_SIZES.items():
        p = os.path.join(root, "py", name)
        assert os.path.getsize(p) == n, (p, os.path.getsize(p), n)


def etag(size):
    return '"%x-%x"' % (MTIME, size)


def upstream_reply(n):
    return b"received %d bytes\n" % n


def pyhttp_404_body():
    # Exactly what http.server.BaseHTTPRequestHandler.send_error(404, "File not found") sends.
    h = http.server.BaseHTTPRequestHandler
    msg = "File not found"
    explain = HTTPStatus.NOT_FOUND.description
    content = h.error_message_format % {"code": 404, "message": html.escape(msg, quote=False),
                                        "explain": html.escape(explain, quote=False)}
    return content.encode("UTF-8", "replace")


def tx(method, url, status, req=0, resp=0, decoded=None, complete=True, reasons=(), tunnel=None,
       connection=1, position=0):
    return {"method": method, "url": url, "status": status, "request_body_bytes": req,
            "response_body_bytes": resp, "response_decoded_bytes": decoded, "complete": complete,
            "incomplete_reasons": list(reasons), "tunnel": tunnel, "connection": connection,
            "position": position}


def nginx_keepalive_txs(css_gz):
    b = f"http://127.0.0.1:{PORT_NGINX_KEEPALIVE}"
    up = len(upstream_reply(0))  # "received N bytes\n" with N of 4 digits below
    r_small = len(upstream_reply(SIZES["post-small.bin"]))
    r_expect = len(upstream_reply(SIZES["post-expect.bin"]))
    del up
    return [
        tx("GET", b + "/index.html", 200, resp=SIZES["index.html"], connection=1, position=0),
        tx("GET", b + "/big.bin", 200, resp=SIZES["big.bin"], connection=1, position=1),
        tx("GET", b + "/style.css", 200, resp=css_gz, decoded=SIZES["style.css"], connection=1, position=2),
        tx("POST", b + "/upload", 200, req=SIZES["post-small.bin"], resp=r_small, connection=1, position=3),
        tx("POST", b + "/upload", 200, req=SIZES["post-expect.bin"], resp=r_expect, connection=1, position=4),
        tx("GET", b + "/missing", 404, resp=SIZES["404.html"], connection=1, position=5),
        tx("HEAD", b + "/index.html", 200, resp=0, connection=2, position=0),
        tx("GET", b + "/index.html", 304, resp=0, connection=3, position=0),
    ]


NGINX_NOTES = (
    "nginx 1.22 on 127.0.0.1:{port}, one curl invocation (--next) reusing one keep-alive connection for "
    "index.html (2048 B), big.bin (307200 B, Content-Length, written in 8 KiB buffers), style.css (30720 B, gzip -> chunked, "
    "{gz} B encoded), POST /upload 3000 B (proxied to a python upstream, 'Expect:' suppressed), POST /upload "
    "4000 B with 'Expect: 100-continue' (interim 100 Continue precedes the final 200; the body is sent after the "
    "100), GET /missing -> 404 with a custom 345 B error page; then 'curl -I' (HEAD, connection 2) and "
    "'curl -H If-None-Match: {etag}' -> 304 (connection 3). ETag is fixed because file mtimes are fixed."
)


def expected(name, facts):
    port_h = PORT_HANDCRAFTED
    css_gz = int(facts.get("css_gz", 0))
    if name == "nginx-keepalive":
        return nginx_keepalive_txs(css_gz), NGINX_NOTES.format(port=PORT_NGINX_KEEPALIVE, gz=css_gz,
                                                               etag=etag(SIZES["index.html"]))
    if name in ("bigendian", "truncated", "nginx-keepalive.pcap.gz", "reorder"):
        extra = {
            "bigendian": "Same packets as nginx-keepalive.pcap rewritten as a big-endian classic pcap "
                         "(magic a1 b2 c3 d4 in file order, all header fields big-endian). Same transactions.",
            "truncated": "nginx-keepalive.pcap cut in the middle of its last record: the record header is whole, "
                         "half of its captured bytes are present. The last record "
                         "(the final ACK of the last connection's teardown: no payload), so every "
                         "transaction is still complete; readers must report the truncation (warning) "
                         "rather than fail.",
            "nginx-keepalive.pcap.gz": "gzip (mtime 0, no name) of nginx-keepalive.pcap. Same transactions.",
            "reorder": "Copy of nginx-keepalive.pcap where, in file order, data packets of the big.bin response "
                       "were swapped pairwise (body packets 2<->3 and 5<->6, counting the packet with the "
                       "response headers as 0; packet contents move, each slot keeps its timestamp so time stays "
                       "monotonic in file order) and body packet 4 was duplicated after body packet 7 (a spurious "
                       "retransmission). Transactions must be identical to the original.",
        }[name]
        return nginx_keepalive_txs(css_gz), extra + " " + NGINX_NOTES.format(
            port=PORT_NGINX_KEEPALIVE, gz=css_gz, etag=etag(SIZES["index.html"]))
    if name == "loss":
        t = nginx_keepalive_txs(css_gz)
        # big.bin: one data packet missing -> response_gap; the body size stays the declared one.
        t[1]["complete"] = False
        t[1]["incomplete_reasons"] = ["response_gap"]
        # The packet with the headers of the Expect POST is gone: its 100 Continue + 200 arrive
        # with no request; its 4000 body bytes on the client side must be skipped (resync) and
        # GET /missing must be found and paired with the 404.
        t[4] = tx(None, None, 200, req=0, resp=len(upstream_reply(SIZES["post-expect.bin"])),
                  complete=False, reasons=["no_request"], connection=1, position=4)
        return t, ("Copy of nginx-keepalive.pcap with two packets dropped: the 3rd body packet of big.bin's "
                   "response (counting the packet with the headers as 0; a few KB of body missing: response_gap; "
                   "response_body_bytes stays the declared 307200), and the packet carrying the whole header block of the 'Expect: 100-continue' POST; its 4000 B body follows on "
                   "the wire and must be skipped while resyncing, it is not a transaction). That transaction is "
                   "reported from its response alone (100 Continue interim + 200, 'received 4000 bytes\\n'): "
                   "method/url null, request_body_bytes 0. Position counts the analyzer's transactions on the "
                   "connection. ") + NGINX_NOTES.format(
            port=PORT_NGINX_KEEPALIVE, gz=css_gz, etag=etag(SIZES["index.html"]))
    if name == "midstream":
        t = nginx_keepalive_txs(css_gz)[2:]
        for i, x in enumerate(t[:4]):
            x["position"] = i
        return t, ("Copy of nginx-keepalive.pcap keeping only the records from the middle body packet of "
                   "big.bin's response on (body packet n//2 of n, 0 = the packet with the headers): the keep-alive "
                   "connection starts in the middle of the big.bin body (no SYN, no request). The "
                   "leading body bytes are not a message start and yield no transaction; the analyzer must "
                   "resync at the next request (GET /style.css). Positions count from 0 at the first "
                   "transaction the analyzer sees on the connection (it cannot know earlier ones). "
                   ) + NGINX_NOTES.format(
            port=PORT_NGINX_KEEPALIVE, gz=css_gz, etag=etag(SIZES["index.html"]))
    if name == "python-httpserver":
        b = f"http://127.0.0.1:{PORT_PYHTTP}"
        nf = len(pyhttp_404_body())
        return [
            tx("GET", b + "/index.html", 200, resp=PY_SIZES["index.html"], connection=1),
            tx("GET", b + "/data.json", 200, resp=PY_SIZES["data.json"], connection=2),
            tx("GET", b + "/missing", 404, resp=nf, connection=3),
            tx("GET", b + "/hello.txt", 200, resp=PY_SIZES["hello.txt"], connection=4),
        ], ("python3 -m http.server (SimpleHTTPRequestHandler, HTTP/1.0 responses with Content-Length, server "
            "closes after each) on 127.0.0.1:%d; urllib.request fetches /index.html, /data.json, /missing "
            "(404, %d B html error page from http.server's send_error) on three connections "
            "(urllib sends 'Connection: close'), then curl fetches /hello.txt (HTTP/1.1 request, HTTP/1.0 "
            "response). Nanosecond-resolution pcap (magic a1 b2 3c 4d)." % (PORT_PYHTTP, nf))
    if name == "handcrafted-server":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import handcrafted
        return handcrafted.expected(port_h), handcrafted.NOTES
    if name == "ipv6-sll2":
        b = f"http://[::1]:{PORT_NGINX_V6}"
        return [
            tx("GET", b + "/index.html", 200, resp=SIZES["index.html"], connection=1, position=0),
            tx("GET", b + "/style.css", 200, resp=SIZES["style.css"], connection=1, position=1),
            tx("GET", b + "/missing", 404, resp=SIZES["404.html"], connection=1, position=2),
        ], ("curl over IPv6 loopback to nginx listening on [::1]:%d, one keep-alive connection (index.html, "
            "style.css without Accept-Encoding so identity, /missing -> 404). Captured with "
            "'tcpdump -i any -y LINUX_SLL2' (link type 276, LINUX_SLL2), converted with 'editcap -F pcapng'. "
            "Host header is '[::1]:%d'." % (PORT_NGINX_V6, PORT_NGINX_V6))
    if name in ("multi-interface", "multi-interface-ns"):
        ns = name.endswith("-ns")
        return [
            tx("GET", f"http://127.0.0.1:{PORT_MULTI_A}/index.html", 200, resp=SIZES["index.html"],
               connection=1, position=0),
            tx("GET", f"http://127.0.0.1:{PORT_MULTI_A}/missing", 404, resp=SIZES["404.html"],
               connection=1, position=1),
            tx("GET", f"http://127.0.0.1:{PORT_MULTI_B}/style.css", 200, resp=SIZES["style.css"],
               connection=2, position=0),
        ], ("mergecap -F pcapng of two captures taken at the same time: interface 0 = 'tcpdump -i lo' "
            "(Ethernet, link type 1) of port %d (curl: /index.html, /missing on one connection), interface 1 = "
            "'tcpdump -i any -y LINUX_SLL2' (link type 276) of port %d (curl: /style.css, identity). The port-%d "
            "traffic happens first. %s" % (
                PORT_MULTI_A, PORT_MULTI_B, PORT_MULTI_A,
                "Both captures taken with --time-stamp-precision=nano: both IDBs carry if_tsresol=9 "
                "(nanosecond timestamps)." if ns else
                "Microsecond captures: IDBs have the default resolution (if_tsresol absent = 6)."))
    if name == "encodings":
        b = f"http://127.0.0.1:{PORT_ENCODINGS}"
        out = []
        for i, (target, plain, coding, suffix, framing) in enumerate(ENC_ROUTES):
            enc = int(facts[plain + suffix])  # size of the CLI tools' output, measured
            out.append(tx("GET", b + target, 200, resp=enc, decoded=ENC_TEXT_SIZES[plain], connection=1,
                          position=i))
        desc = "; ".join(
            "%s: Content-Encoding '%s', %s, %s B -> %s B" % (
                t, c, "Content-Length" if fr == "length" else "chunked (%d B chunks)" % ENC_CHUNK,
                facts[p + sfx], ENC_TEXT_SIZES[p])
            for t, p, c, sfx, fr in ENC_ROUTES)
        return out, (
            "Python http.server (scripts/golden/encodings_server.py, HTTP/1.1 keep-alive) on 127.0.0.1:%d "
            "serving text files (40000 B and 100000 B) compressed beforehand by the Debian CLI tools "
            "('brotli -c', 'zstd -q -c', 'gzip -n -c'; %s; the stacked one is gzip first, then brotli of the "
            "gzip output, header 'gzip, br' in order of application). One curl "
            "invocation (--next, explicit Accept-Encoding, raw body to /dev/null) on one connection: %s. "
            "response_body_bytes = the compressed file size (after de-chunking), response_decoded_bytes = "
            "the original text size." % (PORT_ENCODINGS, facts.get("tools", "versions not recorded"), desc))
    raise SystemExit(f"unknown capture {name}")


CAPTURE_FILE = {
    "nginx-keepalive": "nginx-keepalive.pcap",
    "python-httpserver": "python-httpserver.pcap",
    "handcrafted-server": "handcrafted-server.pcapng",
    "ipv6-sll2": "ipv6-sll2.pcapng",
    "multi-interface": "multi-interface.pcapng",
    "multi-interface-ns": "multi-interface-ns.pcapng",
    "loss": "loss.pcap",
    "reorder": "reorder.pcap",
    "midstream": "midstream.pcap",
    "bigendian": "bigendian.pcap",
    "truncated": "truncated.pcap",
    "nginx-keepalive.pcap.gz": "nginx-keepalive.pcap.gz",
    "encodings": "encodings.pcapng",
}


def main(argv):
    if len(argv) >= 2 and argv[0] == "site":
        write_site(argv[1])
        return
    if len(argv) >= 2 and argv[0] == "enc-site":
        write_enc_site(argv[1])
        return
    if len(argv) == 1 and argv[0] == "enc-routes":
        # for make-captures.sh: target, plain file, suffix, Accept-Encoding (tab-separated)
        for target, plain, coding, suffix, _ in ENC_ROUTES:
            print(f"{target}\t{plain}\t{suffix}\t{ENC_ACCEPT[coding]}")
        return
    if len(argv) >= 2 and argv[0] == "expected":
        name, out = argv[1], argv[2]
        facts = dict(a.split("=", 1) for a in argv[3:])
        txs, notes = expected(name, facts)
        doc = {"capture": CAPTURE_FILE[name], "transactions": txs, "notes": notes}
        with open(out, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        return
    if len(argv) >= 1 and argv[0] == "etag":
        print(etag(SIZES[argv[1]]))
        return
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
