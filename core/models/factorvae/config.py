"""FactorVAE keyword settings: the defaults, and named presets (`--set preset=NAME`) that replace
some of them. Explicit settings override the preset's; the saved config holds every value."""
from __future__ import annotations

from typing import Any

from core.errors import ModelError

DEFAULTS: dict[str, Any] = {
    "preset": "",              # a name in PRESETS ("" = these defaults)
    # network
    "n_factors": 8,            # K factors (one attention query each)
    "portfolios": 16,          # M portfolios of the encoder's portfolio layer
    "hidden": 32,              # H: GRU state and every hidden layer
    "lookback": 64,            # days of inputs per stock (rows t-L+1..t)
    "min_history": 21,         # stocks with fewer observed returns in the window are left out
    # loss
    "gamma": 1.0,              # KL weight: (reconstruction NLL + gamma * KL) per stock; 1 = the ELBO
    # training
    "lr": 3e-3,                # Adam, decayed to 0 over `steps` (cosine)
    "weight_decay": 0.0,
    "steps": 4000,
    "days_per_step": 8,
    "valid_every": 250,        # steps between validation NLL_joint scores (the best state is kept)
    "patience": 0,             # validations without improvement before stopping (0 = never)
    "valid_days": 0,           # validation days scored while training (0 = all; else evenly spaced)
    "batch_days": 64,          # days per forward pass at inference
    "seed": 0,
    "device": "cpu",           # cpu | cuda | auto (CUDA when present); inference after load runs on the CPU
}

#: chosen on validation NLL_joint of sp500-20 among three candidates (docs/results.md, FactorVAE)
PRESETS: dict[str, dict[str, Any]] = {
    "sp500-20": {"n_factors": 8, "hidden": 32, "portfolios": 16},
    "tiny": {"n_factors": 2, "portfolios": 4, "hidden": 8, "lookback": 16, "min_history": 5, "steps": 40,
             "days_per_step": 4, "valid_every": 20, "patience": 0, "valid_days": 20, "lr": 3e-3},
}


def resolve(settings: dict[str, Any]) -> dict[str, Any]:
    """Defaults, then the named preset's values, then `settings` (already checked against DEFAULTS)."""
    name = settings.get("preset", "")
    if name and name not in PRESETS:
        raise ModelError(f"unknown FactorVAE preset {name!r}; choose one of {', '.join(PRESETS)} "
                         "(e.g. --set preset=sp500-20)")
    out = {**DEFAULTS, **PRESETS.get(name, {}), **settings}
    if out["n_factors"] < 1 or out["portfolios"] < 1 or out["hidden"] < 1 or out["lookback"] < 2:
        raise ModelError("n_factors, portfolios and hidden must be >= 1 and lookback >= 2; fix the settings")
    if out["device"] not in ("cpu", "cuda", "auto"):
        raise ModelError(f"factorvae: device {out['device']!r} is unknown; use cpu, cuda or auto")
    return out
