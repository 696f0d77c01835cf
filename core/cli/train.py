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
    p.add_argument("--nproc", type=int, default=None,
                   help="NeuralFactors only: train on N processes with torch.distributed (gloo on CPU, NCCL on "
                        "CUDA), each step's days split across them; also works under torchrun")
    p.add_argument("--threads", default=None,
                   help="NeuralFactors only: torch CPU threads per process (default: NEURALFACTORS_THREADS, else 1 "
                        "on machines with 2 cores or fewer, else min(cores, 8))")
    p.set_defaults(handler=train_command)


def train_command(args: argparse.Namespace) -> int:
    from core.training.setup import build_model, parse_overrides
    from core.training.threads import limit_math_threads

    limit_math_threads(args.threads)
    out = Path(args.out)
    if args.nproc is not None or args.threads is not None or _under_torchrun():
        return _train_distributed(args, out)
    model = build_model(args.model, out, parse_overrides(args.overrides), args.preset, args.max_steps, args.device,
                        args.seed, args.resume)
    panel = load_source(args)
    train, valid = panel.split_dates("train"), panel.split_dates("valid")
    if model.step_trained:
        print(f"training {args.model} on {panel.name} ({panel.n_tickers} stocks, {len(train)} train / "
              f"{len(valid)} valid dates) on {model.device}; config: {model.config.to_json()}")
    model.fit(panel, train, valid)
    for line in getattr(model, "notes", ()):
        print(f"{args.model}: {line}")
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


def _under_torchrun() -> bool:
    import os

    return "TORCHELASTIC_RUN_ID" in os.environ or ("RANK" in os.environ and "WORLD_SIZE" in os.environ)


def _train_distributed(args: argparse.Namespace, out: Path) -> int:
    """NeuralFactors on --nproc processes (or the ranks of a torchrun), rank 0 saving and printing."""
    from core.data.splits import parse_shares
    from core.errors import ModelError
    from core.models.registry import model_class
    from core.training.parallel import train_neuralfactors
    from core.training.setup import parse_overrides

    if not model_class(args.model).step_trained:
        raise ModelError(f"--nproc and --threads apply to step-trained models (neuralfactors), not {args.model!r}")
    load_source(args)  # checks the file and prints the split and the warnings once, before spawning
    summary = train_neuralfactors(
        args.nproc, out, dataset=args.dataset, data=args.data, date_format=args.date_format,
        split=parse_shares(args.split) if args.split else None, train_end=args.train_end, valid_end=args.valid_end,
        preset=args.preset, device=args.device or "auto", seed=0 if args.seed is None else args.seed,
        max_steps=args.max_steps, out_dir=out / "checkpoint", resume=args.resume, progress=True,
        threads=args.threads, **parse_overrides(args.overrides))
    if summary is None:  # a torchrun rank other than 0
        return 0
    print(f"step {summary['step']}, stopped: {summary['stopped']}, best validation NLL_joint "
          f"{summary['best_valid']:.4f} per stock on {summary['world_size']} processes x {summary['threads']} "
          f"threads ({summary['device']}); {summary['steps_per_s']:.1f} steps/s")
    if summary["stopped"] == "non_finite":
        print(f"error: {summary['message']}")
        return 1
    print(f"saved {args.model} to {out}")
    return 0
