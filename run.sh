#!/usr/bin/env bash
# Set up Trustfill in ./.venv (first time only) and start the app on the embedded default:
# SQLite under $TRUSTFILL_HOME (default: your per-user data folder), the sample knowledge base
# and a sample questionnaire. Open the address it prints (http://localhost:8501 unless you choose):
#   ./run.sh --port 8600                 # another port (or Streamlit's own --server.port 8600)
#   ./run.sh --address 0.0.0.0           # let other machines in (create accounts first)
# Every argument goes to `trustfill app` (see `trustfill app --help`).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/trustfill ] || [ pyproject.toml -nt .venv/.installed ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e .
  touch .venv/.installed
fi
exec .venv/bin/trustfill app "$@"
