#!/usr/bin/env python3
"""Handcrafted HTTP/1.x server and raw-socket client that exchange exact, known bytes.

  handcrafted.py server PORT [TIMEOUT]   serve the scripted connections (bounded), then exit
  handcrafted.py client PORT             drive every scripted connection, verify replies byte-for-byte

The SCRIPT below is the single source of truth for the server, the client and the expected
transactions (handcrafted-server.expected.json). Standard library only.
"""
import gzip
import hashlib
import socket
import sys
import time
import zlib

DATE = "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
SERVER = "Server: golden-handcrafted/1.0\r\n"
UA = "User-Agent: golden-client/1.0\r\n"
PAUSE = 0.005  # between separate send() calls so that parts land in separate segments

NOTES = (
    "Python socket server (scripts/golden/handcrafted.py) answering with exact bytes, driven by a raw-socket "
    "client from the same file; captured on lo (Ethernet link type) and converted with 'editcap -F pcapng'. "
    "Connection 1 (keep-alive, one request at a time): chunked response with chunk extensions (incl. a quoted "
    "one) and two trailer fields; POST with a chunked request body (256+128 B, chunk extension); 204 No "
    "Content; HEAD answered with Content-Length: 123456 and no body; gzip (Content-Length) and deflate "
    "(zlib-wrapped, Content-Length) responses; gzip + chunked response. Connection 2: three GETs "
    "pipelined in ONE send(), three responses. Connection 3: HTTP/1.0 request, HTTP/1.0 close-delimited "
    "response (no Content-Length, server closes). Connection 4: websocket-style Upgrade -> 101, then opaque "
    "frames both ways (one server frame's payload is the text 'HTTP/1.1 200 OK...' which must NOT become a "
    "transaction). Connection 5: CONNECT example.test:443 -> '200 Connection established', then opaque "
    "TLS-looking bytes both ways. Connection 6: HTTP/1.0 request without Host (URL uses the server "
    "address 127.0.0.1:PORT), Content-Length response, server closes. Responses are written in several "
    "send() calls so that headers, chunks and trailers straddle segments."
)


def _blob(label, n):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}:{i}".encode()).digest()
        i += 1
    return bytes(out[:n])


def _words(label, n):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += (f"line {i} of {label}: " + hashlib.sha256(f"{label}:{i}".encode()).hexdigest()[:20] + "\n").encode()
        i += 1
    return bytes(out[:n])


def _req(method, target, host, extra="", version="HTTP/1.1"):
    h = f"Host: {host}\r\n" if host else ""
    return f"{method} {target} {version}\r\n{h}{UA}Accept: */*\r\n{extra}\r\n".encode()


def _resp(status, headers="", body=b"", version="HTTP/1.1"):
    return [f"{version} {status}\r\n{DATE}{SERVER}{headers}\r\n".encode()] + ([body] if body else [])


def build(port):
    """Return the list of scripted connections."""
    host = f"127.0.0.1:{port}"
    conns = []

    # ---- connection 1: keep-alive, sequential ----
    ex = []
    c1, c2 = b"abcdefghijklmnopqrstuvwxyz", b"0123456789ABCDEF"
    ex.append(dict(
        req=[_req("GET", "/chunked", host)],
        resp=[f"HTTP/1.1 200 OK\r\n{DATE}{SERVER}Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
              "Trailer: X-Checksum, X-Chunk-Count\r\n\r\n".encode(),
              b"1a;ext=one\r\n" + c1 + b"\r\n",
              b"10;name=\"quoted;value\";flag\r\n" + c2[:9], c2[9:] + b"\r\n",
              b"0\r\nX-Checksum: sha256-0123abcd\r\nX-Chunk-Count: 2\r\n\r\n"],
        tx=dict(method="GET", target="/chunked", status=200, req=0, resp=len(c1) + len(c2))))
    b1, b2 = _words("upload-a", 256), _words("upload-b", 128)
    ex.append(dict(
        req=[_req("POST", "/upload-chunked", host, "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"),
             b"100\r\n" + b1 + b"\r\n", b"80;part=2\r\n" + b2 + b"\r\n", b"0\r\n\r\n"],
        resp=_resp("201 Created", "Content-Type: text/plain\r\nContent-Length: 19\r\n", b"received 384 bytes\n"),
        tx=dict(method="POST", target="/upload-chunked", status=201, req=384, resp=19)))
    ex.append(dict(req=[_req("GET", "/no-content", host)], resp=_resp("204 No Content"),
                   tx=dict(method="GET", target="/no-content", status=204, req=0, resp=0)))
    ex.append(dict(req=[_req("HEAD", "/head", host)],
                   resp=_resp("200 OK", "Content-Type: application/octet-stream\r\nContent-Length: 123456\r\n"),
                   tx=dict(method="HEAD", target="/head", status=200, req=0, resp=0)))
    plain = _words("gzip", 6000)
    gz = gzip.compress(plain, compresslevel=9, mtime=0)
    r = _resp("200 OK", f"Content-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: {len(gz)}\r\n"
              "Vary: Accept-Encoding\r\n")
    ex.append(dict(req=[_req("GET", "/gzip", host, "Accept-Encoding: gzip\r\n")],
                   resp=r + [gz[:100], gz[100:]],
                   tx=dict(method="GET", target="/gzip", status=200, req=0, resp=len(gz), dec=len(plain))))
    plain2 = _words("deflate", 5000)
    df = zlib.compress(plain2, 9)
    ex.append(dict(req=[_req("GET", "/deflate", host, "Accept-Encoding: deflate\r\n")],
                   resp=_resp("200 OK", f"Content-Type: text/plain\r\nContent-Encoding: deflate\r\n"
                              f"Content-Length: {len(df)}\r\n", df),
                   tx=dict(method="GET", target="/deflate", status=200, req=0, resp=len(df), dec=len(plain2))))
    plain3 = _words("gzip-chunked", 7000)
    gz3 = gzip.compress(plain3, compresslevel=6, mtime=0)
    k = len(gz3) // 2
    parts = [gz3[:k], gz3[k:]]
    ex.append(dict(req=[_req("GET", "/gzip-chunked", host, "Accept-Encoding: gzip\r\n")],
                   resp=[f"HTTP/1.1 200 OK\r\n{DATE}{SERVER}Content-Type: text/plain\r\nContent-Encoding: gzip\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n".encode()]
                   + [b"%x\r\n" % len(p) + p + b"\r\n" for p in parts] + [b"0\r\n\r\n"],
                   tx=dict(method="GET", target="/gzip-chunked", status=200, req=0, resp=len(gz3),
                           dec=len(plain3))))
    conns.append(dict(mode="sequential", exchanges=ex))

    # ---- connection 2: pipelining ----
    ex = []
    for i, n in ((1, 10), (2, 200), (3, 3000)):
        body = _words(f"pipe{i}", n)
        ex.append(dict(req=[_req("GET", f"/pipe/{i}", host)],
                       resp=_resp("200 OK", f"Content-Type: text/plain\r\nContent-Length: {n}\r\n", body),
                       tx=dict(method="GET", target=f"/pipe/{i}", status=200, req=0, resp=n)))
    conns.append(dict(mode="pipelined", exchanges=ex))

    # ---- connection 3: close-delimited ----
    body = _words("close", 5000)
    conns.append(dict(mode="close", exchanges=[dict(
        req=[_req("GET", "/close", host, version="HTTP/1.0")],
        resp=["HTTP/1.0 200 OK\r\n{}{}Content-Type: text/plain\r\n\r\n".format(DATE, SERVER).encode(),
              body[:2000], body[2000:]],
        tx=dict(method="GET", target="/close", status=200, req=0, resp=len(body)))]))

    # ---- connection 4: upgrade ----
    trap = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    mask = b"\x11\x22\x33\x44"
    cpay = b"GET /not-http HTTP/1.1\r\n\r\n"
    cframe = bytes([0x81, 0x80 | len(cpay)]) + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(cpay))
    conns.append(dict(mode="tunnel", exchanges=[dict(
        req=[_req("GET", "/ws", host, "Connection: Upgrade\r\nUpgrade: websocket\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")],
        resp=[b"HTTP/1.1 101 Switching Protocols\r\n" + DATE.encode() + SERVER.encode()
              + b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"],
        tunnel=[("c", cframe), ("s", bytes([0x81, len(trap)]) + trap),
                ("c", bytes([0x88, 0x82]) + mask + bytes(c ^ mask[i] for i, c in enumerate(b"\x03\xe8"))),
                ("s", b"\x88\x02\x03\xe8")],
        tx=dict(method="GET", target="/ws", status=101, req=0, resp=0, tunnel="upgrade"))]))

    # ---- connection 5: CONNECT ----
    hello = b"\x16\x03\x01\x00\x5c\x01\x00\x00\x58\x03\x03" + _blob("client-random", 32) + _blob("rest", 55)
    shello = b"\x16\x03\x03\x00\x4a\x02\x00\x00\x46\x03\x03" + _blob("server-random", 32) + _blob("srest", 41)
    conns.append(dict(mode="tunnel", exchanges=[dict(
        req=[f"CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n{UA}"
             "Proxy-Connection: Keep-Alive\r\n\r\n".encode()],
        resp=[b"HTTP/1.1 200 Connection established\r\n\r\n"],
        tunnel=[("c", hello), ("s", shello), ("c", b"\x17\x03\x03\x00\x20" + _blob("app1", 32)),
                ("s", b"\x17\x03\x03\x00\x30" + _blob("app2", 48))],
        tx=dict(method="CONNECT", target="example.test:443", status=200, req=0, resp=0, tunnel="connect",
                url="example.test:443"))]))

    # ---- connection 6: HTTP/1.0 without Host ----
    conns.append(dict(mode="close", exchanges=[dict(
        req=[_req("GET", "/nohost", None, version="HTTP/1.0")],
        resp=_resp("200 OK", "Content-Type: text/plain\r\nContent-Length: 13\r\n", b"no host sent\n",
                   version="HTTP/1.0"),
        tx=dict(method="GET", target="/nohost", status=200, req=0, resp=13))]))
    return conns


def expected(port):
    out = []
    for ci, c in enumerate(build(port), 1):
        for pi, e in enumerate(c["exchanges"]):
            t = e["tx"]
            out.append({"method": t["method"], "url": t.get("url", f"http://127.0.0.1:{port}{t['target']}"),
                        "status": t["status"], "request_body_bytes": t["req"], "response_body_bytes": t["resp"],
                        "response_decoded_bytes": t.get("dec"), "complete": True, "incomplete_reasons": [],
                        "tunnel": t.get("tunnel"), "connection": ci, "position": pi})
    return out


# ------------------------------------------------------------------ server
def _recv_exact(sock, n, buf):
    while len(buf) < n:
        d = sock.recv(65536)
        if not d:
            raise EOFError(f"peer closed with {len(buf)}/{n} bytes")
        buf += d
    return bytes(buf[:n]), buf[n:]


def _send_parts(sock, parts):
    for i, p in enumerate(parts):
        if i:
            time.sleep(PAUSE)
        sock.sendall(p)


def serve(port, timeout):
    deadline = time.time() + timeout
    conns = build(port)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(8)
    print("listening", flush=True)
    for c in conns:
        ls.settimeout(max(1.0, deadline - time.time()))
        s, _ = ls.accept()
        s.settimeout(max(1.0, deadline - time.time()))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = bytearray()
        # The server knows the exact request bytes to expect; it checks them, then answers.
        if c["mode"] == "pipelined":
            reqs = [b"".join(e["req"]) for e in c["exchanges"]]
            got, buf = _recv_exact(s, sum(map(len, reqs)), buf)
            assert got == b"".join(reqs), "pipelined requests differ"
            for e in c["exchanges"]:
                _send_parts(s, e["resp"])
                time.sleep(PAUSE)
        else:
            for e in c["exchanges"]:
                want = b"".join(e["req"])
                got, buf = _recv_exact(s, len(want), buf)
                assert got == want, (got, want)
                _send_parts(s, e["resp"])
                for who, data in e.get("tunnel", []):
                    if who == "c":
                        got, buf = _recv_exact(s, len(data), buf)
                        assert got == data
                    else:
                        time.sleep(PAUSE)
                        s.sendall(data)
        if c["mode"] == "close":
            s.close()  # server closes first: close-delimited body / HTTP/1.0
        else:
            # wait for the client's FIN, then close
            while s.recv(65536):
                pass
            s.close()
    ls.close()


# ------------------------------------------------------------------ client
def drive(port):
    for c in build(port):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = bytearray()
        if c["mode"] == "pipelined":
            s.sendall(b"".join(b"".join(e["req"]) for e in c["exchanges"]))  # ONE send()
            for e in c["exchanges"]:
                want = b"".join(e["resp"])
                got, buf = _recv_exact(s, len(want), buf)
                assert got == want
        else:
            for e in c["exchanges"]:
                _send_parts(s, e["req"])
                want = b"".join(e["resp"])
                got, buf = _recv_exact(s, len(want), buf)
                assert got == want, (got[:200], want[:200])
                for who, data in e.get("tunnel", []):
                    if who == "s":
                        got, buf = _recv_exact(s, len(data), buf)
                        assert got == data
                    else:
                        time.sleep(PAUSE)
                        s.sendall(data)
        if c["mode"] == "close":
            rest = s.recv(65536)
            assert rest == b"" and not buf, "expected server close"
            s.close()
        else:
            time.sleep(PAUSE)
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
            s.close()
        time.sleep(0.02)
    print("client ok", flush=True)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "server":
        serve(int(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 30.0)
    elif len(sys.argv) >= 3 and sys.argv[1] == "client":
        drive(int(sys.argv[2]))
    else:
        raise SystemExit(__doc__)
