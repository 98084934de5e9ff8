#!/usr/bin/env bash
# Synthesise the development set into /tmp/devset (once) and evaluate one half of it:
#   scripts/devset.sh          -> the tuning half,   report in /tmp/devset-tune.json
#   scripts/devset.sh check    -> the checking half, report in /tmp/devset-check.json
# DEVSET_DIR, DEVSET_SEED and DEVSET_COUNT override the defaults (/tmp/devset, 7, 240).
set -euo pipefail
cd "$(dirname "$0")/.."
half="${1:-tune}"
case "$half" in
  tune|check) ;;
  *) echo "usage: $0 [tune|check]" >&2; exit 2 ;;
esac
dir="${DEVSET_DIR:-/tmp/devset}"
if [ ! -d "$dir/$half" ]; then
  .venv/bin/python scenarios/synthesize.py "$dir" --count "${DEVSET_COUNT:-240}" --seed "${DEVSET_SEED:-7}"
fi
exec .venv/bin/incident eval "$dir/$half" --json "/tmp/devset-$half.json"
