#!/usr/bin/env bash
# Cold start of the Lambda bootstrap and request latency through `baken dev` (scripts/bench-api.py).
# The bootstrap is the build that deploy ships (cargo zigbuild, glibc 2.34). `baken dev` is
# the debug build unless BAKEN_BENCH_PROFILE=release (a release build of the CLI takes ~30 min here).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/test-env.sh
profile="${BAKEN_BENCH_PROFILE:-debug}"
# The profile `baken package` and `deploy` build with (BAKEN_BENCH_LAMBDA_PROFILE=release compares).
lambda_profile="${BAKEN_BENCH_LAMBDA_PROFILE:-lambda}"
cargo zigbuild --quiet --profile "$lambda_profile" -p baken-handlers --bin bootstrap \
  --target x86_64-unknown-linux-gnu.2.34 --target-dir "$CARGO_TARGET_DIR/lambda"
if [ "$profile" = release ]; then cargo build --quiet --release --bin baken; else cargo build --quiet --bin baken; fi
python3 scripts/bench-api.py "$CARGO_TARGET_DIR/lambda/x86_64-unknown-linux-gnu/$lambda_profile/bootstrap" "$CARGO_TARGET_DIR/$profile/baken"
echo "(baken dev: $profile build)"
