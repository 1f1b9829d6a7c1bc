#!/usr/bin/env bash
# Set up a virtual environment (first run only) and start the app on the embedded synthetic demo data.
# Extra arguments go to the app, e.g.  ./scripts/run.sh --data-dir /path/to/store
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
if [ $# -gt 0 ]; then exec .venv/bin/streamlit run app.py -- "$@"; else exec .venv/bin/streamlit run app.py; fi
