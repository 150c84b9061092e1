#!/usr/bin/env bash
# Makes a local PostgreSQL ready for jllm-server's store tests and prints its URL on stdout
# (everything else goes to stderr), so callers do: export JLLM_TEST_PG_URL=$(scripts/test-postgres.sh)
#
# Idempotent and cheap when the server is already up (one pg_isready + one psql). Otherwise, as root
# on Debian/Ubuntu: apt-get install postgresql if missing, create the cluster if the package did not,
# listen on localhost only, start it (pg_ctlcluster, else `service`), create the role and database.
# Not root: reruns itself through `sudo -n` if it can. Called by ./build (scripts/test-setup.sh) when
# JLLM_TEST_PG_URL is not set.
set -euo pipefail
ROLE=jllm_test PASS=jllm_test DB=jllm_test PORT=${JLLM_TEST_PG_PORT:-5432}
URL="postgres://$ROLE:$PASS@127.0.0.1:$PORT/$DB"
say() { echo "test-postgres: $*" >&2; }

reachable() { # the test role can log in over TCP
  command -v psql >/dev/null && PGPASSWORD=$PASS PGCONNECT_TIMEOUT=3 \
    psql -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d "$DB" -Atqc 'select 1' >/dev/null 2>&1
}

if reachable; then echo "$URL"; exit 0; fi

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    say "no PostgreSQL with role $ROLE on 127.0.0.1:$PORT yet: setting it up through sudo -n"
    exec sudo -n env JLLM_TEST_PG_PORT="$PORT" "$(realpath "$0")"
  fi
  say "no PostgreSQL with role $ROLE on 127.0.0.1:$PORT, and not root, so I cannot install or start one."
  say "Run 'sudo scripts/test-postgres.sh' once (Debian/Ubuntu), or point JLLM_TEST_PG_URL at a server"
  say "of yours: export JLLM_TEST_PG_URL=postgres://USER:PASS@HOST:PORT/DB"
  exit 1
fi

if ! command -v pg_lsclusters >/dev/null || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  say "installing postgresql (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q postgresql >&2 || { apt-get update -q >&2 && apt-get install -y -q postgresql >&2; }
fi

VERSION=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$VERSION main"; then
  say "creating cluster $VERSION/main"
  pg_createcluster "$VERSION" main >&2
fi
# Tests and the server talk TCP on loopback only: never expose the test database.
pg_conftool "$VERSION" main set listen_addresses localhost >&2
pg_conftool "$VERSION" main set port "$PORT" >&2

if ! pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $4}' | grep -qx online; then
  say "starting PostgreSQL $VERSION/main on 127.0.0.1:$PORT"
  pg_ctlcluster "$VERSION" main start >&2 || service postgresql start >&2
fi
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$PORT" && break; sleep 1; done
pg_isready -q -h 127.0.0.1 -p "$PORT" || { say "PostgreSQL did not come up; see /var/log/postgresql/"; exit 1; }

as_postgres() { runuser -u postgres -- "$@"; }
as_postgres psql -p "$PORT" -v ON_ERROR_STOP=1 -qc "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN CREATE ROLE $ROLE LOGIN PASSWORD '$PASS'; END IF;
END \$\$;" >&2
if [ -z "$(as_postgres psql -p "$PORT" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
  as_postgres createdb -p "$PORT" -O "$ROLE" "$DB" >&2
fi
reachable || { say "role $ROLE still cannot log in to $DB on 127.0.0.1:$PORT (pg_hba.conf?)"; exit 1; }
echo "$URL"
