#!/usr/bin/env python3
"""Redirect-chain golden capture (redirects.pcap): routes, the two servers, expected file.

ROUTES is the only description of what the servers answer and CHAINS of what each `curl -L` starts
with; the expected file (tests/golden/redirects.expected.json) is derived from them by following
the Location headers the way curl does (relative references resolved against the request URL,
RFC 3986), never from a parser. Standard library only.

Subcommands:
  serve SECONDS         serve ROUTES on 127.0.0.1:18121 and 127.0.0.1:18122 (HTTP/1.1 keep-alive)
  chain N               print the start URL of chain N (0-based) and the POST body size or 0
  post-body FILE        write the POST body of chain 1
  expected OUT          write OUT
"""
import http.server
import json
import sys
import threading
import urllib.parse

PORT_A = 18121
PORT_B = 18122
POST_SIZE = 500


def _body(text):
    return text.encode()


# (port, method, path) -> (status, Location or None, response body)
ROUTES = {
    (PORT_A, "GET", "/a"): (301, "/b", _body("moved permanently to /b\n")),                        # relative
    (PORT_A, "GET", "/b"): (302, f"http://127.0.0.1:{PORT_A}/c", _body("found at /c\n")),         # absolute
    (PORT_A, "GET", "/c"): (200, None, _body("".join(f"line {i:04d} of the final page\n" for i in range(40)))),
    (PORT_A, "POST", "/post"): (307, f"http://127.0.0.1:{PORT_B}/d", _body("temporary redirect to :18122/d\n")),
    (PORT_B, "POST", "/d"): (200, None, _body(f"received {POST_SIZE} bytes\n")),
}
# (method, start URL, request body size); one `curl -L` each (chain 1 with --data-binary: POST kept on 307)
CHAINS = [
    ("GET", f"http://127.0.0.1:{PORT_A}/a", 0),
    ("POST", f"http://127.0.0.1:{PORT_A}/post", POST_SIZE),
]


def post_body():
    return bytes((i * 7 + 3) % 256 for i in range(POST_SIZE))


def walk(chain):
    """[(method, url, req bytes, status, location, body)] of one chain as curl -L follows it."""
    method, url, req = CHAINS[chain]
    out = []
    while True:
        u = urllib.parse.urlsplit(url)
        status, loc, body = ROUTES[(u.port, method, u.path)]
        out.append((method, url, req, status, loc, body))
        if loc is None:
            return out
        url = urllib.parse.urljoin(url, loc)
        if status in (301, 302, 303) and method == "POST":   # curl -L: 307/308 keep method and body
            method, req = "GET", 0


def expected(out):
    txs, conn, last_authority = [], 0, None
    for chain in range(len(CHAINS)):
        last_authority = None        # a new curl process: a new connection
        prev, hops = None, None
        for method, url, req, status, loc, body in walk(chain):
            authority = urllib.parse.urlsplit(url).netloc
            if authority != last_authority:
                conn, pos = conn + 1, 0
            else:
                pos += 1
            last_authority = authority
            txs.append({"method": method, "url": url, "status": status, "request_body_bytes": req,
                        "response_body_bytes": len(body), "response_decoded_bytes": None, "complete": True,
                        "incomplete_reasons": [], "tunnel": None, "connection": conn, "position": pos,
                        "redirect_from": prev, "redirect_hops": hops})
            prev, hops = len(txs) - 1, (hops or 0) + 1
    doc = {"capture": "redirects.pcap", "transactions": txs, "notes": (
        f"redirect_golden.py serve (Python http.server, HTTP/1.1 keep-alive, Content-Length bodies) on 127.0.0.1:{PORT_A} "
        f"and 127.0.0.1:{PORT_B}; tcpdump -i lo 'tcp port {PORT_A} or tcp port {PORT_B}'. Chain 1: `curl -L` "
        f"http://127.0.0.1:{PORT_A}/a -> 301 Location: /b (relative) -> 302 Location: http://127.0.0.1:{PORT_A}/c "
        "(absolute) -> 200; curl follows on the same keep-alive connection (connection 1, positions 0-2). Chain 2: "
        f"`curl -L --data-binary` ({POST_SIZE} B) POST http://127.0.0.1:{PORT_A}/post -> 307 Location: "
        f"http://127.0.0.1:{PORT_B}/d (another port: connection 3) -> curl re-sends the POST with its body -> 200. "
        "redirect_from: index (in this transactions list) of the 3xx response whose Location this request "
        "followed (Location resolved against the request URL), null when the request was not a redirect. "
        "redirect_hops: number of redirects followed to reach this request (1 for the first hop), null when "
        "redirect_from is null.")}
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self):
        n = int(self.headers.get("Content-Length") or 0)
        got = self.rfile.read(n) if n else b""
        port = self.server.server_address[1]
        route = ROUTES.get((port, self.command, self.path))
        if route is None:
            self.send_error(404)
            return
        if self.command == "POST" and got != post_body():
            self.send_error(400, "unexpected body")
            return
        status, loc, body = route
        self.send_response(status)
        if loc:
            self.send_header("Location", loc)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        print(f"{port} {self.command} {self.path} {n} {status}", flush=True)

    do_GET = do_POST = _serve

    def log_message(self, *a):
        pass


def serve(seconds):
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", p), Handler) for p in (PORT_A, PORT_B)]
    for s in servers:
        s.daemon_threads = True
        threading.Thread(target=s.serve_forever, daemon=True).start()
    threading.Event().wait(seconds)


def main(argv):
    if len(argv) == 2 and argv[0] == "serve":
        return serve(float(argv[1]))
    if len(argv) == 2 and argv[0] == "chain":
        m, url, n = CHAINS[int(argv[1])]
        print(url, n)
        return
    if len(argv) == 2 and argv[0] == "post-body":
        open(argv[1], "wb").write(post_body())
        return
    if len(argv) == 2 and argv[0] == "expected":
        return expected(argv[1])
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
