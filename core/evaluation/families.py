"""Calibration by portfolio family (core/risk/families.py): does a model's risk hold on books it was not
calibrated on?

For every forecast date t of a split and every book w of a family (gross 1 over the stocks traded at t+1, its
net kept: core.risk.families.on_day),
the PIT F_t(w'r_{t+1}) and whether the loss -w'r_{t+1} exceeded the forecast 99% VaR, all books of a day read
from one call of the distribution's books_pit_var on that day's forecast (one set of factor draws; each book's noise
exact in law, core.forecast.distributions books_draws). Per family:

  calib       calibration error (core.risk.calibration) of the family's PITs pooled over books and days
  var99_rate  share of (book, day) pairs whose loss exceeded the 99% VaR
  lo, hi      the 95% range of var99_rate for a CALIBRATED model with the same books: breaches of overlapping
              books on one day are not independent, so the range is simulated (SIMULATIONS draws) from a
              Gaussian copula whose correlation across books is that of the observed PITs' normal scores
              (one book: the binomial range). A rate outside [lo, hi] rejects the family's 99% VaR at 5%.
  fitted      whether the calibration maps were fitted on this family (FIT_FAMILIES) or never saw it
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from core.errors import ModelError
from core.forecast import ForecastSeries
from core.forecast.univariate import joint_reason
from core.risk.calibration import calibration_error
from core.risk.families import FIT_FAMILIES, FORECAST_FAMILIES, HELD_OUT, books, forecast_books, static_books
from core.risk.recalibration import portfolio_days

LEVEL = 0.99
SAMPLES = 4_000
SIMULATIONS = 2_000
COLUMNS = ["fitted", "books", "days", "calib", "var99_rate", "lo", "hi"]


@dataclass
class FamilyOutcomes:
    """PITs and 99% VaR breaches (T, P) of one family's P books on T days (NaN / False where a book holds no
    traded stock or the day has no outcome)."""

    pits: np.ndarray
    breaches: np.ndarray

    def scores(self, seed: int = 0) -> dict[str, float]:
        held = np.isfinite(self.pits)
        cols = held.any(axis=0)
        pits, held, breaches = self.pits[:, cols], held[:, cols], self.breaches[:, cols]
        days = int(held.any(axis=1).sum())
        rate = float(breaches[held].mean()) if held.any() else float("nan")
        lo, hi = null_range(pits, seed)
        return {"books": int(cols.sum()), "days": days, "calib": calibration_error(pits[held]),
                "var99_rate": rate, "lo": lo, "hi": hi}


def null_range(pits: np.ndarray, seed: int = 0, simulations: int = SIMULATIONS) -> tuple[float, float]:
    """(2.5%, 97.5%) quantiles of the pooled breach rate of books whose PITs (T, P) are uniform, with the
    cross-book correlation of the observed PITs' normal scores (NaN = book not held that day)."""
    held = np.isfinite(pits)
    if not held.any():
        return float("nan"), float("nan")
    z = special.ndtri(np.clip(np.where(held, pits, 0.5), 1e-6, 1 - 1e-6))
    corr = np.atleast_2d(pd.DataFrame(np.where(held, z, np.nan)).corr(min_periods=20).fillna(0.0).to_numpy()).copy()
    np.fill_diagonal(corr, 1.0)
    vals, vecs = np.linalg.eigh(corr)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))  # corr ~= root root'
    rng = np.random.default_rng(seed)
    cut = special.ndtri(1.0 - LEVEL)
    n_held = held.sum()
    rates = np.empty(simulations)
    for s in range(simulations):
        draws = rng.standard_normal((pits.shape[0], root.shape[1])) @ root.T
        rates[s] = ((draws < cut) & held).sum() / n_held
    return float(np.quantile(rates, 0.025)), float(np.quantile(rates, 0.975))


def family_outcomes(panel, series: ForecastSeries, dates: pd.DatetimeIndex, n_samples: int = SAMPLES,
                    seed: int = 0) -> dict[str, FamilyOutcomes]:
    """{family: FamilyOutcomes} for every family of core/risk/families.py on the forecasts at `dates`."""
    why = joint_reason(series)
    if why:
        raise ModelError(f"{series.model}: no portfolio families: {why}")
    sectors = panel.sectors.reindex(panel.tickers)
    fixed = [f for f in FIT_FAMILIES + HELD_OUT if f not in FORECAST_FAMILIES]
    sizes = {f: books(sectors, f).shape[1] for f in fixed} | dict.fromkeys(FORECAST_FAMILIES, 1)
    out = {f: FamilyOutcomes(np.full((len(dates), m), np.nan), np.zeros((len(dates), m), dtype=bool))
           for f, m in sizes.items()}
    weights, nets = static_books(sectors, fixed)
    names = fixed + list(FORECAST_FAMILIES)
    bounds = np.cumsum([0] + [sizes[f] for f in names])
    rets = panel.returns
    for k, fc, w, ok, realised in portfolio_days(panel, series, dates, weights, nets):
        extra = np.concatenate([forecast_books(fc, f) for f in FORECAST_FAMILIES], axis=1)  # (n, E)
        day = rets.index.get_loc(dates[k]) + 1
        outcome = np.r_[realised, rets.iloc[day][fc.tickers].to_numpy(dtype=float) @ extra]
        pit, var = fc.distribution.books_pit_var(fc, np.concatenate([w, extra], axis=1), outcome, LEVEL,
                                                 n_samples, seed + k)
        held = np.r_[ok, np.ones(extra.shape[1], dtype=bool)]
        pits, breaches = np.full(held.size, np.nan), np.zeros(held.size, dtype=bool)
        pits[held], breaches[held] = pit, -outcome > var
        for f, lo, hi in zip(names, bounds[:-1], bounds[1:]):
            out[f].pits[k], out[f].breaches[k] = pits[lo:hi], breaches[lo:hi]
    return out


def family_scores(panel, series: ForecastSeries, dates: pd.DatetimeIndex, n_samples: int = SAMPLES,
                  seed: int = 0) -> pd.DataFrame:
    """One row per family (index), COLUMNS."""
    rows = {f: {"fitted": f in FIT_FAMILIES, **o.scores(seed)}
            for f, o in family_outcomes(panel, series, dates, n_samples, seed).items()}
    return pd.DataFrame.from_dict(rows, orient="index", columns=COLUMNS).rename_axis("family")


def within(row) -> bool:
    """The family's 99% VaR breach rate lies in its 95% range for a calibrated model."""
    return bool(row["lo"] <= row["var99_rate"] <= row["hi"])


def family_table(panel, names: list[str], split: str, root=None, runs: dict[str, str] | None = None,
                 log=None) -> pd.DataFrame:
    """Rows (model, family) of family_scores for every joint model of `names` on a split; a univariate model is
    left out with a line on `log`."""
    import sys

    from core.evaluation.tables import run_of
    from core.workbench.sources import forecast_dates, forecasts

    log = log or sys.stderr
    dates = forecast_dates(panel, split)
    parts = []
    for name in names:
        series = forecasts(panel, name, dates, root, run=run_of(name, runs), log=log).series
        if joint_reason(series):
            print(f"{name}: left out of the families ({joint_reason(series)})", file=log)
            continue
        parts.append(family_scores(panel, series, dates).assign(model=name).reset_index())
    if not parts:
        raise ModelError("no joint model to score portfolio families on; pick models with a joint distribution")
    return pd.concat(parts).set_index(["model", "family"])


def table_markdown(table: pd.DataFrame) -> str:
    """The family table as Markdown, with a verdict column (breach rate inside the calibrated model's range)."""
    lines = ["| model | family | maps fitted on it | books | days | calib | var99_rate | 95% range | verdict |",
             "|---|---|---|---|---|---|---|---|---|"]
    for (model, family), row in table.iterrows():
        verdict = "in range" if within(row) else ("too many breaches" if row["var99_rate"] > row["hi"] else
                                                  "too cautious")
        lines.append(f"| {model} | {family} | {'yes' if row['fitted'] else 'no'} | {row['books']} | {row['days']} | "
                     f"{row['calib']:.4f} | {row['var99_rate']:.4f} | {row['lo']:.4f}-{row['hi']:.4f} | {verdict} |")
    return "\n".join(lines) + "\n"
