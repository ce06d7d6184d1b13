#!/usr/bin/env bash
# Every test, from a fresh machine: installs what the tests need (scripts/test-env.sh), then runs
# the unit tests and the one integration suite (which starts moto itself on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/test-env.sh
cargo test --workspace --locked "$@"
