"""NeuralFactors configuration: one dataclass, named presets, `key=value` overrides."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from core.errors import ModelError
from core.models.settings import check_settings


@dataclass(frozen=True)
class NFConfig:
    """Network, likelihood and training settings (paper values unless a preset says otherwise)."""

    # network
    n_factors: int = 64
    lookback: int = 256
    hidden: int = 256
    sector_dim: int = 16
    sequence: str = "transformer"      # "transformer" or "lstm"
    heads: int = 4                     # attention heads (transformer)
    dropout: float = 0.25
    min_history: int = 21              # stocks with fewer observed returns in the window are masked
    sector_factors: bool = False       # add one factor per training sector, loaded only by its stocks
    dof_floor: float = 4.0             # lower bound of every Student-t dof (noise and factors); > 2
    regime_prior: bool = False         # factor scales move with market volatility known at t (issue 22)
    peer_returns: bool = False         # the embedder also sees the sector peers' mean return (issue 31)
    pc_inputs: int = 0                 # the embedder also sees each stock's exposures to this many principal
                                       # components of the universe (core/data/features.py pc_exposures; issue 31)
    pc_direct: bool = False            # general loadings += W (those exposures of day t), W learned from 0
    # likelihood
    k: int = 20                        # IWAE importance samples in training (1 = VAE)
    k_eval: int = 100                  # importance samples for NLL_joint (evaluation.md)
    # training
    lr: float = 1e-4
    weight_decay: float = 1e-6
    steps: int = 100_000
    days_per_step: int = 1
    polyak_start: int = 50_000         # average weights from this step on (>= steps: never)
    valid_every: int = 1_000
    valid_days: int = 0                # validation days used while training (0 = all)
    patience: int = 0                  # validations without improvement before stopping (0 = never)
    batch_days: int = 64               # days per forward pass at inference
    # execution (results unchanged up to rounding; off by default, for GPU runs)
    bf16: bool = False                 # bf16 autocast of the network (CUDA only; the CPU stays float32)
    compile: bool = False              # torch.compile the network for training steps

    def __post_init__(self) -> None:
        if self.sequence not in ("transformer", "lstm"):
            raise ModelError(f"sequence must be 'transformer' or 'lstm', not {self.sequence!r}")
        if self.pc_inputs < 0:
            raise ModelError(f"pc_inputs must be >= 0 (0: none), not {self.pc_inputs}")
        if self.pc_direct and not self.pc_inputs:
            raise ModelError("pc_direct needs principal-component inputs: set pc_inputs > 0 too")
        if self.n_factors < 1 or self.lookback < 2 or self.hidden < 1 or self.k < 1:
            raise ModelError("n_factors, hidden and k must be >= 1 and lookback >= 2; fix the configuration")
        if not self.dof_floor > 2:
            raise ModelError(f"dof_floor must be > 2 (a finite variance), not {self.dof_floor}")
        if self.sequence == "transformer" and self.hidden % self.heads:
            raise ModelError(f"hidden ({self.hidden}) must be a multiple of heads ({self.heads})")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "NFConfig":
        check_settings("neuralfactors", _DEFAULTS, d)
        return cls(**d)


_DEFAULTS = {f.name: f.default for f in fields(NFConfig)}

PRESETS: dict[str, NFConfig] = {
    "paper": NFConfig(),
    # chosen on validation NLL_joint and cov_mse of sp500-20 (docs/neuralfactors_tuning.md); the sector
    # factor block is a departure from the paper (its industry-factor analogue), chosen in issue 15
    "sp500-20": NFConfig(n_factors=4, lookback=64, hidden=32, sector_dim=4, heads=4, dropout=0.0, k=20,
                         sector_factors=True, dof_floor=2.5,
                         lr=1e-3, weight_decay=1e-6, steps=3000, days_per_step=8, polyak_start=1500,
                         valid_every=500, valid_days=0, patience=5),
    "tiny": NFConfig(n_factors=2, lookback=16, hidden=8, sector_dim=2, heads=2, dropout=0.0, k=4, k_eval=20,
                     lr=3e-3, steps=50, days_per_step=4, polyak_start=25, valid_every=25, valid_days=20,
                     patience=0, min_history=5),
}


def make_config(preset: str | None = None, **overrides) -> NFConfig:
    """A preset (default "paper") with keyword overrides; unknown names or wrong kinds raise ModelError."""
    name = preset or "paper"
    if name not in PRESETS:
        raise ModelError(f"unknown NeuralFactors preset {name!r}; choose one of {', '.join(PRESETS)}")
    check_settings("neuralfactors", _DEFAULTS, overrides)
    return replace(PRESETS[name], **overrides)
