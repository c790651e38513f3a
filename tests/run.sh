#!/usr/bin/env bash
# The test command: formatting, lints, and every test (unit, protocol
# fixtures, end to end against moto and the gateway simulator).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/setup.sh
cargo fmt --all -- --check
# The template: SAM's own validation with its linter, and cfn-lint.
SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 sam validate --lint --template infra/template.yaml
cfn-lint infra/template.yaml infra/inbound.yaml
# One build for lints, binaries and tests. Clippy runs as the compiler of
# the workspace's own crates (the wrapper `cargo clippy` itself uses), so
# the dependencies compile once, not once for `cargo clippy` and again for
# the build (that second compile was a quarter of the run on 2 cores).
# `-D warnings` makes every rustc and clippy warning an error, as
# `cargo clippy -- -D warnings` does. The variables stay exported: the
# end-to-end tests' `cargo lambda watch` finds the binaries fresh.
export RUSTC_WORKSPACE_WRAPPER="${RUSTC_WORKSPACE_WRAPPER:-$(rustc --print sysroot)/bin/clippy-driver}"
export RUSTFLAGS="${RUSTFLAGS:-} -D warnings"
export CARGO_INCREMENTAL=0
cargo build --workspace --all-targets --locked
# The property tests' bounded run (4,096 cases per property, about ten
# seconds in all); set PROPTEST_CASES higher for a longer one, and
# E2E_FULL=1 for the end-to-end tests' long runs (tests/README.md).
export PROPTEST_CASES="${PROPTEST_CASES:-4096}"
cargo test --workspace --locked
