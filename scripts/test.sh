#!/usr/bin/env bash
# Every test, from a fresh machine: installs what the tests need (scripts/test-env.sh), then runs
# the Rust unit tests, the one integration suite (which starts moto itself on 127.0.0.1) and the
# gateway's pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/test-env.sh
# The release workflow and the pipeline example: actionlint checks syntax, expressions, job
# graph and action inputs.
actionlint .github/workflows/*.yml examples/github-actions/*.yml
cargo test --workspace --locked "$@"
# The JV-Link gateway (Python), against a fake JV-Link replaying the JV-Data fixtures.
(cd windows-bootstrap/gateway && python -m pytest -q tests)
