"""Printing results: JSON on stdout, and errors as JSON when --json was asked for."""
from __future__ import annotations

import json
import sys


def emit(obj) -> None:
    """One JSON object on stdout."""
    print(json.dumps(obj, indent=2, default=str))


def error(message: str, as_json: bool, kind: str = "error") -> None:
    """An error in one line on stderr, or as {"error": ..., "kind": ...} on stdout with --json."""
    if as_json:
        print(json.dumps({"error": message, "kind": kind}))
    else:
        print(f"error: {message}", file=sys.stderr)
