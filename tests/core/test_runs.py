"""core.runs: the training runs of the user data folder, their progress read from the run folder's
progress.jsonl (the training loop's structured channel), background runs and their cancellation."""
from __future__ import annotations

import json
import math
import subprocess
import sys
import time

import pandas as pd
import pytest

from core import runs
from core.errors import ModelError
from core.io import write_json
from core.training import progress

RECORDS = [
    {"step": 1, "total": 40, "elapsed": 0.41, "eta": 16.2, "train_loss": 1.1259, "valid": None},
    {"step": 26, "total": 40, "elapsed": 9.2, "eta": 5.1, "train_loss": 1.0982, "valid": 1.1272},
]
TQDM_LOG = ("training neuralfactors on vendor500.csv (500 stocks, 150 train / 50 valid dates) on cpu\n"
            "  0%|          | 0/40 [00:00<?, ?step/s]\r"
            "  2%|▎         | 1/40 [00:00<00:16,  2.42step/s, loss=1.1259, valid=nan]\r"
            " 65%|██████▌   | 26/40 [00:09<00:05,  2.80step/s, loss=1.0982, valid=1.1272]\r")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURALFACTORS_HOME", str(tmp_path))
    runs.runs_dir().mkdir(parents=True)
    return tmp_path


def _progress(run: str, records: list[dict]) -> None:
    for record in records:
        progress.append(runs.runs_dir() / run / progress.FILE, record)


def test_progress_read_from_the_json_lines(home):
    assert runs.read_progress(runs.runs_dir() / "none") == {}
    _progress("first", RECORDS[:1])
    first = runs.read_progress(runs.runs_dir() / "first")
    assert (first["step"], first["left"], first["elapsed"]) == (1, "00:16", "00:00") and math.isnan(first["valid"])
    _progress("r", RECORDS)
    prog = runs.read_progress(runs.runs_dir() / "r")
    assert (prog["step"], prog["total"], prog["left"], prog["elapsed"]) == (26, 40, "00:05", "00:09")
    assert prog["loss"] == pytest.approx(1.0982) and prog["valid"] == pytest.approx(1.1272) and "best" not in prog
    _progress("r", [{**RECORDS[1], "step": 40, "eta": 3725.0, "stopped": "max_steps", "best_valid": 1.1201}])
    done = runs.read_progress(runs.runs_dir() / "r")
    assert done["best"] == pytest.approx(1.1201) and done["left"] == "1:02:05"


STAND_IN = ("import json, pathlib, sys, time; d = pathlib.Path(sys.argv[1]); d.mkdir(parents=True); "
            "(d / 'progress.jsonl').write_text(json.dumps({'step': 1, 'total': 10, 'elapsed': 1.0, 'eta': 9.0, "
            "'train_loss': 1.0, 'valid': None}) + '\\n'); time.sleep(60)")


def stand_in(cmd: list[str]) -> list[str]:
    """A process that writes one progress record into the run folder of training command `cmd`, then waits."""
    return [sys.executable, "-c", STAND_IN, cmd[cmd.index("--out") + 1]]


def test_training_status_and_cancel(home):
    _progress("r1", RECORDS)
    (runs.runs_dir() / "r1.log").write_text(TQDM_LOG)
    status = runs.training_status("r1", "failed")
    assert status["state"] == "failed" and status["step"] == 26 and status["fraction"] == pytest.approx(26 / 40)
    assert status["loss"] == pytest.approx(1.0982) and status["left"] == "00:05"
    assert status["log"].count("step/s") == 1  # bar redraws collapsed to the last one
    assert runs.ended("r1").startswith("failed: the training process ended before saving")
    # a run started in the background can be cancelled (a stand-in process: no training needed)
    run = runs.new_run_id()
    cmd = runs.training_command("prices.csv", "neuralfactors", run, "tiny", 10,
                                split=type("S", (), {"train_end": pd.Timestamp("2021-08-02"),
                                                     "valid_end": pd.Timestamp("2021-10-11")})())
    assert "--train-end 2021-08-02 --valid-end 2021-10-11" in " ".join(cmd)
    runs.launch(run, stand_in(cmd))
    deadline = time.monotonic() + 20
    while runs.training_status(run, "running")["step"] == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert runs.ended(run) is None
    assert runs.training_status(run, "running", 10)["text"] == "step 1/10, loss 1.0000, 00:09 left"
    assert runs.cancel_training(run)
    assert runs.ended(run) == "cancelled"
    assert not runs.cancel_training(run)


def test_a_process_started_elsewhere_is_followed_by_its_id(home):
    """A restarted server finds the training its predecessor started (by process id, checked against the run's
    command line, so a reused id is not taken for it), and can stop it."""
    run = runs.new_run_id()
    proc = subprocess.Popen(stand_in(runs.training_command("p.csv", "neuralfactors", run)), start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while not runs.read_progress(runs.runs_dir() / run) and time.monotonic() < deadline:
            time.sleep(0.05)  # running its own command by now
        assert runs.ended(run, proc.pid) is None and runs.ended(runs.new_run_id(), proc.pid) is not None
        assert runs.cancel_training(run, proc.pid)
        proc.wait(10)
        assert runs.ended(run, proc.pid) == "cancelled"
    finally:
        proc.kill()


def test_a_fine_tune_runs_on_a_time_budget(home):
    """init="shipped" with a time budget: `train --init shipped --time-budget 30s` without a preset; the bar and
    the time left follow the clock (a fine-tune's step total is a ceiling it rarely reaches)."""
    run = runs.new_run_id()
    line = " ".join(runs.training_command("p.csv", "neuralfactors", run, init="shipped", time_budget=30))
    assert "--init shipped --time-budget 30s" in line and "--preset" not in line and "--max-steps" not in line
    _progress(run, [{"step": 3, "total": 3000, "elapsed": 12.0, "eta": 9000.0, "train_loss": 1.0, "valid": 1.1}])
    status = runs.training_status(run, "running", budget=30)
    assert status["fraction"] == pytest.approx(12 / 30) and status["left"] == "00:18"
    with pytest.raises(ModelError, match="no preset"):
        runs.training_command("p.csv", "neuralfactors", run, "tiny", init="shipped")


def test_run_ids_are_unguessable():
    ids = {runs.new_run_id("owner") for _ in range(100)}
    assert len(ids) == 100 and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_list_runs_lists_finished_runs_only(home):
    write_json(runs.runs_dir() / "a" / "config.json", {"model": "ppca", "fingerprint": "f1", "training": {}})
    write_json(runs.runs_dir() / "b" / "config.json", {"model": "neuralfactors", "fingerprint": "f2"})
    _progress("c", RECORDS)                               # still training: no config.json yet
    assert sorted(r.id for r in runs.list_runs()) == ["a", "b"]
    assert [(r.id, r.model) for r in runs.list_runs("f2")] == [("b", "neuralfactors")]
    assert runs.run_path("a") == runs.runs_dir() / "a"
    with pytest.raises(ModelError, match="runs list"):
        runs.run_path("c")
    runs.remove_run("a")
    assert [r.id for r in runs.list_runs()] == ["b"]
    assert json.loads((runs.runs_dir() / "b" / "config.json").read_text())["model"] == "neuralfactors"
