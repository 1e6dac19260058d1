#!/usr/bin/env bash
# Benchmark (issue 7, point 12): a full `smtp-doctor dns` report of lab.test against the lab Knot
# server (127.0.0.1:5353, ../shared/lab/start-dns.sh), beside checkdmarc (PyPI, in a venv under
# target/) pointed at the same server, each run R times (default 5). Prints the best and median
# wall time and the CPU time of each, and the ratio. Floor (issue 7): 5x faster than checkdmarc.
#
# Both ask for MX and the mail hosts' addresses and PTRs, SPF (with its includes), DMARC, the
# MTA-STS and TLS-RPT records; checkdmarc also asks SOA, NS, BIMI and DNSSEC (its DS/DNSKEY queries
# go to port 53, where nothing answers on loopback, and fail at once) and tries the MTA-STS policy
# over HTTPS through the system resolver (which does not know lab.test); smtp-doctor also asks the
# DKIM selectors. checkdmarc's -n takes bare addresses only: bench/checkdmarc-port.py moves its
# plain-DNS nameserver to port 5353 and changes nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${R:-5}
DOMAIN=${DOMAIN:-lab.test}
SERVER=127.0.0.1
PORT=5353
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! (exec 3<>"/dev/tcp/$SERVER/$PORT") 2>/dev/null; then
  bash ../shared/lab/start-dns.sh >/dev/null
fi
venv=target/bench-venv
if ! "$venv/bin/python3" -c 'import checkdmarc' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q checkdmarc
fi
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 2; }
cargo build --profile dist -q -p smtp-doctor
bin=${CARGO_TARGET_DIR:-target}/dist/smtp-doctor
version=$("$venv/bin/pip" show checkdmarc | sed -n 's/^Version: //p')

# timed NAME CMD...: appends "NAME wall-microseconds cpu-seconds" to $work/times. Both tools exit
# non-zero when they find problems (checkdmarc: 2 for the MTA-STS policy it cannot fetch), so the
# status is not checked here; the outputs are, below.
timed() {
  local name=$1 t0 t1; shift
  t0=$(date +%s%N)
  /usr/bin/time -f '%U %S' -o "$work/cpu" "$@" || true
  t1=$(date +%s%N)
  echo "$name $(( (t1 - t0) / 1000 )) $(tail -n 1 "$work/cpu" | awk '{print $1 + $2}')" >> "$work/times"
}
: > "$work/times"
for _ in $(seq "$R"); do
  timed ours sh -c "$bin dns $DOMAIN --dns-server $SERVER:$PORT --json > $work/ours.json"
  timed cdm sh -c "CHECKDMARC_PORT=$PORT $venv/bin/python3 bench/checkdmarc-port.py $DOMAIN -n $SERVER > $work/cdm.json 2> $work/cdm.err"
done
# Both must have read the domain: its MX hosts and its SPF record.
grep -q 'mx.lab.test' "$work/ours.json" || { echo "smtp-doctor found no MX of $DOMAIN" >&2; exit 1; }
grep -q 'mx.lab.test' "$work/cdm.json" || { echo "checkdmarc found no MX of $DOMAIN:" >&2; cat "$work/cdm.err" >&2; exit 1; }

python3 - "$work/times" "$R" "$DOMAIN" "$version" <<'PY'
import statistics, sys
wall, cpu = {}, {}
for line in open(sys.argv[1]):
    kind, us, secs = line.split()
    wall.setdefault(kind, []).append(int(us) / 1e6)
    cpu.setdefault(kind, []).append(float(secs))
runs, domain, version = sys.argv[2], sys.argv[3], sys.argv[4]
for kind, name in (("ours", "smtp-doctor dns"), ("cdm", f"checkdmarc {version}")):
    w = wall[kind]
    print(f"{name:22}: {domain} best {min(w) * 1000:8.1f} ms, median {statistics.median(w) * 1000:8.1f} ms, "
          f"CPU {statistics.median(cpu[kind]):.2f} s (user+sys, 10 ms resolution; median of {runs} runs)")
best = min(wall["cdm"]) / min(wall["ours"])
median = statistics.median(wall["cdm"]) / statistics.median(wall["ours"])
print(f"ratio                 : {best:.1f}x best, {median:.1f}x median   floor: 5x")
PY
