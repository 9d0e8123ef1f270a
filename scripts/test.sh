#!/usr/bin/env bash
# Install what the tests need and run the whole suite: lint, types, tests on SQLite and
# PostgreSQL. Works on a fresh Debian machine as root with only the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test.sh] %s\n' "$*"; }

# --- PostgreSQL: use the one on 127.0.0.1:5432, else install and start one -------------------
PG_URL_DEFAULT="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
pg_up() { command -v pg_isready >/dev/null && pg_isready -h 127.0.0.1 -p 5432 -q; }
if ! pg_up; then
  if ! command -v pg_ctlcluster >/dev/null; then
    log "installing PostgreSQL"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if [ -z "${ACUERDO_TEST_PG_URL:-}" ]; then
  if psql -h 127.0.0.1 -U postgres -d postgres -w -Atc 'select 1' >/dev/null 2>&1; then
    export ACUERDO_TEST_PG_URL="$PG_URL_DEFAULT"
  else
    # A fresh install asks for passwords on TCP: give the tests a role of their own.
    log "creating the acuerdo_test role"
    su postgres -c "psql -q -c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='acuerdo_test') THEN CREATE ROLE acuerdo_test LOGIN SUPERUSER PASSWORD 'acuerdo_test'; END IF; END \\\$\\\$;\""
    export ACUERDO_TEST_PG_URL="postgresql+asyncpg://acuerdo_test:acuerdo_test@127.0.0.1:5432/postgres"
  fi
fi

# --- Python environment (its own venv: the system Python may refuse pip, PEP 668) ----------
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv || { apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && python3 -m venv .venv; }
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'

# --- Checks and tests ---------------------------------------------------------------------
log "ruff"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
log "mypy (strict on src/)"
.venv/bin/mypy
log "pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
