#!/usr/bin/env python3
"""API benchmarks (issue: handlers). Run through scripts/bench-api.sh, which builds what it needs.

1. Cold start of the Lambda `bootstrap`: from process spawn to the first response it posts to a
   local Lambda Runtime API. Baseline in the same run: spawn to exit of `/bin/true`.
2. Request latency through `baken dev`: GET /races and GET /races/{id} over one keep-alive
   connection. Baseline in the same run: the same client against a static JSON server in this
   process (client and loopback cost only).
Prints median and p90 of each.
"""
import http.client
import http.server
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

BOOTSTRAP, BAKEN = sys.argv[1], sys.argv[2]
COLD_RUNS, REQUESTS = 20, 400


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def row(name, xs, unit="ms"):
    print(f"{name:<34} median {statistics.median(xs):8.2f} {unit}   p90 {pct(xs, 90):8.2f} {unit}   (n={len(xs)})")


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    """Hands one API Gateway event to whoever asks, records when the answer arrives."""
    event = json.dumps({
        "resource": "/races", "path": "/races", "httpMethod": "GET", "headers": {},
        "multiValueHeaders": {}, "queryStringParameters": {"date": "2031-03-01"},
        "multiValueQueryStringParameters": {"date": ["2031-03-01"]}, "pathParameters": None,
        "stageVariables": None, "requestContext": {"accountId": "1", "resourceId": "r", "stage": "prod",
        "requestId": "q", "identity": {}, "resourcePath": "/races", "httpMethod": "GET", "apiId": "a"},
        "body": None, "isBase64Encoded": False}).encode()
    answered = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "bench")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:ap-northeast-1:1:function:b")
        self.send_header("Content-Length", str(len(self.event)))
        try:
            self.end_headers()
            self.wfile.write(self.event)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the previous run's process, killed while it waited for its next event

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        RuntimeApi.answered.set()
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


def cold_starts():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {"AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_port}", "AWS_LAMBDA_FUNCTION_NAME": "b",
           "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_LAMBDA_FUNCTION_VERSION": "1",
           "AWS_LAMBDA_LOG_STREAM_NAME": "s", "AWS_LAMBDA_LOG_GROUP_NAME": "g", "AWS_REGION": "ap-northeast-1",
           "RACE_DATA_PROVIDER": "mock"}
    cold, spawn = [], []
    for _ in range(COLD_RUNS):
        RuntimeApi.answered = threading.Event()
        t = time.perf_counter()
        p = subprocess.Popen([BOOTSTRAP], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        RuntimeApi.answered.wait(30)
        cold.append((time.perf_counter() - t) * 1000)
        p.kill()
        p.wait()
        t = time.perf_counter()
        subprocess.run(["/bin/true"])
        spawn.append((time.perf_counter() - t) * 1000)
    server.shutdown()
    row("bootstrap cold start to 1st answer", cold)
    row("baseline: spawn of /bin/true", spawn)


def latencies(host, port, paths):
    conn = http.client.HTTPConnection(host, port)
    out = []
    for i in range(REQUESTS):
        path = paths[i % len(paths)]
        t = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        out.append((time.perf_counter() - t) * 1000)
    conn.close()
    return out


class Static(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = b'{"races": []}'

    def setup(self):
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm and delayed
        # ACKs add 40 ms to every keep-alive request and the baseline means nothing.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)


def dev_latency():
    # Its request log (one line per request on stderr) is not what is measured.
    dev = subprocess.Popen([BAKEN, "dev", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = next(w for w in dev.stdout.readline().split() if w.startswith("http://"))
    host, port = url[len("http://"):].split(":")
    conn = http.client.HTTPConnection(host, port)
    conn.request("GET", "/races?date=2031-03-01")
    race_id = json.loads(conn.getresponse().read())["races"][0]["race_id"]
    conn.close()
    row("baken dev GET /races", latencies(host, int(port), ["/races?date=2031-03-01"]))
    row("baken dev GET /races/{id}", latencies(host, int(port), [f"/races/{race_id}"]))
    dev.kill()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Static)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    row("baseline: static JSON, same client", latencies("127.0.0.1", server.server_port, ["/"]))
    server.shutdown()


if __name__ == "__main__":
    print(f"bootstrap: {BOOTSTRAP} ({os.path.getsize(BOOTSTRAP) / 1048576:.1f} MiB); baken: {BAKEN}")
    cold_starts()
    dev_latency()
