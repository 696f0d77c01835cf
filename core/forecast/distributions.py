"""The distribution families of a factor forecast, as objects (the way `arch` composes a model
from a Distribution): each owns its standardised draws, log-densities, CDFs, quantiles and
variance scaling. Nothing outside this module tests a family by name.

A forecast is r = m + B z + eps with z = L u (L = chol(factor_cov)) and eps_i = sqrt(d_i) e_i,
where u (F,) and e (N,) have independent unit-variance components:
  Normal     u, e standard Normal;
  StudentT   u_f ~ t(factor_dof[f]), e_i ~ t(idio_dof[i]), each scaled to unit variance
             (a dof of +inf marks a Normal component, e.g. PPCA's Normal factors);
             u_f = sqrt(v_f) g_f with g_f Normal and v_f = (dof - 2) / chi2(dof) (`factor_scales`), so given v
             the factors are Normal: what conditions a Student-t forecast in factor form (core.workbench.conditioning).
Every method takes the FactorForecast `fc` it describes (tickers N, factors F).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
from scipy import special

from core.errors import ModelError
from core.forecast.linalg import FactorPrecision, safe_cholesky

LOG_2PI = float(np.log(2.0 * np.pi))
SQRT_2PI = np.sqrt(2.0 * np.pi)  # the Normal density's constant, as scipy.stats.norm.pdf has it
#: how multi-day paths are drawn when a forecast has no dynamics beyond its day t+1 (`portfolio_paths`)
IID_DAYS = "i.i.d. days"


def standard_t(rng: np.random.Generator, dof: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Student-t draws with dof (shape[1],) scaled to unit variance (dof > 2; inf = Normal): Normal draws only
    where a dof is infinite."""
    dof = np.broadcast_to(np.asarray(dof, dtype=np.float64), shape)
    finite = np.isfinite(dof)
    if not finite.any():
        return rng.standard_normal(shape)
    d = np.where(finite, dof, 10.0)
    t = rng.standard_t(d) * np.sqrt((d - 2.0) / d)
    return t if finite.all() else np.where(finite, t, rng.standard_normal(shape))


def variance_scales(rng: np.random.Generator, dof: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Variance multipliers v (shape) of unit-variance Student-t draws with dof (shape[1],): v = (dof - 2) /
    chi2(dof), mean 1, and 1 where a dof is infinite; sqrt(v) g with g standard Normal is such a draw."""
    dof = np.broadcast_to(np.asarray(dof, dtype=np.float64), shape)
    finite = np.isfinite(dof[0]) if shape[0] else np.zeros(shape[1], dtype=bool)
    if not finite.any():
        return np.ones(shape)
    d = np.where(finite, dof[0], 10.0)
    v = rng.chisquare(np.broadcast_to(d, shape))
    np.divide(d - 2.0, v, out=v)
    return v if finite.all() else np.where(finite, v, 1.0)


class Normal:
    """Normal factors and noise: closed-form portfolio quantiles and likelihoods."""

    name: ClassVar[str] = "normal"
    #: portfolio returns are Normal, so VaR / CVaR / CDF have closed forms
    closed_form: ClassVar[bool] = True
    #: portfolio_cdf is the share of portfolio_scenarios(seed, n_samples) at or below x (so the two share draws)
    cdf_from_draws: ClassVar[bool] = False
    #: its numbers depend only on the forecast and the seed given (no state shared across calls), so the calls of
    #: many days may run on threads (core/parallel.py)
    threadable: ClassVar[bool] = True

    def dofs(self, n_factors: int, n_stocks: int) -> tuple[np.ndarray, np.ndarray]:
        """(factor_dof (F,), idio_dof (N,)): all +inf."""
        return np.full(n_factors, np.inf), np.full(n_stocks, np.inf)

    def restrict(self, idx: np.ndarray) -> "Normal":
        return self

    def factor_draws(self, rng: np.random.Generator, n: int, n_factors: int) -> np.ndarray:
        """(n, F) unit-variance draws of u."""
        return rng.standard_normal((n, n_factors))

    def idio_draws(self, rng: np.random.Generator, n: int, n_stocks: int) -> np.ndarray:
        """(n, N) unit-variance draws of e."""
        return rng.standard_normal((n, n_stocks))

    def factor_scales(self, rng: np.random.Generator, n: int, n_factors: int) -> np.ndarray:
        """(n, F) draws of the factors' variance multipliers v, mean 1: u = sqrt(v) g with g standard Normal has
        the law of u (a Normal or Student-t as a scale mixture of Normals). All 1 here."""
        return np.ones((n, n_factors))

    def portfolio_moments(self, fc, w: np.ndarray) -> tuple[float, float]:
        """(mean, variance) of w'r for w (N,), in factor form: w'm and (w'B) Sz (B'w) + sum w_i^2 d_i."""
        w = np.asarray(w, dtype=np.float64)
        y = fc.exposures.T @ w
        return float(w @ fc.mean), float(y @ fc.factor_cov @ y + np.sum(w * w * fc.idio_var))

    def portfolio_note(self, fc, w: np.ndarray) -> str:
        """How the portfolio numbers were made, when a reader needs telling ("" here: from the forecast itself)."""
        return ""

    def portfolio_scenarios(self, fc, w: np.ndarray, n: int, seed: int, chunk: int = 2_000) -> np.ndarray:
        """n draws of w'r, (n,): a sum of independent Normals is Normal, so N draws are not needed."""
        rng = np.random.default_rng(seed)
        a, s = _portfolio_loadings(fc, w)
        out = fc.portfolio_mean(w) + self.factor_draws(rng, n, fc.n_factors) @ a
        return out + rng.standard_normal(n) * float(np.sqrt(s @ s))

    def portfolio_paths(self, fc, w: np.ndarray, horizon: int, n: int, seed: int) -> tuple[np.ndarray, str]:
        """(paths (n, horizon): daily portfolio returns w'r over the `horizon` days after the forecast date, how
        they were made). The forecast describes day t+1 only and the model has no dynamics beyond it, so every later
        day is an independent fresh draw of the same day-t+1 forecast (IID_DAYS); here w'r ~ N(w'm, v) exactly,
        drawn directly."""
        mean, var = self.portfolio_moments(fc, w)
        z = np.random.default_rng(seed).standard_normal((n, horizon))
        return mean + float(np.sqrt(max(var, 0.0))) * z, IID_DAYS

    def portfolio_cdf(self, fc, w: np.ndarray, x: float, n_samples: int, seed: int) -> float:
        """P(w'r <= x)."""
        return float(special.ndtr((x - fc.portfolio_mean(w)) / np.sqrt(fc.portfolio_var(w))))

    def portfolio_var(self, fc, w: np.ndarray, levels, n_samples: int, seed: int) -> tuple[dict, str, int]:
        """({level: (VaR, CVaR)} as positive losses, method, draws used)."""
        mu, vol = fc.portfolio_mean(w), float(np.sqrt(max(fc.portfolio_var(w), 0.0)))
        return {lv: normal_var(mu, vol, lv) for lv in levels}, "parametric", 0

    def portfolio_pit_var(self, fc, w: np.ndarray, x: float, levels, n_samples: int, seed: int) -> tuple[float, dict]:
        """(P(w'r <= x), {level: (VaR, CVaR)}) from the same draws where draws are needed."""
        return self.portfolio_cdf(fc, w, x, n_samples, seed), self.portfolio_var(fc, w, levels, n_samples, seed)[0]

    def books_pit_var(self, fc, w: np.ndarray, x: np.ndarray, level: float, n_samples: int,
                      seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Many books at once: (P(w_p'r <= x_p) (P,), VaR_level of w_p'r (P,), a positive loss) for weights w (N, P)
        and outcomes x (P,)."""
        pit, q = self.books_pit_quantile(fc, w, x, np.full(w.shape[1], 1.0 - level), n_samples, seed)
        return pit, -q

    def books_pits(self, fc, w: np.ndarray, x: np.ndarray, n_samples: int, seed: int) -> np.ndarray:
        """P(w_p'r <= x_p) (P,) for books w (N, P) and outcomes x (P,); closed form."""
        mu, sd = _books_moments(fc, w)
        return special.ndtr((x - mu) / sd)

    def books_pit_quantile(self, fc, w, x, probs, n_samples, seed) -> tuple[np.ndarray, np.ndarray]:
        """(P(w_p'r <= x_p) (P,), the probs_p-quantile of w_p'r (P,)) for books w (N, P); closed form."""
        mu, sd = _books_moments(fc, w)
        return special.ndtr((x - mu) / sd), mu + sd * special.ndtri(probs)

    def marginal_cdf(self, fc, r: np.ndarray, n_samples: int, seed: int) -> np.ndarray:
        """P(r_i <= x_i) per stock, (N,)."""
        return special.ndtr((r - fc.mean) / np.sqrt(fc.total_var()))

    def log_likelihood(self, fc, r: np.ndarray, k: int, seed: int) -> float:
        """log p(r) of one cross-section r (N,): exact, Woodbury in factor form."""
        prec = FactorPrecision(fc.exposures, fc.factor_cov, fc.idio_var)
        return float(-0.5 * (fc.n_stocks * LOG_2PI + prec.logdet + prec.quad(r - fc.mean)[0]))

    def marginal_log_likelihood(self, fc, r: np.ndarray, n_samples: int, seed: int) -> np.ndarray:
        """log p(r_i) per stock, (N,): exact."""
        v = fc.total_var()
        return -0.5 * (LOG_2PI + np.log(v) + (r - fc.mean) ** 2 / v)


@dataclass(frozen=True, eq=False)
class StudentT(Normal):
    """Student-t factors (dof factor_dof, (F,)) and noise (dof idio_dof, (N,)); dof > 2 or +inf.
    Joint quantities come from Monte Carlo draws or the importance-weighted bound."""

    factor_dof: np.ndarray
    idio_dof: np.ndarray
    name: ClassVar[str] = "student_t"
    closed_form: ClassVar[bool] = False
    cdf_from_draws: ClassVar[bool] = True

    def dofs(self, n_factors: int, n_stocks: int) -> tuple[np.ndarray, np.ndarray]:
        return self.factor_dof, self.idio_dof

    def restrict(self, idx: np.ndarray) -> "StudentT":
        return StudentT(self.factor_dof, self.idio_dof[idx])

    def factor_draws(self, rng, n, n_factors):
        return standard_t(rng, self.factor_dof, (n, n_factors))

    def idio_draws(self, rng, n, n_stocks):
        return standard_t(rng, self.idio_dof, (n, n_stocks))

    def factor_scales(self, rng, n, n_factors):
        """v = (dof - 2) / chi2(dof) per factor (1 for a Normal one): a unit-variance t is sqrt(v) g."""
        return variance_scales(rng, self.factor_dof, (n, n_factors))

    def portfolio_scenarios(self, fc, w, n, seed, chunk=2_000):
        """n draws of w'r, (n,), as `books_draws` of the one book w."""
        return self.books_draws(fc, np.asarray(w, dtype=np.float64)[:, None], n, seed, chunk)[:, 0]

    def books_draws(self, fc, w, n, seed, chunk=2_000):
        """n draws of each book's return w_p'r, (n, P), for books w (N, P): the factor draws shared by every
        book, then the noise e's_p (s_p = w_p sqrt(d)) given the noise's variance multipliers v (`variance_scales`,
        one per scenario and stock that some book holds: a stock no book holds adds nothing, so it draws nothing;
        `chunk` scenarios at a time). With fewer books than held stocks, from its law given v,
        e's_p | v ~ N(0, sum_i s_pi^2 v_i): one Normal per scenario and book stands for the held stocks' Student-t
        draws, drawn independently across books; else the stocks' noise sqrt(v_i) g_i (g standard Normal), shared by
        the books. Either way each book's draws have the law of w_p'r exactly."""
        rng = np.random.default_rng(seed)
        a, s = _portfolio_loadings(fc, w)  # (F, P), (N, P)
        out = fc.mean @ w + self.factor_draws(rng, n, fc.n_factors) @ a  # (n, P)
        held = np.flatnonzero(np.any(s != 0.0, axis=1))
        dof = np.broadcast_to(np.asarray(self.idio_dof, dtype=np.float64), (fc.n_stocks,))
        s, dof = s[held], dof[held]  # (H, P), (H,): the H held stocks
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            v = variance_scales(rng, dof, (hi - lo, len(held)))
            if w.shape[1] < len(held):
                out[lo:hi] += np.sqrt(v @ (s * s)) * rng.standard_normal((hi - lo, w.shape[1]))
            else:
                out[lo:hi] += (np.sqrt(v) * rng.standard_normal(v.shape)) @ s
        return out

    def portfolio_paths(self, fc, w, horizon, n, seed):
        """i.i.d. days as for Normal, each day drawn by `portfolio_scenarios` with seed + k (k = 0..horizon-1), so
        day 1's draws are the one-day VaR's."""
        days = [self.portfolio_scenarios(fc, w, n, seed + k) for k in range(horizon)]
        return np.stack(days, axis=1), IID_DAYS

    def portfolio_cdf(self, fc, w, x, n_samples, seed):
        return float(np.mean(self.portfolio_scenarios(fc, w, n_samples, seed) <= x))

    def portfolio_var(self, fc, w, levels, n_samples, seed):
        draws = self.portfolio_scenarios(fc, w, n_samples, seed)
        return {lv: empirical_var(draws, lv) for lv in levels}, "monte_carlo", n_samples

    def portfolio_pit_var(self, fc, w, x, levels, n_samples, seed):
        draws = self.portfolio_scenarios(fc, w, n_samples, seed)
        return float(np.mean(draws <= x)), {lv: empirical_var(draws, lv) for lv in levels}

    def books_pits(self, fc, w, x, n_samples, seed):
        """P(w_p'r <= x_p) (P,) for books w (N, P) from n_samples `books_draws`."""
        return (self.books_draws(fc, np.asarray(w, dtype=np.float64), n_samples, seed) <= x).mean(axis=0)

    def books_pit_quantile(self, fc, w, x, probs, n_samples, seed, chunk=2_000):
        """From n_samples `books_draws` of every book."""
        draws = self.books_draws(fc, np.asarray(w, dtype=np.float64), n_samples, seed, chunk)
        draws.sort(axis=0)
        pos = np.asarray(probs) * (n_samples - 1)  # np.quantile's linear interpolation of the order statistics
        lo_i = np.floor(pos).astype(int)
        hi_i = np.minimum(lo_i + 1, n_samples - 1)
        cols = np.arange(draws.shape[1])
        frac = pos - lo_i
        q = (1 - frac) * draws[lo_i, cols] + frac * draws[hi_i, cols]
        return (draws <= x).mean(axis=0), q

    def marginal_cdf(self, fc, r, n_samples, seed):
        """Rao-Blackwellised over n_samples prior draws of z: F_i(x) = mean_s T((x - m_i - b_i'z_s) / scale_i)."""
        rng = np.random.default_rng(seed)
        z = self.factor_draws(rng, n_samples, fc.n_factors) @ safe_cholesky(fc.factor_cov).T
        resid = (r - fc.mean)[None, :] - z @ fc.exposures.T  # (S, N)
        nu = self.idio_dof
        finite = np.isfinite(nu)
        nu_f = np.where(finite, nu, 10.0)
        t_scale = np.sqrt(fc.idio_var * (nu_f - 2.0) / nu_f)
        cdf = np.where(finite, special.stdtr(nu_f, resid / t_scale), special.ndtr(resid / np.sqrt(fc.idio_var)))
        return cdf.mean(axis=0)

    def log_likelihood(self, fc, r, k, seed):
        """Importance-weighted bound with k samples (closed-form posterior proposal)."""
        from core.forecast.student_t import forecast_log_likelihood

        return float(forecast_log_likelihood(fc, r, k=k, seed=seed))

    def marginal_log_likelihood(self, fc, r, n_samples, seed):
        """log mean over n_samples prior draws of p(r_i | z)."""
        from core.forecast.student_t import forecast_marginal_log_likelihood

        return forecast_marginal_log_likelihood(fc, r, n_samples=n_samples, seed=seed)


FAMILIES = {cls.name: cls for cls in (Normal, StudentT)}


def distribution(family: str, factor_dof=None, idio_dof=None, n_factors: int = 0, n_stocks: int = 0):
    """The distribution object of a stored family name and its dofs (checked against F and N)."""
    cls = FAMILIES.get(family)
    if cls is None:
        raise ModelError(f"unknown distribution family {family!r}; use one of {tuple(FAMILIES)}")
    if cls is Normal:
        return Normal()
    if factor_dof is None or idio_dof is None:
        raise ModelError("a Student-t forecast needs factor_dof (F,) and idio_dof (N,)")
    return StudentT(np.asarray(factor_dof, dtype=np.float64).reshape(n_factors),
                    np.asarray(idio_dof, dtype=np.float64).reshape(n_stocks))


def normal_var(mean: float, vol: float, level: float) -> tuple[float, float]:
    """(VaR, CVaR) of a return ~ N(mean, vol^2): VaR = -mean + vol z_a, CVaR = -mean + vol phi(z_a)/(1-a)."""
    z = special.ndtri(level)
    return -mean + vol * z, -mean + vol * normal_pdf(z) / (1.0 - level)


def normal_pdf(z):
    """The standard Normal density at z (scalar or array), by scipy.stats.norm.pdf's own formula (the same numbers
    without importing scipy.stats)."""
    return np.exp(-z ** 2 / 2.0) / SQRT_2PI


def empirical_var(returns: np.ndarray, level: float) -> tuple[float, float]:
    """(VaR, CVaR) from draws or history of returns (n,): quantile of losses and tail mean."""
    losses = -np.asarray(returns, dtype=np.float64)
    losses = losses[np.isfinite(losses)]
    if losses.size == 0:
        raise ModelError("no finite returns to compute a VaR from; check the data range")
    var = float(np.quantile(losses, level))
    return var, float(losses[losses >= var].mean())


def factor_share(fc, w: np.ndarray) -> np.ndarray:
    """The factor share of forecast variance (P,) of books w (N, P): (w'B) Sz (B'w) / w' Sigma w (0 without factors)."""
    y = fc.exposures.T @ w  # (F, P)
    factor = np.einsum("fp,fg,gp->p", y, fc.factor_cov, y)
    total = factor + (w * w * fc.idio_var[:, None]).sum(axis=0)
    return np.divide(factor, total, out=np.zeros_like(total), where=total > 0)


def _books_moments(fc, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(means (P,), vols (P,)) of the books w (N, P) in factor form."""
    y = fc.exposures.T @ w  # (F, P)
    var = np.einsum("fp,fg,gp->p", y, fc.factor_cov, y) + (w * w * fc.idio_var[:, None]).sum(axis=0)
    return fc.mean @ w, np.sqrt(np.maximum(var, 1e-300))


def _portfolio_loadings(fc, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a (F,), s (N,)) for a book w (N,), or (a (F, P), s (N, P)) for books w (N, P): w'r - w'm = u'a + e's with
    a = L'B'w and s = w sqrt(d)."""
    w = np.asarray(w, dtype=np.float64)
    a = safe_cholesky(fc.factor_cov).T @ (fc.exposures.T @ w) if fc.n_factors else np.zeros((0, *w.shape[1:]))
    return a, w * np.sqrt(fc.idio_var).reshape(-1, *(1,) * (w.ndim - 1))


@dataclass(frozen=True, eq=False)
class Layer:
    """A distribution layered on a base one (Normal or StudentT): everything the layer does not change is the
    base's. A layer adds its own fields and overrides what it changes (core/forecast/recalibrated.py: portfolio
    quantiles; core/forecast/univariate.py: portfolio numbers from the portfolio's own history)."""

    base: object
    cdf_from_draws: ClassVar[bool] = False
    threadable: ClassVar[bool] = True

    @property
    def name(self) -> str:
        return self.base.name

    def dofs(self, n_factors: int, n_stocks: int):
        return self.base.dofs(n_factors, n_stocks)

    def restrict(self, idx: np.ndarray) -> "Layer":
        return replace(self, base=self.base.restrict(idx))

    def factor_draws(self, rng, n, n_factors):
        return self.base.factor_draws(rng, n, n_factors)

    def idio_draws(self, rng, n, n_stocks):
        return self.base.idio_draws(rng, n, n_stocks)

    def factor_scales(self, rng, n, n_factors):
        return self.base.factor_scales(rng, n, n_factors)

    def books_pits(self, fc, w, x, n_samples, seed):
        """The base's: a layer's books are scored on the joint forecast it is laid on."""
        return self.base.books_pits(fc, w, x, n_samples, seed)

    def marginal_cdf(self, fc, r, n_samples, seed):
        return self.base.marginal_cdf(fc, r, n_samples, seed)

    def marginal_log_likelihood(self, fc, r, n_samples, seed):
        return self.base.marginal_log_likelihood(fc, r, n_samples, seed)

    def log_likelihood(self, fc, r, k, seed):
        return self.base.log_likelihood(fc, r, k, seed)
