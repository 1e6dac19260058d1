#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the monitor's store tests: initdb under
# $SMTP_DOCTOR_PG_DIR (default /tmp/smtp-doctor-pg), listening on 127.0.0.1 only, port
# $SMTP_DOCTOR_PG_PORT (default 55432), trust authentication. Installs postgresql with apt-get
# when missing. Idempotent: a cluster already answering is left as it is. Prints the URL the
# tests read from SMTP_DOCTOR_TEST_POSTGRES. `scripts/start-postgres.sh stop` stops it.
set -euo pipefail
port=${SMTP_DOCTOR_PG_PORT:-55432}
dir=${SMTP_DOCTOR_PG_DIR:-/tmp/smtp-doctor-pg}
url="postgres://postgres@127.0.0.1:$port/postgres"
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(bindir)" ]; then
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends postgresql
fi
bin=$(bindir)
# initdb and postgres refuse to run as root: as the postgres user then.
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "${1:-}" = stop ]; then
  [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop
  exit 0
fi
if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  echo "$url"
  exit 0
fi
mkdir -p "$dir"
[ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
if [ ! -f "$dir/data/PG_VERSION" ]; then
  as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 >"$dir/initdb.log"
fi
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir" start >/dev/null
echo "$url"
