# shellcheck shell=bash
# A throwaway PostgreSQL cluster on loopback for the database tests. Sourced by .ci/run.
#
# - initdb into /tmp/trustfill-pg as a non-root user (the `postgres` account when run as root),
#   listen on 127.0.0.1 only, on a free port; no data worth keeping, so fsync is off.
# - creates role `trustfill` (password auth, CREATEDB: every test gets a fresh database, and
#   pg_signal_backend: dropping it may have to end an autovacuum worker on it) and
#   database `trustfill`, then exports TRUSTFILL_TEST_POSTGRES_URL.
# - idempotent: a second run reuses the running cluster. Never fails the run: without PostgreSQL
#   the variable stays unset and the PostgreSQL tests skip with a reason.
#
# Stop it with: pg_ctl -D /tmp/trustfill-pg/data stop (as the same user).

_tf_pg_main() {
  local base=/tmp/trustfill-pg
  local data=$base/data
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "postgres.sh: PostgreSQL server binaries not found (apt-get install postgresql):" \
         "PostgreSQL tests will skip" >&2
    return 1
  fi

  # Run the server as an unprivileged user: PostgreSQL refuses to run as root.
  local as=()
  if [ "$(id -u)" = 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      echo "postgres.sh: running as root and there is no 'postgres' user: PostgreSQL tests will skip" >&2
      return 1
    fi
    if command -v runuser >/dev/null 2>&1; then
      as=(runuser -u postgres --)
    else
      as=(su postgres -s /bin/sh -c)
    fi
  fi
  _tf_as() {
    if [ ${#as[@]} -eq 0 ]; then "$@";
    elif [ "${as[0]}" = su ]; then "${as[@]}" "$(printf '%q ' "$@")";
    else "${as[@]}" "$@"; fi
  }

  # Reuse a running cluster (the URL file is written only once it works).
  if [ -f "$base/url" ] && _tf_as "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    TRUSTFILL_TEST_POSTGRES_URL=$(cat "$base/url")
    export TRUSTFILL_TEST_POSTGRES_URL
    echo "postgres.sh: reusing the running cluster in $data" >&2
    return 0
  fi

  if [ -d "$base" ] && [ ! -O "$base" ] && [ "$(id -u)" != 0 ]; then
    echo "postgres.sh: $base belongs to another user: PostgreSQL tests will skip" >&2
    return 1
  fi
  # A stopped or half-made cluster from an earlier run: start over (it holds only test data).
  if [ -d "$base" ]; then
    _tf_as "$bindir/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$base"
  fi
  mkdir -p "$base" || return 1
  chmod 700 "$base"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$base" || return 1; fi

  local password
  password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
  local pwfile=$base/superuser.pw
  printf '%s\n' "$password" > "$pwfile" && chmod 600 "$pwfile" || return 1
  if [ "$(id -u)" = 0 ]; then chown postgres: "$pwfile"; fi

  if ! _tf_as "$bindir/initdb" -D "$data" -U postgres --pwfile="$pwfile" --auth-local=trust \
        --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1; then
    echo "postgres.sh: initdb failed (see $base/initdb.log): PostgreSQL tests will skip" >&2
    return 1
  fi

  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if ! _tf_as "$bindir/pg_ctl" -D "$data" -l "$base/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $base -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null 2>&1; then
    echo "postgres.sh: the server did not start (see $base/server.log): PostgreSQL tests will skip" >&2
    return 1
  fi

  # The socket directory is $base and local auth is trust, for the cluster's own user only.
  if ! _tf_as "$bindir/psql" -h "$base" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
        -c "CREATE ROLE trustfill LOGIN CREATEDB PASSWORD '$password'" \
        -c "CREATE DATABASE trustfill OWNER trustfill" \
        -c "GRANT pg_signal_backend TO trustfill" >/dev/null 2>"$base/psql.log"; then
    echo "postgres.sh: could not create the trustfill role (see $base/psql.log): PostgreSQL tests will skip" >&2
    return 1
  fi
  printf 'postgresql+psycopg://trustfill:%s@127.0.0.1:%s/trustfill\n' "$password" "$port" > "$base/url"
  chmod 600 "$base/url"
  TRUSTFILL_TEST_POSTGRES_URL=$(cat "$base/url")
  export TRUSTFILL_TEST_POSTGRES_URL
  echo "postgres.sh: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
  return 0
}

# Sourced under `set -e`: a failure here must only disable the PostgreSQL tests, never stop the run.
_tf_pg_main || unset TRUSTFILL_TEST_POSTGRES_URL
unset -f _tf_pg_main _tf_as 2>/dev/null || true
