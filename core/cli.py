"""`neuralfactors` command line: data | models | train | evaluate | pretrained | dashboard | bench.

Each sub-command's work lives in the module that owns it; this file only parses arguments.
Errors a user can cause (core.errors.NeuralFactorsError) print one line and exit with 2.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys

from core.errors import NeuralFactorsError


def _source(p: argparse.ArgumentParser, required: bool = True) -> None:
    g = p.add_mutually_exclusive_group(required=required)
    g.add_argument("--dataset", help="embedded dataset: sp500-20 or synthetic")
    g.add_argument("--data", help="your own CSV or Parquet file (see docs/data_format.md)")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="neuralfactors", description="NeuralFactors factor-model workbench")
    sub = ap.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="inspect a dataset").add_subparsers(dest="data_command", required=True)
    info = data.add_parser("info", help="tickers, dates, frequency, missing share, sectors, warnings")
    _source(info)
    info.add_argument("--json", action="store_true")
    info.set_defaults(handler="core.data.info:info_command")

    models = sub.add_parser("models", help="list the registered models")
    models.add_argument("--json", action="store_true")
    models.set_defaults(handler="core.cli:models_command")

    train = sub.add_parser("train", help="fit a model and save it")
    train.add_argument("--model", required=True)
    _source(train)
    train.add_argument("--preset", default=None, help="named configuration (NeuralFactors: paper, sp500-20, tiny)")
    train.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    train.add_argument("--max-steps", type=int, default=None)
    train.add_argument("--device", default=None, choices=["auto", "cpu", "cuda"],
                       help="NeuralFactors only (default auto: CUDA when present)")
    train.add_argument("--out", required=True, help="output directory for the trained model")
    train.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    train.add_argument("--seed", type=int, default=None,
                       help="initialisation / training seed (default 0) for models that have one")
    train.set_defaults(handler="core.training.command:train_command")

    ev = sub.add_parser("evaluate", help="paper-style evaluation table for several models")
    _source(ev)
    ev.add_argument("--models", required=True, help="comma-separated model names")
    ev.add_argument("--split", default="valid", choices=["valid", "test"])
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--out", default=None, help="directory for CSV and Markdown tables")
    ev.add_argument("--pretrained", default=None, help="directory of shipped models and outputs (default: pretrained/)")
    ev.add_argument("--recompute", action="store_true",
                    help="recompute metrics from the forecasts even where shipped metrics exist")
    ev.set_defaults(handler="core.evaluate:evaluate_command")

    pre = sub.add_parser("pretrained", help="build or check the shipped models and outputs")
    pre.add_argument("action", choices=["build", "check", "table"],
                     help="build: fit and write everything; check: verify the files; table: print the shipped metrics")
    pre.add_argument("--dataset", default="sp500-20")
    pre.add_argument("--out", default="pretrained")
    pre.add_argument("--max-steps", type=int, default=None)
    pre.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    pre.add_argument("--models", default=None, help="comma-separated subset (default: every registered model)")
    pre.add_argument("--from-run", action="append", default=[], metavar="MODEL=DIR",
                     help="take MODEL's weights from a finished `neuralfactors train --out DIR` run instead of fitting")
    pre.add_argument("--reuse", action="store_true",
                     help="keep models already built from the same data and version; recompute only the metrics")
    pre.set_defaults(handler="core.pretrained:pretrained_command")

    dash = sub.add_parser("dashboard", help="start the Streamlit dashboard")
    dash.add_argument("--port", type=int, default=8501)
    dash.add_argument("--headless", action="store_true", help="do not open a browser window")
    dash.set_defaults(handler="core.cli:dashboard_command")

    bench = sub.add_parser("bench", help="speed and memory benchmarks (results under docs/)")
    bench.add_argument("what", choices=["data", "train", "risk", "dashboard"])
    bench.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    bench.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    bench.add_argument("--out", default=None, help="Markdown file to write (default docs/bench_<what>.md)")
    bench.set_defaults(handler="core.bench:bench_command")
    return ap


def models_command(args: argparse.Namespace) -> int:
    from core.models.base import REGISTRY, model_names

    names = model_names()
    if args.json:
        print(json.dumps({"models": [{"name": n, "description": REGISTRY[n][2]} for n in names]}, indent=2))
    else:
        for n in names:
            print(f"{n:15s} {REGISTRY[n][2]}")
    return 0


def dashboard_command(args: argparse.Namespace) -> int:
    import subprocess
    from pathlib import Path

    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port),
           "--browser.gatherUsageStats", "false"]
    if args.headless:
        cmd += ["--server.headless", "true"]
    return subprocess.call(cmd)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module, func = args.handler.split(":")
    try:
        return int(getattr(importlib.import_module(module), func)(args) or 0)
    except NeuralFactorsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
