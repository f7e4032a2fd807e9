#!/usr/bin/env python3
"""Findings golden captures (problems.pcap, findings-clean.pcapng, conditional-ignored.pcap,
etag-not-updated.pcap, retry-storm.pcap, retry-backoff.pcap, failed-request-dns.pcapng,
failed-request-tls.pcapng): the
python origins, the small clients, the nginx sites and the expected findings. Standard library only.

Everything the expected files say comes from the constants below (ports, host names, routes and
the headers each route is configured to send, which client fetches what), never from a parser.
findings-captures.sh drives the clients in the order of the plan and checks what they report.

Subcommands:
  serve MODE PORT                 a python origin (MODE: shop, legacy, plain, cond, etagbug, dup)
  site DIR                        write the nginx document roots (www, cdn, static, clean)
  dns NAME PORT                   one raw UDP A query to 127.0.0.1:PORT; prints "RCODE TTL answer"
  reuse-client PORT HOST          two keep-alive connections to one origin, the first left idle
  connect-loop PORT DELAY...      connect to 127.0.0.1:PORT, sleep DELAY, connect again ...
                                  (each attempt is refused: SYN -> RST); prints one line per attempt
  resolve-or-fail NAME DNSPORT HTTPPORT   A query; on NXDOMAIN give up (no connection)
  expected NAME OUT               write tests/golden/NAME.findings-expected.json
  tls-expected NAME OUT           write tests/golden/NAME.tls-expected.json (failed-request-tls)
  port NAME                       the port of a capture's server (tls-fail)
"""
import gzip
import hashlib
import http.client
import http.server
import json
import random
import socket
import struct
import sys
import time

# ---------------------------------------------------------------- ports and origins
P_WWW = 18130       # nginx, plain HTTP: every request -> 301 https://www.golden.test:18131/...
P_WWWS = 18131      # nginx, TLS 1.3, no Strict-Transport-Security
P_SHOP = 18132      # python (serve shop): the caching / payload / status / latency problems
P_LEGACY = 18133    # python (serve legacy): Connection: close
P_CDN = 18134       # nginx: keep-alive origin that the reuse-client opens two connections to
P_STATIC = 18135    # nginx: static script with Cache-Control max-age=60
P_PLAIN = 18136     # python (serve plain): only ever reached by a client without Accept-Encoding
P_CLEAN = 18137     # nginx, TLS 1.3 with HSTS: findings-clean
P_COND = 18138      # python (serve cond): conditional-ignored
P_ETAG = 18139      # python (serve etagbug): etag-not-updated
P_DNS = 18140       # dnsmasq (UDP), --local-ttl=300
P_REFUSED = 18141   # nothing listens: retry-storm
P_BACKOFF = 18142   # nothing listens: retry-backoff
P_DUP = 18143       # python (serve dup): duplicate-request
P_TLS_FAIL = 18150  # openssl s_server -tls1_3, asked by s_client -tls1_2: failed-request-tls
TLS_FAIL_SNI = "tls-fail.golden.test"

DNS_TTL = 300
NAMES = ["www.golden.test", "shop.golden.test", "cdn.golden.test", "static.golden.test",
         "legacy.golden.test", "plain.golden.test", "clean.golden.test"]  # --host-record=NAME,127.0.0.1

ALL_RULES = [
    "insecure-http", "http-to-https-redirect", "hsts-missing", "weak-tls", "cert-expiring",
    "tls-no-resumption", "no-validator", "client-not-revalidating", "no-cache-policy",
    "short-cache-ttl", "duplicate-request", "conditional-ignored", "etag-not-updated",
    "cache-control-conflict", "uncompressed-text", "no-accept-encoding",
    "vary-missing-accept-encoding", "large-response", "oversize-headers", "framing-error",
    "connection-not-reused", "connection-close", "no-http2", "redirect-chain", "slow-dns",
    "repeated-dns", "slow-connect", "slow-ttfb", "retransmissions", "error-status",
    "failed-request", "retry-storm", "h2-head-of-line",
]

MTIME = 1700000000           # every nginx-served file: ETag "6553f100-<size hex>"
BIG_DECODED = 1_200_000      # /big.json decoded size (> 1 MiB)
TRACE_HEADER = 9216          # X-Trace value length on /trace.json (one header > 8 KiB)
SLOW_SECONDS = 0.7


def url(host, port, path, scheme="http"):
    return f"{scheme}://{host}.golden.test:{port}{path}"


# ---------------------------------------------------------------- deterministic bodies
def json_records(label, n):
    """n bytes of JSON-ish records: compressible (repeated keys), not trivially."""
    out, size, i = [], 2, 0
    while size < n:
        h = hashlib.sha256(f"{label}:{i}".encode()).hexdigest()
        rec = f'{{"id":{i},"sku":"{label}-{i:06d}","name":"item {h[:8]}","price":{int(h[8:12], 16) / 100},"stock":{int(h[12:14], 16)}}},\n'
        out.append(rec)
        size += len(rec)
        i += 1
    body = ("[" + "".join(out))[: n - 2]
    return (body + "]\n").encode()


def js_text(label, n):
    out, size, i = [], 0, 0
    while size < n:
        h = hashlib.sha256(f"{label}:{i}".encode()).hexdigest()
        line = f"function f_{h[:10]}(x) {{ return x * {int(h[10:14], 16)} + '{h[14:30]}'; }}\n"
        out.append(line)
        size += len(line)
        i += 1
    return "".join(out).encode()[:n]


def html_text(label, n):
    head, tail = b"<!doctype html><html><head><title>golden</title></head><body>\n", b"</body></html>\n"
    out, size, i = [], 0, 0
    while size < n:
        h = hashlib.sha256(f"{label}:{i}".encode()).hexdigest()
        line = f"<p id=\"p{i}\">row {i} {h[:20]}</p>\n"
        out.append(line)
        size += len(line)
        i += 1
    return (head + "".join(out).encode())[: n - len(tail)] + tail


def gz(b):
    return gzip.compress(b, compresslevel=6, mtime=0)


# ---------------------------------------------------------------- python origins
# route -> (status, headers, body, encode?) ; encode: body is sent gzip-compressed
J = "application/json"


def shop_routes():
    return {
        # no ETag / Last-Modified; max-age=0 so that neither no-cache-policy nor duplicate-request apply
        "/nocache.json": (200, [("Content-Type", J), ("Cache-Control", "max-age=0")], json_records("nocache", 400), False),
        # validator, stale at once: the client must revalidate and does not
        "/etag.json": (200, [("Content-Type", J), ("Cache-Control", "max-age=0"), ("ETag", '"etag-v1"')], json_records("etag", 400), False),
        "/account.json": (200, [("Content-Type", J), ("Cache-Control", "public, private, max-age=600"), ("ETag", '"acct-1"')], json_records("acct", 300), False),
        # validator but no Cache-Control and no Expires: heuristic freshness only
        "/nopolicy.json": (200, [("Content-Type", J), ("ETag", '"nopolicy-1"')], json_records("nopolicy", 300), False),
        # gzip without Vary
        "/report.html": (200, [("Content-Type", "text/html"), ("Cache-Control", "max-age=600"), ("ETag", '"report-1"')], html_text("report", 4000), True),
        # 6000 B of JSON sent as is although the client accepts gzip
        "/catalog.json": (200, [("Content-Type", J), ("Cache-Control", "max-age=600"), ("ETag", '"catalog-1"')], json_records("catalog", 6000), False),
        "/big.json": (200, [("Content-Type", J), ("Cache-Control", "max-age=3600"), ("ETag", '"big-1"'), ("Vary", "Accept-Encoding")], json_records("big", BIG_DECODED), True),
        "/slow.json": (200, [("Content-Type", J), ("Cache-Control", "max-age=600"), ("ETag", '"slow-1"')], json_records("slow", 300), False),
        "/go": (302, [("Location", "/go/step2"), ("Content-Type", "text/plain")], b"moved\n", False),
        "/go/step2": (302, [("Location", "/landing.json"), ("Content-Type", "text/plain")], b"moved\n", False),
        "/landing.json": (200, [("Content-Type", J), ("Cache-Control", "max-age=600"), ("ETag", '"landing-1"')], json_records("landing", 300), False),
        "/missing.html": (404, [("Content-Type", "text/html"), ("Cache-Control", "max-age=60")], b"<!doctype html><title>404</title><p>not found</p>\n", False),
        "/api/fail": (500, [("Content-Type", "text/plain"), ("Cache-Control", "no-store")], b"internal error\n", False),
        "/trace.json": (200, [("Content-Type", J), ("Cache-Control", "max-age=600"), ("ETag", '"trace-1"')], json_records("trace", 300), False),
    }


def legacy_routes():
    return {"/legacy.txt": (200, [("Content-Type", "text/plain"), ("Cache-Control", "max-age=600"), ("ETag", '"legacy-1"'),
                                  ("Connection", "close")], b"legacy endpoint, closes after every response\n", False)}


def plain_routes():
    return {p: (200, [("Content-Type", J), ("Cache-Control", "max-age=600"), ("ETag", f'"{p[1:6]}-1"')], json_records(p, 500), False)
            for p in ("/plain1.json", "/plain2.json")}


def dup_routes():
    return {"/config.json": (200, [("Content-Type", J), ("Cache-Control", "max-age=3600"), ("Last-Modified", "Tue, 14 Nov 2023 22:13:20 GMT")],
                             json_records("config", 500), False)}


COND_BODY = json_records("feed", 600)
ETAG_BODIES = [json_records("status-a", 500), json_records("status-b", 700)]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "golden"
    sys_version = ""
    mode = "shop"
    routes = {}
    counter = {}

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.mode, fmt % args))

    def send(self, status, headers, body, encode=False):
        if encode:
            body = gz(body)
            headers = headers + [("Content-Encoding", "gzip")]
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        # header section and body in one write: no Nagle / delayed-ACK pause (40 ms) between them
        self._headers_buffer.append(b"\r\n" + (body if self.command != "HEAD" else b""))
        self.flush_headers()
        if ("Connection", "close") in headers:
            self.close_connection = True

    def do_GET(self):
        path = self.path
        if self.mode == "cond":
            # /feed.json: ignores If-None-Match (always 200, same body and ETag)
            # /ok.json: honours it (304)
            if path == "/feed.json":
                return self.send(200, [("Content-Type", J), ("Cache-Control", "max-age=0"), ("ETag", '"feed-7"')], COND_BODY)
            if path == "/ok.json":
                hdr = [("Cache-Control", "max-age=0"), ("ETag", '"ok-7"')]
                if self.headers.get("If-None-Match") == '"ok-7"':
                    return self.send(304, hdr, b"")
                return self.send(200, [("Content-Type", J)] + hdr, json_records("ok", 600))
        if self.mode == "etagbug" and path == "/status.json":
            # the body changes between the two fetches, the strong ETag does not
            n = self.counter.get(path, 0)
            self.counter[path] = n + 1
            return self.send(200, [("Content-Type", J), ("Cache-Control", "max-age=0"), ("ETag", '"status-1"')],
                             ETAG_BODIES[min(n, 1)])
        r = self.routes.get(path)
        if r is None:
            return self.send(404, [("Content-Type", "text/plain"), ("Cache-Control", "max-age=60")], b"no such route\n")
        if path == "/slow.json":
            time.sleep(SLOW_SECONDS)
        self.send(*r)


def serve(mode, port):
    Handler.mode = mode
    Handler.routes = {"shop": shop_routes, "legacy": legacy_routes, "plain": plain_routes,
                      "dup": dup_routes}.get(mode, dict)()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    srv.serve_forever()


# ---------------------------------------------------------------- nginx sites
def site(root):
    import os
    files = {
        "www/index.html": html_text("www", 1000),
        "cdn/lib/a.js": js_text("a", 3000),
        "cdn/lib/b.js": js_text("b", 3000),
        "static/js/widget.js": js_text("widget", 3000),
        "clean/static/app.js": js_text("app", 20000),
        "clean/static/style.css": js_text("css", 30000).replace(b"function", b".fn"),
        "clean/api/data.json": json_records("data", 800),
    }
    for rel, data in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        os.utime(p, (MTIME, MTIME))
    return files


def nginx_etag(size):
    return f'"{MTIME:x}-{size:x}"'


# ---------------------------------------------------------------- clients
def dns(name, port, src="127.0.0.1"):
    qid = random.randrange(65536)
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    msg = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.sendto(msg, ("127.0.0.1", port))
        resp, _ = s.recvfrom(4096)
    rid, flags, qd, an = struct.unpack("!HHHH", resp[:8])
    assert rid == qid and flags & 0x8000
    rcode = {0: "NOERROR", 3: "NXDOMAIN", 5: "REFUSED"}.get(flags & 0xF, str(flags & 0xF))
    off = 12 + len(qname) + 4
    for _ in range(an):
        # answers to our single question use a compression pointer to the question name
        assert resp[off] & 0xC0 == 0xC0
        off += 2
        typ, _, ttl, rdlen = struct.unpack("!HHIH", resp[off:off + 10])
        off += 10
        if typ == 1:
            return f"{rcode} {ttl} {socket.inet_ntoa(resp[off:off + rdlen])}"
        off += rdlen
    return f"{rcode} - -"


def reuse_client(port, host):
    """Connection 1: GET /lib/a.js and keep it open (idle keep-alive). 0.2 s later, connection 2
    (new TCP connection to the same origin): GET /lib/b.js. Then close 2, then 1."""
    hdrs = {"Host": f"{host}:{port}", "Accept-Encoding": "gzip", "User-Agent": "golden-reuse-client"}
    out = []
    c1 = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c1.request("GET", "/lib/a.js", headers=hdrs)
    r = c1.getresponse()
    out.append(f"{r.status} {len(r.read())} {r.getheader('Connection')}")
    time.sleep(0.2)
    c2 = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c2.request("GET", "/lib/b.js", headers=hdrs)
    r = c2.getresponse()
    out.append(f"{r.status} {len(r.read())} {r.getheader('Connection')}")
    time.sleep(0.1)
    c2.close()
    c1.close()
    print("\n".join(out))


def connect_loop(port, delays):
    for i, d in enumerate([0.0] + delays):
        time.sleep(d)
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", port))
            print(f"attempt {i + 1}: connected (unexpected)")
        except ConnectionRefusedError:
            print(f"attempt {i + 1}: refused")
        finally:
            s.close()


def resolve_or_fail(name, dns_port, http_port):
    res = dns(name, dns_port)
    if not res.startswith("NOERROR"):
        print(f"{res}: no connection")
        return
    c = http.client.HTTPConnection(res.split()[2], http_port, timeout=5)
    c.request("GET", "/", headers={"Host": f"{name}:{http_port}", "Accept-Encoding": "gzip"})
    print(c.getresponse().status)


RETRY_STORM_DELAYS = [0.75, 0.75, 0.75]        # 4 attempts, equal intervals, 2.25 s in all
RETRY_BACKOFF_DELAYS = [0.5, 1.0, 2.0]         # 4 attempts, doubling intervals, 3.5 s in all


# ---------------------------------------------------------------- expected findings
def problems_plan():
    """(client, method, url) in order; used by the expected file and the README."""
    S = lambda p: url("shop", P_SHOP, p)
    return {
        "www_http": url("www", P_WWW, "/"),
        "www_https": url("www", P_WWWS, "/", "https"),
        "shop": [S(p) for p in ("/nocache.json", "/etag.json", "/nocache.json", "/etag.json", "/account.json",
                               "/nopolicy.json", "/report.html", "/catalog.json", "/big.json", "/slow.json",
                               "/go", "/go/step2", "/landing.json", "/missing.html", "/api/fail", "/trace.json")],
        "legacy": url("legacy", P_LEGACY, "/legacy.txt"),
        "cdn": [url("cdn", P_CDN, "/lib/a.js"), url("cdn", P_CDN, "/lib/b.js")],
        "static": url("static", P_STATIC, "/js/widget.js"),
        "plain": [url("plain", P_PLAIN, "/plain1.json"), url("plain", P_PLAIN, "/plain2.json")],
    }


def expected(name):
    A = ["--https-on-loopback"]
    if name == "problems":
        p = problems_plan()
        S = lambda path: url("shop", P_SHOP, path)
        http_urls = [p["www_http"]] + sorted(set(p["shop"])) + [p["legacy"]] + p["cdn"] + [p["static"]] + p["plain"]
        fire = [
            ("insecure-http", 1, http_urls),
            ("http-to-https-redirect", 1, [p["www_http"]]),
            ("hsts-missing", 1, [p["www_https"]]),
            ("no-validator", 1, [S("/nocache.json")]),
            ("client-not-revalidating", 1, [S("/etag.json")]),
            ("no-cache-policy", 1, [S("/nopolicy.json")]),
            ("short-cache-ttl", 1, [p["static"]]),
            ("cache-control-conflict", 1, [S("/account.json")]),
            ("error-status", 2, [S("/missing.html"), S("/api/fail")]),
            ("vary-missing-accept-encoding", 1, [S("/report.html")]),
            ("uncompressed-text", 1, [S("/catalog.json")]),
            ("connection-close", 1, [p["legacy"]]),
            ("large-response", 1, [S("/big.json")]),
            ("slow-ttfb", 1, [S("/slow.json")]),
            ("redirect-chain", 3, [p["www_http"], S("/go"), S("/go/step2")]),
            ("oversize-headers", 1, [S("/trace.json")]),
            ("no-accept-encoding", 1, p["plain"]),
            ("connection-not-reused", 1, [p["cdn"][1]]),
        ]
        out = {"capture": "problems.pcap", "keylog": "problems.keys", "args": A,
               "fire": [{"rule": r, "count_at_least": n, "urls": u} for r, n, u in fire] + [
                   {"rule": "slow-dns", "count_at_least": 1, "urls": [], "names": ["shop.golden.test"],
                    "notes": "TTL part: shop.golden.test resolved 3 times within 4 s, TTL 300 s (every lookup < 5 ms)"},
                   {"rule": "repeated-dns", "count_at_least": 1, "urls": [], "names": ["shop.golden.test"],
                    "condition": "fires only if the threshold N is < 3 (the catalog gives no default); shop.golden.test is resolved 3 times, every other name once"}],
               "absent": ["weak-tls", "cert-expiring", "tls-no-resumption", "duplicate-request",
                          "conditional-ignored", "etag-not-updated", "framing-error",
                          "no-http2", "slow-connect", "retransmissions", "failed-request", "retry-storm", "h2-head-of-line"],
               "notes": "made by scripts/golden/findings-captures.sh problems; see tests/golden/README.md (Findings captures). "
                        "The url lists are complete: no other URL of this capture shows that rule's problem "
                        "(every other 200 has an ETag or Last-Modified and a max-age, every other text body is < 1400 B or gzipped with Vary, "
                        "static types have max-age >= 7 days, every other client sends Accept-Encoding). "
                        "insecure-http lists every plain-HTTP URL (23 requests, 21 distinct URLs on 6 origins). count_at_least holds whether findings are reported per request or per URL; /nocache.json shows no-validator twice."}
        return out
    if name == "findings-clean":
        return {"capture": "findings-clean.pcapng", "keylog": "findings-clean.keys", "args": A, "fire": [],
                "absent": ALL_RULES,
                "notes": "one DNS lookup (clean.golden.test, NOERROR, TTL 300) then one curl process, one TLS 1.3 connection, 4 requests: "
                         "/static/app.js and /static/style.css (gzip + Vary: Accept-Encoding, max-age=31536000, weak ETag), "
                         "/api/data.json (max-age=0, strong ETag) and again with If-None-Match -> 304; HSTS max-age=31536000 on every response"}
    if name == "conditional-ignored":
        u = url("cond", P_COND, "/feed.json")
        return {"capture": "conditional-ignored.pcap", "keylog": None, "args": A,
                "fire": [{"rule": "conditional-ignored", "count_at_least": 1, "urls": [u]},
                         {"rule": "insecure-http", "count_at_least": 1, "urls": [u, url("cond", P_COND, "/ok.json")]}],
                "absent": [r for r in ALL_RULES if r not in ("conditional-ignored", "insecure-http")],
                "notes": "one connection: GET /feed.json (200, ETag \"feed-7\", max-age=0), GET /feed.json with If-None-Match: \"feed-7\" -> "
                         "200 again with the identical 600 B body; control: GET /ok.json, then with If-None-Match: \"ok-7\" -> 304"}
    if name == "etag-not-updated":
        u = url("etag", P_ETAG, "/status.json")
        return {"capture": "etag-not-updated.pcap", "keylog": None, "args": A,
                "fire": [{"rule": "etag-not-updated", "count_at_least": 1, "urls": [u]},
                         {"rule": "insecure-http", "count_at_least": 1, "urls": [u]}],
                "absent": [r for r in ALL_RULES if r not in ("etag-not-updated", "insecure-http")],
                "notes": "one connection: GET /status.json -> 200 ETag \"status-1\" 500 B; GET with If-None-Match: \"status-1\" -> "
                         "200, same strong ETag \"status-1\", a different 700 B body (so not conditional-ignored: the body differs)"}
    if name == "duplicate-request":
        u = url("dup", P_DUP, "/config.json")
        return {"capture": "duplicate-request.pcap", "keylog": None, "args": A,
                "fire": [{"rule": "duplicate-request", "count_at_least": 1, "urls": [u]},
                         {"rule": "insecure-http", "count_at_least": 1, "urls": [u]}],
                "absent": [r for r in ALL_RULES if r not in ("duplicate-request", "insecure-http", "client-not-revalidating")],
                "notes": "one connection: GET /config.json twice, back to back (one curl process), unconditionally; the response has Cache-Control max-age=3600 "
                         "and Last-Modified, so the second request is inside the freshness lifetime. client-not-revalidating is neither "
                         "expected nor excluded (the earlier response carried a validator and the second request has no If-Modified-Since)"}
    if name in ("retry-storm", "retry-backoff"):
        port, delays = (P_REFUSED, RETRY_STORM_DELAYS) if name == "retry-storm" else (P_BACKOFF, RETRY_BACKOFF_DELAYS)
        origin = f"127.0.0.1:{port}"
        fire = [{"rule": "failed-request", "count_at_least": 4, "urls": [], "origins": [origin]}]
        absent = [r for r in ALL_RULES if r not in ("failed-request", "retry-storm")]
        if name == "retry-storm":
            fire.append({"rule": "retry-storm", "count_at_least": 1, "urls": [], "origins": [origin]})
        else:
            absent.append("retry-storm")
        return {"capture": f"{name}.pcap", "keylog": None, "args": A, "fire": fire, "absent": absent,
                "notes": f"4 TCP connection attempts to {origin} where nothing listens (SYN answered by RST), delays between them "
                         f"{delays} s; no HTTP request is ever sent, so the findings can only name the server address"}
    if name == "failed-request-dns":
        return {"capture": "failed-request-dns.pcapng", "keylog": None, "args": A,
                "fire": [{"rule": "failed-request", "count_at_least": 1, "urls": ["dns:api.nope.golden.test"],
                          "names": ["api.nope.golden.test"]}],
                "absent": [r for r in ALL_RULES if r != "failed-request"],
                "notes": f"one raw A query for api.nope.golden.test to dnsmasq on 127.0.0.1:{P_DNS} -> NXDOMAIN (--local=/golden.test/); "
                         "the client gives up: no TCP packet at all. The failed lookup is a transaction of its own, URL "
                         "dns:api.nope.golden.test, status 0, reason dns_failed"}
    if name == "failed-request-tls":
        return {"capture": "failed-request-tls.pcapng", "keylog": None, "args": A,
                "fire": [{"rule": "failed-request", "count_at_least": 1, "urls": [TLS_FAIL_URL]}],
                "absent": [r for r in ALL_RULES if r != "failed-request"],
                "notes": TLS_FAIL_NOTES}
    raise SystemExit(f"unknown capture {name}")


TLS_FAIL_URL = f"https://{TLS_FAIL_SNI}:{P_TLS_FAIL}"
TLS_FAIL_NOTES = (
    f"openssl s_server -tls1_3 on 127.0.0.1:{P_TLS_FAIL} (throwaway self-signed EC certificate), "
    f"openssl s_client -tls1_2 -servername {TLS_FAIL_SNI}: the ClientHello offers TLS 1.2 at most, the "
    "server answers with a fatal protocol_version (70) alert in clear and closes; no ServerHello, no request. "
    f"One TCP connection, one transaction without request or response: URL {TLS_FAIL_URL}, status 0, "
    "reason tls_handshake, TLS facts SNI only (no version, no suite), decryption pending")


def tls_expected(name):
    if name != "failed-request-tls":
        raise SystemExit(f"no TLS expected file for {name}")
    tls = {"version": None, "cipher_suite": None, "sni": TLS_FAIL_SNI, "alpn": None, "resumed": False}
    t = {"method": None, "url": None, "status": 0, "request_body_bytes": 0, "response_body_bytes": 0,
         "response_decoded_bytes": None, "complete": False, "incomplete_reasons": ["tls_handshake"],
         "tunnel": None, "connection": 1, "position": 0, "tls": tls, "protocol": ""}
    conn = dict(tls, connection=1, alpn_offered=[], decryption="pending")
    return {"capture": "failed-request-tls.pcapng", "keylog": None, "transactions": [t],
            "tls_connections": [conn], "notes": TLS_FAIL_NOTES}


def main(argv):
    cmd = argv[0]
    if cmd == "serve":
        serve(argv[1], int(argv[2]))
    elif cmd == "site":
        site(argv[1])
    elif cmd == "dns":
        print(dns(argv[1], int(argv[2])))
    elif cmd == "reuse-client":
        reuse_client(int(argv[1]), argv[2])
    elif cmd == "connect-loop":
        connect_loop(int(argv[1]), [float(x) for x in argv[2:]])
    elif cmd == "resolve-or-fail":
        resolve_or_fail(argv[1], int(argv[2]), int(argv[3]))
    elif cmd == "etag":   # nginx's ETag for a file of SIZE bytes written by `site` (mtime MTIME)
        print(nginx_etag(int(argv[1])))
    elif cmd == "tls-expected":
        with open(argv[2], "w") as f:
            json.dump(tls_expected(argv[1]), f, indent=1)
            f.write("\n")
    elif cmd == "port":
        print({"tls-fail": P_TLS_FAIL}[argv[1]])
    elif cmd == "expected":
        with open(argv[2], "w") as f:
            json.dump(expected(argv[1]), f, indent=1)
            f.write("\n")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
