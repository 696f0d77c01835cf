"""Training progress as JSON lines: the structured channel a dashboard reads while a run trains.

The training loop appends one record per line (rank 0 only), e.g.
    {"step": 60, "total": 500, "elapsed": 10.2, "eta": 74.8, "train_loss": 0.93, "valid": 0.61}
valid is null before the first validation; the last record of a finished loop adds "stopped" and
"best_valid". Each line goes out in one os.write on a file opened O_APPEND, so a reader sees whole
lines (it skips a torn last line all the same). Imports nothing heavy: core.runs reads it.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

#: the file name inside a run folder (`neuralfactors train --out DIR` writes DIR/progress.jsonl)
FILE = "progress.jsonl"
_TAIL_BYTES = 8192


def _plain(value):
    """NaN / inf -> None (JSON has no NaN)."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def append(path: str | Path, record: dict) -> None:
    """Append `record` as one JSON line (created with its folder on first use)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps({k: _plain(v) for k, v in record.items()}) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def last(path: str | Path) -> dict | None:
    """The last complete record of `path`; None when the file is missing or holds none yet."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, fh.seek(0, os.SEEK_END) - _TAIL_BYTES))
            tail = fh.read()
    except FileNotFoundError:
        return None
    for line in reversed(tail.split(b"\n")):
        try:
            record = json.loads(line)
        except ValueError:  # empty, torn, or cut by the tail window (a part of an object never parses)
            continue
        if isinstance(record, dict):
            return record
    return None
