#!/usr/bin/env bash
# Start Streamlit replicas on loopback with the production settings, one per port, each warmed before its first
# visitor (deploy/serve.py), and say when all of them are ready.
#   WORKFORCE_DATA_DIR=/srv/workforce/data deploy/run.sh 8501 8502 8503 8504  # these ports
#   WORKFORCE_DATA_DIR=/srv/workforce/data deploy/run.sh                # as many as deploy/replicas.py sizes
# With no ports, the count comes from the sessions expected at once and the free memory (deploy/replicas.py;
# WORKFORCE_SESSIONS, default 50), on ports from 8501 up; nginx's upstream must list the same ports.
# Each replica logs to $RUN_DIR/replica_PORT.log and writes its pid to $RUN_DIR/replica_PORT.pid. When every
# replica answers 200 on /ready (its pages warmed), the script writes the ports to $RUN_DIR/ready (removed at
# start) and says so; WORKFORCE_READY_TIMEOUT (seconds, default 600) bounds the wait (replicas keep serving).
# The script waits while any replica runs; stopping it (Ctrl-C, SIGTERM) stops them all. In production run one
# replica per systemd unit instead (see deploy/README.md): this script is the same command line.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
RUN_DIR=${RUN_DIR:-${TMPDIR:-/tmp}/workforce-replicas}
mkdir -p "$RUN_DIR"
rm -f "$RUN_DIR/ready"
ports=("$@")
if [ ${#ports[@]} -eq 0 ]; then
  mapfile -t ports < <("$PY" deploy/replicas.py)
  echo "${#ports[@]} replica(s) for ${WORKFORCE_SESSIONS:-50} sessions (deploy/replicas.py): ${ports[*]}" >&2
fi
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
ready_pid=""
stop() { kill "${pids[@]}" $ready_pid 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM
for port in "${ports[@]}"; do
  "$PY" -m streamlit run deploy/serve.py --server.port "$port" "${FLAGS[@]}" >"$RUN_DIR/replica_$port.log" 2>&1 &
  pids+=($!)
  echo $! >"$RUN_DIR/replica_$port.pid"
  echo "replica on 127.0.0.1:$port (pid $!), ready: http://127.0.0.1:$port/ready" >&2
done
# Ready when every replica has warmed its pages (503 "warming" until then; Streamlit's /_stcore/health says ok
# earlier, as soon as it accepts connections).
"$PY" - "${WORKFORCE_READY_TIMEOUT:-600}" "$RUN_DIR/ready" "${ports[@]}" <<'PYEOF' &
import sys, time, urllib.request
timeout, out, ports = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
t0, waiting = time.time(), set(ports)
while waiting and time.time() - t0 < timeout:
    for p in sorted(waiting):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{p}/ready", timeout=3).status == 200:
                waiting.discard(p)
                print(f"replica {p} ready after {time.time() - t0:.1f} s", file=sys.stderr)
        except OSError:
            pass
    time.sleep(0.5)
if waiting:
    sys.exit(f"not ready after {timeout:.0f} s: {' '.join(sorted(waiting))}")
with open(out + ".tmp", "w") as f:
    f.write("\n".join(ports) + "\n")
import os; os.replace(out + ".tmp", out)
print(f"all {len(ports)} replica(s) ready ({out})", file=sys.stderr)
PYEOF
ready_pid=$!
# Keep serving while at least one replica is up (nginx sends users to the survivors).
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || true; done
