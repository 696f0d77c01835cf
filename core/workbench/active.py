"""Benchmark-relative risk: active weights a = w - b, the tracking-error forecast sqrt(a' Sigma a) in
factor form (never an N x N matrix), and its Euler decomposition by factor, by stock and by sector
(core.risk.factor.risk_decomposition on a: the contributions sum to the tracking error)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from core.errors import PortfolioError
from core.forecast import FactorForecast
from core.risk.factor import risk_decomposition
from core.workbench.capabilities import has_factors, require_joint
from core.workbench.portfolios import aligned

BENCHMARKS = {"equal": "equal weight", "uploaded": "uploaded weights file"}


@dataclass
class ActiveRisk:
    """Daily tracking error `te` of weights against a benchmark, and where it comes from: per_factor
    (factor contributions; with `specific` they sum to te), per_stock and per_sector (each sums to te).
    has_factors False (a covariance-only model): per_factor holds principal components, not factors."""

    active: pd.Series
    te: float
    factor: float
    specific: float
    per_factor: pd.Series
    per_stock: pd.Series
    per_sector: pd.Series
    has_factors: bool = True
    notes: list[str] = field(default_factory=list)


def benchmark_weights(tickers: list[str], kind: str = "equal", uploaded: dict[str, float] | None = None
                      ) -> tuple[pd.Series, list[str]]:
    """Benchmark weights on `tickers` (summing to 1) and notes: "equal" (1/N each) or "uploaded" ({ticker:
    weight}, e.g. core.portfolio.weights.read_weights_csv; tickers outside `tickers` dropped and the rest
    rescaled, said in the notes). PortfolioError when nothing is left."""
    if kind == "equal":
        return pd.Series(1.0 / len(tickers), index=tickers, dtype=float), []
    if kind != "uploaded":
        raise PortfolioError(f"unknown benchmark {kind!r}; use one of {list(BENCHMARKS)}")
    if not uploaded:
        raise PortfolioError("no benchmark weights uploaded: upload a CSV with columns ticker,weight")
    b = pd.Series(uploaded, dtype=float)
    unknown = [t for t in b.index if t not in set(tickers)]
    b = b.reindex(tickers).fillna(0.0)
    if abs(b.sum()) < 1e-12:
        raise PortfolioError("none of the benchmark's tickers has a forecast on this date; give weights for "
                             f"tickers such as {', '.join(tickers[:3])}")
    notes = [f"{len(unknown)} benchmark tickers without a forecast dropped ({', '.join(unknown[:5])})"] if unknown else []
    if abs(b.sum() - 1.0) > 1e-6:
        notes.append(f"benchmark weights summed to {b.sum():.4g}; rescaled to 1")
    return b / b.sum(), notes


def active_risk(fc: FactorForecast, weights: pd.Series, benchmark: pd.Series, sectors: pd.Series) -> ActiveRisk:
    """Tracking error of `weights` against `benchmark` (both by ticker; absent tickers 0) under the forecast
    `fc`, decomposed by factor, stock and sector (`sectors`: ticker -> sector)."""
    require_joint(fc, "a tracking error")
    a = aligned(fc, weights) - aligned(fc, benchmark)
    d = risk_decomposition(fc, a)
    stocks = pd.Series(d.per_stock, index=fc.tickers)
    sec = sectors.reindex(fc.tickers).fillna("Unknown")
    names = d.factor_names if has_factors(fc) else [f"pc{k + 1}" for k in range(fc.n_factors)]
    notes = [] if has_factors(fc) else ["a covariance-only model: its 'factors' are principal components"]
    return ActiveRisk(active=pd.Series(a, index=fc.tickers), te=d.vol, factor=d.factor, specific=d.specific,
                      per_factor=pd.Series(d.per_factor, index=names), per_stock=stocks,
                      per_sector=stocks.groupby(sec).sum().sort_values(ascending=False), has_factors=has_factors(fc),
                      notes=notes)
