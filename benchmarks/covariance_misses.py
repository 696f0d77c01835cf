"""`python -m benchmarks covariance_misses`: where each model's covariance misses, on the VALIDATION split of
sp500-20; writes <out>/bench_covariance_misses.md.

For a direction w (a book), the bias statistic is the mean over forecast dates t of (w'(r_{t+1} - m_t))^2 /
(w' Sigma_t w): 1 when the forecast variance is right, above 1 when the book was forecast too calm, below 1 too
volatile. Directions: every within-sector spread (long one stock, short another of its sector), the
cyclical-minus-defensive book (Energy, Financials, Industrials, Information Technology and Consumer
Discretionary long, Consumer Staples and Health Care short, equal weights per leg) and the equal-weight book.

Where cov_mse comes from (`whitening_split`): S - I (S the whitened residuals' sample covariance, the whitening test
of core/risk/covariance.py) split into its diagonal (the stocks' variances) and its off-diagonal pairs, of the same
sector or not, each as its share of the mean over the p^2 entries (the three add up to cov_mse), with the pairs'
mean S: above 0, the stocks moved together more than forecast. The test split is not read. `--quick`: two models.
"""
from __future__ import annotations

import sys

import numpy as np

from benchmarks import COMMAND, write

MODELS = ("neuralfactors", "neuralfactors+cal", "ppca+cal", "ledoit-wolf+cal", "sample+cal")
CYCLICAL = {"Energy", "Financials", "Industrials", "Information Technology", "Consumer Discretionary"}
DEFENSIVE = {"Consumer Staples", "Health Care"}


def directions(panel) -> dict[str, np.ndarray]:
    """{name: w (N,)} over panel.tickers."""
    sectors = panel.sectors.reindex(panel.tickers).to_numpy()
    n = len(sectors)
    out = {}
    for i in range(n):
        for j in range(i + 1, n):
            if sectors[i] == sectors[j]:
                w = np.zeros(n)
                w[i], w[j] = 0.5, -0.5
                out[f"{panel.tickers[i]}-{panel.tickers[j]}"] = w
    cyc, dfn = np.isin(sectors, list(CYCLICAL)), np.isin(sectors, list(DEFENSIVE))
    out["cyclical-defensive"] = 0.5 * cyc / cyc.sum() - 0.5 * dfn / dfn.sum()
    out["equal weight"] = np.full(n, 1.0 / n)
    return out


def bias(panel, series, dates, w: np.ndarray) -> float:
    """Mean of (w'(r - m))^2 / w' Sigma w over the dates with every stock of w traded."""
    col = {t: i for i, t in enumerate(panel.tickers)}
    rets = panel.returns.to_numpy(dtype=float)
    vals = []
    for d, p in zip(dates, panel.dates.get_indexer(dates)):
        fc = series.at(d)
        idx = np.array([col[t] for t in fc.tickers])
        wt = w[idx]
        r = rets[p + 1, idx]
        if not np.isfinite(r[wt != 0]).all() or abs(w).sum() - abs(wt).sum() > 1e-12:
            continue
        vals.append(float((wt @ (np.nan_to_num(r) - fc.mean)) ** 2 / fc.portfolio_var(wt)))
    return float(np.mean(vals))


def whitening_split(u: np.ndarray, same: np.ndarray) -> dict[str, float]:
    """cov_mse of whitened residuals u (T, p) and its parts: "variances" (the diagonal), "same sector" and "other"
    pairs (same (p, p) bool: the pair's stocks share a sector), each sum of (S - I)^2 / p^2, and the pairs' mean S
    ("same sector S", "other S")."""
    from core.risk.covariance import whitened_covariance

    p = u.shape[1]
    e = whitened_covariance(u) - np.eye(p)
    pairs = ~np.eye(p, dtype=bool)
    same, other = same & pairs, ~same & pairs
    return {"cov_mse": float(np.mean(e ** 2)), "variances": float(np.sum(np.diag(e) ** 2) / p ** 2),
            "same sector": float(np.sum(e[same] ** 2) / p ** 2), "other": float(np.sum(e[other] ** 2) / p ** 2),
            "same sector S": float(e[same].mean()), "other S": float(e[other].mean())}


def split_row(panel, series, dates) -> dict[str, float]:
    """whitening_split of `series` on `dates`, as evaluate scores the split (core.evaluation.tables.scored_days)."""
    from core.evaluation.tables import scored_days
    from core.risk.covariance import common_tickers, whitened_common

    fcs, rows = scored_days(panel, series, dates)
    tickers = common_tickers(fcs)
    u = whitened_common(fcs, rows, tickers)
    sector = panel.sectors.reindex(tickers).to_numpy()
    return whitening_split(u, sector[:, None] == sector[None, :])


def run(out: str = ".", quick: bool = False) -> int:
    from core.data.embedded import load_dataset
    from core.training.threads import limit_math_threads
    from core.workbench.sources import forecast_dates, forecasts

    limit_math_threads()
    panel = load_dataset("sp500-20")
    dates = forecast_dates(panel, "valid")
    dirs = directions(panel)
    spreads = [k for k in dirs if k not in ("cyclical-defensive", "equal weight")]
    models = MODELS[:2] if quick else MODELS
    lines = ["# Where the covariance misses (sp500-20, validation split)", "",
             f"Printed by `{COMMAND} covariance_misses --out docs`; definitions: benchmarks/covariance_misses.py.",
             "Bias statistic: 1 = right, above 1 = forecast too calm, below 1 = too volatile.", "",
             "| model | within-sector spreads (median) | spreads (min .. max) | cyclical - defensive | equal weight |",
             "|---|---|---|---|---|"]
    split = ["", "Where cov_mse comes from: (S - I)^2 summed over the variances, the same-sector pairs and the other "
             "pairs, each / p^2 (they add up to cov_mse); the pairs' mean S - I: above 0, moved together more than "
             "forecast.", "",
             "| model | cov_mse | variances | same-sector pairs | other pairs | mean S, same sector | mean S, other |",
             "|---|---|---|---|---|---|---|"]
    for name in models:
        series = forecasts(panel, name, dates, None, log=sys.stderr).series
        b = {k: bias(panel, series, dates, w) for k, w in dirs.items()}
        sp = np.array([b[k] for k in spreads])
        lines.append(f"| {name} | {np.median(sp):.2f} | {sp.min():.2f} .. {sp.max():.2f} | "
                     f"{b['cyclical-defensive']:.2f} | {b['equal weight']:.2f} |")
        c = split_row(panel, series, dates)
        split.append(f"| {name} | {c['cov_mse']:.6f} | {c['variances']:.6f} | {c['same sector']:.6f} | "
                     f"{c['other']:.6f} | {c['same sector S']:+.3f} | {c['other S']:+.3f} |")
        print(lines[-1], split[-1], sep="\n", file=sys.stderr, flush=True)
    write(out, "covariance_misses", "\n".join(lines + split + [""]))
    return 0
