#!/usr/bin/env bash
# `baken dev` (the whole API on one port, no AWS account) built into the same target directory
# as the tests, so neither rebuilds what the other compiled. Arguments go to `baken dev`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cargo-env.sh
exec cargo run --locked -- dev "$@"
