#!/usr/bin/env bash
# Installs what the tests and the demo need into .venv (idempotent) and
# prints the PATH to use. Source it: `. tests/setup.sh`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.requirements"
if [ "${1:-}" != "--env-only" ] && [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# `. tests/setup.sh --env-only` sets the environment without installing:
# the test command installs the tools beside its build.
if [ "${1:-}" != "--env-only" ] && ! cmp -s "$root/tests/requirements.txt" "$stamp" 2>/dev/null; then
  # uv installs the same pinned wheels as pip in a quarter of the time (18 s
  # instead of 74 s for SAM CLI, moto, cfn-lint and cargo-lambda). Compiled
  # to bytecode at install as pip does: without it every moto server and
  # stack.py the tests start compiles moto from source again (the
  # end-to-end tests took 260 s instead of 150 s).
  "$venv/bin/pip" install --quiet --disable-pip-version-check uv==0.13.9
  "$venv/bin/uv" pip install --quiet --compile-bytecode --python "$venv/bin/python" -r "$root/tests/requirements.txt"
  cp "$root/tests/requirements.txt" "$stamp"
fi
export PATH="$venv/bin:$PATH"
export PYTHON="$venv/bin/python"
export SAM_CLI_TELEMETRY=0
# One build for lints, binaries and tests. Clippy runs as the compiler of
# the workspace's own crates (the wrapper `cargo clippy` itself uses), so
# the dependencies compile once, not once for `cargo clippy` and again for
# the build (that second compile was a quarter of the test command on 2
# cores). `-D warnings` makes every rustc and clippy warning an error, as
# `cargo clippy -- -D warnings` does. The test command, the demo and the
# end-to-end tests' `cargo lambda watch` share these, so each finds the
# others' build fresh.
export RUSTC_WORKSPACE_WRAPPER="${RUSTC_WORKSPACE_WRAPPER:-$(rustc --print sysroot)/bin/clippy-driver}"
case " ${RUSTFLAGS:-} " in
  *" -D warnings "*) ;;
  *) export RUSTFLAGS="${RUSTFLAGS:-} -D warnings" ;;
esac
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
