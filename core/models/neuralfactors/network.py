"""The NeuralFactors network: a stock embedder shared by all stocks plus the learned factor prior."""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as fn

from core.errors import ModelError
from core.models.neuralfactors.config import NFConfig


def total_factors(cfg: NFConfig, n_sectors: int) -> int:
    """F of the model: cfg.n_factors, plus one per training sector with cfg.sector_factors."""
    return cfg.n_factors + (n_sectors if cfg.sector_factors else 0)


def last_position(seq: nn.TransformerEncoder, x: torch.Tensor) -> torch.Tensor:
    """seq(x)[:, -1], (B, L, H) -> (B, H), for pre-norm layers without masks (as StockEmbedder builds them): the
    last layer runs its attention query, residuals and feed-forward for the last position only, its keys and values
    still over the whole window. Only that position is read out, and the last layer's work on the other L - 1
    positions was about 40% of the encoder's (the same numbers to float rounding)."""
    for layer in seq.layers[:-1]:
        x = layer(x)
    layer = seq.layers[-1]
    y = layer.norm1(x)
    x = x[:, -1] + layer.dropout1(layer.self_attn(y[:, -1:], y, y, need_weights=False)[0][:, 0])
    z = layer.norm2(x)
    return x + layer.dropout2(layer.linear2(layer.dropout(layer.activation(layer.linear1(z)))))


class StockEmbedder(nn.Module):
    """(B, L, C) windows + (B,) sector ids -> heads alpha (B,), beta (B, F), sigma (B,), nu (B,).

    Linear+GELU per time step, two-layer transformer (learned positions, last step read out)
    or LSTM, sector embedding concatenated, two-layer MLP, linear heads. With cfg.sector_factors
    beta ends in a sector block (B, n_sectors): a stock's own sector column holds one more head,
    the other columns (and every column for an unknown sector) are 0, as in industry factors. With cfg.pc_direct the
    general loadings add W e, e (B, cfg.pc_inputs) the window's last row of channels pc_start.. (the principal-component
    exposures of day t as the window holds them: standardised by the training statistics, NaN as 0), W (n_factors,
    pc_inputs) starting at 0."""

    def __init__(self, cfg: NFConfig, n_channels: int, n_sectors: int, pc_start: int | None = None) -> None:
        super().__init__()
        h, f = cfg.hidden, cfg.n_factors
        self.n_factors, self.dof_floor = f, cfg.dof_floor
        self.n_sector_factors = n_sectors if cfg.sector_factors else 0
        self.inp = nn.Linear(n_channels, h)
        if cfg.sequence == "transformer":
            self.pos = nn.Parameter(torch.zeros(cfg.lookback, h))
            layer = nn.TransformerEncoderLayer(h, cfg.heads, dim_feedforward=2 * h, dropout=cfg.dropout,
                                               activation="gelu", batch_first=True, norm_first=True)
            self.seq = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
            self.seq_norm = nn.LayerNorm(h)
        else:
            self.seq = nn.LSTM(h, h, num_layers=2, batch_first=True, dropout=cfg.dropout)
        self.sector = nn.Embedding(n_sectors + 1, cfg.sector_dim)  # last row: unknown sector
        self.mlp = nn.Sequential(nn.Linear(h + cfg.sector_dim, h), nn.GELU(), nn.Dropout(cfg.dropout),
                                 nn.Linear(h, h), nn.GELU())
        self.head = nn.Linear(h, 3 + f + (1 if self.n_sector_factors else 0))
        self.pc = None
        if cfg.pc_direct:
            if pc_start is None:
                raise ModelError("pc_direct needs the principal-component channels in the inputs; the features were "
                                 "built without them (pc_inputs = 0 in their scaler)")
            self.pc_slice = slice(pc_start, pc_start + cfg.pc_inputs)
            self.pc = nn.Linear(cfg.pc_inputs, f, bias=False)
            nn.init.zeros_(self.pc.weight)

    def forward(self, x: torch.Tensor, sector: torch.Tensor):
        h = fn.gelu(self.inp(x))
        if isinstance(self.seq, nn.LSTM):
            h = self.seq(h)[0][:, -1]
        else:
            h = self.seq_norm(last_position(self.seq, h + self.pos[-h.shape[1]:]))
        h = self.mlp(torch.cat([h, self.sector(sector)], dim=-1))
        out = self.head(h).float()
        alpha = out[:, 0]
        beta = out[:, 1:1 + self.n_factors] / math.sqrt(self.n_factors)
        if self.pc is not None:
            beta = beta + self.pc(x[:, -1, self.pc_slice].to(beta.dtype))
        sigma = fn.softplus(out[:, 1 + self.n_factors]) + 1e-4
        nu = fn.softplus(out[:, 2 + self.n_factors]) + self.dof_floor
        if self.n_sector_factors:
            own = fn.one_hot(sector, self.n_sector_factors + 1)[:, :-1].to(out.dtype)  # unknown sector: 0
            beta = torch.cat([beta, own * out[:, 3 + self.n_factors, None]], dim=-1)
        return alpha, beta, sigma, nu


#: half-lives (days) of the market volatility inputs of the regime prior
REGIME_HALF_LIVES = (5.0, 21.0, 63.0)


def market_volatility(x: torch.Tensor, eligible: torch.Tensor) -> torch.Tensor:
    """(D, H) log EWMA volatilities, at REGIME_HALF_LIVES, of the day's equal-weighted mean return (scaled units)
    over its input windows x (D, N, L, C) (channel 0: the return, known at the close of t) and eligible stocks
    (D, N) bool. Nothing after t enters: the windows end at t."""
    w = eligible.to(x.dtype)[..., None]
    market = (x[..., 0] * w).sum(1) / w.sum(1).clamp(min=1.0)  # (D, L)
    lags = torch.arange(x.shape[2] - 1, -1, -1, dtype=x.dtype, device=x.device)
    out = []
    for h in REGIME_HALF_LIVES:
        a = 0.5 ** (lags / h)
        out.append(0.5 * torch.log((market ** 2 * a).sum(-1) / a.sum() + 1e-4))
    return torch.stack(out, dim=-1)


class NeuralFactorsNet(nn.Module):
    """Embedder + Student-t prior: per-factor scale (softplus) and dof (softplus + cfg.dof_floor); mu_z = 0.
    With cfg.regime_prior the scale of day d is softplus(raw) * exp(A v_d), v_d = market_volatility (D, H) known at
    the close of t, A (F, H) learned in the same IWAE objective and initialised at 0 (the static prior)."""

    def __init__(self, cfg: NFConfig, n_channels: int, n_sectors: int, pc_start: int | None = None) -> None:
        super().__init__()
        self.embedder = StockEmbedder(cfg, n_channels, n_sectors, pc_start)
        self.n_factors = f = total_factors(cfg, n_sectors)
        self.prior_scale_raw = nn.Parameter(torch.full((f,), math.log(math.e - 1)))  # softplus -> 1
        self.prior_dof_raw = nn.Parameter(torch.full((f,), 2.0))
        self.regime = nn.Linear(len(REGIME_HALF_LIVES), f, bias=False) if cfg.regime_prior else None
        if self.regime is not None:
            nn.init.zeros_(self.regime.weight)

    def prior(self, x: torch.Tensor | None = None, eligible: torch.Tensor | None = None):
        """(scale_z, dof_z): (F,) each for the static prior; with the regime prior and the day's windows
        x (D, N, L, C) and eligible (D, N), scale_z is (D, F)."""
        scale, dof = fn.softplus(self.prior_scale_raw), fn.softplus(self.prior_dof_raw) + self.embedder.dof_floor
        if self.regime is None or x is None:
            return scale, dof
        return scale * torch.exp(self.regime(market_volatility(x.float(), eligible))), dof

    def forward(self, x: torch.Tensor, sector: torch.Tensor):
        return self.embedder(x, sector)
