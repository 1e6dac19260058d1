#!/usr/bin/env bash
# Benchmark (issue 4 point 9): `smtp-doctor check` against the lab Postfix on 127.0.0.1:2525,
# beside check_smtp (monitoring-plugins) and swaks doing the same conversation, timed with
# hyperfine. Two cases:
#   ehlo      connect, banner, EHLO (check_smtp sends HELO without -S), QUIT; no TLS
#   starttls  the same, then STARTTLS, the TLS handshake, EHLO again, QUIT
#             (smtp-doctor verifies the certificate against the lab CA; check_smtp -S and
#             swaks --tls do not verify)
# Prints the median of each and the ratios smtp-doctor / check_smtp (floor: at most 1.2) and
# smtp-doctor / swaks (for reference). Exit 1 when a ratio to check_smtp is above the floor.
# Needs the lab Postfix (../shared/lab/start-mtas.sh, as root); installs hyperfine,
# monitoring-plugins-standard, swaks and libnet-ssleay-perl from Debian when missing.
# RUNS (default 50) and WARMUP (default 5) set hyperfine's counts; ROUNDS (default 3) repeats
# the whole set and keeps each command's best median, so that load from other work on the
# machine during one command's runs skews the ratios less.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-50}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-5}
PORT=${PORT:-2525}
CA=${SMTP_LAB_DIR:-/tmp/smtp-doctor-lab}/tls/ca.pem
CHECK_SMTP=/usr/lib/nagios/plugins/check_smtp
FLOOR=1.2

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v swaks >/dev/null || need+=(swaks)
[ -x "$CHECK_SMTP" ] || need+=(monitoring-plugins-standard)
perl -MNet::SSLeay -e 1 2>/dev/null || need+=(libnet-ssleay-perl)
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "bench/probe.sh: nothing listens on 127.0.0.1:$PORT; start the lab: sudo ../shared/lab/start-mtas.sh" >&2
  exit 2
fi
cargo build --release -q -p smtp-doctor
bin=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/smtp-doctor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ours_ehlo="$bin check 127.0.0.1:$PORT --tls none --quit-after ehlo --format nagios"
ours_tls="$bin check 127.0.0.1:$PORT --tls starttls --ca $CA --quit-after ehlo --format nagios"
nagios_ehlo="$CHECK_SMTP -H 127.0.0.1 -p $PORT"
nagios_tls="$CHECK_SMTP -H 127.0.0.1 -p $PORT -S"
swaks_ehlo="swaks --server 127.0.0.1:$PORT --to someone@lab.test --quit-after EHLO --silent 2"
swaks_tls="swaks --server 127.0.0.1:$PORT --to someone@lab.test --tls --quit-after HELO --silent 2"

# Each command must succeed once before it is timed (a failing probe would time an error).
for c in "$ours_ehlo" "$ours_tls" "$nagios_ehlo" "$nagios_tls" "$swaks_ehlo" "$swaks_tls"; do
  $c > "$work/out" 2>&1 || { echo "bench/probe.sh: this fails: $c" >&2; cat "$work/out" >&2; exit 2; }
done
echo "smtp-doctor --tls starttls: $($ours_tls)"

for round in $(seq 1 "$ROUNDS"); do
  for case in ehlo tls; do
    o=ours_$case n=nagios_$case s=swaks_$case
    hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$work/$case.$round.json" \
      -n smtp-doctor "${!o}" -n check_smtp "${!n}" -n swaks "${!s}" >&2
  done
done

python3 - "$work" "$FLOOR" "$ROUNDS" <<'PY'
import glob, json, sys
work, floor, rounds = sys.argv[1], float(sys.argv[2]), sys.argv[3]
bad = False
print()
print(f"{'case':10} {'smtp-doctor':>12} {'check_smtp':>11} {'swaks':>9} {'vs check_smtp':>14} {'vs swaks':>9}")
for case, label in (("ehlo", "EHLO"), ("tls", "STARTTLS")):
    med = {}
    for f in sorted(glob.glob(f"{work}/{case}.*.json")):
        for x in json.load(open(f))["results"]:
            m = x["median"] * 1000
            med[x["command"]] = min(m, med.get(x["command"], m))
    ours, nag, sw = med["smtp-doctor"], med["check_smtp"], med["swaks"]
    ratio = ours / nag
    bad |= ratio > floor
    print(f"{label:10} {ours:9.2f} ms {nag:8.2f} ms {sw:6.2f} ms {ratio:13.2f}x {ours / sw:8.2f}x")
print(f"best median of {rounds} rounds; floor: smtp-doctor at most {floor}x check_smtp: {'FAILED' if bad else 'met'}")
sys.exit(1 if bad else 0)
PY
