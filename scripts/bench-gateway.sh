#!/usr/bin/env bash
# The JV-Link gateway's setup-sync throughput (records/s into SQLite): committing per record (the
# baseline, as the gateway did before) against batched commits, in the same run, over the fixture
# corpus scaled up. Argument: copies of the corpus (default 200).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/test-env.sh
python windows-bootstrap/gateway/tests/bench_sync.py "${1:-200}"
