#!/usr/bin/env bash
# Throwaway PostgreSQL server for the test suite.
#
#   scripts/postgres.sh start          # prints the SQLAlchemy URL as the last line of stdout
#   scripts/postgres.sh start-replica  # a streaming standby of it; prints the standby's URL
#   scripts/postgres.sh stop           # stops the server (and its standby), deletes the data
#
# The server lives in a fresh temp directory under /tmp, listens on a free port on
# 127.0.0.1 only, uses trust auth (no password) and fsync=off: it is for tests only.
# It has a superuser role `relationkit` and a database `relationkit_test`.
# `start-replica` (after `start`) copies it with `pg_basebackup -R` into the same temp
# directory and starts that copy as a hot standby on another free loopback port,
# streaming from the primary: the same role and database, read-only, a moment behind.
#
# State (data dir, port, URL) goes to $RELATIONKIT_PG_STATE (default: .pg/state in
# the repo). Use a different state file per server if you run several at once.
# Progress messages go to stderr, so `url=$(scripts/postgres.sh start)` works.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_FILE="${RELATIONKIT_PG_STATE:-$REPO_ROOT/.pg/state}"
PG_ROLE=relationkit
PG_DB=relationkit_test
# Test-only settings, for the primary and its standby alike (a hot standby needs
# max_connections at least the primary's). wal_level=replica is the default; it is
# spelled out because the standby depends on it.
PG_SETTINGS="-c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c wal_level=replica -c max_wal_senders=5"

log() { echo "postgres.sh: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# Directory holding initdb/pg_ctl/psql: PATH first, then the newest Debian/Ubuntu
# install under /usr/lib/postgresql/<version>/bin (those are not on PATH by default).
find_bindir() {
    local initdb dir
    if initdb="$(command -v initdb)"; then
        # Resolve symlinks (e.g. /usr/local/bin/initdb) so pg_ctl and psql come
        # from the same installation.
        dirname "$(readlink -f "$initdb")"
        return 0
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

install_postgres() {
    if [ "$(id -u)" -ne 0 ]; then
        die "PostgreSQL server binaries (initdb, pg_ctl) not found in PATH or" \
            "/usr/lib/postgresql/*/bin. Install the server package, e.g." \
            "'sudo apt-get install postgresql' (Debian/Ubuntu) or 'brew install postgresql'," \
            "or set RELATIONKIT_TEST_POSTGRES_URL to an existing server."
    fi
    log "initdb not found; installing PostgreSQL with apt-get"
    command -v apt-get >/dev/null || die "initdb not found and apt-get is not available"
    # Debian's package would otherwise create and start a system-wide "main" cluster
    # on port 5432, which we do not want or need.
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/relationkit.conf
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2 || die "apt-get update failed"
    apt-get install -y --no-install-recommends postgresql >&2 || die "apt-get install postgresql failed"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Run a command as the server's owner. PostgreSQL refuses to run as root, so when
# we are root everything server-side runs as the `postgres` system user.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Start the server of data directory $2 (log $3, extra server options $4) with
# pg_ctl; $1 names it in messages. The port comes from binding port 0, which is
# racy (someone else may grab it before the server does), so retry a few times
# with a new port. -k puts the Unix socket in the run's temp dir $5: the default
# /var/run/postgresql may not exist or may not be writable. Prints the port.
start_server() {
    local what="$1" data="$2" logfile="$3" options="$4" sock="$5" bindir="$6"
    local port attempt
    for attempt in 1 2 3; do
        port="$(free_port)"
        if (cd / && as_owner "$bindir/pg_ctl" -D "$data" -l "$logfile" -w \
            -o "-p $port -k $sock $PG_SETTINGS $options" start >&2); then
            echo "$port"
            return 0
        fi
        log "$what start attempt $attempt on port $port failed"
    done
    tail -n 30 "$logfile" >&2 || true
    die "could not start $what (log above)"
}

cmd_start() {
    local bindir tmp port url

    if [ -f "$STATE_FILE" ]; then
        # Leftover from a run that was killed before it could stop its server.
        log "found old state file $STATE_FILE; cleaning it up first"
        cmd_stop
    fi

    if ! bindir="$(find_bindir)"; then
        install_postgres
        bindir="$(find_bindir)" || die "installed PostgreSQL but still cannot find initdb"
    fi
    log "using PostgreSQL from $bindir"

    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    fi

    tmp="$(mktemp -d /tmp/relationkit-pg.XXXXXX)"
    mkdir "$tmp/sock"
    # Record the directory right away so `stop` can clean up even if start fails halfway.
    mkdir -p "$(dirname "$STATE_FILE")"
    printf 'PG_TMP=%q\nPG_BINDIR=%q\n' "$tmp" "$bindir" >"$STATE_FILE"
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres: "$tmp"
    fi

    # cd / so the postgres user is never left in a directory it cannot read.
    (cd / && as_owner "$bindir/initdb" -D "$tmp/data" --auth=trust -U postgres \
        --encoding=UTF8 --no-locale >"$tmp/initdb.log" 2>&1) || {
        cat "$tmp/initdb.log" >&2
        die "initdb failed"
    }
    # The standby connects for replication over TCP as `postgres`; initdb's default
    # pg_hba.conf allows it already, this line makes it explicit.
    echo "host replication postgres 127.0.0.1/32 trust" >>"$tmp/data/pg_hba.conf"

    port="$(start_server PostgreSQL "$tmp/data" "$tmp/server.log" "" "$tmp/sock" "$bindir")"
    printf 'PG_PORT=%q\n' "$port" >>"$STATE_FILE"

    "$bindir/psql" -X -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
        -c "CREATE ROLE $PG_ROLE SUPERUSER LOGIN" \
        -c "CREATE DATABASE $PG_DB OWNER $PG_ROLE" >&2

    url="postgresql+psycopg://$PG_ROLE@127.0.0.1:$port/$PG_DB"
    printf 'PG_URL=%q\n' "$url" >>"$STATE_FILE"
    log "PostgreSQL is running on 127.0.0.1:$port (data in $tmp/data)"
    echo "$url"
}

cmd_start_replica() {
    local PG_TMP="" PG_BINDIR="" PG_PORT="" PG_URL="" PG_REPLICA_PORT="" PG_REPLICA_URL=""
    local port url streaming="" attempt
    [ -f "$STATE_FILE" ] || die "no primary at $STATE_FILE: run '$0 start' first"
    # shellcheck disable=SC1090
    . "$STATE_FILE"
    [ -n "$PG_PORT" ] && [ -n "$PG_URL" ] || die "the primary in $STATE_FILE did not finish starting"
    [ -z "$PG_REPLICA_URL" ] || die "a standby is already running: $PG_REPLICA_URL"

    # -R writes standby.signal and primary_conninfo; -X stream copies the WAL made
    # during the copy, so the standby starts consistent.
    (cd / && as_owner "$PG_BINDIR/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres \
        -D "$PG_TMP/replica" -R -X stream -c fast >"$PG_TMP/basebackup.log" 2>&1) || {
        cat "$PG_TMP/basebackup.log" >&2
        die "pg_basebackup failed"
    }
    port="$(start_server "the standby" "$PG_TMP/replica" "$PG_TMP/replica.log" \
        "-c hot_standby=on" "$PG_TMP/sock" "$PG_BINDIR")"
    printf 'PG_REPLICA_PORT=%q\n' "$port" >>"$STATE_FILE"

    # pg_ctl -w returns once the standby accepts read-only connections; wait until
    # it also streams from the primary, so the first test does not race the connection.
    for attempt in $(seq 1 100); do
        streaming="$("$PG_BINDIR/psql" -X -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atq \
            -c "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null || true)"
        [ "$streaming" = streaming ] && break
        sleep 0.1
    done
    [ "$streaming" = streaming ] || {
        tail -n 30 "$PG_TMP/replica.log" >&2 || true
        die "the standby does not stream from the primary (log above)"
    }

    url="postgresql+psycopg://$PG_ROLE@127.0.0.1:$port/$PG_DB"
    printf 'PG_REPLICA_URL=%q\n' "$url" >>"$STATE_FILE"
    log "standby of 127.0.0.1:$PG_PORT is streaming on 127.0.0.1:$port (data in $PG_TMP/replica)"
    echo "$url"
}

cmd_stop() {
    local PG_TMP="" PG_BINDIR="" PG_PORT="" PG_URL="" PG_REPLICA_PORT="" PG_REPLICA_URL=""
    if [ ! -f "$STATE_FILE" ]; then
        log "no state file at $STATE_FILE; nothing to stop"
        return 0
    fi
    # shellcheck disable=SC1090
    . "$STATE_FILE"
    # The standby first: stopped after its primary, it would retry the connection.
    if [ -n "$PG_TMP" ] && [ -f "$PG_TMP/replica/postmaster.pid" ]; then
        (cd / && as_owner "$PG_BINDIR/pg_ctl" -D "$PG_TMP/replica" -m fast -w stop >&2) ||
            log "warning: pg_ctl stop of the standby failed"
    fi
    if [ -n "$PG_TMP" ] && [ -f "$PG_TMP/data/postmaster.pid" ]; then
        (cd / && as_owner "$PG_BINDIR/pg_ctl" -D "$PG_TMP/data" -m fast -w stop >&2) ||
            log "warning: pg_ctl stop failed"
    fi
    # Only ever delete what `start` created.
    case "$PG_TMP" in
    /tmp/relationkit-pg.*) rm -rf "$PG_TMP" ;;
    esac
    rm -f "$STATE_FILE"
    rmdir "$REPO_ROOT/.pg" 2>/dev/null || true # only succeeds once it is empty
}

case "${1:-}" in
start) cmd_start ;;
start-replica) cmd_start_replica ;;
stop) cmd_stop ;;
*)
    echo "usage: $0 start|start-replica|stop" >&2
    exit 2
    ;;
esac
