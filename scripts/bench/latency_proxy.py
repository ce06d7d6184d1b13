"""A proxy in front of moto that adds a fixed delay to every request, the way AWS's tens to
hundreds of milliseconds would, and records when each request started and ended.

    python latency_proxy.py UPSTREAM_PORT LISTEN_PORT DELAY_MS LOG_FILE

Each line of LOG_FILE is a JSON object: start and end (seconds), the operation (the X-Amz-Target
or Action of the request, else its method and path), the service (SigV4 signing name) and the
answer's HTTP status. The benchmark truncates the file between
commands and reads it back (scripts/bench/latency_report.py).
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM, LISTEN, DELAY, LOG = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000, sys.argv[4]
lock = threading.Lock()
local = threading.local()


def operation(handler, body: bytes) -> str:
    target = handler.headers.get("X-Amz-Target")
    if target:
        return target.split(".")[-1]
    if body.startswith(b"Action="):
        return urllib.parse.parse_qs(body.decode(errors="replace")).get("Action", ["?"])[0]
    return f"{handler.command} {urllib.parse.urlparse(handler.path).path}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The answer goes out as two writes (headers, then body). With Nagle's algorithm on, the body
    # waits for the client's delayed ACK of the headers (40 ms on Linux): a delay no AWS endpoint
    # adds, which the log would not show, since `end` is taken when the body is handed to the
    # kernel.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def forward(self):
        start = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(DELAY)
        if getattr(local, "upstream", None) is None:
            local.upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        try:
            local.upstream.request(self.command, self.path, body=body, headers=headers)
            answer = local.upstream.getresponse()
        except (http.client.HTTPException, OSError):
            local.upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=120)
            local.upstream.request(self.command, self.path, body=body, headers=headers)
            answer = local.upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for k, v in answer.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        # The signing name of the SigV4 scope (Credential=KEY/DATE/REGION/SERVICE/aws4_request).
        scope = self.headers.get("Authorization", "").split("Credential=")[-1].split(",")[0].split("/")
        service = scope[3] if len(scope) > 3 else "?"
        with lock, open(LOG, "a") as f:
            f.write(json.dumps({"start": start, "end": time.time(), "op": operation(self, body),
                                "service": service, "status": answer.status}) + "\n")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = forward


ThreadingHTTPServer.daemon_threads = True
# The default listen backlog (5) would hold back a burst of new connections by a round.
ThreadingHTTPServer.request_queue_size = 256
ThreadingHTTPServer(("127.0.0.1", LISTEN), Handler).serve_forever()
