"""`neuralfactors train`: fit any registered model on a dataset's train/valid split and save it.

NeuralFactors takes --preset, --max-steps, --device, --seed and --resume (checkpoints go to
OUT/checkpoint/); every other model is built as create_model(name, **settings_from_--set), with
--seed as its `seed` setting when it has one (the conditional autoencoders).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.errors import ModelError


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


def train_command(args: argparse.Namespace) -> int:
    from core.data import load_panel
    from core.models.base import create_model, model_class

    overrides = parse_overrides(args.overrides)
    is_nf = args.model == "neuralfactors"
    if not is_nf and (args.preset or args.resume or args.max_steps is not None or args.device is not None):
        raise ModelError(f"--preset, --resume, --max-steps and --device apply to neuralfactors only, not "
                         f"{args.model!r} (it trains on the CPU); drop them")
    if not is_nf and args.seed is not None:
        if "seed" not in getattr(model_class(args.model), "defaults", {}):
            raise ModelError(f"{args.model} has no random seed (its fit is deterministic); drop --seed")
        overrides.setdefault("seed", args.seed)
    out = Path(args.out)
    if is_nf:  # the model (and its settings check) comes before the data, so a typo fails at once
        from core.models.neuralfactors.model import NeuralFactorsModel

        model = NeuralFactorsModel(preset=args.preset, device=args.device or "auto",
                                   seed=0 if args.seed is None else args.seed, max_steps=args.max_steps,
                                   out_dir=out / "checkpoint", resume=args.resume, progress=True, **overrides)
    else:
        model = create_model(args.model, **overrides)
    panel = load_panel(args.dataset, args.data)
    train, valid = panel.split_dates("train"), panel.split_dates("valid")
    if is_nf:
        print(f"training neuralfactors on {panel.name} ({panel.n_tickers} stocks, {len(train)} train / "
              f"{len(valid)} valid dates) on {model.device}; config: {model.config.to_json()}")
    model.fit(panel, train, valid)
    model.save(out)
    result = getattr(model, "result", None)
    if result is not None:
        print(f"step {result.step}, stopped: {result.stopped}, best validation NLL_joint "
              f"{result.best_valid:.4f} per stock (returns / training std {model.scaler.return_scale:.5f}); "
              f"{result.steps_per_s:.1f} steps/s")
        if result.stopped == "non_finite":
            print(f"error: {result.message}")
            return 1
        if result.stopped == "max_steps":
            print(f"stopped at --max-steps; continue with the same command plus --resume (checkpoint in {out / 'checkpoint'})")
    print(f"saved {args.model} to {out}")
    return 0
