#!/usr/bin/env bash
# One command for a fresh machine: install what the demo needs, then run it on the default scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/incident demo "$@"
