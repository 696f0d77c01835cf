"""`neuralfactors bench data|train|risk|scale|dashboard`: speed, memory and scale benchmarks (results under docs/)."""
from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

from core.errors import ModelError


def add(sub) -> None:
    p = sub.add_parser("bench", help="speed, memory and scale benchmarks (results under docs/)")
    p.add_argument("what", choices=["data", "train", "risk", "scale", "dashboard"],
                   help="which benchmark (scale: model quality on a SYNTHETIC 500-stock, 20-year market)")
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="device (train and scale)")
    p.add_argument("--steps", type=int, default=None,
                   help="scale only: NeuralFactors training steps (default 300; --quick 2)")
    p.add_argument("--out", default=None, help="Markdown file to write (default docs/bench_<what>.md)")
    p.set_defaults(handler=bench_command)


def bench_command(args: argparse.Namespace) -> int:
    if args.steps is not None and args.what != "scale":
        raise ModelError(f"--steps applies to `bench scale` only, not `bench {args.what}`; drop it")
    if args.steps is not None and args.steps < 1:
        raise ModelError(f"--steps {args.steps}: use a whole number >= 1")
    if args.what == "dashboard":
        cmd = [sys.executable, "-m", "dashboard.bench"] + (["--quick"] if args.quick else [])
        return subprocess.call(cmd + (["--out", args.out] if args.out else []))
    run = importlib.import_module(f"core.bench.{args.what}").run
    extra = {"device": args.device} if args.what in ("train", "scale") else {}
    if args.steps is not None:
        extra["steps"] = args.steps
    return int(run(quick=args.quick, out=args.out, **extra) or 0)
