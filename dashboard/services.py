"""The dashboard's only door to `core`: st.cache_* wrappers around core.workbench keyed by the sidebar's strings
(dataset key, model key, date); no maths. Dataset keys: an embedded name ("sp500-20", "synthetic") or
"upload:<sha1>[@<train end>,<valid end>]" (an upload of this server, re-split). Model keys: a registered name,
"truth" (synthetic) or "run:<id>" (a finished run). Forecasts' origin: core.workbench.sources."""
from __future__ import annotations

import hashlib
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from core import evaluate as evaluation, report, runs as user_runs, store, workbench as wb
from core.data.embedded import load_dataset
from core.data.info import warning_summary  # noqa: F401
from core.data.panel import Panel
from core.errors import ModelError, NotAvailable as Unavailable  # noqa: F401  (pages catch it as services.Unavailable)
from core.forecast import FactorForecast, ForecastSeries
from core.models.registry import label as registry_label
from core.portfolio.weights import (check_custom, format_weights, normalise, parse_weights,  # noqa: F401
                                    read_weights_csv, weights_csv)
from core.scorecard import PAPER_TABLE  # noqa: F401
from core.workbench import PORTFOLIOS, Risk, ablation, active, views  # noqa: F401  (pages: services.active.active_risk)
from core.workbench.views import (COV_HORIZON, MV_RISK_AVERSION, method_label, var_backtest,  # noqa: F401
                                  var_verdicts)

DATASETS, TRUTH = ("sp500-20", "synthetic"), wb.TRUTH


# --- datasets -----------------------------------------------------------------------------
@st.cache_resource(show_spinner="Loading data ...")
def _embedded(name: str) -> Panel:
    return load_dataset(name)


@st.cache_resource
def _uploads() -> dict[str, Panel]:
    """Uploaded panels of this server process: key -> Panel."""
    return {}


def add_upload(filename: str, data: bytes) -> str:
    """Validate an uploaded file into a Panel (DataError with the fix otherwise); its dataset key.
    The bytes are read from a private temporary copy that is deleted at once."""
    from core.data.files import load_file

    key = f"upload:{hashlib.sha1(data).hexdigest()[:10]}"
    if key not in _uploads():
        with tempfile.TemporaryDirectory() as tmp:
            (path := Path(tmp) / Path(filename).name).write_bytes(data)
            panel = load_file(path)
        _uploads()[key] = replace(panel, name=Path(filename).name, source=f"upload {Path(filename).name}")
    return key


def resplit_upload(key: str, shares=None, train_end=None, valid_end=None) -> str:
    """An upload with another split (core.data.splits.resplit), under its own key."""
    from core.data.splits import resplit
    new = resplit(panel(key.split("@")[0]), shares, train_end, valid_end)
    _uploads()[out := f"{key.split('@')[0]}@{new.split.train_end.date()},{new.split.valid_end.date()}"] = new
    return out


def dataset_options() -> list[str]:
    return list(DATASETS) + list(_uploads())


def dataset_label(key: str) -> str:
    if key == "synthetic":
        return "synthetic (SYNTHETIC data)"
    if key.startswith("upload:"):
        p = _uploads().get(key)
        return f"uploaded: {p.name if p is not None else key}" + (f" (split {key.split('@')[1]})" if "@" in key else "")
    return key


def panel(dataset: str) -> Panel:
    if dataset.startswith("upload:"):
        if dataset not in _uploads():
            raise ModelError(f"uploaded dataset {dataset} is gone (server restarted); upload the file again")
        return _uploads()[dataset]
    return _embedded(dataset)


# --- models and forecasts -----------------------------------------------------------------
def model_options(dataset: str) -> list[str]:
    """Models with forecasts on the dataset without training (core.workbench.available), then its runs."""
    p = panel(dataset)
    return wb.available(p) + [f"run:{r.id}" for r in user_runs.list_runs(p.fingerprint())]


def model_label(model: str) -> str:
    return {TRUTH: "truth (synthetic ground truth)"}.get(model, registry_label(model))


@st.cache_resource(show_spinner="Computing forecasts ...", max_entries=24)
def _forecasts(dataset: str, model: str) -> wb.Forecasts:
    if model.startswith("run:"):
        return wb.forecasts(panel(dataset), model, run=user_runs.run_path(model[4:]))
    return wb.forecasts(panel(dataset), model)


def forecasts(dataset: str, model: str) -> ForecastSeries:
    return _forecasts(dataset, model).series


def forecast_notes(dataset: str, model: str) -> list[str]:
    """Where the forecasts come from, then (zero-shot) how the model adapted this data's inputs."""
    return [(fc := _forecasts(dataset, model)).note, *fc.notes]


@st.cache_resource(max_entries=24)
def forecast_dates(dataset: str, model: str) -> list[str]:
    """The dates (YYYY-MM-DD) with a forecast: the sidebar's date choices."""
    return list(forecasts(dataset, model).dates.strftime("%Y-%m-%d"))


@st.cache_resource(max_entries=64)
def forecast_at(dataset: str, model: str, date: str) -> FactorForecast:
    return forecasts(dataset, model).at(date)


def split_of(dataset: str, date: str) -> str:
    return views.split_of(panel(dataset), date)


def window(dataset: str, model: str, part: str) -> pd.DatetimeIndex:
    return views.window(panel(dataset), forecasts(dataset, model), part)


# --- portfolios and risk ------------------------------------------------------------------
@st.cache_data(show_spinner="Building the portfolio ...", max_entries=256)
def portfolio_weights(dataset: str, model: str, date: str, kind: str, custom: str = "") -> pd.Series:
    return wb.named_portfolio(panel(dataset), forecast_at(dataset, model, date), kind, custom)


@st.cache_data(show_spinner="Optimising ...", max_entries=256)
def optimise(dataset: str, model: str, date: str, objective: str, risk_aversion: float = MV_RISK_AVERSION,
             **cons) -> pd.Series:
    return wb.optimise(panel(dataset), forecast_at(dataset, model, date), objective, risk_aversion, **cons)


@st.cache_data(show_spinner="Tracing the efficient frontier ...", max_entries=64)
def frontier(dataset: str, model: str, date: str, **cons) -> pd.DataFrame:
    return wb.portfolios.frontier(panel(dataset), forecast_at(dataset, model, date), **cons)


def annualised_point(dataset: str, model: str, date: str, weights: pd.Series) -> dict:
    return wb.portfolios.annualised_point(forecast_at(dataset, model, date), weights)


@st.cache_data(show_spinner=False, max_entries=512)
def risk(dataset: str, model: str, date: str, weights: pd.Series) -> Risk:
    return wb.portfolio_risk(panel(dataset), forecast_at(dataset, model, date), weights)


# --- views over dates ---------------------------------------------------------------------
@st.cache_data(show_spinner="Computing exposures over time ...", max_entries=64)
def exposures_over_time(dataset: str, model: str, part: str, weights: pd.Series) -> pd.DataFrame:
    return views.exposures_over_time(forecasts(dataset, model), window(dataset, model, part), weights)


def exposures_table(dataset: str, model: str, date: str) -> pd.DataFrame:
    return views.exposures_table(forecast_at(dataset, model, date))


@st.cache_data(show_spinner="Estimating factor returns ...", max_entries=32)
def factor_returns(dataset: str, model: str, part: str) -> pd.DataFrame:
    p, fc = panel(dataset), _forecasts(dataset, model)
    shipped = store.load_factor_returns(p.name, model) if fc.source == "shipped" else None
    return views.factor_returns(p, fc, window(dataset, model, part), shipped)


def factor_names(dataset: str, model: str) -> pd.DataFrame:  # validation window; its factor returns are cached
    return views.factor_names(panel(dataset), _forecasts(dataset, model), factor_returns(dataset, model, "valid"))


def has_factors(dataset: str, model: str) -> bool:
    """The model has a factor structure (covariance-only and univariate models do not)."""
    return wb.portfolios.has_factors(forecasts(dataset, model))


def sector_input(dataset: str, model: str) -> bool:
    """The model is given each stock's sector as an input (its sector clusters are partly by construction)."""
    return bool(getattr(_forecasts(dataset, model).model, "sector_input", False))


@st.cache_data(show_spinner="Scoring the network trained without the sector input ...", max_entries=64)
def sector_scores(dataset: str, model: str, date: str) -> ablation.Scores:
    """kNN sector accuracy on `date` with and without the sector input (NotAvailable unless shipped NeuralFactors)."""
    return ablation.sector_scores(panel(dataset), _forecasts(dataset, model), [date])


@st.cache_data(show_spinner="Scoring the network trained without the sector input ...", max_entries=16)
def split_sector_scores(dataset: str, model: str, part: str) -> ablation.Scores | None:
    """The same over the sample of split `part` (None outside valid and test)."""
    return ablation.split_scores(panel(dataset), _forecasts(dataset, model), part)


def require_joint(dataset: str, model: str, what: str) -> None:
    """Unavailable, in one line, when the model is univariate: `what` needs a joint distribution."""
    wb.portfolios.require_joint(forecasts(dataset, model), what)


@st.cache_data(show_spinner="Computing principal components of the forecast covariance ...", max_entries=16)
def components(dataset: str, model: str, part: str) -> views.Components:
    """The sign-fixed principal components of the forecast covariance over the split (models without factors)."""
    return views.principal_components(forecasts(dataset, model), window(dataset, model, part))


def component_loadings(dataset: str, model: str, date: str) -> pd.DataFrame:
    return views.component_loadings(components(dataset, model, split_of(dataset, date)), date)


def component_summary(dataset: str, model: str, date: str, weights: pd.Series) -> pd.DataFrame:
    return views.component_summary(components(dataset, model, split_of(dataset, date)),
                                   forecast_at(dataset, model, date), weights)


def component_exposures_over_time(dataset: str, model: str, part: str, weights: pd.Series) -> pd.DataFrame:
    return views.component_exposures_over_time(components(dataset, model, part), weights)


@st.cache_data(show_spinner="Computing VaR over time ...", max_entries=64)
def var_series(dataset: str, model: str, part: str, weights: pd.Series) -> pd.DataFrame:
    return views.var_series(panel(dataset), forecasts(dataset, model), window(dataset, model, part), weights)


@st.cache_data(show_spinner="Sampling scenarios ...", max_entries=64)
def scenarios(dataset: str, model: str, date: str, weights: pd.Series, n: int = 20_000):
    return views.scenarios(forecast_at(dataset, model, date), weights, n, panel(dataset))


@st.cache_data(show_spinner=False, max_entries=64)
def stock_scenarios(dataset: str, model: str, date: str, tickers: tuple[str, str], n: int = 3_000):
    return views.stock_scenarios(forecast_at(dataset, model, date), tickers, n)


def history(dataset: str, date: str, weights: pd.Series | None = None, tickers=None, days: int = 1000):
    return views.history(panel(dataset), date, weights, tickers, days)


@st.cache_data(show_spinner="Backtesting ...", max_entries=32)
def backtest(dataset: str, model: str, part: str, weights: pd.Series, optimised: bool = False) -> dict:
    return views.backtest(panel(dataset), forecasts(dataset, model), window(dataset, model, part), weights,
                          optimised and _optimised(dataset, model, part))  # once per model and split


@st.cache_data(show_spinner="Re-optimising every day of the split (once per model) ...", max_entries=16)
def _optimised(dataset: str, model: str, part: str) -> dict:
    return views.optimised_strategies(forecasts(dataset, model), window(dataset, model, part))


@st.cache_data(show_spinner="Running t-SNE ...", max_entries=64)
def embedding(dataset: str, model: str, date: str) -> dict:
    return views.embedding(panel(dataset), forecast_at(dataset, model, date))


@st.cache_data(show_spinner="Comparing covariances ...", max_entries=64)
def covariance_view(dataset: str, model: str, date: str, h: int = COV_HORIZON) -> dict:
    return views.covariance_view(panel(dataset), forecast_at(dataset, model, date), h)


@st.cache_data(show_spinner="Averaging correlations by sector ...", max_entries=64)
def sector_correlation_view(dataset: str, model: str, date: str, h: int = COV_HORIZON) -> dict:
    """`covariance_view` with forecast and realised correlations averaged by sector (S x S)."""
    view, sectors = covariance_view(dataset, model, date, h), panel(dataset).sectors
    return {**view, "forecast": views.sector_correlations(view["forecast"], sectors),
            "realised": views.sector_correlations(view["realised"], sectors)}


@st.cache_data(show_spinner="Scoring covariance forecasts over time ...", max_entries=32)
def covariance_scores(dataset: str, model: str, part: str, h: int = COV_HORIZON, step: int = 5) -> pd.DataFrame:
    return views.covariance_scores(panel(dataset), forecasts(dataset, model), window(dataset, model, part), h, step)


# --- evaluation ---------------------------------------------------------------------------
def metrics_table(dataset: str, split: str) -> pd.DataFrame:
    """Shipped evaluation rows of `split`: models x metrics (empty for a dataset with none shipped)."""
    return store.metrics_table(dataset, split) if dataset in DATASETS else pd.DataFrame()


@st.cache_data(show_spinner="Evaluating ...", max_entries=16)
def evaluate(dataset: str, models: tuple[str, ...], split: str) -> pd.DataFrame:
    """The evaluation table (core.evaluate) of `models` on `split`: shipped metrics where they match this data."""
    known = [m for m in models if m != TRUTH and not m.startswith("run:")]
    return evaluation.evaluate_models(panel(dataset), known, split, recompute=False)


@st.cache_data(show_spinner="Writing the report ...", max_entries=8)
def report_html(dataset: str, model: str, date: str, portfolio: str, custom: str = "") -> str:
    return report.for_view(panel(dataset), _forecasts(dataset, model), date, portfolio, custom)


# --- background training ------------------------------------------------------------------
def train_presets() -> dict[str, str]:
    """NeuralFactors presets, shortest training first: name -> "4 factors + one per sector, 3,000 steps (sp500-20)"."""
    from core.models.neuralfactors.config import PRESETS

    def factors(c) -> str:
        return f"{c.n_factors} factors" + (" + one per sector" if c.sector_factors else "")

    return {k: f"{factors(c)}, {c.steps:,} steps ({k})" for k, c in sorted(PRESETS.items(), key=lambda kc: kc[1].steps)}


def start_training(dataset_key: str, filename: str, data: bytes, preset: str, max_steps: int) -> str:
    """Start `neuralfactors train` on an uploaded file with the dataset's split in the background (core.runs)."""
    return user_runs.start_training(data, Path(filename).suffix.lower(), "neuralfactors", preset, max_steps,
                                    split=panel(dataset_key).split)


training_status, cancel_training = user_runs.training_status, user_runs.cancel_training
