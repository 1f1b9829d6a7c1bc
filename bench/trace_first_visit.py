"""Where a first visit's browser time goes: a Chromium trace of a fresh-browser visit to the app (warm server) and
to the minimal select page, summarised side by side (issue 25).

    .venv/bin/python bench/trace_first_visit.py [--path /] [--tree .] [--out /tmp/first_visit_traces]

Serves the tree's app (deploy/serve.py, until GET /ready) and bench/minimal_select_app.py behind nginx as
bench_first_visit.py does, visits each once untraced, then records one traced visit of each in a new browser
context. Prints, per visit: settle ms, DOM nodes, the renderer main thread's busy time (top-level tasks), self time
by trace event and by script file, module evaluations over 20 ms, and the resources only the app loaded (so a
chunk fetched only after its element arrived shows with its start and end times). The traces (open in
chrome://tracing or Perfetto) and a screenshot of each visit are left in --out.
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import bench_first_visit as fv  # noqa: E402

CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "blink.user_timing",
              "loading", "toplevel", "blink", "v8"]
RESOURCES = ("() => performance.getEntriesByType('resource').map(r => ({name: r.name.split('/').pop(), "
             "start: r.startTime, end: r.responseEnd, size: r.encodedBodySize}))")


def main_thread(events: list[dict]) -> tuple[int, int]:
    """(pid, tid) of the visited page's renderer main thread: the CrRendererMain with the most events."""
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    count = collections.Counter((e["pid"], e["tid"]) for e in events
                                if names.get((e["pid"], e["tid"])) == "CrRendererMain")
    return count.most_common(1)[0][0]


def summarise(trace: Path, top: int = 12) -> dict:
    """Self time by event name and by script file on the main thread, its busy time, long module evaluations."""
    events = json.loads(trace.read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    main = main_thread(events)
    t0 = min((e["ts"] for e in events if e.get("name") == "navigationStart"), default=0)
    spans = sorted(((e["ts"], e["ts"] + e.get("dur", 0), e["name"], (e.get("args") or {}).get("data") or {})
                    for e in events if (e["pid"], e["tid"]) == main and e.get("ph") == "X"),
                   key=lambda s: (s[0], s[0] - s[1]))
    by_event: collections.Counter = collections.Counter()
    by_file: collections.Counter = collections.Counter()
    stack: list[tuple[int, str | None]] = []
    busy = 0
    for start, end, name, data in spans:
        while stack and stack[-1][0] <= start:
            stack.pop()
        dur = end - start
        if stack:  # self time: a child's time is taken from its parent's
            by_event[stack[-1][2]] -= dur
            if stack[-1][1]:
                by_file[stack[-1][1]] -= dur
        elif name in ("RunTask", "ThreadControllerImpl::RunTask"):
            busy += dur
        url = data.get("url") if isinstance(data, dict) else None
        url = url.split("/")[-1][:60] if url else (stack[-1][1] if stack else None)
        by_event[name] += dur
        if url:
            by_file[url] += dur
        stack.append((end, url, name))
    modules = [((s - t0) / 1000, (e - s) / 1000) for s, e, n, _ in spans
               if n == "v8.evaluateModule" and e - s > 20000]
    return {"busy_ms": busy / 1000, "events": [(k, v / 1000) for k, v in by_event.most_common(top)],
            "files": [(k, v / 1000) for k, v in by_file.most_common(top)], "modules": modules}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--path", default="/")
    ap.add_argument("--tree", default=str(REPO), help="the checkout whose app is traced (default: this one)")
    ap.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "first_visit_traces"))
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="trace_first_visit_"))
    servers = []
    seen: dict[str, dict] = {}
    try:
        servers.append(fv.Served("app", Path(args.tree), "deploy/serve.py", "/ready", tmp, False))
        servers.append(fv.Served("minimal", REPO, "bench/minimal_select_app.py", "/_stcore/health", tmp, False))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=fv.CHROMIUM, args=fv.CHROMIUM_ARGS, headless=True)
            for s in servers:
                url = s.url + (args.path if s.name == "app" else "/")
                fv.visit(browser, url, 500)  # the first visit after start: not traced
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                ctx.add_init_script(fv.CLOCK)
                page = ctx.new_page()
                trace = out / f"{s.name}.json"
                browser.start_tracing(page=page, path=str(trace), categories=CATEGORIES)
                page.goto(url, wait_until="commit")
                page.wait_for_function(fv.SETTLED, arg=500, timeout=180000, polling=50)
                seen[s.name] = {"settle": page.evaluate("() => window.__lastMutation"),
                                "nodes": page.evaluate("() => document.getElementsByTagName('*').length"),
                                "resources": page.evaluate(RESOURCES)}
                page.screenshot(path=str(out / f"{s.name}.png"))
                browser.stop_tracing()
                ctx.close()
                seen[s.name].update(summarise(trace))
            browser.close()
    finally:
        for s in servers:
            s.stop()
    for name, v in seen.items():
        print(f"== {name}: settle {v['settle']:.0f} ms, {v['nodes']} DOM nodes, main thread busy {v['busy_ms']:.0f} ms")
        print("   self time by event: " + "; ".join(f"{k} {ms:.0f}" for k, ms in v["events"]))
        print("   by script file: " + "; ".join(f"{k} {ms:.0f}" for k, ms in v["files"]))
        print("   module evaluations > 20 ms (at ms, ms): " + ", ".join(f"{a:.0f}: {d:.0f}" for a, d in v["modules"]))
    mine = {r["name"] for r in seen["minimal"]["resources"]}
    extra = sorted((r for r in seen["app"]["resources"] if r["name"] not in mine), key=lambda r: r["start"])
    print(f"== {len(extra)} resources only the app loaded, {sum(r['size'] for r in extra) / 1000:.0f} kB:")
    for r in extra:
        print(f"   {r['name'][:50]:50s} {r['size'] / 1000:6.1f} kB  {r['start']:6.0f} -> {r['end']:6.0f} ms")
    print(f"traces and screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
