"""The FactorVAE network (Duan et al. 2022, section 3) on one batch of days.

Shapes: D days, N stocks, L lookback rows, C input channels, H hidden, M portfolios, K factors.
Every stock-level step takes a mask (D, N) of the stocks that take part; the others get no
portfolio weight, no attention and no loss.

- feature extractor: Linear + LeakyReLU, then a GRU over each stock's window; its last state e (D, N, H);
- factor encoder (training only): portfolio layer, softmax over the day's stocks of M linear scores,
  applied to the returns at t+1 (D, M); mapping layer, posterior mean and scale of z (D, K);
- factor decoder: alpha layer (LeakyReLU hidden layer, then mean and scale of the idiosyncratic
  return, (D, N)); beta layer, exposures (D, N, K): r = alpha + beta z + eps;
- factor predictor: K learned queries attend over the day's stocks (scaled dot-product softmax),
  each head's value summary -> prior mean and scale of its factor.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.functional import softplus

MIN_SCALE = 1e-4  # floor of every predicted scale (returns are in units of their training std)


class GaussianHead(nn.Module):
    """x (..., I) -> mean (...,), scale (...,) > 0 through a LeakyReLU hidden layer when `hidden`."""

    def __init__(self, n_in: int, hidden: int | None = None) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, hidden), nn.LeakyReLU()) if hidden else nn.Identity()
        width = hidden or n_in
        self.mean, self.scale = nn.Linear(width, 1), nn.Linear(width, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return self.mean(h).squeeze(-1), softplus(self.scale(h)).squeeze(-1) + MIN_SCALE


class FactorVAENet(nn.Module):
    """Feature extractor, factor encoder, decoder and predictor; see the module docstring."""

    def __init__(self, n_channels: int, hidden: int, n_factors: int, portfolios: int) -> None:
        super().__init__()
        self.n_factors = n_factors
        self.proj = nn.Sequential(nn.Linear(n_channels, hidden), nn.LeakyReLU())
        self.gru = nn.GRU(hidden, hidden, batch_first=True)
        self.portfolio = nn.Linear(hidden, portfolios)
        self.post_mean, self.post_scale = nn.Linear(portfolios, n_factors), nn.Linear(portfolios, n_factors)
        self.alpha = GaussianHead(hidden, hidden)
        self.beta = nn.Linear(hidden, n_factors)
        self.query = nn.Parameter(torch.randn(n_factors, hidden))
        self.key, self.value = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.prior_head = GaussianHead(hidden, hidden)

    def features(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (D, N, L, C), mask (D, N) -> e (D, N, H), zero where masked (the GRU runs on masked rows only)."""
        d, n, _, _ = x.shape
        e = x.new_zeros(d, n, self.gru.hidden_size)
        if mask.any():
            _, h = self.gru(self.proj(x[mask]))
            e = e.index_put(mask.nonzero(as_tuple=True), h[-1])
        return e

    def decoder(self, e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """e (D, N, H) -> alpha mean (D, N), alpha scale (D, N), exposures beta (D, N, K)."""
        mu_a, sigma_a = self.alpha(e)
        return mu_a, sigma_a, self.beta(e)

    def encoder(self, e: torch.Tensor, returns: torch.Tensor, observed: torch.Tensor):
        """Posterior of z from the realised returns (D, N) of the observed stocks -> mean, scale (D, K)."""
        scores = self.portfolio(e).masked_fill(~observed[..., None], float("-inf"))
        weights = torch.softmax(scores, dim=1).nan_to_num(0.0)          # (D, N, M); a day with no stock: 0
        y = torch.einsum("dnm,dn->dm", weights, returns)
        return self.post_mean(y), softplus(self.post_scale(y)) + MIN_SCALE

    def predictor(self, e: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Prior of z from the day's stocks (mask) -> mean, scale (D, K). Head k: softmax over the
        stocks of q_k . key_i / sqrt(H), the weighted mean of value_i, then the prior head."""
        scores = torch.einsum("kh,dnh->dkn", self.query, self.key(e)) / self.query.shape[1] ** 0.5
        att = torch.softmax(scores.masked_fill(~mask[:, None, :], float("-inf")), dim=2).nan_to_num(0.0)
        return self.prior_head(torch.einsum("dkn,dnh->dkh", att, self.value(e)))


def gaussian_kl(mu_q: torch.Tensor, s_q: torch.Tensor, mu_p: torch.Tensor, s_p: torch.Tensor) -> torch.Tensor:
    """KL(N(mu_q, s_q^2) || N(mu_p, s_p^2)) summed over the last axis."""
    return (torch.log(s_p / s_q) + (s_q**2 + (mu_q - mu_p) ** 2) / (2 * s_p**2) - 0.5).sum(-1)


def vae_loss(net: FactorVAENet, x, returns, eligible, observed, gamma: float, gen: torch.Generator) -> torch.Tensor:
    """The training loss of a batch of days, averaged over days, per observed stock:
    (sum over observed stocks of -log N(r | alpha + beta z, sigma_alpha^2), z ~ posterior by one
    reparameterised draw, + gamma * KL(posterior || prior)) / n_observed; gamma = 1 is the negative ELBO.
    x (D, N, L, C); returns (D, N) at t+1; eligible, observed (D, N)."""
    e = net.features(x, eligible)
    mu_a, sigma_a, beta = net.decoder(e)
    mu_q, s_q = net.encoder(e, returns, observed)
    mu_p, s_p = net.predictor(e, eligible)
    z = mu_q + s_q * torch.randn(mu_q.shape, generator=gen, device=mu_q.device)
    loc = mu_a + torch.einsum("dnk,dk->dn", beta, z)
    nll = 0.5 * ((returns - loc) / sigma_a) ** 2 + torch.log(sigma_a) + 0.5 * math.log(2 * math.pi)
    recon = (nll * observed).sum(1)
    return ((recon + gamma * gaussian_kl(mu_q, s_q, mu_p, s_p)) / observed.sum(1).clamp(min=1)).mean()
