"""`neuralfactors train`: fit any registered model on a dataset's train/valid split and save it."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from core.cli.common import add_source, load_source
from core.errors import ModelError


def add(sub) -> None:
    p = sub.add_parser("train", help="fit a model and save it")
    p.add_argument("--model", required=True, help="a name from `neuralfactors models`")
    add_source(p)
    p.add_argument("--preset", default=None,
                   help="named configuration (NeuralFactors: paper, sp500-20, tiny; default: paper on CUDA, the "
                        "CPU-sized sp500-20 on a CPU)")
    p.add_argument("--init", default=None, metavar="shipped|DIR",
                   help="NeuralFactors only: fine-tune a trained network instead of starting from scratch: "
                        "'shipped' (the sp500-20 network that scores new universes zero-shot) or a run directory")
    p.add_argument("--time-budget", default=None, metavar="DURATION",
                   help="stop training cleanly after this long, e.g. 300s, 5m, 1h (NeuralFactors; keeps the best "
                        "validated weights; --resume continues)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one setting, e.g. --set n_factors=8 (repeatable; values parsed as JSON)")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many training steps (NeuralFactors)")
    p.add_argument("--device", default=None, choices=["auto", "cpu", "cuda"],
                   help="NeuralFactors only (default auto: CUDA when present)")
    p.add_argument("--out", required=True, help="output directory for the trained model")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    p.add_argument("--seed", type=int, default=None,
                   help="initialisation / training seed (default 0) for models that have one")
    p.add_argument("--nproc", type=int, default=None,
                   help="NeuralFactors only: train on N processes with torch.distributed (gloo on CPU, NCCL on "
                        "CUDA), each step's days split across them; also works under torchrun")
    p.add_argument("--threads", default=None,
                   help="NeuralFactors only: torch CPU threads per process (default: NEURALFACTORS_THREADS, else 1 "
                        "on machines with 2 cores or fewer, else min(cores, 8))")
    p.set_defaults(handler=train_command)


def train_command(args: argparse.Namespace) -> int:
    from core.models.training_run import RunSettings, parse_overrides, train_run
    from core.training.threads import limit_math_threads

    limit_math_threads(args.threads)
    out = Path(args.out)
    settings = RunSettings(model=args.model, out=out, overrides=parse_overrides(args.overrides), preset=args.preset,
                           max_steps=args.max_steps, device=args.device, seed=args.seed, resume=args.resume,
                           threads=args.threads, nproc=args.nproc, init=_init_dir(args.init, args.model),
                           time_budget=None if args.time_budget is None else parse_duration(args.time_budget))
    summary = train_run(settings, lambda: load_source(args))
    if summary is None:  # a torchrun rank other than 0
        return 0
    for line in summary["notes"]:
        print(f"{args.model}: {line}")
    if "step" in summary:
        kept = "" if summary.get("best_step") is None else f" (the weights of step {summary['best_step']})"
        print(f"step {summary['step']}, stopped: {summary['stopped']}, best validation NLL_joint "
              f"{summary['best_valid']:.4f}{kept} per stock (returns / training std {summary['return_scale']:.5f}) on "
              f"{summary['world_size']} process{'es' if summary['world_size'] > 1 else ''} x {summary['threads']} "
              f"threads ({summary['device']}); "
              f"{summary['steps_per_s']:.1f} steps/s")
        if summary["stopped"] == "non_finite":
            print(f"error: {summary['message']}")
            return 1
        if summary["stopped"] in ("max_steps", "time_budget"):
            flag = "--max-steps" if summary["stopped"] == "max_steps" else "--time-budget"
            print(f"stopped at {flag}; continue with the same command plus --resume (checkpoint in {out / 'checkpoint'})")
    print(f"saved {args.model} to {out}")
    return 0


def parse_duration(text: str) -> float:
    """"300", "300s", "5m", "1.5h" -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(text).lower())
    if not m or float(m.group(1)) <= 0:
        raise ModelError(f"--time-budget {text!r}: expected a positive duration such as 300s, 5m or 1h")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def _init_dir(init: str | None, model: str) -> Path | None:
    """--init: "shipped" -> the shipped zero-shot weights of `model`, else the directory given."""
    if init is None or init != "shipped":
        return None if init is None else Path(init)
    from core.workbench.sources import ZERO_SHOT_DATASET, zero_shot_weights

    weights = zero_shot_weights(model)
    if weights is None:
        raise ModelError(f"--init shipped: no shipped {ZERO_SHOT_DATASET} weights of {model!r} to start from; "
                         "give a run directory instead, or train from scratch without --init")
    return weights
