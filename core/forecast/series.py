"""`ForecastSeries`: forecasts for many dates stacked, what evaluation, the shipped outputs and
the dashboard read. `.at(date)` gives one `FactorForecast`; storage is in core.forecast.storage."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ModelError
from core.forecast.factor_forecast import FactorForecast
from core.forecast.portfolio_garch import History


@dataclass
class ForecastSeries:
    """Forecasts for many dates, stacked (what evaluation, pretrained files and the dashboard use).

    dates: (T,) forecast dates (close of t, for t+1); tickers: N names; mean, idio_var: (T, N)
    with NaN where a stock has no forecast; exposures: (T, N, F); factor_cov: (T, F, F);
    factor_dof: (T, F) and idio_dof: (T, N) for Student-t. F is fixed across dates.
    history: the panel's returns the forecasts of a univariate model read for portfolio numbers (not stored;
    given by `with_history`), shared by every `.at(date)` with its cache of fits.
    """

    dates: pd.DatetimeIndex
    tickers: list[str]
    mean: np.ndarray
    exposures: np.ndarray
    factor_cov: np.ndarray
    idio_var: np.ndarray
    family: str = "normal"
    factor_dof: np.ndarray | None = None
    idio_dof: np.ndarray | None = None
    joint: bool = True
    model: str = ""
    factor_names: list[str] = field(default_factory=list)
    pit_map: np.ndarray | None = None  # (T, 2, K) calibration maps (forecast/recalibrated.py), None when raw
    history: History | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.dates)

    @property
    def n_factors(self) -> int:
        return self.exposures.shape[2]

    def with_history(self, returns: pd.DataFrame) -> "ForecastSeries":
        """The series given the panel's returns (dates x tickers), the information a univariate model's portfolio
        rule reads (core.forecast.univariate), with a fresh cache of fits shared by its dates."""
        return replace(self, history=History(returns))

    def at(self, date) -> FactorForecast:
        """The forecast made at the close of `date`, restricted to stocks that have one."""
        try:  # get_loc: the index's hash table, 1-2 us a date where get_indexer([date]) takes ~60 us
            pos = self.dates.get_loc(pd.Timestamp(date))
        except KeyError:
            pos = -1
        if not isinstance(pos, (int, np.integer)):
            raise ModelError(f"the forecasts of {self.model or 'this model'} hold {pd.Timestamp(date).date()} more "
                             "than once; a series has one forecast per date")
        if pos < 0:
            raise ModelError(
                f"no forecast of {self.model or 'this model'} at {pd.Timestamp(date).date()}; "
                f"forecasts exist for {self.dates[0].date()}..{self.dates[-1].date()}"
            )
        ok = np.isfinite(self.mean[pos]) & np.isfinite(self.idio_var[pos])
        idx = np.flatnonzero(ok)
        return FactorForecast(
            date=self.dates[pos], tickers=[self.tickers[i] for i in idx], mean=self.mean[pos, idx],
            exposures=self.exposures[pos][idx], factor_cov=self.factor_cov[pos], idio_var=self.idio_var[pos, idx],
            family=self.family,
            factor_dof=None if self.factor_dof is None else self.factor_dof[pos],
            idio_dof=None if self.idio_dof is None else self.idio_dof[pos, idx],
            joint=self.joint, model=self.model, factor_names=list(self.factor_names),
            pit_map=None if self.pit_map is None else self.pit_map[pos], history=self.history,
        )

    def select(self, dates) -> "ForecastSeries":
        """The series at `dates` only (each must have a forecast), in that order."""
        dates = pd.DatetimeIndex(dates)
        pos = self.dates.get_indexer(dates)
        if (pos < 0).any():
            raise ModelError(f"no forecast of {self.model or 'this model'} at {dates[pos < 0][0].date()}; "
                             f"forecasts exist for {self.dates[0].date()}..{self.dates[-1].date()}")
        pick = {k: getattr(self, k)[pos] for k in ("mean", "exposures", "factor_cov", "idio_var", "factor_dof",
                                                 "idio_dof", "pit_map") if getattr(self, k) is not None}
        return replace(self, dates=dates, **pick)

    @classmethod
    def stack(cls, forecasts: list[FactorForecast], tickers: list[str]) -> "ForecastSeries":
        """Stack per-date forecasts (each on a subset of `tickers`) into one series. A date with
        fewer factors than the widest (e.g. a dense-covariance model on fewer stocks) is padded
        with factors of zero exposure and unit variance, which changes no distribution."""
        if not forecasts:
            raise ModelError("no forecasts to stack")
        t, n = len(forecasts), len(tickers)
        f = max(fc.n_factors for fc in forecasts)
        col = {tk: i for i, tk in enumerate(tickers)}
        mean = np.full((t, n), np.nan)
        var = np.full((t, n), np.nan)
        expo = np.zeros((t, n, f))
        fcov = np.broadcast_to(np.eye(f), (t, f, f)).copy()
        student = forecasts[0].factor_dof is not None  # dofs to stack
        calibrated = forecasts[0].pit_map is not None
        fdof = np.full((t, f), np.inf) if student else None
        idof = np.full((t, n), np.nan) if student else None
        for k, fc in enumerate(forecasts):
            idx = np.array([col[tk] for tk in fc.tickers], dtype=int)
            g = fc.n_factors
            mean[k, idx], var[k, idx], expo[k, idx, :g] = fc.mean, fc.idio_var, fc.exposures
            fcov[k, :g, :g] = fc.factor_cov
            if student:
                fdof[k, :g], idof[k, idx] = fc.factor_dof, fc.idio_dof
        widest = max(forecasts, key=lambda fc: fc.n_factors)
        first = forecasts[0]
        return cls(
            dates=pd.DatetimeIndex([fc.date for fc in forecasts]), tickers=list(tickers), mean=mean,
            exposures=expo, factor_cov=fcov, idio_var=var, family=first.family, factor_dof=fdof,
            idio_dof=idof, joint=first.joint, model=first.model, factor_names=list(widest.factor_names),
            pit_map=np.stack([fc.pit_map for fc in forecasts]) if calibrated else None,
        )

    def save(self, directory: str | Path, extra_meta: dict[str, Any] | None = None) -> None:
        """Write DIR/forecasts.safetensors + DIR/forecasts.json atomically (core.forecast.storage)."""
        from core.forecast.storage import save_series

        save_series(self, directory, extra_meta)

    @classmethod
    def load(cls, directory: str | Path) -> "ForecastSeries":
        from core.forecast.storage import load_series

        return cls(**load_series(directory))
