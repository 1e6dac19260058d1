#!/usr/bin/env bash
# Every test of the workspace (unit, integration, knowledge-base examples, corpus checks).
# Corpus tests read ../shared/corpus; under CI=true its absence is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --workspace --all-targets --release
# Doc tests are not part of --all-targets.
cargo test --workspace --doc --release
