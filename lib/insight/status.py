"""What a store holds, for `python -m lib status`: periods per level (and gaps), files from the manifest, the
geography each month is on, sickness months, and every problem the loader would name (issue 24)."""
from __future__ import annotations

from pathlib import Path

from lib.data import geography, loader
from lib.data.schema import month_add


def missing_months(periods: list[str]) -> list[str]:
    """Months between the first and last loaded that are not loaded."""
    if not periods:
        return []
    have, out, p = set(periods), [], periods[0]
    while p < periods[-1]:
        p = month_add(p, 1)
        if p not in have:
            out.append(p)
    return out


def store_status(data_dir: str | Path) -> dict:
    """A plain dict (JSON-ready) describing the store."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ValueError(f"{data_dir}: no such data directory")
    prov = loader.provenance(data_dir)
    levels = {}
    for lv, info in prov["levels"].items():
        ps = loader.available_periods(data_dir, lv)
        vint: dict[str, list[str]] = {}
        for p in ps:
            vint.setdefault(geography.vintage_for(lv, p).key, []).append(p)
        levels[lv] = {"first": info["first"], "last": info["last"], "months": len(ps), "periods": ps,
                      "missing_months": missing_months(ps),
                      "geography": [{"vintage": k, "title": geography.vintage(k).title,
                                     "systems": len(geography.area_codes(k)), "periods": v} for k, v in vint.items()],
                      "rolling_12_months": len(ps) >= 12 and not missing_months(ps[-12:])}
    sick = {lv: loader.sickness_periods(data_dir, lv) for lv in geography.LEVELS}
    files = [{"file": f.get("file"), "kind": f.get("kind"), "rows": f.get("rows"), "periods": f.get("periods"),
              "ingested_at": f.get("ingested_at")} for f in prov["files"] if isinstance(f, dict)]
    problems = list(loader.store_problems(data_dir))
    return {"data_dir": str(data_dir.resolve()), "synthetic": prov["synthetic"], "levels": levels,
            "sickness_periods": {k: v for k, v in sick.items() if v}, "files": files, "problems": problems}


def status_lines(s: dict) -> list[str]:
    """The status in words, a line each (what `python -m lib status` prints by default)."""
    out = [f"Data directory: {s['data_dir']}" + (" (SYNTHETIC demo data)" if s["synthetic"] else "")]
    if not s["levels"]:
        out.append("Nothing loaded: ingest files with `python -m lib ingest FILE --data-dir DIR`.")
    for lv, info in s["levels"].items():
        out.append(f"{lv}: {info['months']} month(s), {info['first']} to {info['last']}"
                   + (f"; missing {', '.join(info['missing_months'])}" if info["missing_months"] else ""))
        for g in info["geography"]:
            out.append(f"  geography {g['vintage']} ({g['title']}, {g['systems']} systems): "
                       f"{', '.join(g['periods'])}")
        out.append("  12-month rolling rates: " + ("available" if info["rolling_12_months"] else
                                                    f"need 12 consecutive months ({info['months']} loaded)"))
    for lv, ps in s["sickness_periods"].items():
        out.append(f"Sickness absence ({lv}): {len(ps)} month(s), {ps[0]} to {ps[-1]}")
    out.append(f"Files ({len(s['files'])}):")
    for f in s["files"]:
        out.append(f"  {f['file']}: {f['kind']}, {f['rows']} rows, {', '.join(f['periods'] or [])}, "
                   f"ingested {f['ingested_at']}")
    out.append(f"Problems ({len(s['problems'])}):" if s["problems"] else "Problems: none")
    out += [f"  {p}" for p in s["problems"]]
    return out
