#!/usr/bin/env bash
# Every test of the workspace (unit, integration, knowledge-base examples, corpus checks).
# Corpus tests read ../shared/corpus; under CI=true its absence is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
figures=target/corpus-failures/bounce-figures.txt
records=target/corpus-failures/records-figures.txt
rm -f "$figures" "$records"
cargo test --workspace --all-targets --release
# The bounce corpus test's accuracy figures (it writes them; cargo captures its output).
if [ -f "$figures" ]; then cat "$figures"; fi
# The DNS record vectors passed per file (dnsauth's corpus test).
if [ -f "$records" ]; then cat "$records"; fi
# Doc tests are not part of --all-targets.
cargo test --workspace --doc --release
