"""A user's training runs: core.runs keeps the run folders (NEURALFACTORS_HOME/runs/<id>/, as before owners), the
store (core.workspaces.store) records who owns each. A run folder nobody owns (trained before owners were recorded,
or by `neuralfactors train --out` into the runs folder) is the local user's (identity.local_user), so it keeps
loading. Another user's run id gets the same NotYours as a missing one."""
from __future__ import annotations

from pathlib import Path

from core import runs
from core.workspaces.identity import User, local_user
from core.workspaces.store import Store


def adopt(store: Store) -> None:
    """Every run folder nobody owns becomes the local user's (a run's owner is recorded before its folder exists, so
    only runs from before owners, or trained from the command line, are adopted)."""
    root = runs.runs_dir()
    store.adopt_runs(local_user(), [p.name for p in root.iterdir() if p.is_dir()] if root.is_dir() else [])


def list_runs(store: Store, user: User, fingerprint: str | None = None) -> list[runs.Run]:
    """`user`'s finished runs, newest first (trained on data with `fingerprint` only, when given)."""
    adopt(store)
    mine = store.run_ids(user)
    return [r for r in runs.list_runs(fingerprint) if r.id in mine]


def run_path(store: Store, user: User, run_id: str) -> Path:
    """The folder of `user`'s finished run `run_id`; NotYours for another user's run or none."""
    adopt(store)
    store.run(user, run_id)
    return runs.run_path(run_id)


def remove_run(store: Store, user: User, run_id: str) -> None:
    """Delete `user`'s finished run `run_id` (its folder and log) and forget it."""
    run_path(store, user, run_id)
    runs.remove_run(run_id)
    store.remove_run(user, run_id)
