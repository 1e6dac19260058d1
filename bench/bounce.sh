#!/usr/bin/env bash
# Benchmark (issue 5, point 8): `smtp-doctor bounce` beside sisimai 4.25.15's `Sisimai->dump` on the
# same mbox: the maildir/bsd files of the bounce corpus (629) repeated T times (default 10, about
# 6,300 messages). Each message gets an mbox `From ` line and `>From ` quoting, so both read the
# same messages. sisimai is single-threaded and runs pinned to one core; smtp-doctor runs as a user
# gets it (one thread per CPU) and pinned to one core with `-j 1`. Prints messages/s (best of R
# runs), peak RSS (/usr/bin/time -f %M) and the ratios. Floor (issue 5): 50x sisimai.
set -euo pipefail
cd "$(dirname "$0")/.."
T=${T:-10}
R=${R:-3}
CORPUS=${CORPUS:-../shared/corpus/bounces/maildir/bsd}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! perl -MSisimai -e 1 2>/dev/null || ! perl -MJSON -e 1 2>/dev/null; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq libsisimai-perl libjson-perl >/dev/null
fi
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 2; }
cargo build --profile dist -q -p smtp-doctor
bin=${CARGO_TARGET_DIR:-target}/dist/smtp-doctor

python3 - "$CORPUS" "$T" > "$work/bounces.mbox" <<'PY'
import sys, pathlib
corpus, times = pathlib.Path(sys.argv[1]), int(sys.argv[2])
files = sorted(corpus.glob("*.eml"))
out = sys.stdout.buffer
for _ in range(times):
    for f in files:
        out.write(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n")
        data = f.read_bytes().replace(b"\r\n", b"\n")
        for line in data.split(b"\n"):
            if line.lstrip(b">").startswith(b"From "):
                line = b">" + line
            out.write(line + b"\n")
        out.write(b"\n")
PY
messages=$(grep -c '^From MAILER-DAEMON ' "$work/bounces.mbox")
echo "input: $messages messages ($T x $(ls "$CORPUS"/*.eml | wc -l) files), $(du -h "$work/bounces.mbox" | cut -f1), one mbox"

rt=""
if [ "$(id -u)" -eq 0 ] && command -v chrt >/dev/null && chrt -f 50 true 2>/dev/null; then rt="chrt -f 50"; fi
cpus=$(nproc)
# timed NAME CMD...: appends "NAME microseconds peak-RSS-KiB" to $work/times.
timed() {
  local name=$1 t0 t1; shift
  t0=$(date +%s%N)
  /usr/bin/time -f %M -o "$work/rss" "$@" || [ $? -eq 1 ]
  t1=$(date +%s%N)
  echo "$name $(( (t1 - t0) / 1000 )) $(tail -n 1 "$work/rss")" >> "$work/times"
}
: > "$work/times"
for _ in $(seq "$R"); do
  timed ours sh -c "$rt $bin bounce --json $work/bounces.mbox > $work/ours.jsonl"
  timed one sh -c "$rt taskset -c 0 $bin bounce -j 1 --json $work/bounces.mbox > $work/one.jsonl"
  timed sis sh -c "$rt taskset -c 0 perl -MSisimai -e 'print Sisimai->dump(\$ARGV[0]), qq(\\n)' $work/bounces.mbox > $work/sis.json"
done
cmp -s "$work/ours.jsonl" "$work/one.jsonl" || { echo "bounce -j 1 and -j $cpus disagree" >&2; exit 1; }
ours_n=$(wc -l < "$work/ours.jsonl")
sis_n=$(perl -MJSON -e 'local $/; my $j = decode_json(<STDIN>); print scalar(@$j)' < "$work/sis.json")

python3 - "$work/times" "$messages" "$ours_n" "$sis_n" "$R" "$rt" "$cpus" <<'PY'
import sys
best, rss = {}, {}
for line in open(sys.argv[1]):
    kind, us, kib = line.split()
    best[kind] = min(best.get(kind, 1e18), int(us) / 1e6)
    rss[kind] = max(rss.get(kind, 0), int(kib))
messages, ours_n, sis_n, runs = map(int, sys.argv[2:6])
cpus = int(sys.argv[7])
ours, one, sis = (messages / best[k] for k in ("ours", "one", "sis"))
mb = lambda k: f"{rss[k] / 1024:.0f} MB"
print(f"best of {runs} runs each" + (" under chrt -f 50" if sys.argv[6] else "") + f"; {cpus} CPUs")
print(f"smtp-doctor bounce --json      : {messages} messages ({ours_n} results) in {best['ours']:.3f} s = {ours:,.0f} messages/s, peak RSS {mb('ours')} ({cpus} threads)")
print(f"smtp-doctor bounce --json -j 1 : {messages} messages in {best['one']:.3f} s = {one:,.0f} messages/s, peak RSS {mb('one')} (pinned to one core)")
print(f"sisimai 4.25.15 dump           : {messages} messages ({sis_n} results) in {best['sis']:.3f} s = {sis:,.0f} messages/s, peak RSS {mb('sis')} (single-threaded, pinned to one core)")
print(f"ratio                          : {ours/sis:.1f}x as run; {one/sis:.1f}x per core   floor: 50x")
PY
