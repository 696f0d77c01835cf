"""Likelihoods of the Student-t factor model (torch), usable for any Student-t FactorForecast.

Model for one day (D days are batched): z ~ prod_f t(dof_z[f], mu_z[f], scale_z[f]) and
r_i | z ~ t(dof_x[i], alpha_i + beta_i' z, scale_x[i]); a dof of +inf is a Normal component.

- `iwae_log_likelihood`: log p(r_day) with the importance-weighted bound (k samples) whose
  proposal is the closed-form, moment-matched Gaussian posterior (spec section 3-4). It is
  differentiable and is the training loss; k = 1 is the VAE ELBO.
- `marginal_log_likelihood`: log p(r_i) = log E_{z ~ prior} p(r_i | z) per stock (NLL_ind).
- `forecast_*`: the same for a `core.forecast.FactorForecast` (numpy in, numpy out).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from core.errors import ModelError
from core.forecast.linalg import safe_cholesky

_JITTERS = (0.0, 1e-10, 1e-8, 1e-6, 1e-4)
_CHUNK_ELEMENTS = 2_000_000  # prior samples x stocks held in memory at once


def student_t_logpdf(x: torch.Tensor, loc: torch.Tensor, scale: torch.Tensor, dof: torch.Tensor) -> torch.Tensor:
    """Elementwise log density of t(dof, loc, scale) (broadcasting); dof = inf gives the Normal."""
    dof = torch.as_tensor(dof, dtype=x.dtype, device=x.device)
    scale = torch.as_tensor(scale, dtype=x.dtype, device=x.device)
    y = (x - loc) / scale
    finite = torch.isfinite(dof)
    if bool(finite.all()):  # the common case: the per-stock constant once, two passes over the big tensor
        const = torch.lgamma((dof + 1) / 2) - torch.lgamma(dof / 2) - 0.5 * torch.log(math.pi * dof) - torch.log(scale)
        return const - (dof + 1) / 2 * torch.log1p(y * y / dof)
    nu = torch.where(finite, dof, torch.ones_like(dof))
    log_t = (torch.lgamma((nu + 1) / 2) - torch.lgamma(nu / 2) - 0.5 * torch.log(math.pi * nu)
             - (nu + 1) / 2 * torch.log1p(y * y / nu))
    log_n = -0.5 * y * y - 0.5 * math.log(2 * math.pi)
    return torch.where(finite, log_t, log_n) - torch.log(scale)


def t_variance(scale: torch.Tensor, dof: torch.Tensor) -> torch.Tensor:
    """Variance of t(dof, ., scale): scale^2 dof / (dof - 2) (scale^2 for dof = inf)."""
    ratio = torch.where(torch.isfinite(dof), dof / (dof - 2), torch.ones_like(dof))
    return scale * scale * ratio


def _per_day(v: torch.Tensor, d: int) -> torch.Tensor:
    """(F,) or (D, F) -> (D, F)."""
    return v.expand(d, -1) if v.dim() == 1 else v


def _cholesky(a: torch.Tensor) -> torch.Tensor:
    """Batched Cholesky of SPD (D, F, F) float64 matrices, with growing jitter on failure."""
    if not bool(torch.isfinite(a).all()):  # non-finite network outputs: let the loss become NaN
        return torch.full_like(a, math.nan)
    eye = torch.eye(a.shape[-1], dtype=a.dtype, device=a.device)
    scale = a.diagonal(dim1=-2, dim2=-1).mean(-1).clamp_min(1e-300)[:, None, None]
    for jitter in _JITTERS:
        chol, info = torch.linalg.cholesky_ex(a + jitter * scale * eye)
        if not bool((info > 0).any()):
            return chol
    raise ModelError("posterior precision is not positive definite (non-finite exposures?); check the inputs")


def posterior(r, mask, alpha, beta, scale_x, dof_x, scale_z, dof_z, mu_z):
    """Moment-matched Gaussian posterior of z for each day, in float64.

    Shapes: r, mask, alpha, scale_x, dof_x (D, N) (r finite where mask); beta (D, N, F);
    scale_z, dof_z, mu_z (D, F). Returns mu_post (D, F) (the day's realised factor returns)
    and L (D, F, F) with L L' = Sigma_post^-1 = Sz^-1 + B' Sx^-1 B."""
    w = (mask / t_variance(scale_x, dof_x)).double()                       # (D, N) precisions, 0 if absent
    var_z = t_variance(scale_z, dof_z).double()                              # (D, F)
    b = beta.double()
    prec = torch.diag_embed(1.0 / var_z) + torch.einsum("dnf,dn,dng->dfg", b, w, b)
    chol = _cholesky(prec)
    rhs = mu_z.double() / var_z + torch.einsum("dnf,dn->df", b, w * (r - alpha).double())
    return torch.cholesky_solve(rhs.unsqueeze(-1), chol).squeeze(-1), chol


def iwae_log_likelihood(r, mask, alpha, beta, scale_x, dof_x, scale_z, dof_z, k: int,
                        mu_z=None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Importance-weighted estimate of log p(r_day), (D,), summed over present stocks.

    r, mask, alpha, scale_x, dof_x: (D, N) (mask bool: stock present); beta: (D, N, F);
    scale_z, dof_z, mu_z: (F,) or (D, F) (mu_z None = 0). Proposal: q(z | r) = N(mu_post,
    Sigma_post) with Sigma_post^-1 = Sz^-1 + B' Sx^-1 B (variances moment-matched), solved
    in float64. Returns logsumexp_j(log p(r|z_j) + log p(z_j) - log q(z_j)) - log k.
    """
    d, n, f = beta.shape
    dtype = alpha.dtype
    mask = mask.to(torch.bool)
    r = torch.where(mask, r, torch.zeros_like(r))
    if f == 0:
        lp = student_t_logpdf(r, alpha, scale_x, dof_x)
        return torch.where(mask, lp, torch.zeros_like(lp)).sum(-1)
    scale_z, dof_z = _per_day(scale_z, d), _per_day(dof_z, d)
    mu_z = torch.zeros_like(scale_z) if mu_z is None else _per_day(mu_z, d)

    mu_post, chol = posterior(r, mask, alpha, beta, scale_x, dof_x, scale_z, dof_z, mu_z)
    eps = torch.randn((k, d, f), generator=generator, dtype=torch.float64, device=beta.device)
    # z = mu + L'^-1 eps has covariance (L L')^-1 = Sigma_post
    dz = torch.linalg.solve_triangular(chol.transpose(-1, -2).unsqueeze(0), eps.unsqueeze(-1), upper=True).squeeze(-1)
    z = (mu_post.unsqueeze(0) + dz)                                         # (k, D, F)
    log_q = (-0.5 * (eps * eps).sum(-1) - 0.5 * f * math.log(2 * math.pi)
             + torch.log(chol.diagonal(dim1=-2, dim2=-1)).sum(-1))         # (k, D)
    z = z.to(dtype)
    log_pz = student_t_logpdf(z, mu_z, scale_z, dof_z).sum(-1)              # (k, D)
    loc = alpha.unsqueeze(0) + torch.einsum("dnf,kdf->kdn", beta, z)
    lp = student_t_logpdf(r.unsqueeze(0), loc, scale_x, dof_x)
    log_px = torch.where(mask, lp, torch.zeros_like(lp)).sum(-1)            # (k, D)
    log_w = log_px + log_pz - log_q.to(dtype)
    return torch.logsumexp(log_w, dim=0) - math.log(k)


def sample_student_t(shape: tuple[int, ...], dof: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard (unit-scale) Student-t draws, shape[:-1] x dof.shape[-1]; dof = inf gives Normals.

    Chi-square draws come from numpy seeded by `generator`, so the result is reproducible."""
    seed = int(torch.randint(0, 2**62, (1,), generator=generator).item())
    rng = np.random.default_rng(seed)
    nu = np.broadcast_to(dof.detach().cpu().double().numpy(), shape)
    finite = np.isfinite(nu)
    chi = np.ones(shape)
    chi[finite] = rng.chisquare(nu[finite]) / nu[finite]
    x = rng.standard_normal(shape) / np.sqrt(chi)
    return torch.as_tensor(x, dtype=dof.dtype, device=dof.device)


def marginal_log_likelihood(r, mask, alpha, beta, scale_x, dof_x, scale_z, dof_z, n_samples: int,
                            mu_z=None, generator: torch.Generator | None = None) -> torch.Tensor:
    """log p(r_i) = log mean_s p(r_i | z_s), z_s ~ prior, (D, N); NaN where mask is False.

    Shapes as in `iwae_log_likelihood`. Samples are processed in chunks so that at most about
    2 million (sample x stock-day) terms are held at once."""
    d, n, f = beta.shape
    mask = mask.to(torch.bool)
    r0 = torch.where(mask, r, torch.zeros_like(r))
    if f == 0:
        out = student_t_logpdf(r0, alpha, scale_x, dof_x)
        return torch.where(mask, out, torch.full_like(out, math.nan))
    scale_z, dof_z = _per_day(scale_z, d), _per_day(dof_z, d)
    mu_z = torch.zeros_like(scale_z) if mu_z is None else _per_day(mu_z, d)
    chunk = max(1, _CHUNK_ELEMENTS // max(1, d * n))
    total = torch.full((d, n), -math.inf, dtype=alpha.dtype, device=alpha.device)
    done = 0
    while done < n_samples:
        m = min(chunk, n_samples - done)
        z = mu_z + scale_z * sample_student_t((m, d, f), dof_z, generator)   # (m, D, F)
        loc = alpha.unsqueeze(0) + torch.einsum("dnf,mdf->mdn", beta, z)
        lp = student_t_logpdf(r0.unsqueeze(0), loc, scale_x, dof_x)
        total = torch.logaddexp(total, torch.logsumexp(lp, dim=0))
        done += m
    out = total - math.log(n_samples)
    return torch.where(mask, out, torch.full_like(out, math.nan))


def forecast_tensors(forecast, r: np.ndarray) -> dict[str, torch.Tensor]:
    """A FactorForecast as unit-variance-factor tensors with a leading day axis of 1 (float64).

    factor_cov = L L' is absorbed into the exposures (B <- B L), so z has independent
    unit-variance components; variances become scales: scale = sqrt(var (nu - 2) / nu)."""
    r = np.asarray(r, dtype=np.float64).reshape(-1)
    if r.shape != (forecast.n_stocks,):
        raise ModelError(f"returns have {r.shape[0]} values but the forecast has {forecast.n_stocks} stocks")
    f = forecast.n_factors
    fdof, idof = forecast.distribution.dofs(f, forecast.n_stocks)
    chol = safe_cholesky(forecast.factor_cov) if f else np.zeros((0, 0))

    def ratio(nu):
        return np.where(np.isfinite(nu), (nu - 2.0) / np.where(np.isfinite(nu), nu, 1.0), 1.0)

    t = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64)).unsqueeze(0)  # noqa: E731
    mask = np.isfinite(r)
    return {
        "r": t(np.where(mask, r, 0.0)), "mask": torch.as_tensor(mask).unsqueeze(0), "alpha": t(forecast.mean),
        "beta": t(forecast.exposures @ chol), "scale_x": t(np.sqrt(forecast.idio_var * ratio(idof))),
        "dof_x": t(idof), "scale_z": t(np.sqrt(ratio(fdof))), "dof_z": t(fdof),
    }


def forecast_log_likelihood(forecast, r: np.ndarray, k: int = 100, seed: int = 0) -> float:
    """log p(r) (summed over stocks with a finite return) under a FactorForecast, IWAE with k
    samples; r: (N,) in the forecast's units. NLL_joint = -value / number of finite returns."""
    tens = forecast_tensors(forecast, r)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        return float(iwae_log_likelihood(**tens, k=k, generator=gen)[0])


def forecast_marginal_log_likelihood(forecast, r: np.ndarray, n_samples: int = 10000, seed: int = 0) -> np.ndarray:
    """log p(r_i) per stock, (N,), by prior sampling (NaN where r_i is not finite)."""
    tens = forecast_tensors(forecast, r)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        return marginal_log_likelihood(**tens, n_samples=n_samples, generator=gen)[0].numpy()


__all__ = [
    "student_t_logpdf", "t_variance", "posterior", "iwae_log_likelihood", "marginal_log_likelihood", "sample_student_t",
    "forecast_tensors", "forecast_log_likelihood", "forecast_marginal_log_likelihood",
]
