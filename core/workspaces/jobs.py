"""The one training queue of a server: every fine-tune or training the dashboard starts is a job in the store
(core.workspaces.store, table jobs) that starts when its owner has fewer than `per_user` jobs running and the server
fewer than `server` (NEURALFACTORS_JOBS_PER_USER and NEURALFACTORS_JOBS_SERVER; by default 1 and 2), first come first
served; the others wait with a word saying why. Any server process moves the queue on (`pump`) when a job is submitted,
cancelled or its status asked (the dashboard asks every 2 s while one of yours waits or trains). A job whose process is
gone (the training or the server was killed) ends "finished" when its run folder holds the saved model (written last,
atomically), else "failed"; its last checkpoint stays and `resume` queues it again with --resume."""
from __future__ import annotations

import os

import pandas as pd

from core import runs
from core.errors import ModelError
from core.workspaces.identity import User
from core.workspaces.store import Job, Store

#: seconds a job claimed by a server process may take to get its process id before it counts as lost
STARTING_S = 60


def limits() -> tuple[int, int]:
    """(running jobs per user, running jobs on the server), from the environment (at least 1 each)."""
    return (max(1, int(os.environ.get("NEURALFACTORS_JOBS_PER_USER") or 1)),
            max(1, int(os.environ.get("NEURALFACTORS_JOBS_SERVER") or 2)))


def submit(store: Store, user: User, source, model: str, **settings) -> Job:
    """Queue `neuralfactors train` of `model` on `user`'s data file `source` (settings: those of
    core.runs.training_command) under a new unguessable run id the user owns; started at once when the limits allow."""
    run = runs.new_run_id(user.id)
    command = runs.training_command(source, model, run, **settings)
    store.submit_job(user, run, command, settings.get("max_steps"), settings.get("time_budget"))
    pump(store)
    return store.job(user, run)


def pump(store: Store) -> None:
    """End the jobs whose process is gone, then start the queued jobs the limits allow."""
    for job in store.jobs(state="running"):
        starting = job.pid is None and pd.Timestamp.now(tz="UTC") - pd.Timestamp(job.started) < pd.Timedelta(
            seconds=STARTING_S)  # claimed by a server process that is starting it now
        outcome = None if starting else runs.ended(job.run, job.pid)
        if outcome is not None:
            state, _, why = outcome.partition(": ")
            store.end_job(job.run, state, why)
    for job in store.claim_jobs(*limits()):
        try:
            if not store.job_started(job.run, runs.launch(job.run, job.command)):
                runs.cancel_training(job.run)  # cancelled while it was being started
        except OSError as exc:
            store.end_job(job.run, "failed", f"could not start the training process ({exc})")


def waiting(store: Store, job: Job) -> str:
    """Why queued `job` waits, in words."""
    per_user, server = limits()
    running = store.jobs(state="running")
    queued = [j.run for j in store.jobs(state="queued")]  # in the queue's order
    ahead = queued[:queued.index(job.run)] if job.run in queued else []
    if sum(j.owner == job.owner for j in running) >= per_user:
        return (f"queued: you have {per_user} training{'s' if per_user > 1 else ''} running (at most {per_user} per "
                "user); this one starts when yours ends")
    return (f"queued: the server runs its {server} trainings at once (the most it allows); {len(ahead)} "
            f"job{'s' if len(ahead) != 1 else ''} ahead of yours")


def status(store: Store, user: User, run: str) -> dict:
    """core.runs.training_status of `user`'s job `run` (NotYours for another user's), state from the queue: queued,
    running, finished, failed (with why) or cancelled."""
    pump(store)
    job = store.job(user, run)
    out = runs.training_status(run, job.state, job.max_steps, job.budget)
    if job.state == "queued":
        out["text"] = waiting(store, job)
    elif job.state == "failed":
        out["text"] = f"failed: {job.message}" if job.message else out["text"]
    return out


def cancel(store: Store, user: User, run: str) -> bool:
    """Stop `user`'s job `run` (waiting or training); False when it had already ended."""
    job = store.job(user, run)
    stopped = store.end_job(run, "cancelled", "cancelled by its owner")  # first: no pump takes it for failed
    if stopped and job.state == "running":
        runs.cancel_training(run, job.pid)  # a job still being started is stopped by the process starting it
    pump(store)
    return stopped


def resume(store: Store, user: User, run: str) -> Job:
    """Queue `user`'s failed or cancelled job `run` again, continuing from its last checkpoint (train --resume), or
    from the start when it stopped before its first one."""
    job = store.job(user, run)
    command = [c for c in job.command if c != "--resume"] + (["--resume"] if runs.checkpointed(run) else [])
    if not store.requeue_job(run, command):
        raise ModelError(f"run {run[:12]}... is {job.state}: only a failed or cancelled run resumes")
    pump(store)
    return store.job(user, run)
