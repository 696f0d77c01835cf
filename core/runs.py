"""The user data folder and the training runs in it (never the source tree).

NEURALFACTORS_HOME (default ~/.neuralfactors) holds
    runs/<id>/          a finished `neuralfactors train --out` run (config.json names the model)
    runs/<id>.log       the output of a run started in the background (dashboard)
    uploads/<sha>.<ext> a copy of a file a dashboard user uploaded for training
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from core.errors import ModelError
from core.io import atomic_write_bytes, read_json


def home() -> Path:
    """The user data folder (created on first use)."""
    path = Path(os.environ.get("NEURALFACTORS_HOME") or Path.home() / ".neuralfactors").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def runs_dir() -> Path:
    return home() / "runs"


@dataclass
class Run:
    """A finished training run: id, directory, model name, data fingerprint, recorded training summary."""

    id: str
    path: Path
    model: str
    fingerprint: str | None
    training: dict


def list_runs(fingerprint: str | None = None) -> list[Run]:
    """Finished runs (a directory with config.json), newest first; only those trained on data with
    `fingerprint` when given."""
    root = runs_dir()
    out = []
    for p in sorted(root.iterdir(), key=lambda q: q.stat().st_mtime, reverse=True) if root.is_dir() else []:
        if not (p / "config.json").exists():
            continue
        meta = read_json(p / "config.json")
        if fingerprint is None or meta.get("fingerprint") == fingerprint:
            out.append(Run(p.name, p, meta.get("model", "?"), meta.get("fingerprint"), meta.get("training", {})))
    return out


def run_path(run_id: str) -> Path:
    """The directory of run `run_id` (ModelError naming the listing command when there is none)."""
    path = runs_dir() / run_id
    if not (path / "config.json").exists():
        raise ModelError(f"no finished run {run_id!r} in {runs_dir()}; `neuralfactors runs list` shows them")
    return path


def remove_run(run_id: str) -> None:
    """Delete a run's directory and log."""
    shutil.rmtree(run_path(run_id))
    (runs_dir() / f"{run_id}.log").unlink(missing_ok=True)


_PROCESSES: dict[str, tuple[subprocess.Popen, int]] = {}


def start_training(data: bytes, suffix: str, model: str, preset: str, max_steps: int, **options: str) -> str:
    """Start `neuralfactors train` in the background on a copy of an uploaded file; its run id.
    `options` are extra CLI options (e.g. split="0.6,0.2")."""
    import hashlib

    digest = hashlib.sha1(data).hexdigest()[:10]
    source = home() / "uploads" / f"{digest}{suffix or '.csv'}"
    if not source.exists():
        atomic_write_bytes(source, data)
    run = f"{time.strftime('%Y%m%d-%H%M%S')}-{digest[:6]}"
    runs_dir().mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "core.cli", "train", "--model", model, "--data", str(source), "--preset", preset,
           "--max-steps", str(max_steps), "--out", str(runs_dir() / run)]
    for key, value in options.items():
        cmd += [f"--{key.replace('_', '-')}", str(value)]
    with open(runs_dir() / f"{run}.log", "wb") as fh:
        _PROCESSES[run] = (subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT), max_steps)
    return run


def cancel_training(run: str) -> None:
    """Stop a background run (its last checkpoint stays, so `train --resume` continues it)."""
    proc = _PROCESSES.get(run, (None, 0))[0]
    if proc is not None and proc.poll() is None:
        proc.terminate()


def training_status(run: str) -> dict:
    """state (running / finished / failed / cancelled / unknown), fraction done and the last
    progress figures (step, loss, validation NLL, time left) parsed from the log, log tail."""
    log_path = runs_dir() / f"{run}.log"
    log = log_path.read_text(errors="replace")[-6000:] if log_path.exists() else ""
    proc, total = _PROCESSES.get(run, (None, 0))
    steps = [int(s) for s in re.findall(r"step\s*[=:]?\s*(\d+)", log)]
    fraction = min(1.0, steps[-1] / total) if steps and total else 0.0
    if proc is None:
        state = "unknown"
    elif proc.poll() is None:
        state = "running"
    elif proc.returncode == 0:
        state, fraction = "finished", 1.0
    else:
        state = "cancelled" if proc.returncode < 0 else f"failed (exit {proc.returncode})"
    figures = {}
    for key, pattern in (("loss", r"loss[=: ]+([-\d.e+]+)"), ("valid", r"valid[=: ]+([-\d.e+na]+)"),
                         ("left", r"<([\d:]+)")):
        found = re.findall(pattern, log)
        if found:
            figures[key] = found[-1]
    last = log.strip().splitlines()[-1] if log.strip() else "starting"
    return {"state": state, "fraction": fraction, "step": steps[-1] if steps else 0, "total": total,
            "text": last[:160], "log": log, **figures}
