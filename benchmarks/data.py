"""`python -m benchmarks data`: time the data layer and write <out>/bench_data.md.

Measures: building the synthetic market (N = 5000 stocks x T = 2500 dates; goal < 30 s),
loading the embedded sp500-20 dataset, and loading a generated long-format CSV and Parquet
file of 500 tickers x 2500 dates (1.25 M rows). `--quick` shrinks every size for a smoke run.
"""
from __future__ import annotations

import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import COMMAND, write

SYNTH_GOAL_S = 30.0


def _timed(fn, repeat: int = 1):
    """(best wall seconds over `repeat` runs, last result)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _long_table(n_stocks: int, n_dates: int) -> pd.DataFrame:
    """A long-format price table (date, ticker, adj_close, volume, sector) from the synthetic market."""
    from core.data.synthetic import make_market

    panel, _ = make_market(n_stocks=n_stocks, n_dates=n_dates, seed=11)
    r = panel.returns
    prices = (100.0 * (1.0 + r.fillna(0.0)).cumprod()).where(r.notna() | r.notna().shift(-1, fill_value=False))
    long = prices.rename_axis(index="date", columns="ticker").stack().rename("adj_close").reset_index()
    long["volume"] = np.random.default_rng(0).lognormal(12, 1, len(long)).round()
    long["sector"] = panel.meta["sector"].reindex(long["ticker"]).to_numpy()
    return long


def run(quick: bool = False, out: str | Path = ".") -> int:
    """Measure, print and write the Markdown table to <out>/bench_data.md."""
    from core.data.embedded import load_sp500_20
    from core.data.files import load_file
    from core.data.synthetic import make_market

    n_syn, t_syn = (500, 500) if quick else (5000, 2500)
    n_file, t_file = (50, 500) if quick else (500, 2500)
    rows = []

    secs, (panel, _) = _timed(lambda: make_market(n_stocks=n_syn, n_dates=t_syn, n_factors=4, seed=0))
    verdict = "" if quick else (" (goal < 30 s: met)" if secs < SYNTH_GOAL_S else " (goal < 30 s: MISSED)")
    rows.append((f"synthetic market N={n_syn} x T={t_syn}, F=4", secs, f"{panel.returns.notna().mean().mean():.0%} listed{verdict}"))
    del panel

    def sp500():
        load_sp500_20.cache_clear()
        return load_sp500_20()

    secs, panel = _timed(sp500, repeat=3)
    rows.append(("embedded sp500-20 (20 x 8312, from skfolio)", secs, f"{panel.n_tickers} tickers"))

    table = _long_table(n_file, t_file)
    with tempfile.TemporaryDirectory() as tmp:
        csv, parquet = Path(tmp) / "long.csv", Path(tmp) / "long.parquet"
        table.to_csv(csv, index=False)
        table.to_parquet(parquet, index=False)
        for label, path in (("CSV", csv), ("Parquet", parquet)):
            size = path.stat().st_size / 2**20
            secs, panel = _timed(lambda p=path: load_file(p), repeat=2)
            rows.append((f"load_file long {label}, {n_file} tickers x {t_file} dates ({len(table):,} rows, {size:.0f} MiB)",
                         secs, f"{len(panel.warnings)} warnings"))

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    command = f"{COMMAND} data" + (" --quick" if quick else "")
    lines = [
        "# Data layer benchmark",
        "",
        f"Produced by `{command}` on {time.strftime('%Y-%m-%d')}: {platform.machine()}, "
        f"{os.cpu_count()} CPU cores, Python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}.",
        "Times are wall-clock seconds (best of 3 for sp500-20, best of 2 for file loads, one run for the market).",
        "",
        "| step | seconds | note |",
        "| --- | ---: | --- |",
        *[f"| {name} | {secs:.2f} | {note} |" for name, secs, note in rows],
        "",
        f"Peak resident memory of the whole run: {peak:,.0f} MiB.",
        "",
    ]
    print("\n".join(lines))
    write(out, "data", "\n".join(lines))
    return 0
