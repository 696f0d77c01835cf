"""core.workspaces.jobs: one training queue per server: at most `per_user` running jobs per user and `server` in all,
the others queued with a word saying why, first come first served; a job whose training was killed ends "failed"
(never a half-written run: it is not listed) and resumes from its checkpoint; a restarted server follows the jobs its
predecessor started; two server processes pumping at once never start a job twice. The trainings are stand-in
processes that finish when the test says so."""
import os
import signal
import sys
import threading
import time

import pytest

from core import runs
from core.errors import NotYours
from core.workspaces import jobs, user_runs
from core.workspaces.identity import User
from core.workspaces.store import Store

ALICE, BOB, CAROL = (User("https://idp.example", f"{n}-sub") for n in ("alice", "bob", "carol"))
STAND_IN = """
import json, pathlib, sys, time
d = pathlib.Path(sys.argv[1]); d.mkdir(parents=True, exist_ok=True)
(d / 'progress.jsonl').write_text(json.dumps({'step': 1, 'total': 10, 'elapsed': 1.0, 'eta': 9.0,
                                              'train_loss': 1.0, 'valid': None}) + '\\n')
while not (d / 'go').exists():
    time.sleep(0.05)
(d / 'config.json').write_text(json.dumps({'model': 'ppca', 'fingerprint': 'f', 'training': {}}))
"""


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURALFACTORS_HOME", str(tmp_path))
    monkeypatch.setenv("NEURALFACTORS_JOBS_PER_USER", "1")
    monkeypatch.setenv("NEURALFACTORS_JOBS_SERVER", "2")
    monkeypatch.setattr(runs, "training_command", lambda source, model, run, **settings: [
        sys.executable, "-c", STAND_IN, str(runs.runs_dir() / run)])
    s = Store(tmp_path)
    yield s
    for job in s.jobs(state="running"):  # no stand-in outlives its test
        runs.cancel_training(job.run, job.pid)


def _submit(store, user) -> str:
    return jobs.submit(store, user, "prices.csv", "neuralfactors", max_steps=10).run


def _go(run) -> None:
    """Let run's stand-in finish (its folder made here: on a loaded machine the stand-in may not have started yet)."""
    folder = runs.runs_dir() / run
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "go").touch()


def _finish(store, user, run, timeout=20) -> dict:
    _go(run)
    deadline = time.monotonic() + timeout
    while (status := jobs.status(store, user, run))["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    return status


def _states(store) -> dict[str, str]:
    return {j.run: j.state for j in store.jobs()}


def test_one_running_job_per_user_and_a_server_cap_the_others_queued(store):
    a1, a2, b1, c1 = _submit(store, ALICE), _submit(store, ALICE), _submit(store, BOB), _submit(store, CAROL)
    assert _states(store) == {a1: "running", a2: "queued", b1: "running", c1: "queued"}
    assert jobs.status(store, ALICE, a2)["text"] == ("queued: you have 1 training running (at most 1 per user); "
                                                     "this one starts when yours ends")
    assert jobs.status(store, CAROL, c1)["text"] == ("queued: the server runs its 2 trainings at once (the most it "
                                                     "allows); 1 job ahead of yours")
    with pytest.raises(NotYours):
        jobs.status(store, BOB, a1)
    with pytest.raises(NotYours):
        jobs.cancel(store, BOB, a1)
    assert _finish(store, ALICE, a1)["state"] == "finished"
    assert _states(store) == {a1: "finished", a2: "running", b1: "running", c1: "queued"}  # first come, first served
    assert [r.id for r in user_runs.list_runs(store, ALICE)] == [a1] and user_runs.list_runs(store, CAROL) == []
    assert jobs.cancel(store, BOB, b1) and not jobs.cancel(store, BOB, b1)
    assert _states(store) == {a1: "finished", a2: "running", b1: "cancelled", c1: "running"}


def test_a_queued_job_can_be_cancelled_before_it_starts(store):
    a1, a2 = _submit(store, ALICE), _submit(store, ALICE)
    assert jobs.cancel(store, ALICE, a2)
    assert _finish(store, ALICE, a1)["state"] == "finished" and _states(store)[a2] == "cancelled"


def test_a_killed_training_is_marked_failed_never_listed_and_resumes(store):
    run = _submit(store, ALICE)
    deadline = time.monotonic() + 20
    while jobs.status(store, ALICE, run)["step"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(store.job(ALICE, run).pid, signal.SIGKILL)  # killed mid-run (out of memory, kill -9)
    runs._PROCESSES[run].wait(10)
    status = jobs.status(store, ALICE, run)
    assert status["state"] == "failed" and "killed by signal 9" in status["text"]
    assert user_runs.list_runs(store, ALICE) == []  # no half-written run
    job = jobs.resume(store, ALICE, run)  # killed before its first checkpoint: from the start
    assert job.state == "running" and "--resume" not in job.command
    assert jobs.cancel(store, ALICE, run)
    (runs.runs_dir() / run / "checkpoint").mkdir()
    for name in ("checkpoint.json", "checkpoint.safetensors"):
        (runs.runs_dir() / run / "checkpoint" / name).touch()
    job = jobs.resume(store, ALICE, run)  # a checkpoint: train --resume
    assert job.state == "running" and job.command[-1] == "--resume" and job.command.count("--resume") == 1
    assert _finish(store, ALICE, run)["state"] == "finished"
    assert [r.id for r in user_runs.list_runs(store, ALICE)] == [run]


def test_a_restarted_server_follows_the_jobs_its_predecessor_started(store):
    """The server is killed: its trainings go on in their own sessions; the next server process (here: this one with
    no record of its own processes) still sees them running, then finished; one gone with no model is failed."""
    kept, lost = _submit(store, ALICE), _submit(store, BOB)
    procs = dict(runs._PROCESSES)
    runs._PROCESSES.clear()  # the restart: this process started nothing
    assert _states(store) == {kept: "running", lost: "running"}
    assert jobs.status(store, ALICE, kept)["state"] == "running"
    os.killpg(store.job(BOB, lost).pid, signal.SIGKILL)
    procs[lost].wait(10)
    assert jobs.status(store, BOB, lost)["state"] == "failed"
    assert "ended before saving the model" in store.job(BOB, lost).message
    _go(kept)
    procs[kept].wait(20)
    assert jobs.status(store, ALICE, kept)["state"] == "finished"


def test_server_processes_pumping_at_once_start_each_job_once(store, monkeypatch):
    monkeypatch.setenv("NEURALFACTORS_JOBS_PER_USER", "5")
    monkeypatch.setenv("NEURALFACTORS_JOBS_SERVER", "5")
    launched = []
    real = runs.launch
    monkeypatch.setattr(runs, "launch", lambda run, cmd: launched.append(run) or real(run, cmd))
    monkeypatch.setattr(jobs, "pump", lambda s: None)  # submit without starting
    queued = [jobs.submit(store, u, "p.csv", "neuralfactors").run for u in (ALICE, BOB, CAROL) for _ in range(2)]
    monkeypatch.undo()  # the real pump again (and the real limits: 1 per user, 2 in all)
    monkeypatch.setenv("NEURALFACTORS_HOME", str(store.home))
    monkeypatch.setattr(runs, "launch", lambda run, cmd: launched.append(run) or real(run, cmd))
    monkeypatch.setattr(runs, "training_command", lambda *a, **k: pytest.fail("no new command"))
    threads = [threading.Thread(target=jobs.pump, args=(Store(store.home),)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(launched) == sorted(set(launched)) and len(launched) == 2
    assert sorted(launched) == sorted(queued[:1] + queued[2:3])  # the first of Alice and of Bob


@pytest.mark.slow
def test_a_real_fine_tune_killed_mid_run_is_never_half_written_and_resumes(tmp_path, monkeypatch):
    """A real `neuralfactors train` (the tiny NeuralFactors) from the queue, killed with SIGKILL just after its first
    checkpoint: failed, not listed, its checkpoint whole; resumed, it finishes and its run loads."""
    from core.models.registry import load_model
    from core.training.checkpoint import load_checkpoint
    from benchmarks.userfiles import write_vendor_csv

    monkeypatch.setenv("NEURALFACTORS_HOME", str(tmp_path / "home"))
    store = Store(tmp_path / "home")
    data = write_vendor_csv(tmp_path / "book.csv", n_stocks=15, splits={}).path
    run = jobs.submit(store, ALICE, data, "neuralfactors", preset="tiny", threads=1, set="steps=300").run
    folder = runs.runs_dir() / run
    deadline = time.monotonic() + 400
    while not runs.checkpointed(run) and time.monotonic() < deadline:
        assert jobs.status(store, ALICE, run)["state"] == "running", jobs.status(store, ALICE, run)["log"]
        time.sleep(0.2)
    os.killpg(store.job(ALICE, run).pid, signal.SIGKILL)
    runs._PROCESSES[run].wait(30)
    status = jobs.status(store, ALICE, run)
    assert status["state"] == "failed" and user_runs.list_runs(store, ALICE) == [], status
    assert not (folder / "config.json").exists()
    assert load_checkpoint(folder / "checkpoint")["meta"]["step"] > 0  # whole: it loads
    assert jobs.resume(store, ALICE, run).command[-1] == "--resume"
    deadline = time.monotonic() + 600
    while jobs.status(store, ALICE, run)["state"] == "running" and time.monotonic() < deadline:
        time.sleep(1)
    status = jobs.status(store, ALICE, run)
    assert status["state"] == "finished", status["log"]
    assert [r.id for r in user_runs.list_runs(store, ALICE)] == [run]
    assert load_model(user_runs.run_path(store, ALICE, run)).name == "neuralfactors"
