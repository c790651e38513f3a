#!/usr/bin/env bash
# The test command: formatting, lints, and every test (unit, protocol
# fixtures, end to end against moto and the gateway simulator).
set -euo pipefail
cd "$(dirname "$0")/.."
# Cargo's environment now; the Python tools (moto, cargo-lambda, the SAM
# CLI, cfn-lint) install beside the build, which does not need them, and
# the templates are linted there too: on a fresh machine the install and
# the two linters took 35 s of one core before the build began.
. tests/setup.sh --env-only
# The console's browser tests need Chromium and its WebDriver: installed
# beside the lints and the build, waited for before the tests.
tests/browser.sh &
browser=$!
(
  tests/setup.sh
  # The templates: SAM's own validation with its linter (cfn-lint, run by
  # `--lint`) for the SAM template, cfn-lint for the plain one.
  SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 sam validate --lint --template infra/template.yaml
  cfn-lint infra/inbound.yaml
) &
tools=$!
cargo fmt --all -- --check
# One build for lints, binaries and tests: tests/setup.sh makes clippy the
# compiler of the workspace's own crates with -D warnings, so dependencies
# compile once, and the demo after this reuses the same build.
cargo build --workspace --all-targets --locked
wait "$tools"
# The property tests' bounded run (4,096 cases per property, about ten
# seconds in all); set PROPTEST_CASES higher for a longer one, and
# E2E_FULL=1 for the end-to-end tests' long runs (tests/README.md).
export PROPTEST_CASES="${PROPTEST_CASES:-4096}"
# Six tests at a time on two cores: the end-to-end tests mostly wait (on
# moto, the simulator, result mails). Measured on 2 cores with the build
# done (65 tests): 4 at a time 71 s, 6 at a time 52–55 s, 8 at a time 64 s.
export RUST_TEST_THREADS="${RUST_TEST_THREADS:-6}"
wait "$browser"
cargo test --workspace --locked
