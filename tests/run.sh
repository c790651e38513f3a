#!/usr/bin/env bash
# The test command: formatting, lints, and every test (unit, protocol
# fixtures, end to end against moto and the gateway simulator).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/setup.sh
cargo fmt --all -- --check
# The template: SAM's own validation with its linter, and cfn-lint.
SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 sam validate --lint --template infra/template.yaml
cfn-lint infra/template.yaml
cargo clippy --workspace --all-targets --locked -- -D warnings
# The functions' binaries first: the cargo-lambda tests run them.
cargo build --workspace --bins --locked
# The property tests' bounded run (about a minute in all); set
# PROPTEST_CASES higher for a longer one.
export PROPTEST_CASES="${PROPTEST_CASES:-16384}"
cargo test --workspace --locked
