#!/usr/bin/env bash
# Sourced by every script that runs cargo: one target directory for `scripts/dev.sh`, the tests,
# the benchmarks and CI, outside the checkout, so a fresh clone (CI's among them) reuses what was
# compiled before. Set CARGO_TARGET_DIR to use another.
BAKEN_CACHE="${BAKEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/baken}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$BAKEN_CACHE/target}"
