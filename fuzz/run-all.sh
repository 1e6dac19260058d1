#!/usr/bin/env bash
# Runs every fuzz target for a chosen time, seeded from ../shared at run time, and prints a
# table of runs, coverage and crashes. Exit status 1 when any target crashed (its input is kept
# under $FUZZ_WORK/artifacts/TARGET/), 0 otherwise.
#
#   bash fuzz/run-all.sh                 # every target, 60 s each
#   FUZZ_TIME=600 bash fuzz/run-all.sh   # 10 minutes each
#   FUZZ_TIME=10 FUZZ_JOBS=2 bash fuzz/run-all.sh dsn spf   # some targets, two at a time
#
# Toolchain: the installed nightly with AddressSanitizer when there is one; else the stable
# toolchain with RUSTC_BOOTSTRAP=1 and no sanitizer (libFuzzer's coverage instrumentation
# needs no unstable flag; -Zsanitizer does); FUZZ_STABLE=1 forces the latter. cargo-fuzz is
# installed when missing.
set -euo pipefail
cd "$(dirname "$0")"
SHARED=../../shared
FUZZ_TIME=${FUZZ_TIME:-60}
FUZZ_JOBS=${FUZZ_JOBS:-1}
WORK=${FUZZ_WORK:-$PWD/../target/fuzz-work}
TARGET_DIR=${FUZZ_TARGET_DIR:-$PWD/../target/fuzz}
all_targets=(dsn log_postfix log_exim log_sendmail log_opensmtpd spf zone_file dmarc dkim
  mtasts_record mtasts_policy tlsrpt reply ehlo enhanced explain tlsa mtasts_http)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

if [ ! -d "$SHARED/corpus" ]; then
  echo "fuzz: $SHARED/corpus is missing: the seeds come from it" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked --version 0.13.2 >/dev/null
fi
if [ "${FUZZ_STABLE:-0}" != 1 ] && rustup run nightly rustc --version >/dev/null 2>&1; then
  fuzz=(cargo +nightly fuzz)
  sanitizer=(--sanitizer address)
  echo "== fuzzing with the nightly toolchain and AddressSanitizer"
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
  sanitizer=(--sanitizer none)
  echo "== fuzzing with the stable toolchain (RUSTC_BOOTSTRAP=1), no sanitizer"
fi

# Seed directories per target (read-only inputs; new inputs go to $WORK/corpus/TARGET).
seeds="$WORK/seeds"
mkdir -p "$seeds"
if [ ! -e "$seeds/.done" ]; then
  python3 records-seeds.py "$seeds/records" >/dev/null
  mkdir -p "$seeds/spf" "$seeds/zone" "$seeds/postfix"
  grep -ho 'v=spf1[^"]*' "$SHARED"/corpus/spf/*.yml "$SHARED"/corpus/spf/*.jsonl | sort -u |
    split -l 1 - "$seeds/spf/s"
  cp "$SHARED"/lab/dns/*.zone "$seeds/zone/"
  python3 "$SHARED/tools/gen-postfix-log.py" --lines 900 --out "$seeds/postfix.log" >/dev/null
  split -l 3 "$seeds/postfix.log" "$seeds/postfix/s"
  touch "$seeds/.done"
fi
seed_dirs() {
  case "$1" in
  dsn) echo "$SHARED/corpus/bounces/maildir/bsd" ;;
  log_postfix) echo "$seeds/postfix" ;;
  log_exim) echo "$SHARED/corpus/logs/exim-testsuite/log" ;;
  log_sendmail) echo "$SHARED/corpus/logs/fail2ban $SHARED/corpus/logs/sendmail" ;;
  log_opensmtpd) echo "$SHARED/corpus/logs/wazuh" ;;
  spf) echo "$seeds/spf" ;;
  zone_file) echo "$seeds/zone" ;;
  dmarc | dkim | mtasts_record | mtasts_policy | tlsrpt) echo "$seeds/records/$1" ;;
  *) ;;
  esac
}
max_len() {
  case "$1" in
  dsn) echo 65536 ;;
  spf) echo 1024 ;;
  *) echo 4096 ;;
  esac
}

echo "== building ${#targets[@]} targets"
mkdir -p "$WORK/logs"
build_one() { # no name: every target in one build
  if ! "${fuzz[@]}" build "${sanitizer[@]}" --release --target-dir "$TARGET_DIR" "$@" \
    >"$WORK/logs/build.log" 2>&1; then
    tail -40 "$WORK/logs/build.log" >&2
    echo "fuzz: the build failed (whole log: $WORK/logs/build.log)" >&2
    exit 2
  fi
}
if [ $# -eq 0 ]; then
  build_one
else
  for t in "${targets[@]}"; do build_one "$t"; done
fi

run_one() {
  local t=$1 log="$WORK/logs/$1.log"
  mkdir -p "$WORK/corpus/$t" "$WORK/artifacts/$t" "$WORK/logs"
  # shellcheck disable=SC2046
  if "${fuzz[@]}" run "${sanitizer[@]}" --release --target-dir "$TARGET_DIR" "$t" \
    "$WORK/corpus/$t" $(seed_dirs "$t") -- -max_total_time="$FUZZ_TIME" -max_len="$(max_len "$t")" \
    -print_final_stats=1 -artifact_prefix="$WORK/artifacts/$t/" >"$log" 2>&1; then
    echo ok >"$log.status"
  else
    echo crash >"$log.status"
  fi
}

echo "== running each target for $FUZZ_TIME s, $FUZZ_JOBS at a time"
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$FUZZ_JOBS" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

status=0
printf '%-15s %-6s %12s %8s %8s\n' target result runs per_s edges
for t in "${targets[@]}"; do
  log="$WORK/logs/$t.log"
  result=$(cat "$log.status" 2>/dev/null || echo missing)
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  per_s=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  edges=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
  printf '%-15s %-6s %12s %8s %8s\n' "$t" "$result" "${runs:-?}" "${per_s:-?}" "${edges:-?}"
  if [ "$result" != ok ]; then
    status=1
    echo "   $t: see $log and $WORK/artifacts/$t/" >&2
    tail -30 "$log" >&2
  fi
done
exit "$status"
