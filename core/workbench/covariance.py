"""The forecast covariance against the realised one: correlation matrices and eigenvalues on one date (by
sector, or for the largest holdings, above MAX_HEATMAP_STOCKS stocks), and QLIKE / correlation error over time."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import ModelError
from core.forecast import FactorForecast, ForecastSeries, restrict
from core.risk.covariance import correlation_error, qlike
from core.workbench.capabilities import require_joint

COV_HORIZON = 21  # realised-covariance window (trading days)
#: correlation heatmaps of more stocks than this are drawn by sector or for the largest holdings
MAX_HEATMAP_STOCKS = 60


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


def by_sector(view: dict, sectors: pd.Series) -> dict:
    """`covariance_view` with its forecast and realised correlations averaged by sector (S x S each)."""
    return {**view, "forecast": sector_correlations(view["forecast"], sectors),
            "realised": sector_correlations(view["realised"], sectors)}


def largest_holdings(view: dict, weights: pd.Series, n: int = MAX_HEATMAP_STOCKS) -> dict:
    """`covariance_view` restricted to the n stocks with the largest |weight| (ties: ticker order)."""
    tickers = list(view["forecast"].index)
    w = weights.reindex(tickers).fillna(0.0).abs()
    keep = sorted(tickers, key=lambda t: (-w[t], tickers.index(t)))[:n]
    keep = [t for t in tickers if t in set(keep)]
    return {**view, "forecast": view["forecast"].loc[keep, keep], "realised": view["realised"].loc[keep, keep]}


def covariance_scores(panel, series: ForecastSeries, dates, h: int = COV_HORIZON, step: int = 5) -> pd.DataFrame:
    """QLIKE and correlation error of every `step`-th forecast in `dates` (dates x 2)."""
    require_joint(series, "a forecast covariance")
    rows = {}
    for d in pd.DatetimeIndex(dates)[::step]:
        fc = series.at(d)
        fut = _future(panel, d, fc.tickers, h)
        if len(fut) < h or fut.shape[1] < 2:
            continue
        sub = fc if list(fut.columns) == fc.tickers else restrict(fc, list(fut.columns))  # a copy only when needed
        rows[pd.Timestamp(d)] = {"QLIKE": qlike(sub, fut.to_numpy()),
                                 "correlation error (Frobenius)": correlation_error(sub, fut.to_numpy())}
    return pd.DataFrame.from_dict(rows, orient="index")
