"""The dashboard's only door to `core`: cached loaders and computations, no widgets.

Forecast source for (dataset, model): the shipped ForecastSeries under pretrained/ when present;
else a trained run directory (runs/<id>, model key "run:<id>"); else the pretrained NeuralFactors
weights scoring the data (uploads); else a classical model fitted on the spot on the train and
validation dates, forecasting the validation and test dates. Heavy modules (torch, cvxpy, sklearn) are
imported only inside the functions that need them.
"""
from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from core.data.panel import Panel
from core.errors import ModelError
from core.models.base import FactorForecast, ForecastSeries

DATASETS = ("sp500-20", "synthetic")
NEURAL = "neuralfactors"
TRUTH = "truth"
FAST_CLASSICAL = ("ewma", "ledoit-wolf", "sample", "pca", "ppca")
PORTFOLIOS = ("equal weight", "minimum variance", "mean-variance optimal", "one per sector", "custom")
RUNS = Path(__file__).resolve().parent.parent / "runs"
VAR_LEVELS = (0.95, 0.99)
COV_HORIZON = 21  # realised-covariance window (trading days); the default date leaves room for it
MC_SAMPLES = 1_000  # Monte Carlo draws per date for Student-t VaR series


class Unavailable(Exception):
    """The chosen model does not provide what this view shows (shown as information, not an error)."""


# --- datasets -----------------------------------------------------------------------------
@st.cache_resource(show_spinner="Loading data ...")
def _embedded(name: str) -> Panel:
    from core.data.embedded import load_dataset

    return load_dataset(name)


@st.cache_resource
def _uploads() -> dict[str, Panel]:
    """Uploaded panels of this server process: key -> Panel."""
    return {}


def add_upload(filename: str, data: bytes) -> str:
    """Validate an uploaded file into a Panel (DataError with the fix otherwise); its dataset key."""
    from core.data.files import load_file

    key = f"upload:{hashlib.sha1(data).hexdigest()[:10]}"
    store = _uploads()
    if key not in store:
        suffix = Path(filename).suffix.lower() or ".csv"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{Path(filename).stem}{suffix}"
            path.write_bytes(data)
            panel = load_file(path)
        store[key] = _named(panel, Path(filename).name)
    return key


def _named(panel: Panel, name: str) -> Panel:
    from dataclasses import replace

    return replace(panel, name=name)


def dataset_options() -> list[str]:
    return list(DATASETS) + list(_uploads())


def dataset_label(key: str) -> str:
    if key == "synthetic":
        return "synthetic (SYNTHETIC data)"
    if key.startswith("upload:"):
        panel = _uploads().get(key)
        return f"uploaded: {panel.name if panel is not None else key}"
    return key


def panel(dataset: str) -> Panel:
    if dataset.startswith("upload:"):
        if dataset not in _uploads():
            raise ModelError(f"uploaded dataset {dataset} is gone (server restarted); upload the file again")
        return _uploads()[dataset]
    return _embedded(dataset)


# --- models and forecasts -----------------------------------------------------------------
def _registered() -> list[str]:
    from core.models.base import model_names

    return model_names()


def _has_pretrained(dataset: str, model: str) -> bool:
    from core.pretrained import has_forecasts

    return has_forecasts(dataset, model)


def _pretrained_weights(dataset: str = "sp500-20", model: str = NEURAL) -> Path | None:
    from core.pretrained import model_dir

    d = model_dir(dataset, model)
    return d if (d / "config.json").exists() else None


@st.cache_resource
def _fingerprint(dataset: str) -> str:
    return panel(dataset).fingerprint()


def run_dirs(dataset: str) -> list[str]:
    """Finished training runs under runs/ (a directory with config.json) trained on `dataset`'s data
    (same data fingerprint)."""
    from core.io import read_json

    if not RUNS.is_dir():
        return []
    fp = _fingerprint(dataset)
    return sorted(p.name for p in RUNS.iterdir()
                  if (p / "config.json").exists() and read_json(p / "config.json").get("fingerprint") == fp)


def model_options(dataset: str) -> list[str]:
    """Every model with outputs on `dataset`: NeuralFactors first when it has any, then (synthetic) the
    ground truth, shipped outputs, the fast classical models fitted on demand, trained runs."""
    names = _registered()
    out = [m for m in names if _has_pretrained(dataset, m)]
    if NEURAL not in out and NEURAL in names and dataset.startswith("upload:") and _pretrained_weights():
        out.append(NEURAL)
    out += [m for m in FAST_CLASSICAL if m in names and m not in out]
    out += [f"run:{r}" for r in run_dirs(dataset)]
    if dataset == "synthetic":
        out.insert(0, TRUTH)  # the ground truth: instant, and the reference on simulated data
    out.sort(key=lambda m: m != NEURAL)
    return out


def model_label(model: str) -> str:
    return {TRUTH: "truth (synthetic ground truth)"}.get(model, model)


def _forecast_dates(p: Panel) -> pd.DatetimeIndex:
    return p.split_dates("valid").append(p.split_dates("test"))


@st.cache_resource(show_spinner="Fitting the model ...", max_entries=24)
def fitted(dataset: str, model: str):
    """The model object behind the forecasts when there is one to load or fit (None for truth)."""
    p = panel(dataset)
    if model == TRUTH:
        return None
    if model.startswith("run:") or model == NEURAL or _has_pretrained(dataset, model):
        from core.models.base import load_model
        from core.pretrained import model_dir

        where = RUNS / model[4:] if model.startswith("run:") else (
            model_dir(dataset, model) if (model_dir(dataset, model) / "config.json").exists() else _pretrained_weights())
        if where is None:
            raise ModelError("no NeuralFactors weights found; train one on the Your data page")
        return load_model(where)
    from core.models.base import create_model

    return create_model(model).fit(p, p.split_dates("train"), p.split_dates("valid"))


@st.cache_resource(show_spinner="Computing forecasts ...", max_entries=24)
def forecasts(dataset: str, model: str) -> ForecastSeries:
    """The model's ForecastSeries on the dataset (see the module docstring for the source)."""
    p = panel(dataset)
    if not model.startswith("run:") and _has_pretrained(dataset, model):
        from core.pretrained import load_forecasts

        return load_forecasts(dataset, model)
    dates = _forecast_dates(p)
    if model == TRUTH:
        return _truth_series(p, dates)
    return fitted(dataset, model).forecast_series(p, dates)


def _truth_series(p: Panel, dates: pd.DatetimeIndex) -> ForecastSeries:
    """The synthetic market's true forecasts (SyntheticTruth.forecast) stacked without a per-date loop."""
    from core.data.synthetic import default_synthetic

    truth = default_synthetic()[1]
    pos = p.dates.get_indexer(dates)
    listed = truth.listed[np.minimum(pos + 1, len(p.dates) - 1)]  # (T, N): stocks listed on the next date
    t, f = len(pos), truth.factor_scale.size
    idio = np.where(listed, truth.idio_scale ** 2 * truth.idio_dof / (truth.idio_dof - 2), np.nan)
    return ForecastSeries(
        dates=pd.DatetimeIndex(dates), tickers=p.tickers, mean=np.where(listed, 0.0, np.nan),
        exposures=np.where(listed[..., None], truth.exposures[pos].astype(np.float64), 0.0),
        factor_cov=np.broadcast_to(truth.factor_cov(), (t, f, f)).copy(), idio_var=idio, family="student_t",
        factor_dof=np.full((t, f), truth.factor_dof), idio_dof=np.where(listed, truth.idio_dof, np.nan), model=TRUTH,
        factor_names=[f"f{k + 1}" for k in range(f)])


@st.cache_resource(max_entries=24)
def forecast_dates(dataset: str, model: str) -> list[str]:
    """The dates (YYYY-MM-DD) with a forecast: the sidebar's date choices."""
    return list(forecasts(dataset, model).dates.strftime("%Y-%m-%d"))


@st.cache_resource(max_entries=64)
def forecast_at(dataset: str, model: str, date: str) -> FactorForecast:
    return forecasts(dataset, model).at(date)


def split_of(dataset: str, date: str) -> str:
    p = panel(dataset)
    ts = pd.Timestamp(date)
    for part in ("train", "valid", "test"):
        if ts in p.split_dates(part):
            return part
    return "outside the data"


# --- portfolios ---------------------------------------------------------------------------
def parse_weights(text: str) -> dict[str, float]:
    """'AAPL:0.5,MSFT:0.5' -> {ticker: weight} (the custom portfolio in a link)."""
    out = {}
    for part in filter(None, (s.strip() for s in text.split(","))):
        tk, _, w = part.partition(":")
        try:
            out[tk.strip()] = float(w)
        except ValueError:
            continue
    return out


def format_weights(weights: dict[str, float]) -> str:
    return ",".join(f"{k}:{v:.4g}" for k, v in weights.items() if v != 0)


def check_custom(weights: dict[str, float], tickers: list[str], long_only: bool = True) -> list[str]:
    """Problems with user weights, each naming its fix (core.portfolio's check); empty when fine."""
    from core.errors import PortfolioError
    from core.portfolio.validation import validate_weights

    try:
        validate_weights(weights, tickers, long_only=long_only, budget=1.0, tol=1e-4)
    except PortfolioError as exc:
        return [str(exc)]
    return []


def normalise(weights: dict[str, float], tickers: list[str]) -> pd.Series:
    """Weights on `tickers` (unknown dropped, missing 0), rescaled to sum to 1 when possible."""
    w = pd.Series({t: float(weights.get(t, 0.0)) for t in tickers}, dtype=float).fillna(0.0)
    total = w.sum()
    return w / total if abs(total) > 1e-12 else w


@st.cache_data(show_spinner="Building the portfolio ...", max_entries=256)
def portfolio_weights(dataset: str, model: str, date: str, kind: str, custom: str = "") -> pd.Series:
    """Weights (index = forecast tickers on `date`) of the named portfolio."""
    fc = forecast_at(dataset, model, date)
    n = fc.n_stocks
    if kind == "equal weight":
        return pd.Series(np.full(n, 1.0 / n), index=fc.tickers)
    if kind == "one per sector":
        sectors = panel(dataset).sectors.reindex(fc.tickers)
        vol = pd.Series(fc.total_var(), index=fc.tickers)
        picks = vol.groupby(sectors).idxmin()  # the lowest-risk stock of each sector
        return pd.Series({t: (1.0 / len(picks) if t in set(picks) else 0.0) for t in fc.tickers})
    if kind == "custom":
        w = normalise(parse_weights(custom), fc.tickers)
        return w if w.abs().sum() > 0 else pd.Series(np.full(n, 1.0 / n), index=fc.tickers)
    return optimise(dataset, model, date, "min_variance" if kind == "minimum variance" else "mean_variance")


MV_RISK_AVERSION = 10.0  # default lambda of the "mean-variance optimal" sidebar portfolio (daily returns)


def constraints(long_only: bool = True, max_weight: float | None = None, sector_caps: tuple = (),
                factor_bounds: tuple = (), target_vol: float | None = None):
    """core.portfolio Constraints (budget sum w = 1) from hashable arguments:
    sector_caps ((sector, cap), ...), factor_bounds ((factor, lo, hi), ...), target_vol daily."""
    from core.portfolio.constraints import Constraints

    return Constraints(long_only=long_only, budget=1.0, max_weight=max_weight, sector_caps=dict(sector_caps),
                       factor_bounds={f: (lo, hi) for f, lo, hi in factor_bounds}, target_vol=target_vol)


@st.cache_data(show_spinner="Optimising ...", max_entries=256)
def optimise(dataset: str, model: str, date: str, objective: str, risk_aversion: float = MV_RISK_AVERSION,
             **cons) -> pd.Series:
    """Optimal weights (index = forecast tickers) from core.portfolio; cons: see `constraints`."""
    from core.portfolio.optimiser import optimise as solve

    fc = forecast_at(dataset, model, date)
    sectors = panel(dataset).sectors.reindex(fc.tickers)
    res = solve(fc, objective=objective, constraints=constraints(**cons), risk_aversion=risk_aversion,
                       sectors=sectors)
    return res.weights.rename("weight")


@st.cache_data(show_spinner="Tracing the efficient frontier ...", max_entries=64)
def frontier(dataset: str, model: str, date: str, **cons) -> pd.DataFrame:
    """Efficient frontier, annualised (x252, x sqrt 252): columns vol, ret, risk_aversion."""
    from core.portfolio.optimiser import efficient_frontier

    fc = forecast_at(dataset, model, date)
    sectors = panel(dataset).sectors.reindex(fc.tickers)
    c = constraints(**cons)
    fr = efficient_frontier(fc, constraints=c, n_points=12, sectors=sectors)
    return pd.DataFrame({"vol": fr["vol"] * np.sqrt(252), "ret": fr["mean"] * 252, "risk_aversion": fr["risk_aversion"]})


def annualised_point(dataset: str, model: str, date: str, weights: pd.Series) -> dict:
    """Forecast (vol, ret) of `weights`, annualised, for marking on the frontier."""
    from core.risk.factor import portfolio_mean_vol

    fc = forecast_at(dataset, model, date)
    mean, vol = portfolio_mean_vol(fc, weights.reindex(fc.tickers).fillna(0.0).to_numpy())
    return {"vol": vol * np.sqrt(252), "ret": mean * 252}


# --- risk of one portfolio on one date ----------------------------------------------------
@dataclass
class Risk:
    """Headline risk of a portfolio for the day after `date` (returns as fractions per day)."""

    mean: float
    vol: float
    var: dict[float, float]
    cvar: dict[float, float]
    factor_share: float
    exposures: pd.Series  # per factor, y = B'w
    contributions: pd.Series  # per ticker, Euler contributions to vol (sum = vol)
    factor_contributions: pd.Series  # per factor
    method: str
    realised: float  # the realised portfolio return of the next date (NaN at the end of data)


@st.cache_data(show_spinner=False, max_entries=512)
def risk(dataset: str, model: str, date: str, weights: pd.Series) -> Risk:
    from core.risk.factor import portfolio_mean_vol, risk_decomposition
    fc = forecast_at(dataset, model, date)
    w = weights.reindex(fc.tickers).fillna(0.0).to_numpy()
    mean, vol = portfolio_mean_vol(fc, w)
    dec = risk_decomposition(fc, w)
    vars_ = _vars(fc, w, 20_000)
    return Risk(
        mean=mean, vol=vol, var={lv: r.var for lv, r in vars_.items()}, cvar={lv: r.cvar for lv, r in vars_.items()},
        factor_share=dec.factor_share, exposures=pd.Series(dec.exposures, index=dec.factor_names),
        contributions=pd.Series(dec.per_stock, index=dec.tickers),
        factor_contributions=pd.Series(dec.per_factor, index=dec.factor_names),
        method=vars_[VAR_LEVELS[0]].method, realised=realised_return(dataset, date, weights),
    )


def _vars(fc: FactorForecast, w: np.ndarray, n: int) -> dict:
    """VaR/CVaR at VAR_LEVELS: closed form for Normal forecasts, else from ONE set of n seeded
    portfolio scenarios shared by both levels."""
    from core.risk.scenarios import portfolio_scenarios
    from core.risk.var import VaRResult, empirical_var, forecast_var

    if fc.family == "normal":
        return {lv: forecast_var(fc, w, lv) for lv in VAR_LEVELS}
    draws = portfolio_scenarios(fc, w, n, seed=0)
    return {lv: VaRResult(lv, *empirical_var(draws, lv), "monte_carlo", n) for lv in VAR_LEVELS}


def realised_return(dataset: str, date: str, weights: pd.Series) -> float:
    """The portfolio's realised return on the trading date after `date` (NaN if none)."""
    p = panel(dataset)
    pos = p.date_position(date)
    if pos + 1 >= len(p.dates):
        return float("nan")
    r = p.returns.iloc[pos + 1].reindex(weights.index)
    return float(np.nansum(r.to_numpy() * weights.to_numpy())) if r.notna().any() else float("nan")


# --- series over dates ----------------------------------------------------------------------
def window(dataset: str, model: str, part: str) -> list[str]:
    """The forecast dates of split `part` (valid or test): the span of the time charts."""
    p = panel(dataset)
    span = set(p.split_dates(part)) if part in ("train", "valid", "test") else set()
    return [d for d in forecast_dates(dataset, model) if pd.Timestamp(d) in span]


@st.cache_data(show_spinner="Computing exposures over time ...", max_entries=64)
def exposures_over_time(dataset: str, model: str, part: str, weights: pd.Series) -> pd.DataFrame:
    """Portfolio factor exposures w'B_t over the window (dates x factors); weights fixed."""
    fs = forecasts(dataset, model)
    dates = pd.DatetimeIndex(window(dataset, model, part))
    pos = fs.dates.get_indexer(dates)
    w = weights.reindex(fs.tickers).fillna(0.0).to_numpy()
    y = np.einsum("n,tnf->tf", w, np.nan_to_num(fs.exposures[pos]))
    return pd.DataFrame(y, index=dates, columns=fs.factor_names)


def exposures_table(dataset: str, model: str, date: str) -> pd.DataFrame:
    """tickers x factors exposures B on `date`."""
    fc = forecast_at(dataset, model, date)
    return pd.DataFrame(fc.exposures, index=fc.tickers, columns=fc.factor_names)


@st.cache_data(show_spinner="Estimating factor returns ...", max_entries=32)
def factor_returns(dataset: str, model: str, part: str) -> pd.DataFrame:
    """Realised factor returns over the window (dates x factors): shipped factor_returns.parquet,
    the synthetic ground truth, or the fitted model's own `factor_returns`."""
    from core.pretrained import model_dir

    dates = pd.DatetimeIndex(window(dataset, model, part))
    shipped = model_dir(dataset, model) / "factor_returns.parquet"
    if not model.startswith("run:") and shipped.exists():
        return pd.read_parquet(shipped).reindex(dates)
    if model == TRUTH:
        from core.data.synthetic import default_synthetic

        z = default_synthetic()[1].factor_returns
        p = panel(dataset)
        return pd.DataFrame(z, index=p.dates, columns=[f"f{k + 1}" for k in range(z.shape[1])]).reindex(dates)
    m = fitted(dataset, model)
    if not hasattr(m, "factor_returns"):
        raise Unavailable(f"{model} does not define realised factor returns (it has no explicit factors)")
    return m.factor_returns(panel(dataset), dates)


@st.cache_data(show_spinner="Computing VaR over time ...", max_entries=64)
def var_series(dataset: str, model: str, part: str, weights: pd.Series) -> pd.DataFrame:
    """Per forecast date in the window: VaR 95/99 (positive losses) and the realised next-date
    return of the fixed-weight portfolio; columns "VaR 95%", "VaR 99%", "return"."""
    fs = forecasts(dataset, model)
    rows = {}
    for d in window(dataset, model, part):
        fc = fs.at(d)
        w = weights.reindex(fc.tickers).fillna(0.0)
        if w.abs().sum() < 1e-9:
            continue
        res = {f"VaR {int(lv * 100)}%": v.var for lv, v in _vars(fc, w.to_numpy(), MC_SAMPLES).items()}
        res["return"] = realised_return(dataset, d, w)
        rows[pd.Timestamp(d)] = res
    out = pd.DataFrame.from_dict(rows, orient="index")
    return out[out["return"].notna()] if len(out) else out


def var_backtest(series: pd.DataFrame) -> pd.DataFrame:
    """Backtest table (rate, Kupiec, Christoffersen, traffic light) per VaR level."""
    from core.risk.backtest import var_backtest as run

    rows = []
    for lv in VAR_LEVELS:
        col = f"VaR {int(lv * 100)}%"
        res = run(series["return"].to_numpy(), series[col].to_numpy(), lv)
        rows.append({"level": col, **res.to_dict()})
    return pd.DataFrame(rows).set_index("level").drop(columns=["level"], errors="ignore")


@st.cache_data(show_spinner="Sampling scenarios ...", max_entries=64)
def scenarios(dataset: str, model: str, date: str, weights: pd.Series, n: int = 20_000) -> np.ndarray:
    """n joint draws of the portfolio's next-date return, (n,)."""
    from core.risk.scenarios import portfolio_scenarios

    fc = forecast_at(dataset, model, date)
    return portfolio_scenarios(fc, weights.reindex(fc.tickers).fillna(0.0).to_numpy(), n, seed=0)


@st.cache_data(show_spinner=False, max_entries=64)
def stock_scenarios(dataset: str, model: str, date: str, tickers: tuple[str, str], n: int = 3_000) -> np.ndarray:
    """n joint draws of two stocks' next-date returns, (n, 2)."""
    fc = forecast_at(dataset, model, date)
    idx = [fc.tickers.index(t) for t in tickers]
    return fc.sample(n, rng=0)[:, idx]


def history(dataset: str, date: str, weights: pd.Series | None = None, tickers=None, days: int = 1000):
    """Realised daily returns up to `date`: of the fixed-weight portfolio (n,) or of `tickers` (n, k)."""
    p = panel(dataset)
    r = p.returns.loc[:pd.Timestamp(date)].tail(days)
    if tickers is not None:
        return r[list(tickers)].dropna().to_numpy()
    sub = r[weights.index]
    return (sub.fillna(0.0).to_numpy() @ weights.to_numpy())[sub.notna().any(axis=1).to_numpy()]


# --- backtest -------------------------------------------------------------------------------
@st.cache_data(show_spinner="Backtesting ...", max_entries=32)
def backtest(dataset: str, model: str, part: str, weights: pd.Series, optimised: bool = False) -> dict:
    """Strategies over the split holding `date`, weights set at each close from that day's forecast:
    the chosen portfolio's fixed weights, equal weight, (optionally) minimum variance and
    mean-variance re-optimised daily, and the benchmark. Returns {"values": growth of 1 (dates x
    strategies), "metrics": strategies x metrics}."""
    from core.portfolio import backtest as bt
    from core.portfolio.metrics import performance_metrics

    fs = forecasts(dataset, model)
    p = panel(dataset)
    dates = pd.DatetimeIndex(window(dataset, model, part))
    dates = dates[dates < p.dates[-1]]
    fixed = weights.reindex(fs.tickers).fillna(0.0)
    strategies = {"chosen portfolio (fixed weights)": lambda fc: fixed.reindex(fc.tickers).to_numpy(),
                  "equal weight": bt.equal_weight}
    if optimised:
        strategies["minimum variance"] = lambda fc: optimise(dataset, model, fc.date.strftime("%Y-%m-%d"),
                                                             "min_variance").to_numpy()
        strategies["mean-variance"] = bt.MeanVariance(constraints(), MV_RISK_AVERSION)
    rets, turns = {}, {}
    for name, choose in strategies.items():
        res = bt.run_backtest(bt.strategy_weights(fs, dates, choose), p.returns)
        rets[name], turns[name] = res.returns, res.turnover
    if p.benchmark is not None:
        rets[f"benchmark ({p.benchmark.name})"] = p.benchmark.reindex(next(iter(rets.values())).index)
    frame = pd.DataFrame(rets)
    metrics = pd.DataFrame({k: performance_metrics(frame[k], turns.get(k)) for k in frame}).T
    return {"values": (1.0 + frame.fillna(0.0)).cumprod(), "metrics": metrics}


# --- embedding, evaluation -----------------------------------------------------------------
@st.cache_data(show_spinner="Running t-SNE ...", max_entries=64)
def embedding(dataset: str, model: str, date: str) -> dict:
    """t-SNE map of the exposures on `date` and kNN sector accuracy (core.embedding)."""
    from core.embedding import embed_exposures

    p = panel(dataset)
    emb = embed_exposures(forecast_at(dataset, model, date), p.sectors)
    points = emb.coords.reset_index()
    points["name"] = p.meta["name"].reindex(points["ticker"]).fillna("").to_numpy()
    return {"points": points, "acc_exposures": emb.knn_exposures, "acc_map": emb.knn_map, "chance": emb.chance,
            "k": 5}


def metrics_table(dataset: str, split: str) -> pd.DataFrame:
    """Shipped evaluation rows (pretrained/<dataset>/<model>/metrics.json) for `split`: models x metrics."""
    from core.evaluate import METRICS
    from core.io import read_json
    from core.pretrained import model_dir

    rows = {}
    for m in _registered():
        path = model_dir(dataset, m) / "metrics.json"
        if path.exists():
            rows[m] = read_json(path).get(split, {}).get("models", {}).get(m, {})
    return pd.DataFrame.from_dict(rows, orient="index").reindex(columns=METRICS).astype(float)


@st.cache_data(show_spinner="Evaluating ...", max_entries=16)
def evaluate(dataset: str, models: tuple[str, ...], split: str) -> pd.DataFrame:
    """The evaluation table (core.evaluate) of `models` on `split`, from this dashboard's forecasts."""
    from core.evaluate import evaluate_models

    known = [m for m in models if m != TRUTH and not m.startswith("run:")]
    return evaluate_models(panel(dataset), known, split, dataset=dataset)


PAPER_TABLE = [  # Gopal (2024), S&P 500, test 2019-2023 (spec/neuralfactors.md section 9)
    {"model": "NF-Attn, all features", "NLL ind": 1.029, "NLL joint": 0.556, "cov MSE": 0.282, "Box's M": 2.226,
     "calib Uni": 0.042, "calib Port": 0.074},
    {"model": "NF-LSTM, all features", "NLL ind": 1.041, "NLL joint": 0.581, "cov MSE": 0.369, "Box's M": 2.37,
     "calib Uni": 0.048, "calib Port": 0.063},
    {"model": "BDG with same features", "NLL ind": 1.013, "NLL joint": 0.620, "cov MSE": 0.332, "Box's M": 2.720,
     "calib Uni": 0.086, "calib Port": 0.107},
    {"model": "NF-Attn, returns + indices", "NLL ind": 1.044, "NLL joint": 0.602, "cov MSE": 0.246,
     "Box's M": 2.383, "calib Uni": 0.075, "calib Port": 0.133},
    {"model": "PPCA (12 factors)", "NLL ind": 1.326, "NLL joint": 0.664, "cov MSE": 0.881, "Box's M": 3.476,
     "calib Uni": 0.741, "calib Port": 0.433},
    {"model": "GARCH skew-t", "NLL ind": 1.053, "NLL joint": None, "cov MSE": None, "Box's M": None,
     "calib Uni": 0.049, "calib Port": 0.005},
]


# --- background training --------------------------------------------------------------------
@st.cache_resource
def _processes() -> dict:
    """Training subprocesses started by this server: run id -> Popen."""
    return {}


def start_training(dataset_key: str, filename: str, data: bytes, preset: str, max_steps: int) -> str:
    """Start `neuralfactors train` on an uploaded file as a background process; its run id."""
    import subprocess
    import sys
    import time

    run = f"{time.strftime('%Y%m%d-%H%M%S')}-{dataset_key.split(':')[-1][:6]}"
    source = RUNS / "_uploads" / f"{dataset_key.split(':')[-1]}{Path(filename).suffix.lower() or '.csv'}"
    source.parent.mkdir(parents=True, exist_ok=True)
    from core.io import atomic_write_bytes

    atomic_write_bytes(source, data)
    log = RUNS / f"{run}.log"
    cmd = [sys.executable, "-m", "core.cli", "train", "--model", NEURAL, "--data", str(source), "--preset", preset,
           "--max-steps", str(max_steps), "--out", str(RUNS / run)]
    with open(log, "wb") as fh:
        _processes()[run] = (subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT), max_steps)
    return run


def training_status(run: str) -> dict:
    """state (running / finished / failed / unknown), fraction done (from "step k" in the log), log tail."""
    import re

    log_path = RUNS / f"{run}.log"
    log = log_path.read_text(errors="replace")[-4000:] if log_path.exists() else ""
    proc, total = _processes().get(run, (None, 0))
    steps = [int(s) for s in re.findall(r"step\s*[=:]?\s*(\d+)", log)]
    fraction = min(1.0, steps[-1] / total) if steps and total else 0.0
    if proc is None:
        state = "unknown"
    elif proc.poll() is None:
        state = "running"
    else:
        state = "finished" if proc.returncode == 0 else f"failed (exit {proc.returncode})"
        fraction = 1.0 if proc.returncode == 0 else fraction
    last = log.strip().splitlines()[-1] if log.strip() else "starting"
    return {"state": state, "fraction": fraction, "text": last[:120], "log": log}


# --- covariance -----------------------------------------------------------------------------
def _future(dataset: str, date: str, tickers: list[str], h: int) -> pd.DataFrame:
    """Realised returns of the h dates after `date` (h x N), stocks with all h values only."""
    p = panel(dataset)
    pos = p.date_position(date)
    fut = p.returns.iloc[pos + 1: pos + 1 + h].reindex(columns=tickers)
    return fut.dropna(axis=1, how="any")


@st.cache_data(show_spinner="Comparing covariances ...", max_entries=64)
def covariance_view(dataset: str, model: str, date: str, h: int = 21) -> dict:
    """Forecast and realised (next h dates) correlation matrices and covariance eigenvalues."""
    fc = forecast_at(dataset, model, date)
    fut = _future(dataset, date, fc.tickers, h)
    if len(fut) < 2 or fut.shape[1] < 2:
        raise ModelError(f"fewer than 2 realised dates after {date}; pick an earlier date")
    keep = [fc.tickers.index(t) for t in fut.columns]
    cov_f = fc.dense_cov()[np.ix_(keep, keep)]  # display only
    sd = np.sqrt(np.diag(cov_f))
    cov_r = np.cov(fut.to_numpy(), rowvar=False)
    labels = list(fut.columns)
    return {
        "forecast": pd.DataFrame(cov_f / np.outer(sd, sd), index=labels, columns=labels),
        "realised": pd.DataFrame(np.corrcoef(fut.to_numpy(), rowvar=False), index=labels, columns=labels),
        "eig_forecast": np.linalg.eigvalsh(cov_f), "eig_realised": np.linalg.eigvalsh(cov_r), "h": len(fut),
    }


@st.cache_data(show_spinner="Scoring covariance forecasts over time ...", max_entries=32)
def covariance_scores(dataset: str, model: str, part: str, h: int = 21, step: int = 5) -> pd.DataFrame:
    """QLIKE and correlation error of every `step`-th forecast in the window (dates x 2)."""
    from core.risk.covariance import correlation_error, qlike
    from core.risk.factor import restrict

    fs = forecasts(dataset, model)
    rows = {}
    for d in window(dataset, model, part)[::step]:
        fc = fs.at(d)
        fut = _future(dataset, d, fc.tickers, h)
        if len(fut) < h or fut.shape[1] < 2:
            continue
        sub = restrict(fc, list(fut.columns))
        rows[pd.Timestamp(d)] = {"QLIKE": qlike(sub, fut.to_numpy()),
                                 "correlation error (Frobenius)": correlation_error(sub, fut.to_numpy())}
    return pd.DataFrame.from_dict(rows, orient="index")

