#!/usr/bin/env bash
# Set up everything the tests need (virtual environment, Python packages, Debian's Chromium for the
# browser tests, poppler-utils and fonts-liberation for the board pack, PostgreSQL for the scenario
# library's tests, axe-core from npm for the accessibility tests) and run the whole suite. Extra arguments go to
# pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo"
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v nginx >/dev/null || need+=(nginx)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)  # tests/pg.py starts a throwaway server
command -v pdftotext >/dev/null || need+=(poppler-utils)   # the board pack's tests read the PDF back
[ -f /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ] || need+=(fonts-liberation)  # its font
command -v npm >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
# axe-core, the accessibility engine the browser tests inject (tests/browser/axe_sweep.py), pinned by its lock file
npm ci --prefix tests/browser/a11y --no-audit --no-fund --loglevel=error
# Two or more workers (pytest-xdist), one test file per worker at a time (--dist loadfile): a file's servers, browser
# and module fixtures start once (the axe sweep is cut into six files so both workers share it). Why not loadgroup:
# tests/conftest.py. TEST_WORKERS=0: serial.
# One BLAS/OpenMP thread per worker: with two workers on two cores, numpy/scipy's own thread pools oversubscribed
# the cores and spun against each other (the demo store's identity attacker: 11.8 s alone, 208 s beside the other
# worker in the fresh-clone run of a2619d9). lib.sharing.joint already plans on one thread (threadpoolctl).
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}
WORKERS=${TEST_WORKERS:-$(.venv/bin/python -c 'import os; print(min(4, max(2, os.cpu_count() or 2)))')}
exec .venv/bin/python -m pytest -q -n "$WORKERS" --dist loadfile --durations=15 "$@"
