#!/usr/bin/env python3
"""Upstream for nginx's /upload: reads the whole body, answers 'received N bytes\\n'.
Usage: upload_server.py PORT MAX_SECONDS   (exits by itself after MAX_SECONDS)"""
import http.server
import sys
import threading


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(n)
        body = b"received %d bytes\n" % len(data)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
threading.Timer(float(sys.argv[2]), srv.shutdown).start()
srv.serve_forever()
