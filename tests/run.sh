#!/usr/bin/env bash
# The test command: formatting, lints, and every test (unit, protocol
# fixtures, end to end against moto and the gateway simulator).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
