# shellcheck shell=bash
# A throwaway PostgreSQL cluster on loopback for the database tests. Sourced by .ci/run.
#
# - initdb into a folder of this run's own (mktemp -d, exported as TF_PG_BASE) as a non-root user
#   (the `postgres` account when run as root), listen on 127.0.0.1 only, on a free port; no data
#   worth keeping, so fsync is off. Two checkouts (or two runs) on one machine never share it.
# - creates role `trustfill` (password auth, CREATEDB: every test gets a fresh database, and
#   pg_signal_backend: dropping it may have to end an autovacuum worker on it) and
#   database `trustfill`, then exports TRUSTFILL_TEST_POSTGRES_URL.
# - sets an EXIT trap in the shell that sources it (and turns INT/TERM into an exit): when that
#   shell ends, normally or by a failure under `set -e`, the server is stopped and its folder removed.
# - never fails the run: without PostgreSQL the variable stays unset and the PostgreSQL tests skip
#   with a reason.

# Stop the run's server and remove its folder; safe to call twice, and when nothing was started.
tf_pg_stop() {
  local base=${TF_PG_BASE:-}
  [ -n "$base" ] && [ -d "$base" ] || return 0
  if [ -f "$base/data/postmaster.pid" ]; then
    local bindir as_user
    bindir=$(cat "$base/bindir" 2>/dev/null || true)
    as_user=$(stat -c %U "$base/data" 2>/dev/null || echo "")
    if [ -n "$bindir" ]; then
      if [ "$(id -u)" = 0 ] && [ "$as_user" != root ] && [ -n "$as_user" ]; then
        runuser -u "$as_user" -- "$bindir/pg_ctl" -D "$base/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
      else
        "$bindir/pg_ctl" -D "$base/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
      fi
    fi
    # Whatever pg_ctl could not stop: the postmaster's PID is the first line of its pid file.
    if [ -f "$base/data/postmaster.pid" ]; then
      kill -KILL "$(head -n 1 "$base/data/postmaster.pid")" 2>/dev/null || true
    fi
  fi
  rm -rf "$base"
  unset TRUSTFILL_TEST_POSTGRES_URL
}

_tf_pg_main() {
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

  local base
  base=$(mktemp -d "${TMPDIR:-/tmp}/trustfill-pg.XXXXXX") || return 1
  TF_PG_BASE=$base
  export TF_PG_BASE
  local data=$base/data
  printf '%s\n' "$bindir" > "$base/bindir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$base" || return 1; fi

  local password
  password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
  local pwfile=$base/superuser.pw
  printf '%s\n' "$password" > "$pwfile" && chmod 600 "$pwfile" || return 1
  if [ "$(id -u)" = 0 ]; then chown postgres: "$pwfile"; fi

  if ! _tf_as "$bindir/initdb" -D "$data" -U postgres --pwfile="$pwfile" --auth-local=trust \
        --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1; then
    echo "postgres.sh: initdb failed: PostgreSQL tests will skip" >&2
    return 1
  fi

  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if ! _tf_as "$bindir/pg_ctl" -D "$data" -l "$base/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $base -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null 2>&1; then
    echo "postgres.sh: the server did not start: PostgreSQL tests will skip" >&2
    return 1
  fi

  # The socket directory is $base and local auth is trust, for the cluster's own user only.
  if ! _tf_as "$bindir/psql" -h "$base" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
        -c "CREATE ROLE trustfill LOGIN CREATEDB PASSWORD '$password'" \
        -c "CREATE DATABASE trustfill OWNER trustfill" \
        -c "GRANT pg_signal_backend TO trustfill" >/dev/null 2>"$base/psql.log"; then
    echo "postgres.sh: could not create the trustfill role: PostgreSQL tests will skip" >&2
    return 1
  fi
  printf 'postgresql+psycopg://trustfill:%s@127.0.0.1:%s/trustfill\n' "$password" "$port" > "$base/url"
  chmod 600 "$base/url"
  TRUSTFILL_TEST_POSTGRES_URL=$(cat "$base/url")
  export TRUSTFILL_TEST_POSTGRES_URL
  echo "postgres.sh: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
  return 0
}

trap tf_pg_stop EXIT
case $- in
  *i*) ;;  # sourced by hand in a terminal: the server stops when that shell exits (or: tf_pg_stop)
  *) trap 'exit 130' INT; trap 'exit 143' TERM ;;  # a script: an interrupt still runs the EXIT trap
esac
# Sourced under `set -e`: a failure here must only disable the PostgreSQL tests, never stop the run.
if ! _tf_pg_main; then
  # What went wrong is in the run's folder, which is about to go: show it, then stop and remove.
  for _tf_log in "${TF_PG_BASE:-/nonexistent}"/*.log; do
    [ -f "$_tf_log" ] && tail -n 20 "$_tf_log" | sed "s|^|postgres.sh: $(basename "$_tf_log"): |" >&2
  done
  unset _tf_log
  tf_pg_stop
fi
unset -f _tf_pg_main _tf_as 2>/dev/null || true
