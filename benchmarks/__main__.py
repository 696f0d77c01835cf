"""`python -m benchmarks data|train|risk|scale|dashboard|screenshots|refresh|layer_rule|prior_weight|covariance_misses|
like_for_like|page_profile|warmup|load [--out DIR]`, run from a checkout.

Each benchmark writes DIR/bench_<what>.md; screenshots writes DIR/<page>.png and DIR/<page>_dark.png.
DIR defaults to the current directory (`--out docs` refreshes the recorded figures, `--out
docs/screenshots` the README's screenshots). dashboard and screenshots drive Chromium through
Playwright (the dev extra, and `make browser-deps`).
"""
from __future__ import annotations

import argparse
import importlib
import sys

WHAT = ("data", "train", "risk", "scale", "dashboard", "screenshots", "refresh", "layer_rule", "prior_weight",
        "covariance_misses", "like_for_like", "page_profile", "warmup", "load")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=WHAT,
                    help="which benchmark (scale: model quality on a SYNTHETIC 500-stock, 20-year market)")
    ap.add_argument("--out", default=".", help="folder to write into (default: the current directory)")
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run (not screenshots)")
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="train and scale only")
    ap.add_argument("--steps", type=int, default=None,
                    help="scale only: NeuralFactors training steps (default 300; --quick 2)")
    ap.add_argument("--stocks", type=int, default=None,
                    help="scale only: stocks in the market (default 500; --quick 40)")
    ap.add_argument("--years", type=int, default=None, help="scale only: years of the market (default 20; --quick 2)")
    ap.add_argument("--query", default="", help="dashboard, screenshots and page_profile only: URL query, "
                                                "e.g. '?dataset=synthetic&model=truth' (default: the default view)")
    return ap


def _misuse(args: argparse.Namespace) -> str | None:
    """Why these options do not go together, or None."""
    for opt in ("steps", "stocks", "years"):
        value = getattr(args, opt)
        if value is not None and args.what != "scale":
            return f"--{opt} applies to `scale` only, not `{args.what}`; drop it"
        if value is not None and value < 1:
            return f"--{opt} {value}: use a whole number >= 1"
    if args.device != "auto" and args.what not in ("train", "scale"):
        return f"--device applies to `train` and `scale` only, not `{args.what}`; drop it"
    if args.query and args.what not in ("dashboard", "screenshots", "page_profile"):
        return f"--query applies to `dashboard`, `screenshots` and `page_profile` only, not `{args.what}`; drop it"
    if args.quick and args.what == "screenshots":
        return "--quick does not apply to `screenshots` (every page is shot); drop it"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    problem = _misuse(args)
    if problem:
        ap.error(problem)
    run = importlib.import_module(f"benchmarks.{args.what}").run
    extra = {"quick": args.quick} if args.what != "screenshots" else {}
    extra |= {"device": args.device} if args.what in ("train", "scale") else {}
    extra |= {opt: getattr(args, opt) for opt in ("steps", "stocks", "years") if getattr(args, opt) is not None}
    extra |= {"query": args.query} if args.what in ("dashboard", "screenshots", "page_profile") else {}
    return int(run(out=args.out, **extra) or 0)


if __name__ == "__main__":
    sys.exit(main())
