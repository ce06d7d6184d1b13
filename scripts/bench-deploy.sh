#!/usr/bin/env bash
# Wall time and AWS requests of fresh deploy, no-op deploy, status and teardown against moto, in
# mock mode and in jravan mode (network, gateway instance), and of the switch back to mock.
# Baseline, measured in the same run: one `baken plan` of the empty stack on a warmed-up moto
# (start-up, credential chain, the reads of an empty account), so the figures compare across machines.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/test-env.sh
cargo build --quiet --bin baken
BAKEN="$CARGO_TARGET_DIR/debug/baken"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BAKEN_VENV/bin/python" tests/moto/serve.py -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill $moto' EXIT
until python3 -c "import socket; socket.create_connection(('127.0.0.1',$port))" 2>/dev/null; do sleep 0.2; done
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench
work=$(mktemp -d)
printf '#!/bin/sh\nexit 0\n' > "$work/bootstrap"
printf 'stack: bench\nregion: ap-northeast-1\n' > "$work/baken.yaml"
printf 'stack: benchj\nregion: ap-northeast-1\n' > "$work/jravan.yaml"
# The JRA-VAN service key a jravan user creates before deploying (deploy refuses without it).
"$BAKEN_VENV/bin/python" scripts/bench/put_service_key.py "http://127.0.0.1:$port" "benchj"
manifest="$work/baken.yaml"
run() { # name, then baken arguments; prints one row
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  "$BAKEN" "$@" --manifest "$manifest" --endpoint-url "http://127.0.0.1:$port" --json >"$work/out.json" || test $? -eq 2
  end=$(date +%s.%N)
  python3 - "$name" "$start" "$end" "$work/out.json" <<'PY'
import json, sys
name, start, end, path = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
r = json.load(open(path))["aws_requests"]
print(f"{name:<16} {end - start:7.2f} s  {r['reads']:4d} reads  {r['writes']:4d} writes")
PY
}
# moto loads each service's backend on its first request; warm it up outside the figures.
"$BAKEN" plan --artifact "$work/bootstrap" --manifest "$work/baken.yaml" --endpoint-url "http://127.0.0.1:$port" >/dev/null 2>&1 || true
echo "command          wall time   AWS requests (moto $MOTO_VERSION, $(nproc) cores)"
run "baseline plan" plan --artifact "$work/bootstrap"
run "fresh deploy" deploy --yes --artifact "$work/bootstrap"
run "no-op deploy" deploy --yes --artifact "$work/bootstrap"
run "status" status
run "teardown" teardown --yes --allow-data-loss
manifest="$work/jravan.yaml"
run "jravan deploy" deploy --yes --mode jravan --artifact "$work/bootstrap"
run "jravan no-op" deploy --yes --mode jravan --artifact "$work/bootstrap"
run "jravan status" status
run "jravan → mock" deploy --yes --allow-data-loss --mode mock --artifact "$work/bootstrap"
run "mock → jravan" deploy --yes --mode jravan --artifact "$work/bootstrap"
run "jravan teardown" teardown --yes --allow-data-loss
rm -rf "$work"
