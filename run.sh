#!/usr/bin/env bash
# Set up Trustfill in ./.venv (first time only) and start the app on the embedded default:
# SQLite under $TRUSTFILL_HOME (default: your per-user data folder), the sample knowledge base
# and a sample questionnaire. Open http://localhost:8501.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/trustfill ] || [ pyproject.toml -nt .venv/.installed ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e .
  touch .venv/.installed
fi
exec .venv/bin/trustfill app "$@"
