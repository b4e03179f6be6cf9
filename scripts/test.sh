#!/usr/bin/env bash
# The full check that `make test` and CI run. Stops at the first failure.
#
#   ruff check, ruff format --check, mypy, the import contracts (lint-imports),
#   mkdocs build --strict, pytest -n 2
#
# pytest runs last so that its summary line is the last thing printed.
# Unless RELATIONKIT_TEST_POSTGRES_URL is already set, a throwaway PostgreSQL is
# started for pytest (scripts/postgres.sh) with a streaming standby of it
# (RELATIONKIT_TEST_POSTGRES_REPLICA_URL, for the read-replica tests), and both are
# always stopped again on exit. With a server given from outside, the replica tests
# run only if RELATIONKIT_TEST_POSTGRES_REPLICA_URL is given too (else they skip).
# Any arguments are passed on to pytest.
# Expects .venv to exist already (`make venv`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=.venv/bin
site_dir="$(mktemp -d /tmp/relationkit-site.XXXXXX)"
pg_started=0
# One state file per run, so that two `make test` in the same checkout do not
# stop each other's server.
pg_state="$PWD/.pg/state.$$"

cleanup() {
    local out
    if [ "$pg_started" = 1 ]; then
        # Quiet on success so pytest's summary stays the last line; loud on failure.
        if ! out="$(RELATIONKIT_PG_STATE="$pg_state" bash scripts/postgres.sh stop 2>&1)"; then
            echo "$out" >&2
            echo "warning: could not stop the test PostgreSQL server" >&2
        fi
    fi
    rm -rf "$site_dir"
}
trap cleanup EXIT
# Turn Ctrl-C / kill into a normal exit, so the EXIT trap above runs.
trap 'exit 130' INT
trap 'exit 143' TERM

step() {
    echo "==> $*"
    "$@"
}

step "$BIN/ruff" check .
step "$BIN/ruff" format --check .
step "$BIN/mypy"
step "$BIN/lint-imports" --no-cache
step "$BIN/mkdocs" build --strict --site-dir "$site_dir"

if [ -z "${RELATIONKIT_TEST_POSTGRES_URL:-}" ]; then
    echo "==> starting a throwaway PostgreSQL"
    pg_started=1 # set before starting, so a half-started server is cleaned up too
    RELATIONKIT_TEST_POSTGRES_URL="$(RELATIONKIT_PG_STATE="$pg_state" bash scripts/postgres.sh start)"
    echo "==> starting a streaming standby of it"
    RELATIONKIT_TEST_POSTGRES_REPLICA_URL="$(RELATIONKIT_PG_STATE="$pg_state" bash scripts/postgres.sh start-replica)"
fi
export RELATIONKIT_TEST_POSTGRES_URL
echo "==> RELATIONKIT_TEST_POSTGRES_URL=$RELATIONKIT_TEST_POSTGRES_URL"
if [ -n "${RELATIONKIT_TEST_POSTGRES_REPLICA_URL:-}" ]; then
    export RELATIONKIT_TEST_POSTGRES_REPLICA_URL
    echo "==> RELATIONKIT_TEST_POSTGRES_REPLICA_URL=$RELATIONKIT_TEST_POSTGRES_REPLICA_URL"
else
    echo "==> RELATIONKIT_TEST_POSTGRES_REPLICA_URL is not set: the read-replica tests skip"
fi

step "$BIN/pytest" -q -n 2 "$@"
