"""`python -m benchmarks prior_weight`: the weight of the prior map with which a short file's calibration layer
starts (core/risk/recalibration.py PRIOR_DAYS), chosen on OTHER data than the files it serves; writes
<out>/bench_prior_weight.md.

Rule (written before the readings): among prior weights m0 in {0, 21, 63, 126, 250, 500, inf} days, take the one
with the lowest mean, over the tuning files, of the calibration error of the long-only and long-short reference
books' PITs pooled over the file's days, each day's PIT mapped by the layer fitted on that file's earlier days
only. Tuning files (NeuralFactors, raw forecasts): sp500-20's validation years 2017 and 2018 cut short as
one-year files, the prior fitted on the 2014-2016 validation forecasts; and a SYNTHETIC 500-stock, one-year
market (seed 5; not the seed-11 vendor file the layer is reported on), scored zero-shot, the prior fitted on all
of sp500-20's validation forecasts. "identity" is the layer before this change on a one-year file (it needs 250
days). `--quick`: 60 synthetic stocks.
"""
from __future__ import annotations

import sys

import numpy as np

from benchmarks import COMMAND, write

WEIGHTS = (0.0, 21.0, 63.0, 126.0, 250.0, 500.0, np.inf)
MODEL = "neuralfactors"


def _pits(panel, dates):
    """Raw reference-book PITs and factor shares (T', P) of the model's forecasts at those of `dates` where it
    forecasts some stock (a zero-shot network needs a few weeks of history first)."""
    from core.risk.families import reference_books
    from core.risk.recalibration import portfolio_pits, portfolio_shares
    from core.workbench.sources import forecasts

    series = forecasts(panel, MODEL, dates, None, log=sys.stderr).series.select(dates)
    series = series.select(series.dates[np.isfinite(series.mean).any(axis=1)])
    w, nets = reference_books(panel.sectors.reindex(panel.tickers))
    return (portfolio_pits(panel, series, series.dates, w, nets=nets),
            portfolio_shares(panel, series, series.dates, w, nets))


def scores(pits: np.ndarray, shares: np.ndarray, prior: np.ndarray) -> dict:
    """{weight: calibration error of the mapped PITs}, plus "identity"."""
    from core.forecast.recalibrated import PIT_KNOTS, book_maps
    from core.risk.calibration import calibration_error
    from core.risk.recalibration import rolling_maps

    out = {"identity": calibration_error(pits)}
    for m0 in WEIGHTS:
        if np.isinf(m0):
            maps = np.broadcast_to(prior, (len(pits), *prior.shape))
        else:
            maps = rolling_maps(pits, 0, prior=prior, prior_days=m0, shares=shares)
        mapped = np.full_like(pits, np.nan)
        for t, (row, s, m) in enumerate(zip(pits, shares, maps)):
            ok = np.isfinite(row)
            mapped[t, ok] = [np.interp(u, PIT_KNOTS, v) for u, v in zip(row[ok], book_maps(m, s[ok]))]
        out[m0] = calibration_error(mapped)
    return out


def run(out: str = ".", quick: bool = False) -> int:
    from core.data.embedded import load_dataset
    from core.data.synthetic import make_market
    from core.risk.recalibration import fit_map
    from core.training.threads import limit_math_threads
    from core.workbench.sources import forecast_dates

    limit_math_threads()
    sp = load_dataset("sp500-20")
    valid = forecast_dates(sp, "valid")
    pits_valid, shares_valid = _pits(sp, valid)
    early = valid.year <= 2016
    files = {}
    for year in (2017, 2018):
        at = valid.year == year
        files[f"sp500-20 {year}"] = (pits_valid[at], shares_valid[at], fit_map(pits_valid[early], shares_valid[early]))
    market, _ = make_market(n_stocks=60 if quick else 500, n_dates=253, n_factors=4, seed=5, ragged_share=0.1)
    files["synthetic 500 x 1y"] = (*_pits(market, market.dates[:-1]), fit_map(pits_valid, shares_valid))
    table = {name: scores(*parts) for name, parts in files.items()}
    cols = ["identity", *WEIGHTS]
    mean = {c: float(np.mean([table[n][c] for n in table])) for c in cols}
    best = min(WEIGHTS, key=lambda c: mean[c])
    label = lambda c: c if isinstance(c, str) else ("inf (prior only)" if np.isinf(c) else f"{c:g}")  # noqa: E731
    lines = ["# The prior weight of a short file's calibration layer (NeuralFactors)", "",
             f"Printed by `{COMMAND} prior_weight --out docs`; rule and files: benchmarks/prior_weight.py.",
             "Calibration error of the reference books' mapped PITs (lower is better).", "",
             "| prior weight (days) | " + " | ".join(table) + " | mean |", "|---" * (len(table) + 2) + "|"]
    for c in cols:
        lines.append(f"| {label(c)} | " + " | ".join(f"{table[n][c]:.4f}" for n in table) + f" | {mean[c]:.4f} |")
    lines += ["", f"Chosen by the rule: {label(best)} days.", ""]
    write(out, "prior_weight", "\n".join(lines))
    return 0
