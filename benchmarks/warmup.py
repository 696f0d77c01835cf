"""The warm-up of a 500-stock upload, step by step: what "Use this dataset in every page" computes (the model's
forecasts through its calibration layer, then dashboard/warmup.py's steps), each step's wall-clock seconds, in one
fresh process outside the browser (the dashboard's own cached calls, dashboard/services.py). The browser's figure,
click to "Every page is ready", is `python -m benchmarks dashboard`'s.
Run: `python -m benchmarks warmup [--quick] [--out DIR]` (writes DIR/bench_warmup.md; --quick: 40 stocks).
"""
from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

from benchmarks import COMMAND, write

MODEL = "neuralfactors+cal"  # the model "Use this dataset" takes into use on an upload


def run(quick: bool = False, out: str | Path = ".") -> int:
    os.environ["NEURALFACTORS_HOME"] = tempfile.mkdtemp(prefix="nf-warmup-")  # uploads go to a scratch home
    from core.workbench.covariance import COV_HORIZON
    from core.workbench.dates import split_of
    from dashboard import services, uploads, warmup
    from dashboard.state import Selection
    from benchmarks.userfiles import write_vendor_csv

    n = 40 if quick else 500
    with tempfile.TemporaryDirectory() as folder:
        vf = write_vendor_csv(Path(folder) / "vendor.csv", n_stocks=n)
        rows, t0 = [], time.perf_counter()
        key = uploads.add_upload("vendor.csv", vf.path.read_bytes())
        rows.append(("the upload read and checked", time.perf_counter() - t0))
    t = time.perf_counter()
    dates = services.forecast_dates(key, MODEL)
    rows.append((f"{MODEL}: forecasts of every view date ({len(dates)}) and the layer", time.perf_counter() - t))
    date = dates[len(dates) - 1 - COV_HORIZON]  # Your data's own default date
    sel = Selection(key, MODEL, date, "equal weight", "", split_of(services.panel(key), date))
    for step in warmup.steps(sel):
        t = time.perf_counter()
        step.run()
        rows.append((step.what, time.perf_counter() - t))
    total, load = time.perf_counter() - t0, os.getloadavg()
    lines = ["# The warm-up of an upload, step by step", "",
             f"Command: `{COMMAND} warmup{' --quick' if quick else ''}`", "",
             f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average at the "
             f"end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}. The vendor file of benchmarks/userfiles.py at {n} "
             f"stocks x 252 dates; model {MODEL}, zero-shot; date {date}.", "",
             "| step | seconds |", "|---|---|"]
    lines += [f"| {what} | {sec:.2f} |" for what, sec in rows] + [f"| **all** | **{total:.2f}** |", ""]
    print("\n".join(lines))
    write(out, "warmup", "\n".join(lines))
    return 0
