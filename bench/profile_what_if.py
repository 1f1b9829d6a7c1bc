"""Where a what-if lever move spends server time: press the trainee slider N times in Chromium while py-spy
records the Streamlit server (py-spy is a measuring tool only: `pip install py-spy` into the venv).

    .venv/bin/python bench/profile_what_if.py [N] [OUT.raw]

Prints the server CPU per move (/proc, 10 ms ticks) and writes py-spy's raw stacks to OUT (default
/tmp/what_if_moves.raw); `--top` style totals: `python bench/profile_what_if.py --show OUT.raw`.
"""
from __future__ import annotations

import collections
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def show(raw: str, top: int = 60) -> None:
    """Inclusive share of samples per frame, in the script-runner thread (where reruns happen)."""
    tot: collections.Counter = collections.Counter()
    n = 0
    for line in open(raw):
        stack, c = line.rstrip().rsplit(" ", 1)
        n += int(c)
        frames = stack.split(";")
        if any("script_runner" in f for f in frames):
            for f in dict.fromkeys(frames):
                tot[f] += int(c)
    for k, v in tot.most_common(top):
        print(f"{100 * v / n:5.1f}% {k[:150]}")


def main() -> None:
    if sys.argv[1:2] == ["--show"]:
        show(sys.argv[2])
        return
    from playwright.sync_api import sync_playwright

    from bench.bench_what_if import Tab
    from tests.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, Server, wait_for_app
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    out = sys.argv[2] if len(sys.argv) > 2 else "/tmp/what_if_moves.raw"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app = Server(REPO / "app.py", env={"STREAMLIT_RUNNER_POST_SCRIPT_GC": "false"})
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            first = b.new_page()
            first.goto(app.url)
            wait_for_app(first)
            first.close()
            tab = Tab(b, app.url + "/what_if?area=ENG", "Nursing associates: trainees a year", app.proc.pid)
            for _ in range(3):
                tab.press()
            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(app.proc.pid),
                                    "-o", out, "-f", "raw", "-r", "200", "--nonblocking"])
            time.sleep(1.0)
            cpu = [tab.press()[1] for _ in range(n)]
            spy.send_signal(2)
            spy.wait(30)
            b.close()
    finally:
        app.stop()
    print(f"server CPU per move: median {statistics.median(cpu):.0f} ms over {n} moves; stacks in {out}")
    show(out)


if __name__ == "__main__":
    main()
