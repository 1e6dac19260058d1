#!/usr/bin/env bash
# Benchmark: `smtp-doctor explain --file` over N lines (default 100,000) beside sisimai 4.25.15's
# `Sisimai->match($string)` classifying the same strings. sisimai is single-threaded and runs pinned to
# one core; smtp-doctor runs twice: as a user gets it (one thread per CPU, `-j` default) and pinned to
# one core with `-j 1`, so both the whole-machine and the per-core ratio are printed.
# Lines: the Diagnostic-Code texts of the bounce corpus plus the project's source messages,
# repeated to N. Prints messages/s for both (best of R runs) and the ratio. Floors (issue 3): 100,000 messages/s
# and 20x sisimai.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
CORPUS=${CORPUS:-../shared/corpus/bounces/maildir/bsd}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! perl -MSisimai -e 1 2>/dev/null; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq libsisimai-perl >/dev/null
fi
cargo build --profile dist -q -p smtp-doctor
bin=${CARGO_TARGET_DIR:-target}/dist/smtp-doctor

python3 - "$CORPUS" crates/kb/tests/source-messages.tsv "$N" > "$work/lines.txt" <<'PY'
import sys, pathlib
corpus, table, n = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
lines = []
if corpus.is_dir():
    for f in sorted(corpus.glob("*.eml")):
        text = f.read_text(errors="replace").splitlines()
        i = 0
        while i < len(text):
            if text[i].lower().startswith("diagnostic-code:"):
                v = text[i][16:].strip()
                while i + 1 < len(text) and text[i + 1][:1] in (" ", "\t"):
                    i += 1
                    v += " " + text[i].strip()
                v = v.split(";", 1)[-1].strip()
                if v:
                    lines.append(v)
            i += 1
for l in open(table):
    if not l.startswith("#"):
        lines.append(l.split("\t")[0])
out = [lines[i % len(lines)] for i in range(n)]
sys.stdout.write("\n".join(out) + "\n")
PY
lines=$(wc -l < "$work/lines.txt")
distinct=$(sort -u "$work/lines.txt" | wc -l)
echo "input: $lines lines ($distinct distinct), $(du -h "$work/lines.txt" | cut -f1)"

# Each side runs R times (default 3), interleaved, pinned to core 0; the best time counts, so a
# busy machine slows the figures less than it skews them. As root both run under a real-time
# scheduling class (chrt), so that builds or tests on the same core do not preempt them.
rt=""
if [ "$(id -u)" -eq 0 ] && command -v chrt >/dev/null && chrt -f 50 true 2>/dev/null; then rt="chrt -f 50"; fi
R=${R:-3}
S=${SISIMAI_LINES:-$N}
head -n "$S" "$work/lines.txt" > "$work/sis.txt"
timed() { local t0 t1; t0=$(date +%s%N); "$@"; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000 )); }
cpus=$(nproc)
ours_json() { $rt "$bin" explain --json --file "$work/lines.txt" > "$work/ours.jsonl" || [ $? -eq 1 ]; }
# The pinned runs also record their CPU time (user + system, GNU time): on a shared or virtual
# host, wall time includes what other tenants take (steal), CPU time much less so.
cpu_time=""
[ -x /usr/bin/time ] && cpu_time="/usr/bin/time -a -f %U+%S -o"
ours_one() { $cpu_time ${cpu_time:+"$work/cpu.one"} $rt taskset -c 0 "$bin" explain -j 1 --json --file "$work/lines.txt" > "$work/one.jsonl" || [ $? -eq 1 ]; }
ours_text() { $rt "$bin" explain --color=never --file "$work/lines.txt" > /dev/null || [ $? -eq 1 ]; }
sisimai() { $cpu_time ${cpu_time:+"$work/cpu.sis"} $rt taskset -c 0 perl -MSisimai -ne 'chomp; print Sisimai->match($_) // "", "\n"' "$work/sis.txt" > "$work/sis.out"; }
: > "$work/times"
for _ in $(seq "$R"); do
  echo "json $(timed ours_json)" >> "$work/times"
  echo "one $(timed ours_one)" >> "$work/times"
  echo "text $(timed ours_text)" >> "$work/times"
  echo "sis $(timed sisimai)" >> "$work/times"
done
ours_n=$(wc -l < "$work/ours.jsonl")
cmp -s "$work/ours.jsonl" "$work/one.jsonl" || { echo "explain -j 1 and -j $cpus disagree" >&2; exit 1; }
sis_n=$(wc -l < "$work/sis.out")

python3 - "$work/times" "$ours_n" "$lines" "$sis_n" "$R" "$rt" "$cpus" "$work" <<'PY'
import os, sys
best = {}
for line in open(sys.argv[1]):
    kind, us = line.split()
    best[kind] = min(best.get(kind, 1e18), int(us) / 1e6)
ours_n, lines, sis_n, runs = map(int, sys.argv[2:6])
ours = ours_n / best["json"]
human = lines / best["text"]
sis = sis_n / best["sis"]
one = ours_n / best["one"]
cpus = int(sys.argv[7])
print(f"best of {runs} runs each" + (" under chrt -f 50" if sys.argv[6] else "") + f"; {cpus} CPUs")
print(f"smtp-doctor explain --json      : {ours_n} messages in {best['json']:.3f} s = {ours:,.0f} messages/s ({cpus} threads)")
print(f"smtp-doctor explain --json -j 1 : {ours_n} messages in {best['one']:.3f} s = {one:,.0f} messages/s (pinned to one core)")
print(f"smtp-doctor explain (text)      : {lines} messages in {best['text']:.3f} s = {human:,.0f} messages/s ({cpus} threads)")
print(f"sisimai 4.25.15 match           : {sis_n} messages in {best['sis']:.3f} s = {sis:,.0f} messages/s (single-threaded, pinned to one core)")
print(f"ratio (json vs sisimai)         : {ours/sis:.1f}x as run; {one/sis:.1f}x per core   floors: 100,000 messages/s and 20x")
def cpu(kind):
    path = os.path.join(sys.argv[8], "cpu." + kind)
    if not os.path.exists(path):
        return None
    runs = [eval(l.strip()) for l in open(path) if l.strip() and "+" in l]
    return min(runs) if runs else None
c_one, c_sis = cpu("one"), cpu("sis")
if c_one and c_sis:
    print(f"per core by CPU time            : smtp-doctor {ours_n / c_one:,.0f} messages/s ({c_one:.3f} s), "
          f"sisimai {sis_n / c_sis:,.0f} messages/s ({c_sis:.3f} s): {(ours_n / c_one) / (sis_n / c_sis):.1f}x")
PY
