#!/usr/bin/env bash
# Soak test of `smtp-doctor monitor` (issue 8 point 8; not part of the test run): SOAK_CHECKS
# checks (default 1000) on a SOAK_INTERVAL schedule (default 60 s; jitter up to 34 s) against
# the built-in lab's fault servers (`smtp-doctor lab`, on 127.0.0.1) for SOAK_MINUTES (default
# 10), SOAK_CONCURRENCY (default 128) runs at once. Prints the monitor's resident memory each
# minute and, at the end, the runs per check (from /metrics). Exit 1 when memory grew by more
# than SOAK_MAX_GROWTH percent (default 20) from the end of the second minute to the end, or a
# check starved (fewer runs than its schedule's due slots minus one).
# The lab's byte floods (flood, garbage: 100 and 10 MiB a connection) are left out unless
# SOAK_SCENARIOS names them (a space-separated list; default: every other scenario).
# SMTP_DOCTOR_BIN picks the binary (default: a release build of the CLI, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
checks=${SOAK_CHECKS:-1000}
minutes=${SOAK_MINUTES:-10}
interval=${SOAK_INTERVAL:-60}
concurrency=${SOAK_CONCURRENCY:-128}
max_growth=${SOAK_MAX_GROWTH:-20}
bin=${SMTP_DOCTOR_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release -p smtp-doctor
  bin=${CARGO_TARGET_DIR:-target}/release/smtp-doctor
fi
work=$(mktemp -d /tmp/smtp-doctor-soak.XXXXXX)
lab_pid="" monitor_pid=""
cleanup() {
  [ -n "$monitor_pid" ] && kill "$monitor_pid" 2>/dev/null || true
  exec 7>&- 2>/dev/null || true
  [ -n "$lab_pid" ] && kill "$lab_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The lab runs until its standard input ends: a FIFO held open on descriptor 7.
mkfifo "$work/lab.in"
"$bin" lab <"$work/lab.in" >"$work/lab.txt" 2>&1 &
lab_pid=$!
exec 7>"$work/lab.in"
for _ in $(seq 100); do grep -q '^Try:' "$work/lab.txt" && break; sleep 0.2; done
grep -q '^Try:' "$work/lab.txt" || { cat "$work/lab.txt" >&2; echo "soak: the lab did not start" >&2; exit 2; }
ca=$(sed -n 's/^CA certificate: //p' "$work/lab.txt")
wanted=" ${SOAK_SCENARIOS:-} "
mapfile -t targets < <(awk -v wanted="$wanted" '
  $2 ~ /^127\.0\.0\.1:[0-9]+$/ && $3 ~ /^(none|starttls|implicit)$/ {
    if (wanted ~ /^ *$/) { if ($1 == "flood" || $1 == "garbage") next }
    else if (index(wanted, " " $1 " ") == 0) next
    print $1, $2, $3
  }' "$work/lab.txt")
[ ${#targets[@]} -gt 0 ] || { echo "soak: no lab scenario selected" >&2; exit 2; }

# Each run is bounded inside its interval, and the jitter leaves room for the longest run in
# its slot: a check that misses slots does so because it waited for a permit (starved), not
# because its own run was long.
timeout=$((interval < 25 ? interval : 25))
total=$((timeout > 10 ? timeout - 5 : timeout))
jitter=$((interval - timeout > 1 ? interval - timeout - 1 : 0))
{
  echo "interval = \"${interval}s\""
  echo "jitter = \"${jitter}s\""
  echo "concurrency = $concurrency"
  echo "retention = \"1d\""
  echo "store = \"soak.db\""
  for i in $(seq "$checks"); do
    read -r name addr tls <<<"${targets[$(((i - 1) % ${#targets[@]}))]}"
    printf '[[check]]\nname = "c%04d-%s"\ncheck = "%s"\ntls = "%s"\nca = "%s"\n' "$i" "$name" "$addr" "$tls" "$ca"
    printf 'from = "soak@lab.invalid"\nto = "someone@lab.invalid"\n'
    printf 'timeouts = { connect = "5s", banner = "10s", command = "10s", total = "%ss" }\ntimeout = "%ss"\n' "$total" "$timeout"
  done
} >"$work/monitor.toml"

"$bin" monitor --config "$work/monitor.toml" --listen 127.0.0.1:0 >"$work/monitor.out" 2>"$work/monitor.err" &
monitor_pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$work/monitor.out" && break; sleep 0.2; done
url=$(sed -n 's/^listening on //p' "$work/monitor.out")
[ -n "$url" ] || { tail "$work/monitor.err" >&2; echo "soak: the monitor did not start" >&2; exit 2; }

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$monitor_pid/status"; }
runs_total() { curl -fsS --max-time 30 "$url" | awk '/^smtp_doctor_check_runs_total\{/ { n += $NF } END { print n + 0 }'; }
echo "soak: $checks checks over ${#targets[@]} lab scenarios, every ${interval} s, $concurrency at once, for $minutes min ($bin)"
printf '%6s %10s %10s\n' minute rss_mib runs
rss_warm=""
for m in $(seq "$minutes"); do
  sleep 60
  kill -0 "$monitor_pid" 2>/dev/null || { tail "$work/monitor.err" >&2; echo "soak: the monitor died" >&2; exit 1; }
  rss=$(rss_kib)
  [ "$m" -eq 2 ] && rss_warm=$rss
  printf '%6d %10.1f %10d\n' "$m" "$(echo "$rss / 1024" | bc -l)" "$(runs_total)"
done
rss_end=$(rss_kib)
curl -fsS --max-time 30 "$url" | awk '/^smtp_doctor_check_runs_total\{/ {
  match($0, /check="[^"]*"/); print $NF, substr($0, RSTART + 7, RLENGTH - 8) }' | sort -n >"$work/runs.txt"
per_check=$(wc -l <"$work/runs.txt")
due=$((minutes * 60 / interval))
starved=$(awk -v due="$due" '$1 < due - 1 { n++ } END { print n + 0 }' "$work/runs.txt")
never=$((checks - per_check))
read -r min median max < <(awk '{ a[NR] = $1 } END { print a[1], a[int((NR + 1) / 2)], a[NR] }' "$work/runs.txt")
growth="n/a"
[ -n "$rss_warm" ] && growth=$(echo "scale=1; ($rss_end - $rss_warm) * 100 / $rss_warm" | bc -l)
awk -v due="$due" '$1 < due - 1 { print "starved: " $2 " (" $1 " runs)" }' "$work/runs.txt" | head -20
echo "runs per check: min $min, median $median, max $max (due slots: $due); starved: $starved; never run: $never"
echo "rss: $(echo "scale=1; ${rss_warm:-0} / 1024" | bc -l) MiB after minute 2, $(echo "scale=1; $rss_end / 1024" | bc -l) MiB at the end (growth $growth %)"
status=0
[ "$starved" -eq 0 ] && [ "$never" -eq 0 ] || { echo "soak: FAIL: checks starved"; status=1; }
if [ "$growth" != "n/a" ] && [ "$(echo "$growth > $max_growth" | bc -l)" -eq 1 ]; then
  echo "soak: FAIL: memory grew by more than $max_growth %"
  status=1
fi
exit $status
