#!/usr/bin/env bash
# Benchmark: `smtp-doctor logs` over a generated Postfix log of N lines (default 1,000,000) beside
# Debian's pflogsumm 1.1.5 on the same file, with `LC_ALL=C grep -c status=` as the I/O reference
# (the speed of reading the file and finding one string per line). Prints MB/s and peak RSS for
# each (best of R runs, RSS from /usr/bin/time -f %M), the ratio to pflogsumm and the share of
# grep's MB/s, and checks smtp-doctor's counts against the generator's truth (issue 6, point 5).
# Floors: 10x pflogsumm's MB/s, peak RSS under 100 MB.
#
# The log and its truth are cached under target/bench-logs/ (generating 1M lines takes ~15 s), so
# reruns skip generation. All three run pinned to core 0 (pflogsumm and grep are single-threaded,
# and so is `logs`); as root under chrt -f 50 when allowed.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
SEED=${SEED:-1}
R=${R:-3}
GEN=${GEN:-../shared/tools/gen-postfix-log.py}
cache=target/bench-logs
log="$cache/mail-$N-$SEED.log"
truth="$cache/mail-$N-$SEED.truth.json"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! command -v pflogsumm >/dev/null; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq pflogsumm >/dev/null ||
    { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq pflogsumm >/dev/null; }
fi
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 2; }

mkdir -p "$cache"
if [ ! -s "$log" ] || [ ! -s "$truth" ]; then
  [ -f "$GEN" ] || { echo "generator not found: $GEN" >&2; exit 2; }
  python3 "$GEN" --lines "$N" --seed "$SEED" --out "$log.tmp" --truth "$truth"
  mv "$log.tmp" "$log"
fi
cargo build --profile dist -q -p smtp-doctor
bin=${CARGO_TARGET_DIR:-target}/dist/smtp-doctor
bytes=$(stat -c %s "$log")
echo "input: $log, $(wc -l < "$log") lines, $((bytes / 1000000)) MB"

rt=""
if [ "$(id -u)" -eq 0 ] && command -v chrt >/dev/null && chrt -f 50 true 2>/dev/null; then rt="chrt -f 50"; fi
# One timed run of a command pinned to core 0, its stdout to $work/KIND.out: wall microseconds
# and peak RSS (KiB) appended to $work/times as "KIND US KIB". Exit 1 (failures found) is fine.
timed() {
  local kind=$1 t0 t1; shift
  t0=$(date +%s%N)
  /usr/bin/time -f %M -o "$work/rss" $rt taskset -c 0 "$@" > "$work/$kind.out" || [ $? -eq 1 ]
  t1=$(date +%s%N)
  echo "$kind $(( (t1 - t0) / 1000 )) $(tail -n 1 "$work/rss")" >> "$work/times"
}
cat "$log" > /dev/null # page cache warm for the first run
: > "$work/times"
for _ in $(seq "$R"); do
  timed ours "$bin" logs --json "$log"
  timed pflogsumm pflogsumm "$log"
  timed grep env LC_ALL=C grep -c status= "$log"
done

python3 - "$work" "$bytes" "$R" "$rt" "$truth" <<'PY'
import json, sys
work, size, runs, rt, truth_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
best, rss = {}, {}
for line in open(f"{work}/times"):
    kind, us, kib = line.split()
    best[kind] = min(best.get(kind, 1e18), int(us) / 1e6)
    rss[kind] = max(rss.get(kind, 0), int(kib))
mbs = {k: size / 1e6 / t for k, t in best.items()}
print(f"best of {runs} runs each, pinned to core 0" + (" under chrt -f 50" if rt else ""))
names = {"ours": "smtp-doctor logs --json", "pflogsumm": "pflogsumm 1.1.5", "grep": "LC_ALL=C grep -c status="}
for k in ("ours", "pflogsumm", "grep"):
    print(f"{names[k]:<26}: {best[k]:7.3f} s  {mbs[k]:8.1f} MB/s  peak RSS {rss[k] / 1024:6.1f} MB")
ratio = mbs["ours"] / mbs["pflogsumm"]
share = mbs["ours"] / mbs["grep"]
peak = rss["ours"] / 1024
print(f"ratio to pflogsumm        : {ratio:.1f}x   (floor 10x: {'met' if ratio >= 10 else 'NOT MET'})")
print(f"peak RSS                  : {peak:.1f} MB (floor under 100 MB: {'met' if peak < 100 else 'NOT MET'})")
print(f"share of grep's MB/s      : {100 * share:.0f}%")
# The 1M-line check: smtp-doctor's counts against the generator's truth.
s, t = json.load(open(f"{work}/ours.out")), json.load(open(truth_path))
table = lambda rows: {r["key"]: r["count"] for r in rows}
checks = [("lines", s["lines"], t["lines"]), ("rejects", s["rejects"]["total"], t["rejects"]["total"])]
for st in ("sent", "deferred", "bounced"):
    checks.append((f"{st} lines", s[st]["lines"], t["status"][st]["total"]))
    for key in ("by_domain", "by_dsn", "by_reply_code"):
        checks.append((f"{st} {key}", table(s[st][key]), t["status"][st][key]))
checks.append(("deferred messages", s["deferred"]["messages"], t["status"]["deferred"]["messages"]))
bad = [name for name, ours, want in checks if ours != want]
print(f"truth check               : {len(checks) - len(bad)} of {len(checks)} equal" + (f"; MISMATCH: {', '.join(bad)}" if bad else ""))
sys.exit(1 if bad else 0)
PY
