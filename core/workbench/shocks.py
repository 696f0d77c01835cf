"""Factor and series shocks: the distribution of each stock and of the portfolio on the forecast date given moves
of some factors or of observable series, in factor form (never an N x N matrix).

Convention: the forecast is r = m + B z + eps with E[z] = 0 (core.forecast.factor_forecast), so a factor shock
z_A = a is a move of the factors away from their forecast mean, in the units of the model's factor returns
(core.workbench.realised). Conditioning (Gaussian closed form):
  factors  z | z_A = a ~ N(S_.A S_AA^-1 a, S - S_.A S_AA^-1 S_A.); factors independent of A keep their law;
  series   r | C'r = a ~ N(m + S C V^-1 (a - C'm), Sigma - Sigma C V^-1 C'Sigma), V = C'Sigma C, with
           Sigma C = B (S (B'C)) + d * C computed in O(N F k).
A Student-t forecast is conditioned on the model's own draws (core.workbench.conditioning, DRAWS of them): a factor
shock whose factors are independent of the others (NeuralFactors' prior) by exact conditional draws (z_A set to a,
the rest drawn from their law), on correlated factors as a scale mixture of Normals (`mixture`); a series shock,
which the stocks' own noise enters, by importance resampling near the shock (`resampled`: the width and the draws
kept are said), the Gaussian formula on its covariance where too few draws are kept (`method` says so). A shock
beyond MAX_SD of the model's standard deviation of that factor or series is refused with the range the model
supports. Shocks set in the units of each factor's reference series: core.workbench.reference_shocks."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from core.errors import ModelError
from core.forecast import FactorForecast
from core.workbench.conditioning import DRAWS, conditioned, mixture, model_draws, resampled, too_few
from core.workbench.capabilities import has_factors, require_factors, require_joint
from core.workbench.portfolios import aligned

MAX_SD = 10.0
LEVELS = (0.05, 0.5, 0.95)
MARKET = "market"  # the forecast universe's equal-weighted mean return
SECTOR = "sector: "


@dataclass
class Shock:
    """The conditional distribution given `conditions` (name -> value): per stock the expected return, its move
    from the unconditional mean and the sd; per factor the conditional mean in the model's latent units (empty
    without factors); the portfolio's expected P&L, sd and quantiles at LEVELS (fractions of capital, of gross for
    a dollar-neutral book); for a reference shock (core.workbench.reference_shocks) each factor reference's
    expected return given the shock and the R-squared of each shocked reference on the factors."""

    conditions: dict[str, float]
    stocks: pd.DataFrame  # tickers x [expected, move, sd]
    factors: pd.Series
    pnl_mean: float
    pnl_sd: float
    quantiles: dict[float, float]
    method: str
    notes: list[str] = field(default_factory=list)
    references: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))  # reference -> expected return
    r2: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))  # shocked reference -> R-squared


def method_label(fc: FactorForecast) -> str:
    """How the conditional distribution is computed, in words."""
    if fc.distribution.closed_form:
        return "Gaussian closed form"
    return ("Gaussian formula on the Student-t forecast's covariance (an approximation: linear conditional means, "
            "Normal bands)")


def refuse(name: str, value: float, centre: float, sd: float, unit: str) -> None:
    if abs(value - centre) > MAX_SD * sd:
        raise ModelError(f"shock {name} = {value:.4g} is {abs(value - centre) / sd:.1f} sd from its forecast mean "
                         f"{centre:.4g} (sd {sd:.4g} {unit}); the model supports {centre - MAX_SD * sd:.4g} .. "
                         f"{centre + MAX_SD * sd:.4g} (within {MAX_SD:g} sd)")


def shock_result(fc: FactorForecast, w: np.ndarray, conditions: dict, mean: np.ndarray, var: np.ndarray,
            pnl_mean: float, pnl_var: float, factors: pd.Series, notes: list[str], draws=None) -> Shock:
    """draws: None (Gaussian: Normal quantiles) or (method, P&L draws (S,), their weights (S,)) of a Student-t."""
    sd = float(np.sqrt(max(pnl_var, 0.0)))
    stocks = pd.DataFrame({"expected": mean, "move": mean - fc.mean, "sd": np.sqrt(np.maximum(var, 0.0))},
                          index=fc.tickers)
    quantiles = {q: pnl_mean + sd * float(special.ndtri(q)) for q in LEVELS}
    method = method_label(fc)
    if draws is not None:
        method, pnl, wt = draws
        order = np.argsort(pnl)
        cdf = np.cumsum(wt[order]) / wt.sum()
        quantiles = {q: float(pnl[order][min(np.searchsorted(cdf, q), len(pnl) - 1)]) for q in LEVELS}
    return Shock(conditions=dict(conditions), stocks=stocks, factors=factors, pnl_mean=pnl_mean, pnl_sd=sd,
                 quantiles=quantiles, method=method, notes=notes)


def factor_shock(fc: FactorForecast, weights: pd.Series, shocks: dict[str, float]) -> Shock:
    """Condition on factors by name (fc.factor_names) set to values (moves from the mean of 0, latent units)."""
    require_factors(fc)
    if not shocks:
        raise ModelError("no factor shock given; set at least one factor, e.g. f1=-0.03")
    unknown = [k for k in shocks if k not in fc.factor_names]
    if unknown:
        raise ModelError(f"unknown factors {unknown}; this model's factors are {', '.join(fc.factor_names)}")
    s = fc.factor_cov
    idx = np.array([fc.factor_names.index(k) for k in shocks])
    a = np.array(list(shocks.values()), dtype=float)
    for k, value, i in zip(shocks, a, idx):
        refuse(k, value, 0.0, float(np.sqrt(s[i, i])), "of the factor")
    w = aligned(fc, weights)
    z_mean, _, mean, var, pnl_var = conditioned(fc, w, np.eye(fc.n_factors)[idx], np.zeros((len(idx),) * 2), a)
    free = [fc.factor_names[j] for j in range(fc.n_factors) if j not in idx and np.allclose(s[j, idx], 0.0)]
    notes = [f"{len(free)} factors independent of the shocked ones keep their unconditional law"] if free else []
    draws = None
    if not fc.distribution.closed_form and len(free) == fc.n_factors - len(idx):  # exact conditional draws
        z, eps = model_draws(fc)
        z[:, idx] = a
        draws = (f"exact conditional draws of the Student-t model ({DRAWS:,} draws; the other factors and the noise "
                 "from their own law)", fc.mean @ w + z @ (fc.exposures.T @ w) + eps @ w, np.ones(DRAWS))
    elif not fc.distribution.closed_form:
        got = mixture(fc, w, np.eye(fc.n_factors)[idx], np.zeros((len(idx),) * 2), a)
        z_mean, mean, var, pnl_var = got["z_mean"], got["mean"], got["var"], got["pnl_var"]
        draws = (got["method"], got["pnl"], got["weights"])
    return shock_result(fc, w, shocks, mean, var, float(w @ mean), pnl_var,
                   pd.Series(z_mean, index=fc.factor_names), notes, draws)


def in_sd(fc: FactorForecast, moves: dict[str, float]) -> dict[str, float]:
    """Factor moves given in sd of each factor (name -> number of sd) as moves in its latent units."""
    sd = factor_sd(fc)
    return {k: float(v) * float(sd.get(k, np.nan)) for k, v in moves.items()}


def factor_sd(fc: FactorForecast) -> pd.Series:
    """Each factor's forecast standard deviation sqrt(S_kk), the unit of a shock given in sd."""
    return pd.Series(np.sqrt(np.diag(fc.factor_cov)), index=fc.factor_names)


def series_weights(fc: FactorForecast, sectors: pd.Series, name: str) -> pd.Series:
    """Weights c (by ticker, summing to 1) of an observable series: MARKET (the forecast universe's equal-weighted
    mean, standing for the benchmark, which the model does not cover) or "sector: NAME" (that sector's mean)."""
    sec = sectors.reindex(fc.tickers)
    if name == MARKET:
        members = list(fc.tickers)
    elif name.startswith(SECTOR) and (sec == name[len(SECTOR):]).any():
        members = list(sec.index[sec == name[len(SECTOR):]])
    else:
        raise ModelError(f"unknown series {name!r}; use one of {', '.join(available_series(fc, sectors))}")
    return pd.Series(1.0 / len(members), index=members)


def available_series(fc: FactorForecast, sectors: pd.Series) -> list[str]:
    """The observable series names a shock can set on this forecast."""
    return [MARKET] + [SECTOR + str(s) for s in sorted(sectors.reindex(fc.tickers).dropna().unique())]


def series_shock(fc: FactorForecast, weights: pd.Series, combos: dict[str, pd.Series],
                 values: dict[str, float]) -> Shock:
    """Condition on linear combinations c_j'r = a_j: `combos` name -> weights c_j by ticker (e.g.
    `series_weights`), `values` name -> a_j (the series' return on the forecast date)."""
    require_joint(fc, "a series shock")
    if not combos:
        raise ModelError("no series shock given; set at least one series, e.g. market=-0.10")
    names = list(combos)
    c = np.column_stack([aligned(fc, combos[k]) for k in names])  # (N, k)
    b, s, d = fc.exposures, fc.factor_cov, fc.idio_var
    bc = b.T @ c  # (F, k)
    sig_c = b @ (s @ bc) + d[:, None] * c  # Sigma C, (N, k)
    v = c.T @ sig_c
    centre = c.T @ fc.mean
    a = np.array([values[k] for k in names], dtype=float)
    for j, k in enumerate(names):
        refuse(k, a[j], float(centre[j]), float(np.sqrt(v[j, j])), "of the series")
    shift = np.linalg.solve(v, a - centre)
    w = aligned(fc, weights)
    mean = fc.mean + sig_c @ shift
    var = fc.total_var() - np.sum(sig_c * np.linalg.solve(v, sig_c.T).T, axis=1)
    wsc = w @ sig_c
    pnl_var = fc.portfolio_var(w) - float(wsc @ np.linalg.solve(v, wsc))
    factors = pd.Series(s @ bc @ shift, index=fc.factor_names) if has_factors(fc) else pd.Series(dtype=float)
    conditions, notes = {k: values[k] for k in names}, []
    if not fc.distribution.closed_form:
        z, eps = model_draws(fc)
        r = fc.mean + z @ b.T + eps  # (S, N)
        kept = resampled(r, r @ c, a, np.sqrt(np.diag(v)), w)
        notes += too_few(kept)
        if kept is not None:
            mean, var = kept["mean"], kept["var"]
            return shock_result(fc, w, conditions, mean, var, float(w @ mean),
                           float(kept["weights"] @ (kept["pnl"] - w @ mean) ** 2 / kept["weights"].sum()), factors,
                           notes, (kept["method"], kept["pnl"], kept["weights"]))
    return shock_result(fc, w, conditions, mean, var, float(w @ mean), pnl_var, factors, notes)
