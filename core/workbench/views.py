"""The analyses behind every view, as functions of objects: a Panel, a ForecastSeries (or one
FactorForecast), weights (pd.Series by ticker) and dates. The dashboard caches them; the CLI
and the report call them directly."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import ModelError, NotAvailable
from core.forecast import FactorForecast, ForecastSeries, restrict
from core.forecast.linalg import safe_cholesky
from core.risk.portfolio_garch import METHOD as GARCH_METHOD
from core.workbench.portfolios import (MV_RISK_AVERSION, VAR_LEVELS, aligned, constraints, has_factors, optimise,
                                       realised_return, require_joint)

COV_HORIZON = 21  # realised-covariance window (trading days)
MC_SAMPLES = 1_000  # Monte Carlo draws per date for Student-t VaR series
N_COMPONENTS = 5  # principal components shown for a model without factors
#: the backtest metrics (core.portfolio.metrics keys) in words
PERFORMANCE_LABELS = {"accumulated_return": "total return", "annualised_return": "annualised return",
                      "annualised_vol": "annualised volatility", "max_drawdown": "maximum drawdown",
                      "sharpe": "Sharpe ratio", "sortino": "Sortino ratio", "calmar": "Calmar ratio",
                      "turnover": "daily turnover"}
#: how a VaR was computed, in words (the method strings of core.risk.var and core.risk.portfolio_garch)
METHODS = {"parametric": "the closed-form Normal quantile",
           "monte_carlo": "Monte Carlo draws of the Student-t forecast",
           GARCH_METHOD: "a GARCH(1,1)-t fitted on the portfolio's own returns"}


def method_label(method: str) -> str:
    """A VaR method in words: "monte_carlo" -> "Monte Carlo draws of the Student-t forecast"."""
    return METHODS.get(method, method)


def split_of(panel, date) -> str:
    """The split holding `date`: train, valid, test or "outside the data"."""
    ts = pd.Timestamp(date)
    for part in ("train", "valid", "test"):
        if ts in panel.split_dates(part):
            return part
    return "outside the data"


def window(panel, series: ForecastSeries, part: str) -> pd.DatetimeIndex:
    """The forecast dates of split `part` that the series covers (the span of the time charts)."""
    span = panel.split_dates(part) if part in ("train", "valid", "test") else pd.DatetimeIndex([])
    return series.dates[series.dates.isin(span)]


def require_factors(fc_or_series) -> None:
    """NotAvailable for a model without a factor structure (covariance-only or univariate)."""
    if not has_factors(fc_or_series):
        from core.models.registry import label

        name = label(getattr(fc_or_series, "model", "") or "this model")
        kind = "univariate" if not fc_or_series.joint else "a covariance-only model"
        raise NotAvailable(f"{name} is {kind}, with no factor structure: no factor exposures or factor returns "
                           "(its risk is on the Overview and VaR pages)")


@dataclass
class Components:
    """The k largest principal components of the forecast covariance S_t on each of T dates (N tickers).

    loadings (T, N, k): sqrt(lambda) v, each stock's return (fraction per day) for a one-standard-deviation
    move along the component, NaN for a stock without a forecast; variance (T, k): the eigenvalues lambda,
    largest first; total (T,): trace S_t, the stocks' summed forecast variance."""

    dates: pd.DatetimeIndex
    tickers: list[str]
    loadings: np.ndarray
    variance: np.ndarray
    total: np.ndarray

    @property
    def names(self) -> list[str]:
        return [f"PC{j + 1}" for j in range(self.loadings.shape[2])]


def _top_eigen(m: np.ndarray, d: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k largest eigenpairs, (k,) and (N, k), of S = m m' + diag(d) (m: N x F, F <= N or not): from the
    F x F Gram matrix m'm when d is one number (every covariance-only model, FactorForecast.from_covariance),
    else from the dense S."""
    from scipy.linalg import eigh

    n, f = m.shape
    if np.ptp(d) <= 1e-12 * d.max() and f <= n:
        s2, w = eigh(m.T @ m, subset_by_index=[f - k, f - 1])
        s2, w = np.clip(s2[::-1], 0.0, None), w[:, ::-1]
        return s2 + d[0], (m @ w) / np.sqrt(np.where(s2 > 0, s2, np.inf))
    lam, vec = eigh(m @ m.T + np.diag(d), subset_by_index=[n - k, n - 1])
    return lam[::-1], vec[:, ::-1]


def principal_components(series: ForecastSeries, dates, k: int = N_COMPONENTS) -> Components:
    """Principal components of the forecast covariance on each of `dates`: the statistical directions of a
    model without factors (they are not factors). An eigenvector's sign is arbitrary and a solver may flip it
    from one date to the next, so each component's sign is fixed over time: its loadings have a positive dot
    product with the previous date's, and a positive sum on the first date. Ranked by variance on each date,
    so two components of nearly equal variance can swap places."""
    require_joint(series, "principal components of a forecast covariance")
    pos = series.dates.get_indexer(pd.DatetimeIndex(dates))
    n, k = len(series.tickers), min(k, len(series.tickers), series.exposures.shape[2])
    loadings, variance = np.full((len(pos), n, k), np.nan), np.full((len(pos), k), np.nan)
    total = np.full(len(pos), np.nan)
    ref = np.ones((n, k))  # the first date: a positive sum
    for i, p in enumerate(pos):
        ok = np.isfinite(series.mean[p]) & np.isfinite(series.idio_var[p])
        m = np.nan_to_num(series.exposures[p, ok]) @ safe_cholesky(series.factor_cov[p])
        d = series.idio_var[p, ok]
        lam, vec = _top_eigen(m, d, min(k, len(d)))
        load = np.zeros((n, k))
        load[ok, :len(lam)] = vec * np.sqrt(np.clip(lam, 0.0, None))
        load *= np.where(np.sum(load * ref, axis=0) < 0, -1.0, 1.0)
        loadings[i, ok], variance[i, :len(lam)], total[i] = load[ok], lam, np.sum(m * m) + d.sum()
        ref = load
    return Components(pd.DatetimeIndex(series.dates[pos]), list(series.tickers), loadings, variance, total)


def _component_date(pcs: Components, date) -> int:
    i = pcs.dates.get_indexer([pd.Timestamp(date)])[0]
    if i < 0:
        raise ModelError(f"no principal components at {pd.Timestamp(date).date()}: pick a date of the same split")
    return int(i)


def component_loadings(pcs: Components, date) -> pd.DataFrame:
    """tickers with a forecast on `date` x components: the loadings (fraction per day)."""
    return pd.DataFrame(pcs.loadings[_component_date(pcs, date)], index=pcs.tickers, columns=pcs.names).dropna()


def component_exposures_over_time(pcs: Components, weights: pd.Series) -> pd.DataFrame:
    """The fixed-weight portfolio's loadings w'l_t over the dates (dates x components, fraction per day)."""
    w = weights.reindex(pcs.tickers).fillna(0.0).to_numpy()
    return pd.DataFrame(np.einsum("n,tnk->tk", w, np.nan_to_num(pcs.loadings)), index=pcs.dates, columns=pcs.names)


def component_summary(pcs: Components, fc: FactorForecast, weights: pd.Series) -> pd.DataFrame:
    """Components x [share of the stocks' variance (lambda / trace S), portfolio loading w'l (fraction per day),
    share of the portfolio's variance (w'l)^2 / w'Sw] on the date of `fc`."""
    i = _component_date(pcs, fc.date)
    y = np.nan_to_num(pcs.loadings[i]).T @ weights.reindex(pcs.tickers).fillna(0.0).to_numpy()
    return pd.DataFrame({"share of the stocks' variance": pcs.variance[i] / pcs.total[i], "portfolio loading": y,
                         "share of the portfolio's variance": y ** 2 / fc.portfolio_var(aligned(fc, weights))},
                        index=pcs.names)


def exposures_over_time(series: ForecastSeries, dates: pd.DatetimeIndex, weights: pd.Series) -> pd.DataFrame:
    """Portfolio factor exposures w'B_t over `dates` (dates x factors); weights fixed."""
    require_factors(series)
    pos = series.dates.get_indexer(dates)
    w = weights.reindex(series.tickers).fillna(0.0).to_numpy()
    y = np.einsum("n,tnf->tf", w, np.nan_to_num(series.exposures[pos]))
    return pd.DataFrame(y, index=dates, columns=series.factor_names)


def exposures_table(fc: FactorForecast) -> pd.DataFrame:
    """tickers x factors exposures B."""
    require_factors(fc)
    return pd.DataFrame(fc.exposures, index=fc.tickers, columns=fc.factor_names)


def factor_returns(panel, forecasts, dates: pd.DatetimeIndex, shipped: pd.DataFrame | None = None) -> pd.DataFrame:
    """Realised factor returns over `dates` (dates x factors): the shipped table, the synthetic
    ground truth, or the model's own `factor_returns` (NotAvailable when it defines none)."""
    require_factors(forecasts.series)
    if shipped is not None:
        return shipped.reindex(dates)
    if forecasts.source == "truth":
        from core.data.synthetic import default_synthetic

        z = default_synthetic()[1].factor_returns
        return pd.DataFrame(z, index=panel.dates, columns=[f"f{k + 1}" for k in range(z.shape[1])]).reindex(dates)
    if not hasattr(forecasts.model, "factor_returns"):
        raise NotAvailable(f"{forecasts.name} does not define realised factor returns (it has no explicit factors)")
    return forecasts.model.factor_returns(panel, dates)


def var_series(panel, series: ForecastSeries, dates, weights: pd.Series, n_samples: int = MC_SAMPLES) -> pd.DataFrame:
    """Per forecast date: VaR 95/99 (positive losses) and the realised next-date return of the
    fixed-weight portfolio; columns "VaR 95%", "VaR 99%", "return" (dates with an outcome only)."""
    from core.risk.var import forecast_vars

    if not series.joint:  # never combine univariate forecasts: the portfolio GARCH on its own history
        from core.risk.portfolio_garch import portfolio_garch_series

        w = weights.reindex(series.tickers).fillna(0.0)
        out = portfolio_garch_series(panel.returns, dates, w, VAR_LEVELS)
        if not len(out):
            return pd.DataFrame(columns=["VaR 95%", "VaR 99%", "return"])
        out = out[[f"VaR {int(lv * 100)}%" for lv in VAR_LEVELS]]
        out["return"] = [realised_return(panel, d, w) for d in out.index]
        return out[out["return"].notna()]
    rows = {}
    for d in dates:
        fc = series.at(d)
        w = weights.reindex(fc.tickers).fillna(0.0)
        if w.abs().sum() < 1e-9:
            continue
        tail = forecast_vars(fc, w.to_numpy(), VAR_LEVELS, n_samples)
        res = {f"VaR {int(lv * 100)}%": v.var for lv, v in tail.items()}
        res["return"] = realised_return(panel, d, w)
        rows[pd.Timestamp(d)] = res
    out = pd.DataFrame.from_dict(rows, orient="index")
    return out[out["return"].notna()] if len(out) else out


def var_backtest(series: pd.DataFrame) -> pd.DataFrame:
    """Backtest table (rate, Kupiec, Christoffersen, traffic light) per VaR level of a `var_series`."""
    from core.risk.backtest import var_backtest as run

    rows = []
    for lv in VAR_LEVELS:
        col = f"VaR {int(lv * 100)}%"
        res = run(series["return"].to_numpy(), series[col].to_numpy(), lv)
        rows.append({"level": col, **res.to_dict()})
    return pd.DataFrame(rows).set_index("level").drop(columns=["level"], errors="ignore")


def var_verdicts(series: pd.DataFrame) -> pd.DataFrame:
    """The backtests of a `var_series` in plain language: one row per test and VaR level (test, the
    window it uses, result, formatted p-value, verdict, what it checks); core.risk.backtest.verdicts."""
    from core.risk.backtest import var_backtest as run, verdicts

    rows = []
    for lv in VAR_LEVELS:
        col = f"VaR {int(lv * 100)}%"
        rows += verdicts(run(series["return"].to_numpy(), series[col].to_numpy(), lv))
    return pd.DataFrame(rows)


def scenarios(fc: FactorForecast, weights: pd.Series, n: int = 20_000, panel=None) -> np.ndarray:
    """n draws of the portfolio's next-date return, (n,): joint draws of the forecast, or, for a
    univariate model, draws of the portfolio GARCH(1,1)-t on the portfolio's own history (needs `panel`)."""
    from core.risk.scenarios import portfolio_scenarios

    if not fc.joint:
        from core.risk.portfolio_garch import portfolio_garch

        if panel is None:
            raise NotAvailable("a univariate model has no joint scenarios across stocks")
        return portfolio_garch(panel.returns, fc.date, weights.reindex(fc.tickers).fillna(0.0), VAR_LEVELS).sample(n)
    return portfolio_scenarios(fc, aligned(fc, weights), n, seed=0)


def stock_scenarios(fc: FactorForecast, tickers: tuple[str, str], n: int = 3_000) -> np.ndarray:
    """n joint draws of two stocks' next-date returns, (n, 2)."""
    require_joint(fc, "the joint distribution of two stocks")
    idx = [fc.tickers.index(t) for t in tickers]
    return fc.sample(n, rng=0)[:, idx]


def history(panel, date, weights: pd.Series | None = None, tickers=None, days: int = 1000) -> np.ndarray:
    """Realised daily returns up to `date`: of the fixed-weight portfolio (n,) or of `tickers` (n, k)."""
    r = panel.returns.loc[:pd.Timestamp(date)].tail(days)
    if tickers is not None:
        return r[list(tickers)].dropna().to_numpy()
    sub = r[weights.index]
    return (sub.fillna(0.0).to_numpy() @ weights.to_numpy())[sub.notna().any(axis=1).to_numpy()]


def optimised_strategies(series: ForecastSeries, dates) -> dict[str, pd.DataFrame]:
    """Weights (dates x tickers) of the daily re-optimised strategies, minimum variance and mean-variance
    (long-only, fully invested), each day from that day's forecast by the direct Clarabel QP
    (core.portfolio.qp, ~2 ms a solve). They do not depend on the chosen portfolio, so the dashboard
    computes them once per model and split."""
    from core.portfolio import qp

    require_joint(series, "daily re-optimised strategies")
    dates = pd.DatetimeIndex(dates)
    col = {t: i for i, t in enumerate(series.tickers)}
    cons = constraints()
    out = {"minimum variance": np.zeros((len(dates), len(col))), "mean-variance": np.zeros((len(dates), len(col)))}
    for k, d in enumerate(dates):
        fc = series.at(d)
        idx = [col[t] for t in fc.tickers]
        out["minimum variance"][k, idx], out["mean-variance"][k, idx] = qp.mean_variance_qps(
            fc, cons, (np.inf, MV_RISK_AVERSION))
    return {name: pd.DataFrame(w, index=dates, columns=series.tickers) for name, w in out.items()}


def backtest(panel, series: ForecastSeries, dates, weights: pd.Series, optimised: bool | dict = False) -> dict:
    """Strategies over `dates`, weights set at each close from that day's forecast: the chosen
    portfolio's fixed weights, equal weight, (optionally) minimum variance and mean-variance
    re-optimised daily, and the benchmark. `optimised`: True, or the `optimised_strategies` already
    computed for these dates. Returns {"values": growth of 1 (dates x strategies), "metrics":
    strategies x metrics, labelled by PERFORMANCE_LABELS}."""
    from core.portfolio import backtest as bt
    from core.portfolio.metrics import performance_metrics

    dates = pd.DatetimeIndex(dates)
    dates = dates[dates < panel.dates[-1]]
    pos = series.dates.get_indexer(dates)
    ok = np.isfinite(series.mean[pos]) & np.isfinite(series.idio_var[pos])  # stocks with a forecast each day
    fixed = weights.reindex(series.tickers).fillna(0.0).to_numpy()
    frames = {"chosen portfolio (fixed weights)": np.where(ok, fixed[None, :], 0.0),
              "equal weight": ok / np.maximum(ok.sum(axis=1, keepdims=True), 1)}
    frames = {k: pd.DataFrame(v, index=dates, columns=series.tickers) for k, v in frames.items()}
    if optimised is not False:
        opt = optimised if isinstance(optimised, dict) else optimised_strategies(series, dates)
        frames |= {k: v.reindex(dates) for k, v in opt.items()}
    rets, turns = {}, {}
    for name, w in frames.items():
        res = bt.run_backtest(w, panel.returns)
        rets[name], turns[name] = res.returns, res.turnover
    if panel.benchmark is not None:
        rets[f"benchmark ({panel.benchmark.name})"] = panel.benchmark.reindex(next(iter(rets.values())).index)
    frame = pd.DataFrame(rets)
    metrics = pd.DataFrame({k: performance_metrics(frame[k], turns.get(k)) for k in frame}).T.rename(
        columns=PERFORMANCE_LABELS)
    return {"values": (1.0 + frame.fillna(0.0)).cumprod(), "metrics": metrics}


def embedding(panel, fc: FactorForecast) -> dict:
    """t-SNE map of the exposures and kNN sector accuracy (core.embedding)."""
    from core.embedding import embed_exposures

    require_factors(fc)
    emb = embed_exposures(fc, panel.sectors)
    points = emb.coords.reset_index()
    points["name"] = panel.meta["name"].reindex(points["ticker"]).fillna("").to_numpy()
    return {"points": points, "acc_exposures": emb.knn_exposures, "acc_map": emb.knn_map, "chance": emb.chance,
            "k": 5}


def _future(panel, date, tickers: list[str], h: int) -> pd.DataFrame:
    """Realised returns of the h dates after `date` (h x N), stocks with all h values only."""
    pos = panel.date_position(date)
    fut = panel.returns.iloc[pos + 1: pos + 1 + h].reindex(columns=tickers)
    return fut.dropna(axis=1, how="any")


def covariance_view(panel, fc: FactorForecast, h: int = COV_HORIZON) -> dict:
    """Forecast and realised (next h dates) correlation matrices and covariance eigenvalues."""
    require_joint(fc, "a forecast covariance")
    fut = _future(panel, fc.date, fc.tickers, h)
    if len(fut) < 2 or fut.shape[1] < 2:
        raise ModelError(f"fewer than 2 realised dates after {fc.date.date()}; pick an earlier date")
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


#: correlation heatmaps of more stocks than this are drawn by sector or for the largest holdings
MAX_HEATMAP_STOCKS = 60


def sector_correlations(corr: pd.DataFrame, sectors: pd.Series) -> pd.DataFrame:
    """Mean pairwise correlation within and between sectors, (S, S) from an (N, N) correlation
    matrix; a diagonal cell averages the distinct pairs of its sector (NaN for a one-stock sector).
    Labels "sector (n stocks)", sectors in alphabetical order."""
    group = sectors.reindex(corr.index).fillna("Unknown").to_numpy()
    names = sorted(set(group))
    member = np.array([[g == name for g in group] for name in names], dtype=float)  # (S, N)
    c = corr.to_numpy(dtype=float)
    sums = member @ c @ member.T
    counts = np.outer(member.sum(1), member.sum(1))
    size = member.sum(1)
    sums[np.diag_indices(len(names))] -= member @ np.diag(c)  # drop each stock's correlation with itself
    counts[np.diag_indices(len(names))] = size * (size - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(counts > 0, sums / np.where(counts > 0, counts, 1), np.nan)
    labels = [f"{name} ({int(k)})" for name, k in zip(names, size)]
    return pd.DataFrame(out, index=labels, columns=labels)


def largest_holdings(view: dict, weights: pd.Series, n: int = MAX_HEATMAP_STOCKS) -> dict:
    """`covariance_view` restricted to the n stocks with the largest |weight| (ties: ticker order)."""
    tickers = list(view["forecast"].index)
    w = weights.reindex(tickers).fillna(0.0).abs()
    keep = sorted(tickers, key=lambda t: (-w[t], tickers.index(t)))[:n]
    keep = [t for t in tickers if t in set(keep)]
    return {**view, "forecast": view["forecast"].loc[keep, keep], "realised": view["realised"].loc[keep, keep]}


def covariance_scores(panel, series: ForecastSeries, dates, h: int = COV_HORIZON, step: int = 5) -> pd.DataFrame:
    """QLIKE and correlation error of every `step`-th forecast in `dates` (dates x 2)."""
    from core.risk.covariance import correlation_error, qlike

    require_joint(series, "a forecast covariance")
    rows = {}
    for d in pd.DatetimeIndex(dates)[::step]:
        fc = series.at(d)
        fut = _future(panel, d, fc.tickers, h)
        if len(fut) < h or fut.shape[1] < 2:
            continue
        sub = restrict(fc, list(fut.columns))
        rows[pd.Timestamp(d)] = {"QLIKE": qlike(sub, fut.to_numpy()),
                                 "correlation error (Frobenius)": correlation_error(sub, fut.to_numpy())}
    return pd.DataFrame.from_dict(rows, orient="index")


def factor_names(panel, forecasts, shipped: pd.DataFrame | None = None) -> pd.DataFrame:
    """What each latent factor is (core.workbench.factor_names): correlations of its realised returns with
    the market, each sector and the style ETFs, and a suggested name, over the VALIDATION window only (no
    peeking at the test split); the window is in the column "window"."""
    from core.workbench.factor_names import factor_names as name_factors

    dates = window(panel, forecasts.series, "valid")
    if len(dates) == 0:
        raise NotAvailable("no forecasts on the validation split: the factors cannot be named without the test split")
    out = name_factors(panel, factor_returns(panel, forecasts, dates, shipped))
    out.insert(4, "window", f"validation {dates[0].date()} to {dates[-1].date()}")
    return out
