"""`python -m benchmarks refresh`: the morning refresh of a 500-stock workspace (core.workspaces) against the full
recompute it replaces, and a refresh whose file restates history; writes <out>/bench_refresh.md.

For one year and two years of a SYNTHETIC 500-stock market (long price file, the data benchmark's): make a
workspace on the file without its last day (the full computation), refresh it with the whole file (one new day),
then with a file that corrects one close 30 trading days back (a restated history). Model: neuralfactors+cal
(zero-shot NeuralFactors through its calibration layer; on one year the layer has too few outcomes and is the
identity, on two years it is fitted). `--quick`: 40 stocks.
"""
from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import COMMAND, write
from benchmarks.data import _long_table

GOAL_S = 10.0
MODEL = "neuralfactors+cal"


def _case(n_stocks: int, n_dates: int, home: Path) -> list[tuple]:
    import torch

    from core.workspaces.identity import User
    from core.workspaces.refresh import open_workspace, refresh
    from core.workspaces.store import Store

    torch.set_num_threads(os.cpu_count() or 1)
    table = _long_table(n_stocks, n_dates)
    table["date"] = table["date"].dt.strftime("%Y-%m-%d")
    dates = sorted(table["date"].unique())
    store, user = Store(home), User("https://bench", f"{n_stocks}x{n_dates}")
    old = table[table["date"] < dates[-1]].to_csv(index=False).encode()
    t0 = time.perf_counter()
    first = open_workspace(store, user, "book", "prices.csv", old, MODEL).result
    full = time.perf_counter() - t0
    t0 = time.perf_counter()
    new = refresh(store, user, "book", "prices.csv", table.to_csv(index=False).encode()).result
    one_day = time.perf_counter() - t0
    restated = table.copy()
    day = (restated["date"] == dates[-30]) & restated["adj_close"].notna()
    fix = day & (restated["ticker"] == restated.loc[day, "ticker"].iloc[0])  # a stock with a close that day
    restated.loc[fix, "adj_close"] *= 1.01
    t0 = time.perf_counter()
    again = refresh(store, user, "book", "prices.csv", restated.to_csv(index=False).encode()).result
    restate = time.perf_counter() - t0
    size = f"{n_stocks} stocks x {n_dates} dates"
    verdict = "met" if one_day < GOAL_S else "MISSED"
    return [(size, "workspace made (full computation)", full, f"{first.made} forecasts made"),
            (size, "refresh, one new day", one_day,
             f"{new.kept} kept, {new.made} made; goal < {GOAL_S:.0f} s: {verdict}"),
            (size, "refresh, history restated 30 days back", restate,
             f"{again.kept} kept, {again.made} made from {again.restated_from}")]


def run(quick: bool = False, out: str | Path = ".") -> int:
    import numpy as np
    import pandas as pd

    sizes = [(40, 252)] if quick else [(500, 252), (500, 504)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, (n, t) in enumerate(sizes):
            rows += _case(n, t, Path(tmp) / f"home{k}")
    command = f"{COMMAND} refresh" + (" --quick" if quick else "")
    lines = [
        "# Morning refresh benchmark",
        "",
        f"Produced by `{command}` on {time.strftime('%Y-%m-%d')}: {platform.machine()}, {os.cpu_count()} CPU cores, "
        f"Python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}. Model {MODEL}; SYNTHETIC "
        "market; wall-clock seconds of one run each, reading the file included.",
        "",
        "| data | step | seconds | note |",
        "| --- | --- | ---: | --- |",
        *[f"| {size} | {step} | {secs:.2f} | {note} |" for size, step, secs, note in rows],
        "",
    ]
    print("\n".join(lines))
    write(out, "refresh", "\n".join(lines))
    return 0
