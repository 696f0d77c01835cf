"""`neuralfactors models`: every registered model with its description and capabilities."""
from __future__ import annotations

import argparse

from core.cli.output import emit

CAPABILITIES = ("learned", "zero_shot", "quick_fit", "joint", "has_factors")


def add(sub) -> None:
    p = sub.add_parser("models", help="list the registered models")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(handler=models_command)


def models_command(args: argparse.Namespace) -> int:
    from core.models.registry import model_class, model_names

    rows = [{"name": n, "label": model_class(n).label or n, "description": model_class(n).description,
             **{c: bool(getattr(model_class(n), c)) for c in CAPABILITIES}} for n in model_names()]
    if args.json:
        emit({"models": rows})
        return 0
    for r in rows:
        tags = ", ".join(c.replace("_", "-") for c in CAPABILITIES if r[c] and c not in ("joint", "has_factors"))
        tags += ("" if r["joint"] else ", univariate")
        print(f"{r['name']:15s} {r['description']}" + (f" [{tags.strip(', ')}]" if tags.strip(", ") else ""))
    return 0
