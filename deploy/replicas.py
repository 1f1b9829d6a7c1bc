"""How many replicas to start: sized to the sessions expected at once and the memory free, not to the cores.

    python deploy/replicas.py            -> prints the ports, one a line (deploy/run.sh uses this with no ports)

Why sessions: Streamlit runs every session's script in its own thread of one process, so sessions on one replica
queue for its interpreter lock while the machine's cores sit partly idle (issue 25: 25 sessions on one replica,
p50 407 ms with the replica 0.34 cores busy; two replicas, p50 40 ms). More processes, fewer sessions each, is the
lever; each replica costs about 350 MB resident with the data loaded (bench/bench_concurrency.py measures both).

Settings (environment): WORKFORCE_SESSIONS (sessions expected at once, default 50), WORKFORCE_SESSIONS_PER_REPLICA
(default SESSIONS_PER_REPLICA, from bench_concurrency), WORKFORCE_REPLICA_MB (resident memory a replica needs,
default 400), WORKFORCE_MAX_REPLICAS (default 8), WORKFORCE_BASE_PORT (default 8501)."""
from __future__ import annotations

import math
import os
import sys

# 50 sessions: 4 replicas. bench_concurrency with 50 sessions on 2 cores at load 2-3 (bench/README.md, issue 25,
# third round): p50/p95 554/995 ms on 2 replicas, 101/598 ms on 4, 77/488 ms on 6 (0 errors each); 4 takes most of
# the gain for 1.5 GB (each replica ~390 MB). Raise WORKFORCE_SESSIONS / lower this where cores are plentiful.
SESSIONS_PER_REPLICA = 13
REPLICA_MB = 400               # ~350 MB measured per replica with the demo store loaded, plus headroom
MEMORY_SHARE = 0.8             # leave a fifth of the free memory to the system and nginx


def replica_count(sessions: int, per_replica: int, available_mb: float, replica_mb: float = REPLICA_MB,
                  max_replicas: int = 8) -> int:
    """ceil(sessions / per_replica), capped by what fits in MEMORY_SHARE of the available memory and by
    max_replicas; never fewer than one."""
    if sessions < 1 or per_replica < 1 or replica_mb <= 0:
        raise ValueError("sessions, sessions per replica and replica memory must be positive")
    wanted = math.ceil(sessions / per_replica)
    fits = int(available_mb * MEMORY_SHARE // replica_mb)
    return max(1, min(wanted, fits, max_replicas))


def available_mb(meminfo: str = "/proc/meminfo") -> float:
    """MemAvailable from /proc/meminfo, in MB (the kernel's estimate of memory usable without swapping)."""
    with open(meminfo) as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    raise ValueError(f"{meminfo}: no MemAvailable line")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r}: expected a whole number") from None


def main() -> int:
    n = replica_count(_env_int("WORKFORCE_SESSIONS", 50), _env_int("WORKFORCE_SESSIONS_PER_REPLICA",
                      SESSIONS_PER_REPLICA), available_mb(), _env_int("WORKFORCE_REPLICA_MB", REPLICA_MB),
                      _env_int("WORKFORCE_MAX_REPLICAS", 8))
    base = _env_int("WORKFORCE_BASE_PORT", 8501)
    print("\n".join(str(base + i) for i in range(n)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
