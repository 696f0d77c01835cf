"""ONE vocabulary of factor names: the same factor carries the same name in the exposures table, the attribution,
the stress test's contributions, the report's tables and the workbook (sp500-20, NeuralFactors, 2020-03-16)."""
import io

import pandas as pd
import pytest

from core.data.embedded import load_sp500_20
from core.report import tables
from core.report.page import make_view
from core.report.workbook import build_workbook
from core.workbench import forecasts
from core.workbench.attribution import attribution
from core.workbench.factor_names import factor_names
from core.workbench.vocabulary import model_vocabulary, vocabulary
from core.workbench.stress import stress_tests, windows_in

DATE = "2020-03-16"


@pytest.fixture(scope="module")
def view():
    panel = load_sp500_20()
    return make_view(panel, forecasts(panel, "neuralfactors"), DATE)


def test_every_view_names_the_factors_alike(view):
    names = vocabulary(view.named)
    assert names and any(label.startswith("market") for label in names.values())
    shown = set(names.values())
    assert set(tables.exposures(view).index) == shown
    att = attribution(view.panel, view.forecasts, view.weights, "2020-01-02", DATE, names=names)
    assert shown <= set(att.summary.index) and not set(names) & set(att.summary.index)  # no raw "f4" left
    covid = [w for w in windows_in(view.panel) if "COVID" in w.name]
    (stress,) = stress_tests(view.panel, view.forecasts, DATE, view.weights, covid, names=names)
    assert set(stress.factor_replay.by_factor.index) - {"compounding"} == shown
    book = pd.read_excel(io.BytesIO(build_workbook(view.panel, view.forecasts, DATE)), sheet_name=None)
    assert set(book["Exposures"]["factor"]) == shown
    assert shown <= set(book["Attribution"]["line item"])


def test_the_vocabulary_is_the_exposures_pages_labels_and_empty_without_names(view):
    named = factor_names(view.panel, view.forecasts)
    assert vocabulary(named) == named["label"].to_dict()
    panel = load_sp500_20()
    assert model_vocabulary(panel, forecasts(panel, "ledoit-wolf"), DATE) == {}  # covariance-only: raw names stay


def test_a_shock_names_its_factors_by_the_vocabulary(view):
    from core.workbench.vocabulary import named_forecast
    from core.workbench.shocks import factor_sd, factor_shock

    names = vocabulary(view.named)
    fc = named_forecast(view.series.at(view.date), names)
    market = next(label for label in names.values() if label.startswith("market"))
    res = factor_shock(fc, view.weights, {market: -2 * float(factor_sd(fc)[market])})
    assert set(res.factors.index) == set(names.values()) and market in res.conditions
