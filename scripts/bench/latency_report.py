"""One row of the latency benchmark: requests, wall time, the sequential rounds actually run, the
critical path, and the least time the services' request quotas allow, from the proxy's log of one
command and that command's `--json` output: the rounds before and after applying plus, for the
busiest bucket of src/aws/limits.rs, (requests − burst) ÷ rate while applying and then the rounds
that came after its last request (approximately what waited for it). The ratio is wall ÷ the
larger of the two.

    python latency_report.py NAME WALL_SECONDS PROXY_LOG BAKEN_JSON DELAY_MS [--cpu "USER SYS"] [--gaps]

Rounds are the longest chain of requests in which each was sent after the previous one's answer
came. The critical path is what the command could not do faster with any amount of concurrency:
the rounds before and after applying (reads, the lock) plus the longest path through the plan's
step graph, each step weighted by the rounds it ran (`result.step_requests`). The deploy lock's
two successful UpdateItem writes bracket the apply phase in the log.
"""
import json
import sys


def rounds(spans):
    spans = sorted(spans)
    chain = []
    for i, (start, _) in enumerate(spans):
        chain.append(1 + max((chain[j] for j in range(i) if spans[j][1] <= start), default=0))
    return max(chain, default=0)


def step_path(out):
    result = out.get("result") or {}
    steps = (out.get("plan") or {}).get("steps") or []
    weight = {json.dumps(s["resource"], sort_keys=True): s["rounds"] for s in result.get("step_requests") or []}
    key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
    after = {key(s["resource"]): [key(a) for a in s["after"]] for s in steps}
    memo = {}

    def longest(k, child=None):
        # A child API resource waits for its parent's CreateResource only (one round), not for
        # the parent's methods.
        if child is not None and json.loads(k)["kind"] == "api-resource" == json.loads(child)["kind"]:
            own = min(weight.get(k, 0), 1)
        else:
            own = weight.get(k, 0)
        if (k, own) not in memo:
            memo[(k, own)] = own + max((longest(a, k) for a in after.get(k, [])), default=0)
        return memo[(k, own)]

    return max((longest(k) for k in after), default=0)


def idle_gaps(spans, at_least=0.3):
    """Stretches with no request in flight (a poll interval, local work), longest first."""
    gaps, busy_until = [], None
    for start, end in sorted(spans):
        if busy_until is not None and start - busy_until >= at_least:
            gaps.append(round(start - busy_until, 2))
        busy_until = end if busy_until is None else max(busy_until, end)
    return sorted(gaps, reverse=True)


# The buckets of src/aws/limits.rs (per second, burst), per service signing name; for Lambda the
# control-plane bucket (everything but GetFunction and GetPolicy).
QUOTAS = {"apigateway": (10, 40), "lambda": (15, 15), "iam": (20, 40), "logs": (10, 20),
          "ec2": (20, 100), "dynamodb": (20, 40), "ssm": (40, 40), "sts": (20, 40)}
# The buckets of single operations in src/aws/limits.rs: (service, test on the log entry, rate, burst).
OPERATION_QUOTAS = [
    ("logs CreateLogGroup", lambda e: e["op"] == "CreateLogGroup", 5, 5),
    ("logs PutRetentionPolicy", lambda e: e["op"] == "PutRetentionPolicy", 5, 5),
    ("apigateway CreateResource", lambda e: e["service"] == "apigateway" and e["op"].startswith("POST ")
        and "/resources/" in e["op"], 5, 5),
    ("apigateway CreateDeployment", lambda e: e["service"] == "apigateway" and e["op"].startswith("POST ")
        and e["op"].endswith("/deployments"), 0.2, 1),
]


def lambda_control_plane(e):
    path = e["op"].split(" ")[-1].strip("/").split("/")
    get_function = e["op"].startswith("GET ") and len(path) == 3
    get_policy = e["op"].startswith("GET ") and len(path) == 4 and path[3] == "policy"
    return not (get_function or get_policy)


def buckets(entries):
    """Each bucket's name, its requests and its rate and burst."""
    for service, (rate, burst) in QUOTAS.items():
        mine = [e for e in entries if e.get("service") == service]
        if service == "lambda":
            mine = [e for e in mine if lambda_control_plane(e)]
        yield service, mine, rate, burst
    for name, test, rate, burst in OPERATION_QUOTAS:
        yield name, [e for e in entries if test(e)], rate, burst


def quota_bound(entries, latency):
    """The least time the quotas allow for the applying, whatever the schedule: for the busiest
    bucket, (requests − burst) ÷ rate until its last request can go, then that request and the
    sequential rounds that came after it (what waited for it)."""
    bound, which = 0.0, "-"
    for name, mine, rate, burst in buckets(entries):
        if len(mine) <= burst:
            continue
        last = max(mine, key=lambda e: e["start"])
        after = rounds([(e["start"], e["end"]) for e in entries if e["start"] >= last["end"]])
        t = (len(mine) - burst) / rate + latency * (1 + after)
        if t > bound:
            bound, which = t, name
    return bound, which


def client_cpu():
    """baken's user + system CPU seconds (`--cpu "USER SYS"`), or 0 when not given."""
    if "--cpu" not in sys.argv:
        return 0.0
    return sum(float(x) for x in sys.argv[sys.argv.index("--cpu") + 1].split())


def main():
    name, wall, log, out_path, delay_ms = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
    entries = [json.loads(line) for line in open(log) if line.strip()]
    spans = [(e["start"], e["end"]) for e in entries]
    out = json.load(open(out_path))
    total = rounds(spans)
    # The lock is taken with an UpdateItem and given back with another (teardown deletes its table).
    # One that failed (no lock table yet, or held) took nothing: the apply phase starts at the
    # one that succeeded, and what came before it (making the lock table) counts as outside.
    locks = [e for e in entries if e["op"] == "UpdateItem" and e.get("status", 200) == 200]
    releases = locks[1:] or [e for e in entries if e["op"] == "DeleteTable"][-1:]
    applied = entries
    if locks and releases:
        begin, end = locks[0]["end"], releases[-1]["start"]
        applied = [e for e in entries if e["start"] >= begin and e["end"] <= end]
        inside = rounds([(e["start"], e["end"]) for e in applied])
        outside = total - inside
        critical = outside + step_path(out)
    else:
        outside, critical = total, total
    # A round costs what a request took here: the delay plus moto's own time.
    latency = sum(e["end"] - e["start"] for e in entries) / len(entries) if entries else 0
    seconds = critical * latency
    # The quotas hold back the applying; the rounds around it come on top.
    quota, service = quota_bound(applied, latency)
    # Without an apply phase the rounds already include any wait for a token.
    quota_total = (outside * latency + quota) if quota and applied is not entries else quota
    bound = max(seconds, quota_total)
    ratio = wall / bound if bound else float("nan")
    print(f"{name:<16} {len(entries):4d} req {wall:6.2f} s {total:3d} rounds  critical path {critical:3d} "
          f"× {latency * 1000:3.0f} ms = {seconds:5.2f} s  with quotas {quota_total:4.1f} s ({service:<10}) "
          f"wall/max {ratio:4.2f}  client cpu {client_cpu():4.2f} s")
    gaps = idle_gaps(spans)
    if gaps and "--gaps" in sys.argv:
        print(f"  idle: {gaps[:5]}")


if __name__ == "__main__":
    main()
