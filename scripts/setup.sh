#!/usr/bin/env bash
# Shared set-up for scripts/demo.sh and scripts/test.sh: system packages (when root), a virtual
# environment in .venv with the locked dependencies and the project installed. Safe to run again: it skips
# what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

want_pkgs="${WANT_PKGS:-prometheus prometheus-alertmanager}"
missing=""
for pkg in $want_pkgs; do
  case "$pkg" in
    prometheus) command -v prometheus >/dev/null && command -v promtool >/dev/null || missing="$missing prometheus" ;;
    prometheus-alertmanager) command -v prometheus-alertmanager >/dev/null || missing="$missing prometheus-alertmanager" ;;
    postgresql) ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$missing postgresql" ;;
  esac
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "note: missing Debian packages:$missing — install them with: sudo apt-get install$missing" >&2
    echo "      (without them the sandbox runs with less: no metrics / a read-only alert stand-in)" >&2
  fi
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
# Installed from requirements.lock (exact pins; regenerate with: bash scripts/lock.sh), then the project
# itself without dependencies, then pip check: a dependency in pyproject.toml missing from the lock fails
# here. The stamp is keyed on both files, so changing either installs again.
stamp=".venv/.installed-$(cat pyproject.toml requirements.lock | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  python -m pip install -q --upgrade pip setuptools
  python -m pip install -q -r requirements.lock
  python -m pip install -q --no-deps -e ".[dev]"
  python -m pip check
  rm -f .venv/.installed-*
  touch "$stamp"
fi
