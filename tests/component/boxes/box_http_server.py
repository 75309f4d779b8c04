#!/usr/bin/env python3
"""A tiny HTTP server for the box download tests, on 127.0.0.1 only.

  box_http_server.py DIR LOGFILE [PORTFILE]

Serves the files of DIR with Range support (206, 416). Paths:
  /NAME              the file (200, or 206 for "Range: bytes=N-")
  /trunc-once/NAME   the first request without a Range announces the whole length but
                     closes the connection after half of it; later requests are served
  /norange/NAME      ignores Range (always 200 with the whole file)
  anything missing   404
Each request is appended to LOGFILE as "PATH RANGE" ("-" without one). The port (picked by
the kernel) is written to PORTFILE (or printed) once the server listens.
"""
import http.server
import os
import re
import sys
import threading

os.closerange(3, 1024)  # inherited descriptors (a caller's flock) must not outlive the caller
DIR, LOG = sys.argv[1], sys.argv[2]
PORTFILE = sys.argv[3] if len(sys.argv) > 3 else None
truncated = set()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        rng = self.headers.get("Range")
        with lock, open(LOG, "a") as f:
            f.write("%s %s\n" % (self.path, rng or "-"))
        mode, name = "plain", self.path.lstrip("/")
        m = re.match(r"(trunc-once|norange)/(.*)", name)
        if m:
            mode, name = m.group(1), m.group(2)
        path = os.path.join(DIR, name)
        if "/" in name or not os.path.isfile(path):
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        data = open(path, "rb").read()
        start = 0
        if rng and mode != "norange":
            r = re.match(r"bytes=(\d+)-$", rng)
            start = int(r.group(1)) if r else 0
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        if start > 0:
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if mode == "trunc-once" and not rng and name not in truncated:
            truncated.add(name)
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data[start:])


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
port = str(srv.server_address[1])
if PORTFILE:
    with open(PORTFILE + ".tmp", "w") as f:
        f.write(port)
    os.rename(PORTFILE + ".tmp", PORTFILE)
else:
    print(port, flush=True)
srv.serve_forever()
