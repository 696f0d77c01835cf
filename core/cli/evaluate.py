"""`neuralfactors evaluate`: the paper-style evaluation table for several models on one split."""
from __future__ import annotations

import argparse
from pathlib import Path

from core.cli.common import add_source, load_source, names
from core.cli.output import emit

PARTS = ("valid", "test")


def add(sub) -> None:
    p = sub.add_parser("evaluate", help="paper-style evaluation table for several models")
    add_source(p, split=False)
    p.add_argument("--models", default=None,
                   help="comma-separated model names (`neuralfactors models`); default: every model with forecasts "
                        "on this data without training (shipped, zero-shot, quick-fit)")
    p.add_argument("--split", default="valid", metavar="PART|TRAIN,VALID",
                   help="the split to evaluate (valid or test; default valid), or train/validation shares of the "
                        "dates such as 0.6,0.2 (then --part picks the split, default test)")
    p.add_argument("--part", default=None, choices=PARTS, help="split evaluated when --split gives shares")
    p.add_argument("--train-end", default=None, metavar="DATE", help="last training date (YYYY-MM-DD)")
    p.add_argument("--valid-end", default=None, metavar="DATE", help="last validation date (YYYY-MM-DD)")
    p.add_argument("--run", action="append", default=[], metavar="MODEL=DIR",
                   help="take MODEL's forecasts from a finished `neuralfactors train --out DIR` run")
    p.add_argument("--iwae-k", type=int, default=None, metavar="K",
                   help="importance samples for NLL_joint of Student-t models (default 100, the paper's; "
                        "larger K lowers the bound's upward bias)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="models evaluated in parallel processes (default: the cores available, at most one per model)")
    p.add_argument("--families", action="store_true",
                   help="score portfolio families instead (long-only, long-short, pairs, sector bets, concentrated, "
                        "130/30, minimum variance): calibration error and 99%% VaR breach rate per family, with the "
                        "95%% range of a calibrated model; the calibration layer's maps never saw the held-out ones")
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    p.add_argument("--out", default=None, help="directory for CSV and Markdown tables")
    p.add_argument("--pretrained", default=None, help="directory of shipped models and outputs (default: the installed ones)")
    p.add_argument("--recompute", action="store_true",
                   help="recompute metrics from the forecasts even where shipped metrics exist")
    p.set_defaults(handler=evaluate_command, takes_split=True)  # its own split options, read by load_source


def parse_runs(items: list[str], flag: str) -> dict[str, str]:
    """["MODEL=DIR", ...] -> {MODEL: DIR}."""
    from core.errors import ModelError

    bad = [item for item in items if "=" not in item]
    if bad:
        raise ModelError(f"{flag} {bad[0]!r}: expected MODEL=DIR, e.g. {flag} neuralfactors=runs/nf")
    return dict(item.split("=", 1) for item in items)


def evaluate_command(args: argparse.Namespace) -> int:
    from core.evaluation.tables import Settings, evaluate_models, to_json, to_markdown
    from core.io import atomic_write_bytes, csv_bytes
    from core.errors import ModelError
    from core.training.threads import available_cores, limit_math_threads

    limit_math_threads()
    models = names(args.models) if args.models else None
    runs = parse_runs(args.run, "--run")
    part = args.split if args.split in PARTS else (args.part or "test")
    args.split = None if args.split in PARTS else args.split
    panel = load_source(args)
    if models is None:
        from core.workbench import TRUTH, available

        models = [m for m in available(panel, args.pretrained) if m != TRUTH]
    workers = args.workers if args.workers is not None else available_cores()
    if workers < 1:
        raise ModelError(f"--workers {workers}: use a whole number >= 1")
    if args.iwae_k is not None and args.iwae_k < 1:
        raise ModelError(f"--iwae-k {args.iwae_k}: use a whole number >= 1")
    settings = Settings() if args.iwae_k is None else Settings(iwae_k=args.iwae_k)
    if args.families:
        return _families(panel, models, part, args, runs)
    table = evaluate_models(panel, models, part, args.pretrained, settings=settings, recompute=args.recompute,
                            runs=runs, workers=workers)
    if args.out:
        out = Path(args.out)
        atomic_write_bytes(out / f"evaluate_{part}.csv", csv_bytes(table))
        atomic_write_bytes(out / f"evaluate_{part}.md", to_markdown(table).encode())
    if args.json:
        emit(to_json(table))
    else:
        print(f"{panel.name}, split {part} (forecasts made {table.attrs['dates'][0]}..{table.attrs['dates'][1]}); "
              f"NLLs on returns / {table.attrs['nll_scale']:.4g} (training std)")
        print(to_markdown(table))
    return 0


def _families(panel, models: list[str], part: str, args, runs: dict[str, str]) -> int:
    """`evaluate --families`: one table of every model's portfolio families."""
    from core.evaluation.families import family_table, table_markdown
    from core.io import atomic_write_bytes, csv_bytes

    table = family_table(panel, models, part, args.pretrained, runs)
    if args.out:
        atomic_write_bytes(Path(args.out) / f"families_{part}.csv", csv_bytes(table))
    if args.json:
        emit({"split": part, "rows": table.reset_index().to_dict(orient="records")})
    else:
        print(f"{panel.name}, split {part}: portfolio families (books at a gross of 1)")
        print(table_markdown(table))
    return 0
