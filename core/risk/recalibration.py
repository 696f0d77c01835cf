"""Fit the portfolio calibration layer (forecast/recalibrated.py) of any joint forecast series.

Kuleshov et al. (2018): if the PIT values u = F(x) of a forecast are not uniform, the map
R(u) = P(U <= u), estimated from past PITs, makes R(F(x)) calibrated. Here the PITs come from many
reference books at once (the long-only and long-short families of core/risk/families.py, each at a gross
of 1), so the map is never learned from the portfolio being scored alone, and families it never saw
(pairs, sector bets, concentrated, 130/30, minimum variance) judge whether it carries beyond them. No look-ahead: the map used for the forecast
made at the close of t is fitted on PITs of forecasts s < t (their outcome, day s+1, is known at t);
it is refitted every `refit_every` days from all PITs since `start` (an expanding window), and is the
identity until `min_days` days of PITs exist. sklearn's IsotonicRegression makes the map monotone.

`fit_layer` composes the whole calibration layer of a "<model>+cal" variant: for models that take it, the
covariance update first (core/risk/covariance_update.py), then the PIT maps fitted on the updated forecasts.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from core.errors import ModelError
from core.forecast import ForecastSeries, restrict
from core.forecast.distributions import factor_share
from core.forecast.recalibrated import PIT_KNOTS
from core.parallel import thread_map
from core.risk import covariance_update
from core.risk import families
from core.risk.families import net_of, on_day, reference_books

REFIT_EVERY = 21
#: days of a file's own PITs before its maps start (benchmarks/prior_weight.py: own maps after 21 days beat the
#: identity, and every prior weight, on every tuning file)
MIN_DAYS = 21
PIT_SAMPLES = 2_000
#: version of the books the maps are fitted on (core/risk/families.py FIT_FAMILIES)
REFERENCE_FAMILIES = 3
#: a file's start from a prior map (the model's map on the data it ships on): its weight in days of the file's own
#: PITs once those enter (chosen on other data: benchmarks/prior_weight.py)
PRIOR_DAYS = 21.0
#: the maps by factor share: the pooled map's weight, as a share of the observations (fit_map)
SHARE_RIDGE = 0.05
#: version of the maps' form (2: two rows, mixed by the book's factor share)
MAP_FORM = 2
#: version of how the PITs are drawn (3: the distribution's books_pits, closed form for a Normal forecast, else
#: books_draws, whose noise is a Normal per book given the held stocks' variance multipliers where books are fewer
#: than the stocks they hold and per stock otherwise; a family that holds every stock draws as before the held-only
#: rule; 2 always per book; 1 drew every stock's Student-t)
PIT_DRAWS = 3


def portfolio_days(panel, series: ForecastSeries, dates: pd.DatetimeIndex, weights: np.ndarray,
                   nets: np.ndarray | None = None):
    """For each forecast date with an outcome, yield (k, fc, w, ok, realised): k its position in `dates`,
    fc the forecast restricted to the n stocks traded at t+1, w (n, P') the books `ok` (P,) of weights (N, P)
    over panel.tickers held that day (core.risk.families.on_day: gross 1, each keeping its net, nets (P,) or
    the books' own), realised (P',) = w'r_{t+1}."""
    nets = net_of(weights) if nets is None else nets
    col = {t: i for i, t in enumerate(panel.tickers)}
    rets = panel.returns.to_numpy(dtype=float)
    for k, (d, p) in enumerate(zip(dates, panel.dates.get_indexer(dates))):
        if p < 0 or p + 1 >= len(rets):
            continue
        fc = series.at(d)
        keep = [t for t in fc.tickers if t in col and np.isfinite(rets[p + 1, col[t]])]
        if not keep:
            continue
        idx = np.array([col[t] for t in keep])
        w, ok = on_day(weights[idx], nets)
        yield k, restrict(fc, keep), w, ok, rets[p + 1, idx] @ w


def portfolio_pits(panel, series: ForecastSeries, dates: pd.DatetimeIndex, weights: np.ndarray,
                   n_samples: int = PIT_SAMPLES, seed: int = 0, nets: np.ndarray | None = None) -> np.ndarray:
    """PIT values (T, P): the forecast CDF at each date of each portfolio's realised next-day return (the raw
    distribution's `books_pits`: closed form, or n_samples draws seeded per day, so the days run on threads:
    core/parallel.py); NaN where a portfolio holds no stock or there is no outcome."""
    def pits(day) -> tuple:
        k, fc, w, ok, realised = day
        return k, ok, fc.distribution.books_pits(fc, w, realised, n_samples, seed + k)

    out = np.full((len(dates), weights.shape[1]), np.nan)
    for k, ok, values in thread_map(pits, portfolio_days(panel, series, dates, weights, nets)):
        out[k, ok] = values
    return out


def portfolio_shares(panel, series: ForecastSeries, dates: pd.DatetimeIndex, weights: np.ndarray,
                     nets: np.ndarray | None = None) -> np.ndarray:
    """Factor shares of forecast variance (T, P) of the books of portfolio_pits (NaN where those are)."""
    out = np.full((len(dates), weights.shape[1]), np.nan)
    for k, fc, w, ok, _ in portfolio_days(panel, series, dates, weights, nets):
        out[k, ok] = factor_share(fc, w)
    return out


def fit_map(pits: np.ndarray, shares: np.ndarray | None = None) -> np.ndarray:
    """Map values (2, K) at PIT_KNOTS from PIT values (any shape; NaN ignored) and, where given, the books'
    factor shares of variance (same shape). Pooled: the isotonic fit of the PITs' empirical CDF, pinned to 0
    at 0 and 1 at 1, twice. With shares: P(PIT <= u | s) = (1 - s) R_0(u) + s R_1(u) at each knot u by least
    squares, shrunk toward the pooled map with SHARE_RIDGE of the observations' weight, then made monotone
    (forecast/recalibrated.py book_maps reads the two rows)."""
    pits = np.asarray(pits, dtype=np.float64)
    ok = np.isfinite(pits) if shares is None else np.isfinite(pits) & np.isfinite(shares)
    kept = pits[ok]
    order = np.argsort(kept, kind="stable")
    u = kept[order]
    if u.size == 0:
        raise ModelError("no PIT values to fit a calibration map on; the window has no forecasts with outcomes")
    ecdf = (np.arange(1, u.size + 1) - 0.5) / u.size
    pooled = _monotone(np.r_[0.0, u, 1.0], np.r_[0.0, ecdf, 1.0])
    if shares is None:
        return np.stack([pooled, pooled])
    s = np.clip(np.asarray(shares, dtype=np.float64)[ok][order], 0.0, 1.0)
    x = np.stack([1.0 - s, s], axis=1)  # (M, 2), in the PITs' order
    # x' 1[PIT <= knot] (2, K): the running sums of x up to the last PIT at or below each knot (not an (M, K) matrix)
    below = np.vstack([np.zeros(2), np.cumsum(x, axis=0)])[np.searchsorted(u, PIT_KNOTS, side="right")].T
    ridge = SHARE_RIDGE * u.size
    rows = np.linalg.solve(x.T @ x + ridge * np.eye(2), below + ridge * pooled[None, :])  # (2, K)
    return np.stack([_monotone(PIT_KNOTS, row) for row in rows])


def _monotone(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The isotonic fit of y on x in [0, 1], read at PIT_KNOTS, nondecreasing, 0 at 0 and 1 at 1."""
    from sklearn.isotonic import IsotonicRegression  # imported on use: sklearn imports scipy.stats (most of a second)

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(x, y)
    values = np.maximum.accumulate(iso.predict(PIT_KNOTS))
    values[0], values[-1] = 0.0, 1.0
    return values


def rolling_maps(pits: np.ndarray, start: int, refit_every: int = REFIT_EVERY, min_days: int = MIN_DAYS,
                 prior: np.ndarray | None = None, prior_days: float = PRIOR_DAYS,
                 shares: np.ndarray | None = None) -> np.ndarray:
    """Maps (T, 2, K) for T forecast dates from PITs (T, P) (and the books' factor shares (T, P), fit_map): row t
    fitted on PIT rows start..t-1 (those with an outcome known at t), refitted every `refit_every` rows; identity
    before start + min_days. With a `prior` map (2, K) (a short file's start: the model's map fitted on other data), row t is the mix
    (prior_days * prior + n * own) / (prior_days + n) of the prior and the map `own` of the n = t - start days of
    the file's own PITs, so the file's outcomes take over as they accumulate: the prior alone (instead of the
    identity) until min_days rows exist, refitted every `refit_every` rows after that."""
    t_all = pits.shape[0]
    maps = np.broadcast_to(PIT_KNOTS, (t_all, 2, PIT_KNOTS.size)).copy()
    if prior is not None:
        maps[start:] = prior
    first = start + min_days
    current = None
    for t in range(first, t_all):
        if current is None or (t - first) % refit_every == 0:
            own, n = fit_map(pits[start:t], None if shares is None else shares[start:t]), t - start
            current = own if prior is None else (prior_days * prior + n * own) / (prior_days + n)
        maps[t] = current
    return maps


def recalibrate(panel, series: ForecastSeries, start, n_samples: int = PIT_SAMPLES, seed: int = 0,
                refit_every: int = REFIT_EVERY, min_days: int = MIN_DAYS, prior: np.ndarray | None = None) -> ForecastSeries:
    """The series with its calibration layer: PITs of the reference portfolios from the forecast date
    `start` on (e.g. the first validation date: earlier forecasts may be in-sample), maps by rolling_maps
    (from `prior` (K,) where given)."""
    if not series.joint:
        raise ModelError(f"{series.model}: the calibration layer needs a joint model (its portfolio distribution)")
    first = int(series.dates.searchsorted(pd.Timestamp(start)))
    if first >= len(series.dates):
        raise ModelError(f"no forecasts of {series.model} on or after {pd.Timestamp(start).date()} to calibrate on")
    if len(series.dates) - first <= min_days:  # no date has enough past PITs: identity (or prior) maps, no draws
        return replace(series, pit_map=rolling_maps(np.zeros((len(series.dates), 1)), first, refit_every, min_days,
                                                    prior))
    w, nets = reference_books(panel.sectors.reindex(panel.tickers))
    pits, shares = np.full((2, len(series.dates), w.shape[1]), np.nan)
    raw = replace(series, pit_map=None)
    pits[first:] = portfolio_pits(panel, raw, series.dates[first:], w, n_samples, seed, nets)
    shares[first:] = portfolio_shares(panel, raw, series.dates[first:], w, nets)
    return replace(series, pit_map=rolling_maps(pits, first, refit_every, min_days, prior, shares=shares))


def prior_map(panel, series: ForecastSeries, dates: pd.DatetimeIndex) -> np.ndarray:
    """A model's prior map (2, K) for files it was not fitted on: the map of its RAW forecasts' reference-book PITs
    at `dates` (e.g. every validation forecast of the data it ships on)."""
    raw, (w, nets) = replace(series, pit_map=None), reference_books(panel.sectors.reindex(panel.tickers))
    return fit_map(portfolio_pits(panel, raw, dates, w, nets=nets), portfolio_shares(panel, raw, dates, w, nets))


def layer_settings(half_life: float | None) -> np.ndarray:
    """Everything a fitted layer depends on besides the forecasts, (14,): the update's half-life (-1: no update),
    its EM steps, shrinkage days, burn-in and refit interval, then the maps' burn-in, refit interval, random
    books per family, draws, the version of the reference families (3: long-only and long-short, drawn per ticker), and a short
    file's prior weight, then the maps' share ridge and form, and how the PITs are drawn. A stored layer whose
    settings differ is refitted (core.workbench.sources)."""
    return np.array([-1.0 if half_life is None else half_life, covariance_update.EM_STEPS,
                     covariance_update.SHRINK_DAYS, covariance_update.MIN_DAYS, covariance_update.REFIT_EVERY,
                     MIN_DAYS, REFIT_EVERY, families.N_RANDOM, PIT_SAMPLES, REFERENCE_FAMILIES,
                     PRIOR_DAYS, SHARE_RIDGE, MAP_FORM, PIT_DRAWS], dtype=np.float64)


@dataclass
class Layer:
    """A series' calibration layer: PIT maps (T, 2, K) and, when the model takes the covariance update, its
    corrections factor (T, F, F) and ratio (T, N) (covariance_update.fit_corrections), None otherwise;
    settings (layer_settings) of the fit."""

    pit_map: np.ndarray
    factor: np.ndarray | None = None
    ratio: np.ndarray | None = None
    settings: np.ndarray | None = None

    def fits(self, series: ForecastSeries, half_life: float | None) -> bool:
        """The layer was fitted with today's settings for `half_life` on a series shaped like `series`."""
        t, n, f = series.exposures.shape
        return (self.settings is not None and np.array_equal(self.settings, layer_settings(half_life))
                and self.pit_map.shape[0] == t and (self.factor is None) == (half_life is None)
                and (self.factor is None or (self.factor.shape == (t, f, f) and self.ratio.shape == (t, n))))

    def apply(self, series: ForecastSeries) -> ForecastSeries:
        """`series` (the raw forecasts the layer was fitted on, same dates) through the layer."""
        if len(self.pit_map) != len(series.dates):
            raise ModelError(f"calibration layer of {len(self.pit_map)} dates for {len(series.dates)} forecasts; "
                             "rebuild it (neuralfactors pretrained build)")
        out = series if self.factor is None else covariance_update.corrected(series, self.factor, self.ratio)
        return replace(out, pit_map=self.pit_map)

    def updated(self) -> np.ndarray:
        """(T,) dates whose covariance the update changed."""
        if self.factor is None:
            return np.zeros(len(self.pit_map), dtype=bool)
        return np.any(self.factor != np.eye(self.factor.shape[1]), axis=(1, 2)) | np.any(self.ratio != 1, axis=1)


def fit_layer(panel, series: ForecastSeries, start, half_life: float | None = None,
              prior: np.ndarray | None = None) -> Layer:
    """The calibration layer of `series` from forecast date `start` on: the covariance update with EWMA
    `half_life` days (None: no update), then the PIT maps of the (updated) forecasts, starting from the
    `prior` map (K,) where given (a file the model was not calibrated on; rolling_maps)."""
    factor = ratio = None
    if half_life is not None:
        factor, ratio = covariance_update.fit_corrections(panel, series, start, half_life)
        series = covariance_update.corrected(series, factor, ratio)
    return Layer(recalibrate(panel, series, start, prior=prior).pit_map, factor, ratio, layer_settings(half_life))
