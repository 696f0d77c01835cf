"""The paper-style evaluation table for any set of models (spec: evaluation.md).

Per model and split, forecasts are made at the close of t for every t whose next date t+1 lies in
the split (the first test forecast is made on the last validation date). A stock counts on a day
when it has a forecast at t and a return at t+1 (missing stocks are masked, never filled).

Metrics (lower is better unless stated):
  nll_joint, nll_ind   mean over days of -(1/N_t) log p, on returns divided by the training std of
                       all stock returns (FeatureScaler.return_scale): forecast and returns are
                       rescaled, which shifts each per-stock log-density by log(scale).
                       Normal: exact (Woodbury). Student-t: IWAE k=100 (joint), 10,000 prior samples (ind).
  cov_mse, box_m       whitening scores on the stocks present on every day of the split.
  calib_uni, calib_port  calibration error; Port = equal-weight portfolio of the day's stocks
                       (closed form for Normal; 10,000 Monte Carlo scenarios for Student-t).
  var95_rate, var99_rate, kupiec_p95, kupiec_p99, christoffersen_p99 (conditional coverage)
                       for the same equal-weight portfolio's one-day VaR (same scenarios for Student-t).
                       A univariate model (joint=False) gets calib_port and these from its forecast object
                       too: a GARCH(1,1)-t fitted on the portfolio's own return history
                       (core.forecast.univariate, core.forecast.portfolio_garch).
  sharpe_mv_*          annualised Sharpe of the four daily mean-variance strategies (higher is better),
                       weights at t from the forecast for t+1 over the stocks forecast at t, no costs.
  r2_total, r2_pred    from the model's own `r2_scores(panel, dates)` where it is an R2Model.
A metric that does not apply is null and its reason is recorded. `Settings.groups` restricts the
work to some METRIC_GROUPS (default all); the others are null with the reason "not computed".
"""
from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core import store
from core.errors import ModelError, NotAvailable
from core.forecast import FactorForecast, ForecastSeries, restrict
from core.forecast.univariate import joint_reason
from core.parallel import thread_map
from core.portfolio.backtest import MeanVariance, run_backtest, strategy_weights
from core.portfolio.constraints import MV_VARIANTS
from core.portfolio.metrics import PERIODS, performance_metrics
from core.risk import backtest as vb
from core.risk.calibration import PORTFOLIO_SAMPLES, calibration_error, marginal_pit, uni_calibration
from core.risk.covariance import common_tickers, whitened_common, whitening_scores
from core.risk.likelihood import nll_ind, nll_joint
from core.scorecard import JOINT_ONLY, METRICS, PORTFOLIO_GARCH_METRICS
from core.workbench.keys import check_model_keys, parse_model
from core.workbench.sources import forecast_dates, forecasts

#: lambda of Eq. 13 for raw daily returns, chosen on the sp500-20 validation split (docs/results.md).
RISK_AVERSION = 100.0
MARGINAL_SAMPLES = 10_000
IWAE_K = 100
#: the metrics by the computation behind them; Settings.groups names the groups an evaluation computes
METRIC_GROUPS = {
    "joint": ["nll_joint"],
    "marginal": ["nll_ind", "calib_uni"],
    "covariance": ["cov_mse", "box_m"],
    "portfolio": PORTFOLIO_GARCH_METRICS,
    "sharpe": ["sharpe_mv_lo", "sharpe_mv_ls", "sharpe_mv_lo_l1", "sharpe_mv_ls_l1"],
    "r2": ["r2_total", "r2_pred"],
}


@dataclass
class Settings:
    """Sample sizes of the Monte Carlo estimates (Student-t forecasts only), the MV risk aversion and
    the metric groups computed (keys of METRIC_GROUPS)."""

    risk_aversion: float = RISK_AVERSION
    portfolio_samples: int = PORTFOLIO_SAMPLES
    marginal_samples: int = MARGINAL_SAMPLES
    iwae_k: int = IWAE_K
    calibration_samples: int = 500
    seed: int = 0
    groups: tuple[str, ...] = tuple(METRIC_GROUPS)

    def __post_init__(self) -> None:
        unknown = [g for g in self.groups if g not in METRIC_GROUPS]
        if unknown:
            raise ModelError(f"unknown metric group(s) {unknown}; choose from {', '.join(METRIC_GROUPS)}")


def mv_sharpes(panel, series: ForecastSeries, dates: pd.DatetimeIndex, risk_aversion: float,
               reasons: dict | None = None) -> dict[str, float | None]:
    """Annualised Sharpe of the four mean-variance variants traded daily on the forecasts at `dates`.
    Without a budget, a model whose forecast mean is always zero holds nothing: None and a reason."""
    periods = PERIODS.get(panel.frequency, 252)
    zero_mean = not np.any(np.nan_to_num(series.mean[series.dates.get_indexer(dates)]))
    out: dict[str, float | None] = {}
    for variant, cons in MV_VARIANTS.items():
        key = f"sharpe_{variant}"
        if zero_mean and cons.budget is None:
            out[key] = None
            if reasons is not None:
                reasons[key] = "the model forecasts a zero mean, so this variant holds no position"
            continue
        weights = strategy_weights(series, dates, MeanVariance(cons, risk_aversion))
        res = run_backtest(weights, panel.returns)
        out[key] = performance_metrics(res.returns, res.turnover, periods)["sharpe"]
    return out


def scored_days(panel, series: ForecastSeries,
                dates: pd.DatetimeIndex) -> tuple[list[FactorForecast], list[np.ndarray]]:
    """The days a split is scored on: each date's forecast restricted to the n_t stocks with a next-day return, and
    those returns ((n_t,) each, over its forecast's tickers); dates with no such stock are left out."""
    nxt = panel.returns.to_numpy(dtype=float)[panel.dates.get_indexer(dates) + 1]
    col = {t: i for i, t in enumerate(panel.tickers)}
    fcs, rows = [], []
    for d, r_next in zip(dates, nxt):
        fc = series.at(d)
        fc = restrict(fc, [t for t in fc.tickers if t in col and np.isfinite(r_next[col[t]])])
        if fc.n_stocks:
            fcs.append(fc)
            rows.append(np.array([r_next[col[t]] for t in fc.tickers]))
    return fcs, rows


def evaluate_series(panel, series: ForecastSeries, split: str, scale: float, settings: Settings | None = None,
                    model=None) -> tuple[dict[str, float | None], dict[str, str]]:
    """(metrics, reasons) of one model's forecasts on a split."""
    s = settings or Settings()
    series = series.with_history(panel.returns)  # what a univariate model's portfolio rule reads
    dates = forecast_dates(panel, split)
    values: dict[str, float | None] = {}
    reasons: dict[str, str] = {}
    col = {t: i for i, t in enumerate(panel.tickers)}
    fcs, rows = scored_days(panel, series, dates)
    if not fcs:
        raise ModelError(f"{series.model}: no stock has both a forecast and a return in split {split!r}")
    no_joint = joint_reason(series)
    seed = s.seed
    want = set(s.groups)
    def day(item) -> dict:
        """The day's scores: each draws from its own seed + k, so the days run on threads (core/parallel.py)."""
        k, (fc, r) = item
        out = {}
        if "marginal" in want:
            out["nll_ind"] = nll_ind(fc, r, scale, n_samples=s.marginal_samples, seed=seed + k)
            out["pits"] = marginal_pit(fc, r, s.calibration_samples, seed + k)
        if "joint" in want and not no_joint:
            out["nll_joint"] = nll_joint(fc, r, scale, k=s.iwae_k, seed=seed + k)
        if "portfolio" in want:
            w, x = np.full(fc.n_stocks, 1.0 / fc.n_stocks), float(r.mean())
            try:
                pit, tail = fc.distribution.portfolio_pit_var(fc, w, x, (0.95, 0.99), s.portfolio_samples, seed + k)
                out["portfolio"] = (x, pit, tail[0.95][0], tail[0.99][0])
            except NotAvailable:  # a univariate model's portfolio GARCH: too little history before this date
                pass
        return out

    nll_j, nll_i, port_pit, port_r, var95, var99 = [], [], [], [], [], []
    pits = np.full((len(fcs), len(panel.tickers)), np.nan)
    days = thread_map(day, enumerate(zip(fcs, rows)), None if fcs[0].distribution.threadable else 1)
    for k, (fc, out) in enumerate(zip(fcs, days)):
        if "nll_ind" in out:
            nll_i.append(out["nll_ind"])
            pits[k, [col[t] for t in fc.tickers]] = out["pits"]
        if "nll_joint" in out:
            nll_j.append(out["nll_joint"])
        if "portfolio" in out:
            for kept, value in zip((port_r, port_pit, var95, var99), out["portfolio"]):
                kept.append(value)
    if "marginal" in want:
        values["nll_ind"] = float(np.mean(nll_i))
        values["calib_uni"] = uni_calibration(pits)
    if "portfolio" in want:
        values |= _portfolio_scores(port_r, port_pit, var95, var99, reasons)
    if no_joint:
        for m in JOINT_ONLY:
            if m not in PORTFOLIO_GARCH_METRICS:
                values[m] = None
                reasons[m] = no_joint
    else:
        if "joint" in want:
            values["nll_joint"] = float(np.mean(nll_j))
        if "covariance" in want:
            values |= _whitening(fcs, rows, values, reasons)
        if "sharpe" in want:
            values |= mv_sharpes(panel, series, dates, s.risk_aversion, reasons)
    if "r2" in want:
        values |= _r2(model, panel, panel.split_dates(split), reasons)  # r2 is indexed by the return dates t+1
    for group in [g for g in METRIC_GROUPS if g not in want]:
        for m in METRIC_GROUPS[group]:
            reasons.setdefault(m, f"not computed (metric group {group!r} not requested)")
    return {m: values.get(m) for m in METRICS}, reasons


def _portfolio_scores(port_r: list, port_pit: list, var95: list, var99: list, reasons: dict) -> dict:
    """Calibration and VaR backtests of the equal-weight portfolio from its daily (realised, PIT,
    VaR95, VaR99); nulls with the reason when there are none (too little history for the GARCH)."""
    if not port_r:
        from core.forecast.portfolio_garch import MIN_OBS

        for m in PORTFOLIO_GARCH_METRICS:
            reasons[m] = f"portfolio GARCH needs {MIN_OBS} days of portfolio returns before the split"
        return dict.fromkeys(PORTFOLIO_GARCH_METRICS)
    b95 = vb.var_backtest(np.array(port_r), np.array(var95), 0.95)
    b99 = vb.var_backtest(np.array(port_r), np.array(var99), 0.99)
    return {"calib_port": calibration_error(np.array(port_pit)), "var95_rate": b95.rate, "var99_rate": b99.rate,
            "kupiec_p95": b95.kupiec_p, "kupiec_p99": b99.kupiec_p, "christoffersen_p99": b99.christoffersen_cc_p}


def _whitening(fcs: list[FactorForecast], rows: list[np.ndarray], values: dict, reasons: dict) -> dict:
    common = common_tickers(fcs)
    if len(common) < 2 or len(fcs) <= len(common):
        why = f"only {len(common)} stocks present on all {len(fcs)} days; the whitening test needs 2 <= p < days"
        reasons["cov_mse"] = reasons["box_m"] = why
        return {"cov_mse": None, "box_m": None}
    mse, box = whitening_scores(whitened_common(fcs, rows, common))
    return {"cov_mse": mse, "box_m": box}


def _r2(model, panel, dates, reasons: dict) -> dict:
    if model is None or not model.r2_scored:
        reasons["r2_total"] = reasons["r2_pred"] = "not an R2Model (core.models.protocol): no Gu-Kelly-Xiu R^2"
        return {"r2_total": None, "r2_pred": None}
    scores = model.r2_scores(panel, dates)
    return {"r2_total": float(scores["r2_total"]), "r2_pred": float(scores["r2_pred"])}


def evaluate_models(panel, names: list[str], split: str, pretrained_root: str | Path | None = None,
                    settings: Settings | None = None, log=None, recompute: bool = True,
                    runs: dict[str, str] | None = None, workers: int = 1, given: dict | None = None) -> pd.DataFrame:
    """The evaluation table: one row per model, columns METRICS (NaN = null). The reasons for nulls
    are in `table.attrs["reasons"]` ({model: {metric: reason}}), the NLL scale in `table.attrs["nll_scale"]`.
    Forecasts come from core.workbench.forecasts (shipped, run, zero-shot or fitted now; `runs` maps a
    name to a run directory). With recompute=False a model's shipped metrics.json (same data, version,
    default settings) answers directly. workers > 1 evaluates models in that many processes (same
    numbers: every Monte Carlo draw is seeded by model-independent day seeds). given: {name: sources.Forecasts} made
    already (on dates that hold the split's), scored as they are instead of forecast again."""
    from core.data.features import FeatureScaler
    check_model_keys(names)
    settings = settings or Settings()
    log = log or sys.stderr
    scale = FeatureScaler.fit(panel, panel.split_dates("train")).return_scale
    dates = forecast_dates(panel, split)
    rows, reasons, todo = {}, {}, []
    given = given or {}
    if set(given) - set(names):
        raise ModelError(f"forecasts given for {sorted(set(given) - set(names))}, which are not among {names}")
    for name in [n for n in names if n in given]:
        rows[name], reasons[name] = evaluate_series(panel, given[name].series, split, scale, settings, given[name].model)
    for name in [n for n in names if n not in given]:
        shipped = None if recompute or settings != Settings() or name in (runs or {}) else store.shipped_metrics(
            panel, name, split, settings.risk_aversion, pretrained_root)
        if shipped is not None:
            print(f"{name}: shipped metrics of {panel.name} (use --recompute to recompute them "
                  f"from the shipped forecasts)", file=log)
            rows[name], reasons[name] = shipped
        else:
            todo.append(name)
    jobs = [(panel, name, split, dates, scale, settings, pretrained_root, run_of(name, runs)) for name in todo]
    for name, (values, why, notes) in zip(todo, _map(_evaluate_one, jobs, min(workers, len(jobs)), log)):
        print(notes, end="", file=log)
        rows[name], reasons[name] = values, why
    table = pd.DataFrame.from_dict(rows, orient="index", columns=METRICS).astype(float).reindex(names)
    table.index.name = "model"
    table.attrs.update(reasons={n: reasons[n] for n in names}, nll_scale=scale, split=split,
                       dates=[str(dates[0].date()), str(dates[-1].date())], risk_aversion=settings.risk_aversion)
    return table


def run_of(name: str, runs: dict[str, str] | None) -> str | None:
    """The run directory given for `name`, or for its raw model when `name` is a calibrated key."""
    runs = runs or {}
    return runs.get(name) or runs.get(parse_model(name).base)


def _evaluate_one(panel, name, split, dates, scale, settings, root, run) -> tuple[dict, dict, str]:
    """(metrics, reasons, notes printed while getting the forecasts) of one model."""
    notes = io.StringIO()
    fc = forecasts(panel, name, dates, root, run=run, log=notes)
    return (*evaluate_series(panel, fc.series, split, scale, settings, fc.model), notes.getvalue())


def _map(fn, jobs: list[tuple], workers: int, log):
    """fn(*job) for each job, in order; in `workers` spawned processes when > 1, each limited to its
    share of the cores (torch and BLAS threads)."""
    if workers <= 1:
        return [fn(*job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing

    from core.training.threads import available_cores

    threads = max(1, available_cores() // workers)
    print(f"evaluating {len(jobs)} models in {workers} processes ({threads} thread(s) each)", file=log)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_limit_threads, initargs=(threads,)) as pool:
        return [f.result() for f in [pool.submit(fn, *job) for job in jobs]]


def _limit_threads(threads: int) -> None:
    import os

    from core.training.threads import ENV_VAR, limit_math_threads

    os.environ[ENV_VAR] = str(threads)
    limit_math_threads(threads)


def to_markdown(table: pd.DataFrame, digits: int = 4) -> str:
    """A Markdown table (nulls shown as "n/a") followed by the reasons for the nulls."""
    head = "| model | " + " | ".join(table.columns) + " |"
    sep = "|---" * (len(table.columns) + 1) + "|"
    lines = [head, sep]
    for name, row in table.iterrows():
        cells = ["n/a" if pd.isna(v) else f"{v:.{digits}g}" for v in row]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name, why in table.attrs.get("reasons", {}).items():
        for reason in sorted(set(why.values())):
            metrics = [m for m, r in why.items() if r == reason]
            lines.append(f"\n- {name}: {', '.join(metrics)} n/a: {reason}")
    return "\n".join(lines) + "\n"


def to_json(table: pd.DataFrame) -> dict:
    models = {name: {m: (None if pd.isna(v) else float(v)) for m, v in row.items()} for name, row in table.iterrows()}
    return {"models": models, "reasons": table.attrs.get("reasons", {}),
            **{k: table.attrs[k] for k in ("split", "dates", "nll_scale", "risk_aversion") if k in table.attrs}}
