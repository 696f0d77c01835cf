"""The model contract: the `RiskModel` protocol, and `BaseRiskModel` with the capability
attributes every model declares on its class (the registry and the application layer read them;
nothing else keeps lists of model names).

Every model, learned or classical: `fit(panel, train_dates, valid_dates)`, `forecast(panel, date)
-> FactorForecast` (for the date after `date`, from data up to its close), `forecast_series`,
`save(dir)` / `load(dir)`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd

from core.forecast import FactorForecast, ForecastSeries


@runtime_checkable
class RiskModel(Protocol):
    """What every model implements. `fit` sees only train and validation dates; `forecast`
    for `date` uses only data up to the close of `date` and describes r at the next date."""

    name: str

    def fit(self, panel, train_dates: pd.DatetimeIndex, valid_dates: pd.DatetimeIndex) -> "RiskModel": ...

    def forecast(self, panel, date) -> FactorForecast: ...

    def forecast_series(self, panel, dates) -> ForecastSeries: ...

    def save(self, path: str | Path) -> None: ...

    @classmethod
    def load(cls, path: str | Path) -> "RiskModel": ...


class BaseRiskModel:
    """Convenience base: capability defaults and `forecast_series` by looping `forecast`."""

    name = "base"
    #: readable name for pages and reports (the registry key stays `name`)
    label = ""
    #: one line for `neuralfactors models` and tooltips
    description = ""
    #: trained by gradient descent: never fitted on the spot, only shipped or loaded from a run
    learned = False
    #: trained in steps with checkpoints (takes preset, max_steps, device, resume, seed)
    step_trained = False
    #: a shipped network scores a universe it never saw (no training on the user's data)
    zero_shot = False
    #: fits in seconds on any data, so views offer it on every dataset
    quick_fit = False
    #: forecasts a joint distribution across stocks (False: univariate marginals only)
    joint = True
    #: its exposures are factors with a meaning (False: covariance-only or univariate)
    has_factors = True
    #: given each stock's sector as an input, so its exposures cluster by sector partly by construction
    sector_input = False

    @classmethod
    def build_settings(cls, max_steps: int | None, device: str, work_dir: Path) -> dict:
        """Keyword settings for a pretrained build (core.build); classical models use their defaults."""
        return {}

    def forecast_series(self, panel, dates) -> ForecastSeries:
        fcs = [self.forecast(panel, d) for d in dates]
        return ForecastSeries.stack(fcs, panel.tickers)
