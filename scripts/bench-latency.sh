#!/usr/bin/env bash
# Deploy, no-op deploy, status and teardown in both modes, and the mode switches, with a fixed
# delay added to every AWS request by a proxy in front of moto (default 100 ms: BAKEN_BENCH_DELAY_MS),
# the way a real region answers. Per command: requests, wall time, the sequential rounds actually
# run, the critical path from the plan's step graph, wall ÷ critical path, and baken's own CPU
# time. The same commands run first without the proxy: the baseline of this run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/test-env.sh
# The dev build with optimised dependencies (Cargo.toml's `measure` profile): what is measured is
# the round trips, not the unoptimised SDK's CPU. BAKEN_BENCH_PROFILE=dev measures the debug build.
profile="${BAKEN_BENCH_PROFILE:-measure}"
cargo build --quiet --profile "$profile" --bin baken
BAKEN="$CARGO_TARGET_DIR/$([ "$profile" = dev ] && echo debug || echo "$profile")/baken"
DELAY_MS="${BAKEN_BENCH_DELAY_MS:-100}"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { until python3 -c "import socket; socket.create_connection(('127.0.0.1',$1))" 2>/dev/null; do sleep 0.2; done; }
moto_port=$(free_port)
"$BAKEN_VENV/bin/python" tests/moto/serve.py -H 127.0.0.1 -p "$moto_port" >/dev/null 2>&1 &
pids=$!
trap 'kill $pids 2>/dev/null' EXIT
wait_port "$moto_port"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench
work=$(mktemp -d)
printf '#!/bin/sh\nexit 0\n' > "$work/bootstrap"

suite() { # label, endpoint, log file, delay; runs every command against a fresh pair of stacks
  local label=$1 endpoint=$2 log=$3 delay=$4 suffix=$RANDOM
  printf 'stack: lat%s\nregion: ap-northeast-1\n' "$suffix" > "$work/mock.yaml"
  printf "stack: latj%s\nregion: ap-northeast-1\nmode: jravan\n" "$suffix" > "$work/jravan.yaml"
  "$BAKEN_VENV/bin/python" scripts/bench/put_service_key.py "http://127.0.0.1:$moto_port" "latj$suffix"
  echo "$label"
  run() { # name, manifest, baken arguments
    local name=$1 manifest=$2; shift 2
    : > "$log"
    local start end cpu
    start=$(date +%s.%N)
    # The client's own CPU time (bash's `time`: user, sys), since on a small machine the debug
    # build competes for the cores with moto and the proxy. baken's stderr goes through fd 4.
    cpu=$( { TIMEFORMAT='%3U %3S'; time "$BAKEN" "$@" --manifest "$work/$manifest" --endpoint-url "$endpoint" --json >"$work/out.json" 2>&4; } 4>&2 2>&1 ) || test $? -eq 2
    end=$(date +%s.%N)
    python3 scripts/bench/latency_report.py "$name" "$(echo "$end - $start" | bc)" "$log" "$work/out.json" "$delay" --cpu "$cpu" ${BAKEN_BENCH_GAPS:+--gaps}
  }
  run "fresh deploy" mock.yaml deploy --yes --artifact "$work/bootstrap"
  run "no-op deploy" mock.yaml deploy --yes --artifact "$work/bootstrap"
  run "status" mock.yaml status
  run "teardown" mock.yaml teardown --yes --allow-data-loss
  run "jravan deploy" jravan.yaml deploy --yes --mode jravan --artifact "$work/bootstrap"
  run "jravan no-op" jravan.yaml deploy --yes --mode jravan --artifact "$work/bootstrap"
  run "jravan status" jravan.yaml status
  run "jravan → mock" jravan.yaml deploy --yes --allow-data-loss --mode mock --artifact "$work/bootstrap"
  run "mock → jravan" jravan.yaml deploy --yes --mode jravan --artifact "$work/bootstrap"
  run "jravan teardown" jravan.yaml teardown --yes --allow-data-loss
}

# moto loads each service's backend on its first request; warm it up outside the figures.
"$BAKEN" plan --artifact "$work/bootstrap" --manifest <(printf 'stack: warm\n') --endpoint-url "http://127.0.0.1:$moto_port" >/dev/null 2>&1 || true
for delay in ${BAKEN_BENCH_DELAYS:-0 $DELAY_MS}; do
  port=$(free_port)
  "$BAKEN_VENV/bin/python" scripts/bench/latency_proxy.py "$moto_port" "$port" "$delay" "$work/proxy-$delay.log" &
  pids="$pids $!"
  wait_port "$port"
  suite "proxy delay ${delay} ms (moto $MOTO_VERSION, $(nproc) cores)" "http://127.0.0.1:$port" "$work/proxy-$delay.log" "$delay"
done
rm -rf "$work"
