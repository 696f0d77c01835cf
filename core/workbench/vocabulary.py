"""THE vocabulary of a model's factors: the one name each factor carries on every page, table, CSV, report and workbook
(exposures, attribution, stress contributions, shocks), from core.workbench.factor_names' labels ("f4" -> "market
(corr 0.88)"). A factor without a name keeps its raw name everywhere.

The names are fitted on the validation split, in the model's own coordinates, and hold on a date only when
core.workbench.name_check confirms them on it, else they are dropped there, said in the label: THE vocabulary is of a
date (`dated_names`, `model_vocabulary`: the sidebar's date on every page, the view's date in the report and the
CLI). A model whose factors rotate from one fit to the next (PCA, PPCA: refitted on every date, no realised factor
returns in one set of coordinates) has no vocabulary: its raw names everywhere, and names on the Factor exposures
page and in the Lab for the date shown only (`dated_names`, which the dashboard caches once per date for all of
them)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import pandas as pd

from core.errors import NotAvailable
from core.workbench.factor_names import factor_names
from core.workbench.name_check import names_on
from core.workbench.sources import Forecasts


def vocabulary(named: pd.DataFrame | None) -> dict[str, str]:
    """THE name of each factor on every page, table, CSV and workbook: raw factor name -> named["label"] (e.g. "f4"
    -> "market (corr 0.88)"); {} when the model's factors have no names (their raw names are used everywhere)."""
    return {} if named is None else {str(k): str(v) for k, v in named["label"].items()}


@dataclass(frozen=True)
class DatedNames:
    """The factors' names on one date. fitted: the names fitted on validation (core.workbench.factor_names' table;
    None, with `why_fitted`, where the model's factors cannot be named there); dated: those that hold on the date
    (core.workbench.name_check.names_on; where `fitted` is None, the factors named on the date itself; None, with
    `why_dated`, where neither can be done)."""

    fitted: pd.DataFrame | None
    dated: pd.DataFrame | None
    why_fitted: str = ""
    why_dated: str = ""

    @property
    def vocabulary(self) -> dict[str, str]:
        """THE vocabulary on the date: `vocabulary` of the fitted names that hold on it; {} for a model whose factors
        cannot be named on validation (covariance-only, univariate, rotating, no validation split) or checked."""
        return {} if self.fitted is None else vocabulary(self.dated)


def dated_names(panel, forecasts: Forecasts, date, named: Callable[[], pd.DataFrame]) -> DatedNames:
    """The factors' names on `date`: `named()` (e.g. a cached `factor_names`) checked on it (names_on)."""
    try:
        fitted, why_fitted = named(), ""
    except NotAvailable as exc:
        fitted, why_fitted = None, str(exc)
    try:
        return DatedNames(fitted, names_on(panel, forecasts, date, fitted), why_fitted)
    except NotAvailable as exc:
        return DatedNames(fitted, None, why_fitted, str(exc))


def model_vocabulary(panel, forecasts: Forecasts, date, root: str | Path | None = None) -> dict[str, str]:
    """THE vocabulary on `date` (`DatedNames.vocabulary`) of the model's `factor_names` (the shipped outputs under
    `root`); {} at once where the model's factors have no names fitted on validation (nothing to check on the date)."""
    try:
        fitted = factor_names(panel, forecasts, root)
    except NotAvailable:
        return {}
    return dated_names(panel, forecasts, date, lambda: fitted).vocabulary


def named_forecast(fc, names: dict[str, str]):
    """The forecast `fc` (a FactorForecast) with its factors called by the vocabulary `names` (what shocks and
    their results show)."""
    return replace(fc, factor_names=[names.get(str(f), str(f)) for f in fc.factor_names])
