"""`neuralfactors bench data|train|risk|dashboard`: speed and memory benchmarks.

Each `core.bench.<what>` module exposes `run(args) -> int` and writes Markdown to
`args.out` (default docs/bench_<what>.md). The dashboard benchmark lives with the dashboard
and runs as `python -m dashboard.bench` in a subprocess (core never imports the dashboard).
"""
from __future__ import annotations

import argparse
import importlib
import subprocess
import sys


def bench_command(args: argparse.Namespace) -> int:
    if args.what == "dashboard":
        cmd = [sys.executable, "-m", "dashboard.bench"] + (["--quick"] if args.quick else [])
        cmd += ["--out", args.out] if args.out else []
        return subprocess.call(cmd)
    return int(importlib.import_module(f"core.bench.{args.what}").run(args) or 0)
