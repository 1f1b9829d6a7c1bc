#!/usr/bin/env bash
# Start Streamlit replicas on loopback with the production settings, one per port (default 8501 8502).
#   WORKFORCE_DATA_DIR=/srv/workforce/data deploy/run.sh 8501 8502
# Each replica logs to $RUN_DIR/replica_PORT.log and writes its pid to $RUN_DIR/replica_PORT.pid.
# The script waits while any replica runs; stopping it (Ctrl-C, SIGTERM) stops them all. In production run one
# replica per systemd unit instead (see deploy/README.md): this script is the same command line.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
RUN_DIR=${RUN_DIR:-${TMPDIR:-/tmp}/workforce-replicas}
mkdir -p "$RUN_DIR"
ports=("$@"); [ ${#ports[@]} -eq 0 ] && ports=(8501 8502)
if [ -z "${WORKFORCE_DATA_DIR:-}" ]; then
  echo "WORKFORCE_DATA_DIR is not set: serving the embedded synthetic demo data only" >&2
elif [ ! -d "$WORKFORCE_DATA_DIR" ]; then
  echo "WORKFORCE_DATA_DIR=$WORKFORCE_DATA_DIR is not a directory" >&2; exit 2
fi
# The production configuration: every run needs a complete [auth] table (sign-in), or every viewer is refused
# (lib/sharing/settings.py). Only a deliberate WORKFORCE_DEPLOYMENT=local serves without sign-in (e.g. a
# failover test with no identity provider).
export WORKFORCE_DEPLOYMENT=${WORKFORCE_DEPLOYMENT:-production}
[ "$WORKFORCE_DEPLOYMENT" = local ] && echo "WORKFORCE_DEPLOYMENT=local: sign-in is not required" >&2
mapfile -t FLAGS < <("$PY" deploy/flags.py deploy/config.production.toml)
pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM
for port in "${ports[@]}"; do
  "$PY" -m streamlit run app.py --server.port "$port" "${FLAGS[@]}" >"$RUN_DIR/replica_$port.log" 2>&1 &
  pids+=($!)
  echo $! >"$RUN_DIR/replica_$port.pid"
  echo "replica on 127.0.0.1:$port (pid $!), health: http://127.0.0.1:$port/_stcore/health" >&2
done
# Keep serving while at least one replica is up (nginx sends users to the survivors).
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || true; done
