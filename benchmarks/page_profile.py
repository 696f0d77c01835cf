"""Where each page's first visit spends its CPU time: the default view (sp500-20 and its default model unless --query
says otherwise) run headless in Streamlit's AppTest. Each page in a fresh process (empty caches, as after a cold
server start): the app's first run (the cold start: the first page), the page (its first visit), the first page again,
the page again (its second visit).

CPU seconds (time.process_time of the whole process, every thread) rather than wall time: on a shared, loaded machine
the CPU a visit costs is what a change can reduce. Each page twice in fresh processes: once measured, once with each
run's script thread profiled by cProfile (whose own overhead would inflate the first's figures). Run:
`python -m benchmarks page_profile [--query Q] [--out DIR]` (writes DIR/bench_page_profile.md: per page the CPU seconds
of the cold start, the first and the second visit, and the project functions with the largest cumulative CPU time of
each visit over 0.5 s).
"""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import time
from pathlib import Path
from urllib.parse import parse_qs

from benchmarks import COMMAND, write

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
TOP = 14  # functions listed per page


class _Profiled:
    """Patches Streamlit's script runner so that each run of the script is profiled in its own thread."""

    def __init__(self):
        self.profile: cProfile.Profile | None = None

    def __enter__(self):
        from streamlit.runtime.scriptrunner import script_runner

        self._cls, self._orig = script_runner.ScriptRunner, script_runner.ScriptRunner._run_script
        orig, holder = self._orig, self

        def run_script(runner, *args, **kwargs):
            prof = cProfile.Profile(time.process_time)  # CPU seconds, not wall: the machine is shared
            prof.enable()
            try:
                return orig(runner, *args, **kwargs)
            finally:
                prof.disable()
                holder.profile = prof
        self._cls._run_script = run_script
        return self

    def __exit__(self, *exc):
        self._cls._run_script = self._orig


def _top(prof: cProfile.Profile, n: int = TOP) -> list[tuple[str, float, float]]:
    """(function, cumulative s, own s) of the `n` project functions (core/, dashboard/) with the largest cumulative
    time, plus the largest library ones: what a reader acts on."""
    stats = pstats.Stats(prof, stream=io.StringIO())
    rows = []
    for (path, line, name), (_cc, _nc, tt, ct, _callers) in stats.stats.items():
        where = path.replace(str(Path(APP).parents[1]) + os.sep, "")
        rows.append((f"{where}:{line}({name})", ct, tt))
    rows.sort(key=lambda r: -r[1])
    ours = [r for r in rows if r[0].startswith(("core", "dashboard")) and "app_pages" not in r[0]
            and not r[0].startswith(("dashboard/app.py", "dashboard/ui.py:"))]
    return ours[:n]


def visits(stem: str, query: str = "", profiled: bool = False, timeout: float = 900) -> list[dict]:
    """[{page, visit, cpu_s, wall_s, top, exceptions}] of the cold start and page `stem`'s first and second visit, in
    this process (its Streamlit caches must be empty: call it in a fresh process); `top` only when `profiled`."""
    from contextlib import nullcontext

    from streamlit.testing.v1 import AppTest

    from dashboard.pages import PAGES

    params = {k: v[0] for k, v in parse_qs(query.lstrip("?")).items()}
    title = next(p.title for p in PAGES if p.stem == stem)
    home, other = PAGES[0].stem, PAGES[-1].stem
    out = []
    with _Profiled() if profiled else nullcontext() as probe:
        at = AppTest.from_file(APP, default_timeout=timeout)
        for k, v in params.items():
            at.query_params[k] = v

        def timed(visit: str, step) -> None:
            c0, t0 = time.process_time(), time.perf_counter()
            step()
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
            problems = [str(e.value)[:300] for e in at.exception]
            out.append({"page": title, "visit": visit, "cpu_s": cpu, "wall_s": wall, "exceptions": problems,
                        "top": _top(probe.profile) if probe is not None and probe.profile else []})
            print(f"{'profiled ' if profiled else ''}{title:18s} {visit:10s} cpu {cpu:6.2f} s  wall {wall:6.2f} s"
                  + (f"  EXCEPTION {problems}" if problems else ""), flush=True)

        def go(to: str):
            return lambda: at.switch_page(f"app_pages/{to}.py").run(timeout=timeout)

        timed("cold start", lambda: at.run(timeout=timeout))
        if stem != home:
            timed("first", go(stem))
        at.switch_page(f"app_pages/{other if stem == home else home}.py").run(timeout=timeout)
        timed("second", go(stem))
    return out


def _fresh(stem: str, query: str, profiled: bool) -> list[dict]:
    """`visits` in a fresh spawned process (empty caches, nothing imported)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(visits, stem, query, profiled).result()


def table(rows: list[dict]) -> list[str]:
    """One row per page: the CPU seconds of its server's cold start, its first visit (the first page's is the cold
    start) and its second visit."""
    by = {}
    for r in rows:
        by.setdefault(r["page"], {})[r["visit"]] = r["cpu_s"]
    lines = ["| page | cold start CPU (s) | first visit CPU (s) | second visit CPU (s) |", "|---|---|---|---|"]
    for page, v in by.items():
        first = f"{v['first']:.2f}" if "first" in v else "(the cold start)"
        lines.append(f"| {page} | {v['cold start']:.2f} | {first} | {v['second']:.2f} |")
    return lines


def run(quick: bool = False, out: str | Path = ".", query: str = "") -> int:
    """Measure, then profile, each page in fresh processes; print and write <out>/bench_page_profile.md."""
    from dashboard.pages import PAGES

    load0 = os.getloadavg()
    rows, profiled = [], {}
    for page in PAGES:
        rows += _fresh(page.stem, query, profiled=False)
        profiled |= {(r["page"], r["visit"]): r for r in _fresh(page.stem, query, profiled=True)}
    lines = ["# Where each page's first visit spends its CPU time", "",
             f"Command: `OMP_NUM_THREADS=1 {COMMAND} page_profile{' --query ' + repr(query) if query else ''}` "
             f"(Streamlit AppTest, headless; load average {load0[0]:.1f} at the start)", "",
             "Each page in a fresh process, as after a cold server start: the app's first run (the cold start, "
             "which draws the first page), the page (first visit), the first page, the page again (second visit). "
             "CPU seconds of the whole process, measured without the profiler; the functions below come from a "
             "second, profiled process (their CPU seconds include cProfile's overhead).", "", *table(rows), ""]
    for r in rows:
        p = profiled.get((r["page"], r["visit"]))
        if p is None or r["cpu_s"] < 0.5 or (r["visit"] == "cold start" and r["page"] != PAGES[0].title):
            continue
        lines += [f"## {r['page']}, {r['visit']}: {r['cpu_s']:.2f} s CPU", "",
                  "| function | cumulative CPU (s) | own CPU (s) |", "|---|---|---|"]
        lines += [f"| `{name}` | {ct:.2f} | {tt:.2f} |" for name, ct, tt in p["top"]]
        lines.append("")
    print("\n".join(lines))
    write(out, "page_profile", "\n".join(lines))
    return 0
