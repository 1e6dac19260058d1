#!/usr/bin/env bash
# The main job, end to end, with nothing else to set up: builds smtp-doctor and runs its demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -q -p smtp-doctor
exec target/release/smtp-doctor demo "$@"
