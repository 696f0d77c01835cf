"""`python -m benchmarks risk`: factor-form vs dense (N x N) portfolio volatility, VaR and cvxpy solve time.

Random Normal forecast with F = 64 factors at N = 500, 2000, 5000 (--quick: N = 100, 200, F = 8).
Latencies are medians of repeated calls; the dense side is timed given Sigma already built
(its build time is reported separately). The cvxpy problem is the long-only minimum-variance
portfolio with sum w = 1, factor form (y = B'w) vs quad_form(w, Sigma).
"""
from __future__ import annotations

import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import COMMAND, write

from core.forecast import FactorForecast
from core.risk.factor import portfolio_mean_vol
from core.risk.var import forecast_var, normal_var

FULL = {"sizes": (500, 2000, 5000), "factors": 64, "dense_cvxpy_max": 2000}
QUICK = {"sizes": (100, 200), "factors": 8, "dense_cvxpy_max": 200}


def random_forecast(n: int, f: int, seed: int = 0) -> FactorForecast:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(f, f)) / np.sqrt(f)
    return FactorForecast(pd.Timestamp("2024-01-02"), [f"S{i}" for i in range(n)], rng.normal(3e-4, 3e-4, n),
                          rng.normal(0, 1, (n, f)) * 0.01 / np.sqrt(f), a @ a.T + 0.1 * np.eye(f),
                          rng.uniform(1e-4, 4e-4, n))


def _median_time(fn, repeats: int = 7) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _solve_dense(fc: FactorForecast, sigma: np.ndarray) -> np.ndarray:
    import cvxpy as cp

    w = cp.Variable(fc.n_stocks)
    cp.Problem(cp.Minimize(cp.quad_form(w, cp.psd_wrap(sigma))), [w >= 0, cp.sum(w) == 1]).solve(solver=cp.CLARABEL)
    return w.value


def measure(n: int, f: int, dense_cvxpy: bool) -> dict:
    from core.portfolio.constraints import Constraints
    from core.portfolio.optimiser import optimise

    fc = random_forecast(n, f)
    w = np.full(n, 1.0 / n)
    t0 = time.perf_counter()
    sigma = fc.dense_cov()
    build = time.perf_counter() - t0
    row = {"N": n, "F": f, "dense Sigma build (ms)": 1e3 * build,
           "vol factor (ms)": 1e3 * _median_time(lambda: portfolio_mean_vol(fc, w)),
           "vol dense (ms)": 1e3 * _median_time(lambda: np.sqrt(w @ sigma @ w)),
           "VaR99 factor (ms)": 1e3 * _median_time(lambda: forecast_var(fc, w, 0.99)),
           "VaR99 dense (ms)": 1e3 * _median_time(lambda: normal_var(float(w @ fc.mean), float(np.sqrt(w @ sigma @ w)), 0.99))}
    t0 = time.perf_counter()
    wf = optimise(fc, "min_variance", Constraints(long_only=True)).weights.to_numpy()
    row["cvxpy factor (s)"] = time.perf_counter() - t0
    if dense_cvxpy:
        t0 = time.perf_counter()
        wd = _solve_dense(fc, sigma)
        row["cvxpy dense (s)"] = time.perf_counter() - t0
        row["vol gap factor vs dense"] = abs(np.sqrt(wf @ sigma @ wf) - np.sqrt(wd @ sigma @ wd)) / np.sqrt(wd @ sigma @ wd)
    else:
        row["cvxpy dense (s)"] = float("nan")
        row["vol gap factor vs dense"] = float("nan")
    return row


def run(quick: bool = False, out: str | Path = ".") -> int:
    """Measure, print and write the Markdown table to <out>/bench_risk.md."""
    cfg = QUICK if quick else FULL
    rows = [measure(n, cfg["factors"], n <= cfg["dense_cvxpy_max"]) for n in cfg["sizes"]]
    table = pd.DataFrame(rows)
    cmd = f"{COMMAND} risk" + (" --quick" if quick else "")
    lines = [
        "# Risk benchmark: factor form vs dense N x N", "",
        f"Command: `{cmd}` (written by benchmarks/risk.py). Machine: {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}, CPU only.", "",
        "Latencies are medians of 7 calls; the dense side is timed with Sigma already built (build time in its own "
        "column). cvxpy: long-only minimum variance, sum w = 1, solver Clarabel, including compilation; "
        f"the dense QP is run only up to N = {cfg['dense_cvxpy_max']} (n/a above: a dense N x N QP of that size "
        "takes minutes and gigabytes). 'vol gap' = relative difference of the two optimal portfolios' volatility.", "",
        "| " + " | ".join(table.columns) + " |", "|---" * len(table.columns) + "|",
    ]
    for _, r in table.iterrows():
        cells = [str(int(v)) if k in ("N", "F") else ("n/a" if pd.isna(v) else f"{v:.3g}") for k, v in r.items()]
        lines.append("| " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    write(out, "risk", text)
    return 0
