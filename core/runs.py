"""The user data folder and the training runs in it (never the source tree).

NEURALFACTORS_HOME (default ~/.neuralfactors) holds
    runs/<id>/          a `neuralfactors train --out` run (config.json, naming the model, once finished;
                        progress.jsonl, the training progress, while it trains)
    runs/<id>.log       the output of a run started in the background (dashboard)
    uploads/<sha>.<ext> a copy of a file a dashboard user uploaded for training
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from core.errors import ModelError
from core.io import atomic_write_bytes, read_json
from core.models.protocol import saved_state
from core.training import progress


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
        state = saved_state(meta)
        if fingerprint is None or state.get("fingerprint") == fingerprint:
            out.append(Run(p.name, p, meta.get("model", "?"), state.get("fingerprint"), state.get("training") or {}))
    return out


def run_path(run_id: str) -> Path:
    """The directory of run `run_id` (ModelError naming the listing command when there is none)."""
    path = runs_dir() / run_id
    if not (path / "config.json").exists():
        raise ModelError(f"no finished run {run_id!r} in {runs_dir()}; `neuralfactors runs list` shows them")
    return path


def training_record(run_id: str) -> dict:
    """What run `run_id` recorded of its training (step, stopped, best_step, history, and a fine-tune's
    `selection`, core.models.neuralfactors.finetune); {} for a model that records none."""
    return saved_state(read_json(run_path(run_id) / "config.json")).get("training") or {}


def remove_run(run_id: str) -> None:
    """Delete a run's directory and log."""
    shutil.rmtree(run_path(run_id))
    (runs_dir() / f"{run_id}.log").unlink(missing_ok=True)


@dataclass
class _Background:
    """A run this process started: its process, step limit (None: the model's) and time budget (seconds, or None)."""

    proc: subprocess.Popen
    max_steps: int | None
    budget: float | None


_PROCESSES: dict[str, _Background] = {}
_CANCELLED: set[str] = set()


def start_training(data: bytes, suffix: str, model: str, preset: str | None = None, max_steps: int | None = None,
                   split=None, init: str | None = None, time_budget: float | None = None, **options: str) -> str:
    """Start `neuralfactors train` in the background on a copy of an uploaded file; its run id.
    `split` (a core.data.Split) becomes --train-end/--valid-end; init "shipped" fine-tunes the shipped network
    (--init shipped, no preset: it keeps the network's architecture); time_budget (seconds) stops training
    cleanly after that long (--time-budget); `options` are extra CLI options (e.g. seed=1)."""
    import hashlib

    if split is not None:
        options = {"train_end": split.train_end.date(), "valid_end": split.valid_end.date(), **options}
    if init is not None and preset is not None:
        raise ModelError("a fine-tune (init) keeps the start network's architecture: give no preset")
    options = {"preset": preset, "max_steps": max_steps, "init": init,
               "time_budget": None if time_budget is None else f"{float(time_budget):g}s", **options}

    digest = hashlib.sha1(data).hexdigest()[:10]
    source = home() / "uploads" / f"{digest}{suffix or '.csv'}"
    if not source.exists():
        atomic_write_bytes(source, data)
    run = f"{time.strftime('%Y%m%d-%H%M%S')}-{digest[:6]}"
    runs_dir().mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "core.cli", "train", "--model", model, "--data", str(source),
           "--out", str(runs_dir() / run)]
    for key, value in options.items():
        if value is not None:
            cmd += [f"--{key.replace('_', '-')}", str(value)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(runs_dir() / f"{run}.log", "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    _PROCESSES[run] = _Background(proc, max_steps, time_budget)
    return run


def cancel_training(run: str) -> bool:
    """Stop a background run of this process (its last checkpoint stays, so `train --resume`
    continues it); False when it is not running."""
    proc = getattr(_PROCESSES.get(run), "proc", None)
    if proc is None or proc.poll() is not None:
        return False
    _CANCELLED.add(run)
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
    return True


def _clock(seconds) -> str:
    """Seconds as tqdm writes them: "mm:ss" (or "h:mm:ss"); "?" when unknown."""
    if seconds is None or seconds != seconds:
        return "?"
    minutes, sec = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}" if hours else f"{minutes:02d}:{sec:02d}"


def _float(value) -> float:
    return float("nan") if value is None else float(value)


def read_progress(run_dir: str | Path) -> dict:
    """The last progress figures of a run folder's progress.jsonl (core.training.progress): step, total,
    elapsed and left ("mm:ss"), loss and valid (floats, NaN before the first), best (the best validation
    NLL, once the loop has finished), seconds and left_s (elapsed and left in seconds); {} before the first record."""
    record = progress.last(Path(run_dir) / progress.FILE)
    if record is None:
        return {}
    out = {"step": int(record["step"]), "total": int(record["total"]), "elapsed": _clock(record.get("elapsed")),
           "left": _clock(record.get("eta")), "seconds": _float(record.get("elapsed")),
           "left_s": _float(record.get("eta")), "loss": _float(record.get("train_loss")),
           "valid": _float(record.get("valid"))}
    if "best_valid" in record:
        out["best"] = _float(record["best_valid"])
    return out


def _progress_text(prog: dict) -> str:
    parts = [f"step {prog['step']}/{prog['total']}"]
    if prog["loss"] == prog["loss"]:
        parts.append(f"loss {prog['loss']:.4f}")
    if prog["valid"] == prog["valid"]:
        parts.append(f"validation NLL {prog['valid']:.4f}")
    if prog["left"] != "?":
        parts.append(f"{prog['left']} left")
    return ", ".join(parts)


def training_status(run: str) -> dict:
    """state (running / finished / failed / cancelled / unknown), fraction done, the last progress
    figures (step, total, loss, valid = validation NLL, left = time left "mm:ss", elapsed, best) read
    from the run folder's progress.jsonl, a one-line text and the log tail (progress-bar redraws
    collapsed to the last one, as a terminal shows them)."""
    log_path = runs_dir() / f"{run}.log"
    raw = log_path.read_bytes()[-20000:].decode(errors="replace") if log_path.exists() else ""  # "\r" kept
    shown = ([seg for seg in ln.split("\r") if seg.strip()] for ln in raw.split("\n"))
    lines = [segs[-1] for segs in shown if segs]  # a line redrawn after "\r" shows its last drawing
    background = _PROCESSES.get(run)
    proc = getattr(background, "proc", None)
    prog = read_progress(runs_dir() / run)
    total = prog.get("total") or getattr(background, "max_steps", None) or 0
    step = prog.get("step", 0)
    fraction = min(1.0, step / total) if total else 0.0
    budget = getattr(background, "budget", None)
    if budget and "step" in prog:  # a run with a time budget usually stops on it: the bar follows the clock
        left = max(budget - prog["seconds"], 0.0)
        left = min(left, prog["left_s"]) if prog["left_s"] == prog["left_s"] else left
        fraction, prog["left"] = max(fraction, min(1.0, prog["seconds"] / budget)), _clock(left)
    done = (runs_dir() / run / "config.json").exists()
    if proc is not None and proc.poll() is None:
        state = "running"
    elif run in _CANCELLED:
        state = "cancelled"
    elif done and (proc is None or proc.returncode == 0):
        state, fraction = "finished", 1.0
    elif proc is None:
        state = "unknown"
    else:
        state = "cancelled" if proc.returncode < 0 else f"failed (exit {proc.returncode})"
    if state == "running":
        text = _progress_text(prog) if "step" in prog else "starting (loading data, building features) ..."
    else:
        text = (lines[-1] if lines else "no output")[:200]
    return {"state": state, "fraction": fraction, "step": step, "total": total, "text": text,
            "log": "\n".join(lines[-40:]), **{k: prog[k] for k in ("loss", "valid", "left", "elapsed", "best")
                                               if k in prog}}
