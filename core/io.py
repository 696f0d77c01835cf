"""Atomic, pickle-free persistence: safetensors for arrays, JSON for everything else.

Every write goes to a temporary file in the target directory and is renamed into place,
so a crash leaves either the old file or the new one, never a truncated file.
"""
from __future__ import annotations

import datetime
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file

from core.errors import CheckpointError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: permissions of new files: what the user's umask allows (mkstemp alone would give 0600)
FILE_MODE = 0o666 & ~_umask()


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` atomically (temp file + fsync + rename), with the user's umask."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: str | Path, obj: Any) -> None:
    """Atomically write `obj` as indented JSON (NaN written as null)."""
    text = json.dumps(_jsonable(obj), indent=2, sort_keys=True)
    atomic_write_bytes(path, (text + "\n").encode())


def read_json(path: str | Path) -> Any:
    """Read a JSON file, turning a missing or corrupted file into a CheckpointError."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise CheckpointError(f"{path}: file not found; train or copy the model there first") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: not valid JSON ({exc}); the file is corrupted, re-create it") from exc


def write_arrays(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    """Atomically write named numpy arrays as one safetensors file."""
    from safetensors.numpy import save

    clean = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    atomic_write_bytes(path, save(clean))


def read_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """Read a safetensors file; a missing or truncated file raises CheckpointError."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: file not found; train or copy the model there first")
    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for bad headers
        raise CheckpointError(
            f"{path}: cannot read safetensors ({exc}); the file is corrupted or truncated, re-create it"
        ) from exc


def save_bundle(directory: str | Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Save `arrays` to DIR/weights.safetensors and `meta` to DIR/config.json, atomically each."""
    directory = Path(directory)
    write_arrays(directory / "weights.safetensors", arrays)
    write_json(directory / "config.json", meta)


def load_bundle(directory: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Inverse of save_bundle."""
    directory = Path(directory)
    return read_arrays(directory / "weights.safetensors"), read_json(directory / "config.json")


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return None if not np.isfinite(f) else f
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (datetime.date, datetime.time)):  # pd.Timestamp is a datetime
        return obj.isoformat()
    if isinstance(obj, datetime.timedelta):  # pd.Timedelta is one
        return str(obj)
    return obj


#: a spreadsheet reads a cell that starts with one of these as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[-+]?\d[\d.,]*(?:[eE][-+]?\d+)?%?$")


def csv_text(value):
    """A text cell a spreadsheet shows as the text it is: one starting with =, +, -, @ (or a tab / carriage return),
    other than a plain number, gets a leading apostrophe (OWASP's CSV-injection rule); anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def from_csv_text(value: str) -> str:
    """`csv_text` undone: the apostrophe it added dropped again when reading the file back."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


def csv_bytes(frame, index: bool = True, **to_csv) -> bytes:
    """`frame` as CSV bytes with every text cell (index and header included) through `csv_text`."""
    out = frame.map(csv_text) if len(frame.columns) else frame.copy()
    out.index = out.index.map(csv_text)
    out.columns = out.columns.map(csv_text)
    return out.to_csv(index=index, **to_csv).encode()


__all__ = [
    "atomic_write_bytes", "write_json", "read_json", "write_arrays", "read_arrays",
    "save_bundle", "load_bundle", "csv_text", "from_csv_text", "csv_bytes",
]
