"""`neuralfactors` command line: data | models | train | evaluate | pretrained | runs | dashboard | report | var |
stress | shock | attribution | workspace | refresh.

argparse lives in this package only; each handler parses its options and calls the layers below
with plain arguments. Errors a user can cause (core.errors.NeuralFactorsError) print one line and
exit with 2 (with --json: a JSON object {"error", "kind"} on stdout). A closed pipe (`| head`)
ends quietly.
"""
from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    from core.cli.output import error
    from core.cli.parser import build_parser
    from core.errors import NeuralFactorsError

    args = build_parser().parse_args(argv)
    as_json = bool(getattr(args, "json", False))
    try:
        return int(args.handler(args) or 0)
    except NeuralFactorsError as exc:
        error(str(exc), as_json, type(exc).__name__)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop writing without a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
