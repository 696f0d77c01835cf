"""Building a model for `neuralfactors train` from plain settings (the CLI parses them).

NeuralFactors takes preset, max_steps, device, seed and resume (checkpoints go to OUT/checkpoint/);
every other model is create_model(name, **settings), with `seed` as its setting when it has one
(the conditional autoencoders).
"""
from __future__ import annotations

import json
from pathlib import Path

from core.errors import ModelError
from core.models.registry import create_model, model_class


def parse_overrides(items: list[str]) -> dict:
    """["k=v", ...] -> {k: v}; v parsed as JSON when it is JSON (1, 0.5, true, "x"), else a string."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ModelError(f"--set {item!r}: expected KEY=VALUE, e.g. --set n_factors=8")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def build_model(name: str, out: str | Path, overrides: dict | None = None, preset: str | None = None,
                max_steps: int | None = None, device: str | None = None, seed: int | None = None,
                resume: bool = False):
    """The model to train, settings checked before any data is read (a typo fails at once)."""
    overrides = dict(overrides or {})
    cls = model_class(name)
    trains_steps = cls.step_trained
    if not trains_steps and (preset or resume or max_steps is not None or device is not None):
        from core.models.registry import models_where

        raise ModelError(f"--preset, --resume, --max-steps and --device apply to "
                         f"{', '.join(models_where(step_trained=True))} only, not {name!r} (it trains on the CPU); drop them")
    if trains_steps:
        return cls(preset=preset, device=device or "auto", seed=0 if seed is None else seed, max_steps=max_steps,
                   out_dir=Path(out) / "checkpoint", resume=resume, progress=True, **overrides)
    if seed is not None:
        if "seed" not in getattr(cls, "defaults", {}):
            raise ModelError(f"{name} has no random seed (its fit is deterministic); drop --seed")
        overrides.setdefault("seed", seed)
    return create_model(name, **overrides)
