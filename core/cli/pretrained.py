"""`neuralfactors pretrained build|check|table`: the shipped models and outputs."""
from __future__ import annotations

import argparse
from pathlib import Path

from core.cli.evaluate import parse_runs


def add(sub) -> None:
    p = sub.add_parser("pretrained", help="build or check the shipped models and outputs")
    p.add_argument("action", choices=["build", "check", "table"],
                   help="build: fit and write everything; check: verify the files; table: print the shipped metrics")
    p.add_argument("--dataset", default="sp500-20", help="embedded dataset to build for (default sp500-20)")
    p.add_argument("--out", default=None,
                   help="directory of the shipped outputs (default: the installed ones; build: required)")
    p.add_argument("--max-steps", type=int, default=None, help="training steps of the learned models (default: preset)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="device for NeuralFactors")
    p.add_argument("--models", default=None, help="comma-separated subset (default: every registered model)")
    p.add_argument("--from-run", action="append", default=[], metavar="MODEL=DIR",
                   help="take MODEL's weights from a finished `neuralfactors train --out DIR` run instead of fitting")
    p.add_argument("--reuse", action="store_true",
                   help="keep models already built from the same data and version (their calibration layers refitted "
                        "when stale); recompute only the metrics and the default view's precomputed views")
    p.add_argument("--keep-metrics", action="store_true",
                   help="with --reuse: keep the shipped metrics of kept models (a raw model's metrics do not depend "
                        "on its calibration layer)")
    p.set_defaults(handler=pretrained_command)


def pretrained_command(args: argparse.Namespace) -> int:
    from core import store

    if args.action == "table":
        from core.evaluation.tables import to_markdown

        for split in ("valid", "test"):
            table = store.metrics_table(args.dataset, split, args.out)
            dates = table.attrs.get("dates", ["?", "?"])
            print(f"### {args.dataset}, {split} split ({dates[0]} .. {dates[1]}; NLL on returns / "
                  f"{table.attrs.get('nll_scale', float('nan')):.4g})\n")
            print(to_markdown(table))
        return 0
    if args.action == "build":
        from core.build import build
        from core.cli.common import names
        from core.errors import ModelError

        if not args.out:
            raise ModelError("pretrained build needs --out DIR (e.g. --out pretrained in a source checkout)")
        models = names(args.models) if args.models else None
        if args.keep_metrics and not args.reuse:
            raise ModelError("--keep-metrics keeps the metrics of kept models: add --reuse")
        manifest = build(args.dataset, args.out, models, args.max_steps, args.device, args.reuse,
                         parse_runs(args.from_run, "--from-run"), with_metrics=not args.keep_metrics)
        print(f"built {len(manifest['models'])} models under {Path(args.out) / args.dataset}")
        return 0
    problems = store.check(args.dataset, args.out) + store.library_warnings(args.dataset, args.out)
    for p in problems:
        print(f"warning: {p}")
    print(f"{args.dataset}: {len(store.available_models(args.dataset, args.out))} models readable"
          + ("" if not problems else f", {len(problems)} warnings"))
    return 0
