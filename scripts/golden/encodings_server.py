#!/usr/bin/env python3
"""HTTP/1.1 keep-alive server for encodings.pcapng: serves files that the real CLI compressors
(brotli, zstd, gzip) produced, with the Content-Encoding and framing of golden.ENC_ROUTES.

  encodings_server.py PORT DIR MAX_SECONDS   (exits by itself after MAX_SECONDS)

DIR/<plain file><suffix> is sent as is (the server never compresses anything itself). Bodies are
written in ENC_CHUNK-sized pieces a few ms apart (chunked: one chunk per piece) so that each
response spans several segments. Standard library only.
"""
import http.server
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden  # noqa: E402

PAUSE = 0.002


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "golden-encodings/1.0"
    sys_version = ""
    disable_nagle_algorithm = True  # TCP_NODELAY: each body write becomes its own segment(s)

    def do_GET(self):
        route = next((r for r in golden.ENC_ROUTES if r[0] == self.path), None)
        if route is None:
            self.send_error(404)
            return
        _, plain, coding, suffix, framing = route
        accept = self.headers.get("Accept-Encoding", "")
        if accept != golden.ENC_ACCEPT[coding]:
            self.send_error(406, f"Accept-Encoding {accept!r}")
            return
        with open(os.path.join(self.server.root, plain + suffix), "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Encoding", coding)
        self.send_header("Vary", "Accept-Encoding")
        if framing == "length":
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        n = golden.ENC_CHUNK
        for i in range(0, len(body), n):
            piece = body[i:i + n]
            time.sleep(PAUSE)
            if framing == "length":
                self.wfile.write(piece)
            else:
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
        if framing == "chunked":
            time.sleep(PAUSE)
            self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
srv.root = sys.argv[2]
threading.Timer(float(sys.argv[3]), srv.shutdown).start()
print("listening", flush=True)
srv.serve_forever()
