"""THE vocabulary of a model's factors: the one name each factor carries on every page, table, CSV, report and
workbook (exposures, attribution, stress contributions, shocks), from core.workbench.factor_names' labels
("f4" -> "market (corr 0.88)"). A factor without a name keeps its raw name everywhere.

The names are fitted on the validation split, in the model's own coordinates, and hold on a date only when
core.workbench.name_check confirms them on it, else they are dropped there, said in the label: THE vocabulary is of a
date (`vocabulary_on`: the sidebar's date on every page, the view's date in the report and the CLI). A model whose
factors rotate from one fit to the next (PCA, PPCA: refitted on every date, no realised factor returns in one set of
coordinates) has no vocabulary: its raw names everywhere, and names on the Factor exposures page for the date shown
only (name_check.names_on)."""
from __future__ import annotations

from dataclasses import replace
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


def vocabulary_on(panel, forecasts: Forecasts, date, named: Callable[[], pd.DataFrame]) -> dict[str, str]:
    """`vocabulary` on `date`: of the names fitted on validation (`named()`, e.g. a cached `factor_names`) that hold
    on it (core.workbench.name_check.names_on); {} for a model whose factors cannot be named (covariance-only,
    univariate, rotating, no validation split) or checked on the date (NotAvailable)."""
    try:
        return vocabulary(names_on(panel, forecasts, date, named()))
    except NotAvailable:
        return {}


def model_vocabulary(panel, forecasts: Forecasts, date, root: str | Path | None = None) -> dict[str, str]:
    """`vocabulary_on` `date` of the model's `factor_names` (the shipped outputs under `root`)."""
    return vocabulary_on(panel, forecasts, date, lambda: factor_names(panel, forecasts, root))


def named_forecast(fc, names: dict[str, str]):
    """The forecast `fc` (a FactorForecast) with its factors called by the vocabulary `names` (what shocks and
    their results show)."""
    return replace(fc, factor_names=[names.get(str(f), str(f)) for f in fc.factor_names])
