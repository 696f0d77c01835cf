"""The user data folder and the training runs in it (never the source tree).

NEURALFACTORS_HOME (default ~/.neuralfactors) holds
    runs/<id>/          a `neuralfactors train --out` run (config.json, naming the model, once finished;
                        progress.jsonl, the training progress, while it trains)
    runs/<id>.log       the output of a run started in the background (the dashboard's training queue,
                        core.workspaces.jobs, which with core.workspaces.user_runs records who owns each run)
"""
from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from core.errors import ModelError
from core.io import read_json
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


_PROCESSES: dict[str, subprocess.Popen] = {}  # the runs this process started
_CANCELLED: set[str] = set()


def new_run_id(owner: str = "") -> str:
    """An unguessable run id: the first 32 hex digits (128 bits) of SHA-256 of the owner's id, the time and 32 random
    bytes (core.workspaces.user_runs records who owns it)."""
    seed = f"{owner}\0{time.time_ns()}\0{secrets.token_hex(32)}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def training_command(source: str | Path, model: str, run: str, preset: str | None = None, max_steps: int | None = None,
                     split=None, init: str | None = None, time_budget: float | None = None, **options) -> list[str]:
    """The `neuralfactors train` command line of run `run` on the data file `source` (written to runs/<run>).
    `split` (a core.data.Split) becomes --train-end/--valid-end; init "shipped" fine-tunes the shipped network
    (--init shipped, no preset: it keeps the network's architecture); time_budget (seconds) stops training cleanly
    after that long (--time-budget); `options` are extra CLI options (e.g. seed=1)."""
    if split is not None:
        options = {"train_end": split.train_end.date(), "valid_end": split.valid_end.date(), **options}
    if init is not None and preset is not None:
        raise ModelError("a fine-tune (init) keeps the start network's architecture: give no preset")
    options = {"preset": preset, "max_steps": max_steps, "init": init,
               "time_budget": None if time_budget is None else f"{float(time_budget):g}s", **options}
    cmd = [sys.executable, "-m", "core.cli", "train", "--model", model, "--data", str(source),
           "--out", str(runs_dir() / run)]
    for key, value in options.items():
        if value is not None:
            cmd += [f"--{key.replace('_', '-')}", str(value)]
    return cmd


def launch(run: str, cmd: list[str]) -> int:
    """Start `cmd` (a training_command) in the background, its output in runs/<run>.log, in a session of its own (a
    restart of this process leaves it training); its process id."""
    runs_dir().mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(runs_dir() / f"{run}.log", "ab") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    _PROCESSES[run] = proc
    _CANCELLED.discard(run)
    return proc.pid


def _runs_this(run: str, pid: int) -> bool:
    """Process `pid` is alive and runs run `run`'s command (so a process id reused by another program is not taken
    for the training; a process caught between fork and exec, its command line still empty, counts as the run's;
    without /proc, alive is enough)."""
    if Path("/proc").is_dir():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        return state != "Z" and (not cmdline or str(runs_dir() / run).encode() in cmdline)
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def ended(run: str, pid: int | None = None) -> str | None:
    """None while run `run` trains (this process's own run, polled; else process `pid`, so a restarted server finds
    the trainings its predecessor started); else "finished" (its saved model is there: written last, atomically, so
    a run is whole or not listed), "cancelled" (by cancel_training) or "failed: <why>"."""
    proc = _PROCESSES.get(run)
    if (proc is not None and proc.poll() is None) or (proc is None and pid is not None and _runs_this(run, pid)):
        return None
    if run in _CANCELLED:
        return "cancelled"
    if (runs_dir() / run / "config.json").exists() and (proc is None or proc.returncode == 0):
        return "finished"
    if proc is None:
        return "failed: the training process ended before saving the model (killed, or the server restarted)"
    return f"failed: exit {proc.returncode}" if proc.returncode > 0 else f"failed: killed by signal {-proc.returncode}"


def checkpointed(run: str) -> bool:
    """Run `run` left a whole training checkpoint (written after every validation), so `train --resume` continues it."""
    from core.training import checkpoint  # imports torch, which listing runs and offering models must not

    return checkpoint.exists(runs_dir() / run / "checkpoint")


def cancel_training(run: str, pid: int | None = None) -> bool:
    """Stop run `run` (this process's own, else process `pid` when it still runs it); its last checkpoint stays, so
    `train --resume` continues it. False when it is not running."""
    if ended(run, pid) is not None:
        return False
    _CANCELLED.add(run)
    proc = _PROCESSES.get(run)
    if proc is None:
        os.killpg(pid, signal.SIGTERM)  # its own session: the trainer and any processes it started
        return True
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


def training_status(run: str, state: str, max_steps: int | None = None, budget: float | None = None) -> dict:
    """The figures of run `run` in `state` (what the caller knows: the training queue's record, core.workspaces.jobs):
    fraction done, the last progress figures (step, total, loss, valid = validation NLL, left = time left "mm:ss",
    elapsed, best) read from the run folder's progress.jsonl, a one-line text and the log tail (progress-bar redraws
    collapsed to the last one, as a terminal shows them). max_steps and budget (seconds): the run's limits."""
    log_path = runs_dir() / f"{run}.log"
    raw = log_path.read_bytes()[-20000:].decode(errors="replace") if log_path.exists() else ""  # "\r" kept
    shown = ([seg for seg in ln.split("\r") if seg.strip()] for ln in raw.split("\n"))
    lines = [segs[-1] for segs in shown if segs]  # a line redrawn after "\r" shows its last drawing
    prog = read_progress(runs_dir() / run)
    total = prog.get("total") or max_steps or 0
    step = prog.get("step", 0)
    fraction = 1.0 if state == "finished" else min(1.0, step / total) if total else 0.0
    if budget and "step" in prog:  # a run with a time budget usually stops on it: the bar follows the clock
        left = max(budget - prog["seconds"], 0.0)
        left = min(left, prog["left_s"]) if prog["left_s"] == prog["left_s"] else left
        fraction, prog["left"] = max(fraction, min(1.0, prog["seconds"] / budget)), _clock(left)
    if state == "running":
        text = _progress_text(prog) if "step" in prog else "starting (loading data, building features) ..."
    else:
        text = (lines[-1] if lines else "no output")[:200]
    return {"state": state, "fraction": fraction, "step": step, "total": total, "text": text,
            "log": "\n".join(lines[-40:]), **{k: prog[k] for k in ("loss", "valid", "left", "elapsed", "best")
                                               if k in prog}}
