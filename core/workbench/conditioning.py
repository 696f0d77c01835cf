"""Conditioning a factor forecast r = m + B z + eps (Cov(z) = S, Var(eps) = d) on k linear observations of its
factors, y = L z + u with u ~ N(0, Psi) independent of the rest, at y - E[y] = g (core.workbench.shocks and
reference_shocks build L, Psi and g; a factor shock is L = rows of the identity, Psi = 0):

- `conditioned`: Gaussian closed form, z | y ~ N(S L' V^-1 g, S - S L' V^-1 L S), V = L S L' + Psi.
- `mixture`: a Student-t forecast in factor form. Its factors are scale mixtures of Normals (z = C diag(sqrt(v)) g,
  C = chol(S), v the variance multipliers of core.forecast.distributions `factor_scales`): given v the factors are
  Normal and conditioned in closed form with S_v = C diag(v) C'; the draws of v are weighted by the density of the
  observation given them, N(g; 0, L S_v L' + Psi), so a shock deep in the tail is conditioned without waiting for
  draws to land near it. The noise eps keeps its own law (drawn for the portfolio's quantiles).
- `resampled`: importance resampling of joint draws near an observation that the noise enters too (a series of
  stock returns, core.workbench.shocks.series_shock).
Shapes: F factors, N stocks, k observations, S draws."""
from __future__ import annotations

import numpy as np

from core.forecast import FactorForecast
from core.forecast.linalg import safe_cholesky

DRAWS = 20_000
KERNELS = (0.05, 0.1, 0.2)  # kernel widths tried in turn (sd of the shocked quantity) until MIN_KEPT draws are kept
MIN_KEPT = 200


def model_draws(fc: FactorForecast, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(z (S, F), eps (S, N)): DRAWS joint draws of the factors and the noise from the forecast's own law."""
    rng = np.random.default_rng(seed)
    z = fc.distribution.factor_draws(rng, DRAWS, fc.n_factors) @ np.linalg.cholesky(
        fc.factor_cov + 1e-18 * np.eye(fc.n_factors)).T if fc.n_factors else np.zeros((DRAWS, 0))
    return z, fc.distribution.idio_draws(rng, DRAWS, fc.n_stocks) * np.sqrt(fc.idio_var)


def conditioned(fc: FactorForecast, w: np.ndarray, loadings: np.ndarray, noise: np.ndarray, gap: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Gaussian conditioning on y = loadings z + u at y - E[y] = gap: loadings (k, F), noise (k, k), gap (k,), w (N,)
    the weights. Returns (z_mean (F,), z_cov (F, F), the stocks' conditional means (N,) and variances (N,), the
    portfolio's conditional variance)."""
    s, b = fc.factor_cov, fc.exposures
    sl = s @ loadings.T  # Cov(z, y), (F, k)
    gain = np.linalg.solve(loadings @ sl + noise, sl.T).T  # (F, k)
    z_mean, z_cov = gain @ gap, s - gain @ sl.T
    y = b.T @ w
    var = np.sum((b @ z_cov) * b, axis=1) + fc.idio_var
    return z_mean, z_cov, fc.mean + b @ z_mean, var, float(y @ z_cov @ y + np.sum(w * w * fc.idio_var))


def mixture(fc: FactorForecast, w: np.ndarray, loadings: np.ndarray, noise: np.ndarray, gap: np.ndarray,
            report: tuple[np.ndarray, np.ndarray] | None = None, seed: int = 0) -> dict:
    """Student-t conditioning in factor form (module docstring) on y = loadings z + u at gap: loadings (k, F), noise
    (k, k), gap (k,), w (N,); report (L_Q (q, F), Cov(u_Q, u) (q, k)): other quantities q = L_Q z + u_Q whose
    conditional mean moves are wanted. Returns {"z_mean" (F,), "mean" (N,), "var" (N,), "pnl" (S,) draws of the
    portfolio's return with "weights" (S,), "pnl_var", "report" (q,) the moves of q, "kept" the effective draws,
    "method"}."""
    rng = np.random.default_rng(seed)
    c, b, x = safe_cholesky(fc.factor_cov), fc.exposures, fc.exposures.T @ w
    v = fc.distribution.factor_scales(rng, DRAWS, fc.n_factors)  # (S, F)
    lc = loadings @ c  # (k, F)
    sl = np.einsum("fj,sj,kj->sfk", c, v, lc)  # S_v L', (S, F, k)
    vv = np.einsum("kj,sj,lj->skl", lc, v, lc) + noise  # (S, k, k)
    solved = np.linalg.solve(vv, np.broadcast_to(gap, (DRAWS, len(gap)))[..., None])[..., 0]  # V^-1 g, (S, k)
    logw = -0.5 * (np.einsum("sk,sk->s", solved, gap[None]) + np.linalg.slogdet(vv)[1])
    wt = np.exp(logw - logw.max())
    p = wt / wt.sum()
    z_s = np.einsum("sfk,sk->sf", sl, solved)  # E[z | v, y], (S, F)
    z_mean = p @ z_s
    sl_vinv = np.linalg.solve(vv, np.swapaxes(sl, 1, 2))  # V^-1 L S_v, (S, k, F)
    within = c @ np.diag(p @ v) @ c.T - np.einsum("s,sfk,skg->fg", p, sl, sl_vinv, optimize=True)  # E[Cov(z | v, y)]
    between = np.einsum("s,sf,sg->fg", p, z_s - z_mean, z_s - z_mean)
    cov = within + between
    xc = x @ c
    pnl_sd = np.sqrt(np.maximum(np.einsum("j,sj,j->s", xc, v, xc)
                                - np.einsum("sk,sk->s", np.einsum("f,sfk->sk", x, sl), sl_vinv @ x), 0.0))
    eps = fc.distribution.idio_draws(rng, DRAWS, fc.n_stocks) * np.sqrt(fc.idio_var)
    pnl = fc.mean @ w + z_s @ x + pnl_sd * rng.standard_normal(DRAWS) + eps @ w
    moves = None
    if report is not None:
        lq, cross = report
        moves = p @ np.einsum("sqk,sk->sq", np.einsum("qf,sfk->sqk", lq, sl) + cross[None], solved)
    kept = float(1.0 / np.sum(p ** 2))
    return {"z_mean": z_mean, "mean": fc.mean + b @ z_mean,
            "var": np.sum((b @ cov) * b, axis=1) + fc.idio_var, "pnl": pnl, "weights": p,
            "pnl_var": float(x @ cov @ x + np.sum(w * w * fc.idio_var)), "report": moves, "kept": kept,
            "method": f"Student-t conditioning in factor form: the factors as scale mixtures of Normals, {DRAWS:,} "
                      f"draws of their variances weighted by the shock's density given them ({kept:,.0f} effective "
                      "draws), the closed-form Gaussian conditional given each"}


def resampled(r: np.ndarray, y: np.ndarray, a: np.ndarray, sd: np.ndarray, w: np.ndarray) -> dict | None:
    """Importance resampling of joint draws near an observation: r (S, N) stock draws, y (S, k) draws of what is
    observed, a (k,) its value, sd (k,) its sd; a Gaussian kernel of the first width of KERNELS (in sd) that keeps
    MIN_KEPT effective draws, w (N,) the weights. None when none does; else {"mean" (N,), "var" (N,), "pnl" (S,),
    "weights" (S,), "kept", "method"}: the weighted moments of the stocks, the portfolio's draws and their weights."""
    for width in KERNELS:
        wt = np.exp(-0.5 * np.sum(((y - a) / (width * sd)) ** 2, axis=1))
        kept = float(wt.sum() ** 2 / max(np.sum(wt ** 2), 1e-300))
        if kept >= MIN_KEPT:
            mean = wt @ r / wt.sum()
            return {"mean": mean, "var": wt @ (r - mean) ** 2 / wt.sum(), "pnl": r @ w, "weights": wt, "kept": kept,
                    "method": f"importance resampling of {DRAWS:,} Student-t draws near the shock (kernel {width:g} "
                              f"sd of each shocked quantity): {kept:,.0f} effective draws kept"}
    return None


def too_few(kept_draws: dict | None) -> list[str]:
    """The note when importance resampling kept too few draws (the Gaussian formula is used instead)."""
    return [] if kept_draws is not None else [
        f"fewer than {MIN_KEPT} of {DRAWS:,} draws lie near this shock: the Gaussian formula is used instead"]
