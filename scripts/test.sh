#!/usr/bin/env bash
# One command for a fresh machine: install everything the tests need (Debian packages when root:
# prometheus, prometheus-alertmanager, postgresql), start PostgreSQL when possible, run pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
WANT_PKGS="prometheus prometheus-alertmanager postgresql" bash scripts/setup.sh

if [ -z "${INCIDENT_TEST_POSTGRES_URL:-}" ] && [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
  if [ -n "$version" ]; then
    pg_ctlcluster "$version" main start 2>/dev/null || true
    for _ in $(seq 1 20); do su postgres -c "pg_isready -q" 2>/dev/null && break; sleep 0.5; done
    su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='incident'\"" 2>/dev/null | grep -q 1 \
      || su postgres -c "psql -qc \"CREATE ROLE incident LOGIN PASSWORD 'incident'\"" >/dev/null 2>&1 || true
    su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='incident_test'\"" 2>/dev/null | grep -q 1 \
      || su postgres -c "createdb -O incident incident_test" >/dev/null 2>&1 || true
    if su postgres -c "pg_isready -q" 2>/dev/null; then
      export INCIDENT_TEST_POSTGRES_URL="postgresql+psycopg2://incident:incident@127.0.0.1:5432/incident_test"
    fi
  fi
fi

.venv/bin/ruff check incident connectors tui tests benchmarks scenarios
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
