#!/usr/bin/python3
"""Cleartext HTTP/2 server that accepts the HTTP/1.1 `Upgrade: h2c` handshake (RFC 7540 3.2).

  /usr/bin/python3 h2c_upgrade_server.py PORT DOCROOT SECONDS

nghttpd 1.52 does not implement the h2c upgrade (in --no-tls mode it sends its SETTINGS frame at
once, which curl reports as "Received HTTP/0.9"), and nginx never did, so h2c-upgrade.pcapng uses
this server, built on Debian's python3-h2 (h2 4.1.0; hence /usr/bin/python3, not a venv python).

Per connection: read the HTTP/1.1 request head; it must carry `Upgrade: h2c` and `HTTP2-Settings`
(else 400 and close). Answer `HTTP/1.1 101 Switching Protocols`, then speak HTTP/2: the upgraded
request is stream 1 (half-closed by the client), answered like any other stream. Files come from
DOCROOT (GET only): 200 with content-length and the file, written in DATA frames of at most
CHUNK bytes; anything missing gets 404 with NOT_FOUND (a fixed body). Serves connections one
after another until SECONDS have passed. Loopback only. Prints one line per response to stdout.
"""
import os
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events

CHUNK = 4096
NOT_FOUND = b"not found\n"          # 10 B, the body of every 404


def respond(conn, sock, stream, headers, docroot):
    h = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v for k, v in headers}
    path = h.get(":path", "/").split("?", 1)[0]
    full = os.path.normpath(os.path.join(docroot, path.lstrip("/")))
    if h.get(":method") == "GET" and full.startswith(docroot) and os.path.isfile(full):
        body, status, ctype = open(full, "rb").read(), "200", "application/octet-stream"
    else:
        body, status, ctype = NOT_FOUND, "404", "text/plain"
    conn.send_headers(stream, [(":status", status), ("server", "golden-h2c-upgrade"),
                               ("content-type", ctype), ("content-length", str(len(body)))])
    sock.sendall(conn.data_to_send())
    off = 0
    while True:
        n = min(CHUNK, len(body) - off, conn.local_flow_control_window(stream), conn.max_outbound_frame_size)
        if n <= 0 and off < len(body):
            raise RuntimeError("flow control window exhausted (bodies are meant to be small)")
        end = off + n >= len(body)
        conn.send_data(stream, body[off:off + n], end_stream=end)
        sock.sendall(conn.data_to_send())
        off += n
        if end:
            break
    print(f"{status} {path} stream {stream} {len(body)}", flush=True)


def serve(sock, docroot):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            return
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    fields = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        fields[k.strip().lower()] = v.strip()
    if fields.get("upgrade", "").lower() != "h2c" or "http2-settings" not in fields:
        sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        return
    sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding=None))
    conn.initiate_upgrade_connection(fields["http2-settings"])
    sock.sendall(conn.data_to_send())
    respond(conn, sock, 1, [(":method", method), (":path", target), (":authority", fields.get("host", ""))], docroot)
    data = rest
    while True:
        if data:
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.RequestReceived):
                    respond(conn, sock, ev.stream_id, ev.headers, docroot)
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    sock.sendall(conn.data_to_send())
                    return
            out = conn.data_to_send()
            if out:
                sock.sendall(out)
        data = sock.recv(65536)
        if not data:
            return


def main(port, docroot, seconds):
    docroot = os.path.abspath(docroot)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", int(port)))
    ls.listen(8)
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        ls.settimeout(max(0.1, deadline - time.time()))
        try:
            s, _ = ls.accept()
        except socket.timeout:
            break
        with s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.settimeout(10)
            try:
                serve(s, docroot)
            except (socket.timeout, ConnectionError) as e:
                print(f"connection ended: {e!r}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
