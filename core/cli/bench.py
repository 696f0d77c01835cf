"""`neuralfactors bench data|train|risk|dashboard`: speed and memory benchmarks (results under docs/)."""
from __future__ import annotations

import argparse
import importlib
import subprocess
import sys


def add(sub) -> None:
    p = sub.add_parser("bench", help="speed and memory benchmarks (results under docs/)")
    p.add_argument("what", choices=["data", "train", "risk", "dashboard"], help="which benchmark")
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="device (train only)")
    p.add_argument("--out", default=None, help="Markdown file to write (default docs/bench_<what>.md)")
    p.set_defaults(handler=bench_command)


def bench_command(args: argparse.Namespace) -> int:
    if args.what == "dashboard":
        cmd = [sys.executable, "-m", "dashboard.bench"] + (["--quick"] if args.quick else [])
        return subprocess.call(cmd + (["--out", args.out] if args.out else []))
    run = importlib.import_module(f"core.bench.{args.what}").run
    extra = {"device": args.device} if args.what == "train" else {}
    return int(run(quick=args.quick, out=args.out, **extra) or 0)
