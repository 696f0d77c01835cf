"""The dashboard's caches: st.cache_* wrappers around core.workbench keyed by the sidebar's strings (dataset key,
model key, date; grammar: core.workbench.keys) and `scope`, filled by dashboard.ownership.scoped (the user's id where
the user's own upload or run is involved, after checking it is theirs). No maths, no parsing: pages import core names
directly and ask here for what is worth caching; uploaded files live in dashboard/uploads.py."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core import store
from core.data.embedded import DATASETS, load_dataset
from core.data.panel import Panel
from core.evaluation import tables as evaluation
from core.forecast import FactorForecast
from core.workbench import (ablation, attribution as attributions, backtests, clusters, components as pcs,
                            covariance, dates, horizon, keys, portfolios, precomputed, reference_shocks as refshocks,
                            scenarios as draws, shocks, sources, vocabulary)
from dashboard import uploads
from dashboard.ownership import scoped


@scoped
@st.cache_resource(show_spinner="Loading data ...")
def panel(scope: str, dataset: str) -> Panel:
    """The Panel of a dataset key: the user's upload (NotYours for another user's), else embedded."""
    if not keys.parse_dataset(dataset).is_upload:
        return load_dataset(dataset)
    return uploads.get(dataset)


@scoped
@st.cache_resource(max_entries=16)
def fingerprint(scope: str, dataset: str) -> str:
    """The dataset's Panel.fingerprint (a hash of every return), once per server: sources.model_keys takes it."""
    return panel(dataset).fingerprint()


@scoped
@st.cache_resource(show_spinner="Computing forecasts ...", max_entries=24)
def forecasts(scope: str, dataset: str, model: str) -> sources.Forecasts:
    """The model's forecasts on the dataset (core.workbench.sources): .series, .note, .notes, .model. A "+cal" key
    lays the layer on its base model's cached forecasts (one network pass serves the raw and the calibrated key)."""
    if (key := keys.parse_model(model)).calibrated:
        return sources.calibrated(panel(dataset), key, forecasts(dataset, key.base))
    return sources.forecasts(panel(dataset), model)


@scoped
@st.cache_resource(max_entries=24)
def views(scope: str, dataset: str, model: str) -> precomputed.Views:
    """The precomputed views shipped for (dataset, model), when their fingerprint matches (else none)."""
    return precomputed.load(panel(dataset), forecasts(dataset, model))


@scoped
@st.cache_resource(max_entries=24)
def forecast_dates(scope: str, dataset: str, model: str) -> list[str]:
    return list(forecasts(dataset, model).series.dates.strftime("%Y-%m-%d"))


@scoped
@st.cache_resource(max_entries=64)
def forecast_at(scope: str, dataset: str, model: str, date: str) -> FactorForecast:
    return forecasts(dataset, model).series.at(date)


@scoped
@st.cache_data(max_entries=64)
def window(scope: str, dataset: str, model: str, part: str) -> pd.DatetimeIndex:
    return dates.window(panel(dataset), forecasts(dataset, model).series, part)


@scoped
@st.cache_data(show_spinner="Building the portfolio ...", max_entries=256)
def portfolio_weights(scope: str, dataset: str, model: str, date: str, kind: str, custom: str = "") -> pd.Series:
    return portfolios.named_portfolio(panel(dataset), forecast_at(dataset, model, date), kind, custom)


@scoped
@st.cache_data(show_spinner="Optimising ...", max_entries=256)
def optimise(scope: str, dataset: str, model: str, date: str, objective: str,
             risk_aversion: float = portfolios.MV_RISK_AVERSION, **cons) -> pd.Series:
    return portfolios.optimise(panel(dataset), forecast_at(dataset, model, date), objective, risk_aversion, **cons)


@scoped
@st.cache_data(show_spinner="Tracing the efficient frontier ...", max_entries=64)
def frontier(scope: str, dataset: str, model: str, date: str, **cons) -> pd.DataFrame:
    return portfolios.frontier(panel(dataset), forecast_at(dataset, model, date), **cons)


@scoped
@st.cache_data(show_spinner=False, max_entries=512)
def risk(scope: str, dataset: str, model: str, date: str, weights: pd.Series) -> portfolios.Risk:
    return portfolios.portfolio_risk(panel(dataset), forecast_at(dataset, model, date), weights)


@scoped
@st.cache_data(show_spinner="Computing exposures over time ...", max_entries=64)
def exposures_over_time(scope: str, dataset: str, model: str, part: str, weights: pd.Series) -> pd.DataFrame:
    return precomputed.serve(views(dataset, model), panel(dataset), forecasts(dataset, model), "exposures_over_time",
                             part=part, weights=weights)


@scoped
@st.cache_data(show_spinner="Estimating factor returns ...", max_entries=32)
def factor_returns(scope: str, dataset: str, model: str, part: str) -> pd.DataFrame:
    return precomputed.serve(views(dataset, model), panel(dataset), forecasts(dataset, model), "factor_returns",
                             part=part)


@scoped
@st.cache_data(show_spinner="Naming the factors ...", max_entries=32)
def factor_names(scope: str, dataset: str, model: str) -> pd.DataFrame:
    return precomputed.serve(views(dataset, model), panel(dataset), forecasts(dataset, model), "factor_names")


@scoped
@st.cache_data(show_spinner="Naming the factors ...", max_entries=64)
def dated_names(scope: str, dataset: str, model: str, date: str) -> vocabulary.DatedNames:
    """The factors' names on `date` from the cached `factor_names` (core.workbench.vocabulary.dated_names); its
    .vocabulary is THE one name of each factor on every page."""
    return vocabulary.dated_names(panel(dataset), forecasts(dataset, model), date, lambda: factor_names(dataset, model))


@scoped
@st.cache_data(show_spinner="Regressing the factors' references ...", max_entries=64)
def shock_references(scope: str, dataset: str, model: str, date: str):
    return refshocks.model_references(panel(dataset), forecast_at(dataset, model, date),
                                      lambda: factor_names(dataset, model))


@scoped
@st.cache_data(show_spinner="Conditioning on the shock ...", max_entries=64)
def shock(scope: str, dataset: str, model: str, date: str, weights: pd.Series, moves: tuple, latent: bool = False):
    """The book given `moves` ((name, value), ...): of the factors' references, or (`latent`) of the factors."""
    fc = vocabulary.named_forecast(forecast_at(dataset, model, date), dated_names(dataset, model, date).vocabulary)
    if latent:
        return shocks.factor_shock(fc, weights, dict(moves))
    return refshocks.reference_shock(fc, weights, shock_references(dataset, model, date), dict(moves))


@scoped
@st.cache_data(max_entries=64)
def sector_input(scope: str, dataset: str, model: str) -> bool:
    """The model is given each stock's sector (core.workbench.capabilities.sector_input; its network loaded)."""
    return precomputed.serve(views(dataset, model), panel(dataset), forecasts(dataset, model), "sector_input")


@scoped
@st.cache_data(show_spinner="Scoring the network trained without the sector input ...", max_entries=64)
def sector_scores(scope: str, dataset: str, model: str, date: str) -> ablation.Scores:
    """kNN sector accuracy on `date` with and without the sector input (NotAvailable unless shipped NeuralFactors)."""
    return precomputed.serve(views(dataset, model), panel(dataset), forecasts(dataset, model), "sector_scores",
                             date=date)


@scoped
@st.cache_data(show_spinner="Scoring the network trained without the sector input ...", max_entries=16)
def split_sector_scores(scope: str, dataset: str, model: str, part: str) -> ablation.Scores | None:
    return precomputed.serve(views(dataset, model), panel(dataset), forecasts(dataset, model), "split_sector_scores",
                             part=part)


@scoped
@st.cache_data(show_spinner="Computing principal components of the forecast covariance ...", max_entries=16)
def components(scope: str, dataset: str, model: str, part: str) -> pcs.Components:
    """The sign-fixed principal components of the forecast covariance over the split (models without factors)."""
    return pcs.principal_components(forecasts(dataset, model).series, window(dataset, model, part))


@scoped
@st.cache_data(show_spinner="Computing VaR over time ...", max_entries=64)
def var_series(scope: str, dataset: str, model: str, part: str, weights: pd.Series) -> pd.DataFrame:
    return precomputed.serve(views(dataset, model), panel(dataset), forecasts(dataset, model), "var_series",
                             part=part, weights=weights)


@scoped
@st.cache_data(show_spinner="Simulating VaR over 1, 10 and 21 days ...", max_entries=256)
def horizon_table(scope: str, dataset: str, model: str, date: str, weights: pd.Series) -> pd.DataFrame:
    return horizon.horizon_table(panel(dataset), forecast_at(dataset, model, date), weights)


@scoped
@st.cache_data(show_spinner="Simulating 10- and 21-day paths at each date of the split ...", max_entries=32)
def horizon_series(scope: str, dataset: str, model: str, part: str, weights: pd.Series) -> dict[int, pd.DataFrame]:
    return horizon.horizon_series(panel(dataset), forecasts(dataset, model).series, window(dataset, model, part),
                                  weights)


@scoped
@st.cache_data(show_spinner="Sampling scenarios ...", max_entries=64)
def scenarios(scope: str, dataset: str, model: str, date: str, weights: pd.Series, n: int = 20_000):
    return draws.scenarios(panel(dataset), forecast_at(dataset, model, date), weights, n)


@scoped
@st.cache_data(show_spinner="Backtesting ...", max_entries=32)
def backtest(scope: str, dataset: str, model: str, part: str, weights: pd.Series, optimised: bool = False) -> dict:
    return backtests.backtest(panel(dataset), forecasts(dataset, model).series, window(dataset, model, part), weights,
                              optimised and _optimised(dataset, model, part))  # once per model and split


@scoped
@st.cache_data(show_spinner="Re-optimising every day of the split (once per model) ...", max_entries=16)
def _optimised(scope: str, dataset: str, model: str, part: str) -> dict:
    return backtests.optimised_strategies(forecasts(dataset, model).series, window(dataset, model, part))


@scoped
@st.cache_data(show_spinner="Running t-SNE ...", max_entries=64)
def embedding(scope: str, dataset: str, model: str, date: str) -> dict:
    return clusters.embedding(panel(dataset), forecast_at(dataset, model, date))


@scoped
@st.cache_data(show_spinner="Comparing covariances ...", max_entries=64)
def covariance_view(scope: str, dataset: str, model: str, date: str, h: int = covariance.COV_HORIZON) -> dict:
    return covariance.covariance_view(panel(dataset), forecast_at(dataset, model, date), h)


@scoped
@st.cache_data(show_spinner="Scoring covariance forecasts over time ...", max_entries=32)
def covariance_scores(scope: str, dataset: str, model: str, part: str, h: int = covariance.COV_HORIZON, step: int = 5
                      ) -> pd.DataFrame:
    return precomputed.serve(views(dataset, model), panel(dataset), forecasts(dataset, model), "covariance_scores",
                             part=part, h=h, step=step)


@scoped
@st.cache_data(show_spinner=False, max_entries=16)
def metrics_table(scope: str, dataset: str, split: str) -> pd.DataFrame:
    """Shipped evaluation rows of `split`: models x metrics (empty for a dataset with none shipped)."""
    return store.metrics_table(dataset, split) if dataset in DATASETS else pd.DataFrame()


@scoped
@st.cache_data(show_spinner="Evaluating ...", max_entries=16)
def evaluate(scope: str, dataset: str, models: tuple[str, ...], split: str) -> pd.DataFrame:
    """core.evaluation.tables of the registered `models` on `split` (shipped metrics where they match)."""
    known = [m for m in models if keys.parse_model(m).registered]
    return evaluation.evaluate_models(panel(dataset), known, split, recompute=False)


@scoped
@st.cache_data(show_spinner="Scoring zero-shot, adapted and PPCA on the validation dates ...", max_entries=8)
def adaptation(scope: str, dataset: str, run: str) -> pd.DataFrame:
    """Validation nll_joint and portfolio metrics (calib_port ...) of the shipped NeuralFactors zero-shot, run `run`
    (the fine-tune, its id) raw and through the calibration layer (as served), and PPCA: models x METRICS. The run's
    two keys are scored on the forecasts the pages serve (`forecasts`, cached: the adapted model is taken into use
    next); zero-shot and PPCA are forecast on the validation dates only."""
    adapted = [keys.run_key(run), keys.run_key(run) + "+cal"]
    return evaluation.evaluate_models(panel(dataset), ["neuralfactors", *adapted, "ppca"], "valid",
                                      settings=evaluation.Settings(groups=("joint", "portfolio")), recompute=False,
                                      given={name: forecasts(dataset, name) for name in adapted})


@scoped
@st.cache_data(show_spinner="Writing the report and its workbook ...", max_entries=8)
def report(scope: str, dataset: str, model: str, date: str, portfolio: str, custom: str = "",
           comparison: pd.DataFrame | None = None, value: float | None = None) -> tuple[str, bytes]:
    """(the HTML report, its tables as an Excel workbook) of one view (core.report.bundle.page_and_workbook: the
    tables computed once for both); comparison: the model comparison run on the page (else the shipped one)."""
    from core.report.bundle import page_and_workbook  # imported on request: the report's charts load matplotlib

    return page_and_workbook(panel(dataset), forecasts(dataset, model), date, portfolio, custom, comparison, value)


@scoped
@st.cache_data(show_spinner="Replaying the windows (factor returns of each day) ...", max_entries=64)
def stress_tests(scope: str, dataset: str, model: str, date: str, portfolio: str, custom: str, windows: tuple) -> list:
    """core.workbench.stress.stress_tests of the sidebar's weights through `windows` (stress.Window each)."""
    w = portfolio_weights(dataset, model, date, portfolio, custom)
    return precomputed.serve(views(dataset, model), panel(dataset), forecasts(dataset, model), "stress_tests",
                             date=date, weights=w, windows=windows, names=dated_names(dataset, model, date).vocabulary)


@scoped
@st.cache_data(show_spinner="Attributing the period's returns (factor returns of each day) ...", max_entries=64)
def attribution(scope: str, dataset: str, model: str, date: str, portfolio: str, custom: str, start: str, end: str,
                benchmark: pd.Series | None = None):
    """core.workbench.attribution.attribution of the sidebar's weights over realised dates start..end."""
    w = portfolio_weights(dataset, model, date, portfolio, custom)
    return attributions.attribution(panel(dataset), forecasts(dataset, model), w, start, end, benchmark,
                                    names=dated_names(dataset, model, date).vocabulary)
