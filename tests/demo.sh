#!/usr/bin/env bash
# The demo command: installs what it needs, then runs the whole flow locally.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/setup.sh
cargo build --locked --workspace --bins
cargo run --locked --quiet -p e2e --bin demo
