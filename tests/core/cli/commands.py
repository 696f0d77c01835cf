"""Helpers of the command tests: the embedded dataset's options, a command's JSON output, its one-line JSON error."""
from __future__ import annotations

import json

from core.cli import main

SP = ["--dataset", "sp500-20"]


def run_json(capsys, argv: list[str]) -> dict:
    """The JSON a successful command prints."""
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def json_error(capsys, argv: list[str]) -> str:
    """The error of a failed command (exit 2, one JSON line)."""
    assert main(argv + ["--json"]) == 2
    return json.loads(capsys.readouterr().out)["error"]
