"""Worker for the concurrent-save tests: one process (a "replica") saving the same new names as another, trial by
trial, both released by one barrier. Spawned (not forked) so each process has its own database connections."""
from __future__ import annotations



def save_trials(store: str, who: str, trials: int, barrier, database_url: str | None, out) -> None:
    """For each trial t, wait at the barrier, then save "Workshop plan t" (horizon = this worker's number) as `who`.
    Puts (who, [(trial, "ok" | error message)]) on `out`."""
    from lib.whatif import library
    from lib.whatif.scenario import Scenario

    kwargs = {"database_url": database_url} if database_url else {}
    horizon = 3 if who.startswith("ann") else 7
    results = []
    for t in range(trials):
        barrier.wait(60)
        try:
            library.save(store, f"Workshop plan {t}", Scenario(area="QKK", horizon=horizon), who, **kwargs)
            results.append((t, "ok"))
        except Exception as exc:  # noqa: BLE001 - a refusal is an outcome to report, not a crash
            results.append((t, f"{type(exc).__name__}: {exc}"))
    out.put((who, results))


def run_two(store: str, trials: int, database_url: str | None = None, users=("ann@nhs.net", "bob@nhs.net")):
    """Two spawned processes saving the same names at once; {who: [(trial, outcome)]}."""
    import multiprocessing as mp
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=save_trials, args=(store, u, trials, barrier, database_url, out)) for u in users]
    for p in procs:
        p.start()
    got = dict(out.get(timeout=600) for _ in procs)
    for p in procs:
        p.join(60)
    return got


def tally(got: dict, stored_owner) -> dict:
    """Per trial: how many saves reported success, and whether the entry kept is the one a success reported.
    stored_owner(trial) -> the owner in the library now (or None)."""
    trials = sorted({t for rows in got.values() for t, _ in rows})
    both = lost = one = 0
    for t in trials:
        ok = [who for who, rows in got.items() for tt, o in rows if tt == t and o == "ok"]
        owner = stored_owner(t)
        if len(ok) == 2:
            both += 1
        if len(ok) == 1:
            one += 1
        if owner is None or (ok and owner not in ok) or len(ok) == 2:  # a reported save whose entry is gone
            lost += 1
    return {"trials": len(trials), "exactly_one_saved": one, "both_reported_saved": both, "entries_lost": lost}


__all__ = ["save_trials", "run_two", "tally"]
