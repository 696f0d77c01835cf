"""`neuralfactors train`: fit any registered model on a dataset's train/valid split and save it."""
from __future__ import annotations

import argparse
from pathlib import Path

from core.cli.common import add_source, load_source


def add(sub) -> None:
    p = sub.add_parser("train", help="fit a model and save it")
    p.add_argument("--model", required=True, help="a name from `neuralfactors models`")
    add_source(p)
    p.add_argument("--preset", default=None, help="named configuration (NeuralFactors: paper, sp500-20, tiny)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one setting, e.g. --set n_factors=8 (repeatable; values parsed as JSON)")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many training steps (NeuralFactors)")
    p.add_argument("--device", default=None, choices=["auto", "cpu", "cuda"],
                   help="NeuralFactors only (default auto: CUDA when present)")
    p.add_argument("--out", required=True, help="output directory for the trained model")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    p.add_argument("--seed", type=int, default=None,
                   help="initialisation / training seed (default 0) for models that have one")
    p.set_defaults(handler=train_command)


def train_command(args: argparse.Namespace) -> int:
    from core.training.setup import build_model, parse_overrides

    out = Path(args.out)
    model = build_model(args.model, out, parse_overrides(args.overrides), args.preset, args.max_steps, args.device,
                        args.seed, args.resume)
    panel = load_source(args)
    train, valid = panel.split_dates("train"), panel.split_dates("valid")
    if model.step_trained:
        print(f"training {args.model} on {panel.name} ({panel.n_tickers} stocks, {len(train)} train / "
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
