"""The workspace store: metadata in SQLite (NEURALFACTORS_HOME/workspaces.sqlite3, WAL mode, a busy timeout, so
two tabs, two users and a CLI refresh can write at once), the users' files content-addressed on disk
(NEURALFACTORS_HOME/files/<owner>/<sha256>), owned by one user each. Every read and write takes the User and
checks ownership first; another user's id and a missing id get the same NotYours. This is the ONLY module that
speaks SQL: a server database can replace it behind the same methods.

Ids are SHA-256 hex: a file's is of (owner, content), so an upload is deduplicated within one user only and
nobody can derive another user's id from a file; a workspace's and a saved view's are of (owner, name, a random
nonce); a run's (core.runs.new_run_id) of (owner, time, a random nonce). Tables: files, workspaces, refreshes and
published (the morning refresh), runs (who owns each run folder), jobs (the training queue, core.workspaces.jobs),
views (saved views)."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.errors import DataError, NotYours
from core.io import atomic_write_bytes
from core.workspaces.identity import User

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, filename TEXT NOT NULL, size INTEGER NOT NULL, added TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'data');
CREATE TABLE IF NOT EXISTS workspaces (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, data_file TEXT NOT NULL, model TEXT NOT NULL,
    train_end TEXT NOT NULL, valid_end TEXT NOT NULL, weights_file TEXT, created TEXT NOT NULL,
    updated TEXT NOT NULL, UNIQUE (owner, name));
CREATE TABLE IF NOT EXISTS refreshes (
    workspace TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE, n INTEGER NOT NULL, at TEXT NOT NULL,
    data_file TEXT NOT NULL, last_date TEXT NOT NULL, summary TEXT NOT NULL, PRIMARY KEY (workspace, n));
CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, owner TEXT NOT NULL, added TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    run TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE, owner TEXT NOT NULL, state TEXT NOT NULL,
    command TEXT NOT NULL, max_steps INTEGER, budget REAL, pid INTEGER, submitted TEXT NOT NULL, started TEXT,
    ended TEXT, message TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS views (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, workspace TEXT REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL, spec TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS published (
    workspace TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE, date TEXT NOT NULL, var95 REAL NOT NULL,
    var99 REAL NOT NULL, vol REAL NOT NULL, at TEXT NOT NULL, PRIMARY KEY (workspace, date));
"""
#: seconds a writer waits for another's transaction before giving up
BUSY_TIMEOUT_S = 30


#: what a stored file is: a dataset (prices or returns) or a holdings file (ticker,weight)
KINDS = ("data", "holdings")


@dataclass(frozen=True)
class StoredFile:
    """A user's file: id (SHA-256 hex), the name it was uploaded under, its size in bytes, where its bytes are,
    its kind (KINDS)."""

    id: str
    filename: str
    size: int
    path: Path
    kind: str = "data"


@dataclass(frozen=True)
class Workspace:
    """A named, persistent set owned by one user: the data file, the split (train_end, valid_end: frozen when the
    workspace is made, so new days extend the test period), the model key, an optional holdings file."""

    id: str
    name: str
    data_file: str
    model: str
    train_end: pd.Timestamp
    valid_end: pd.Timestamp
    weights_file: str | None
    created: str
    updated: str


@dataclass(frozen=True)
class Job:
    """A training job of the queue: its run id, owner (a User.id), state (it waits, "queued", trains, "running", then
    is "finished", "failed" or "cancelled"), the `neuralfactors train` command, its step limit and time budget, the
    process id once started, when it was submitted / started / ended (ISO strings, None before) and a message (why
    it failed)."""

    run: str
    owner: str
    state: str
    command: list[str]
    max_steps: int | None
    budget: float | None
    pid: int | None
    submitted: str
    started: str | None
    ended: str | None
    message: str


@dataclass(frozen=True)
class SavedView:
    """A named view of one user (of a workspace, or of none): the page and the sidebar's choices (dataset key, model
    key, date, portfolio name, custom weights), kept in the store so a link names only its id."""

    id: str
    name: str
    workspace: str | None
    page: str
    dataset: str
    model: str
    date: str
    portfolio: str
    custom: str
    created: str


#: the choices a saved view holds (SavedView's fields after workspace)
VIEW_FIELDS = ("page", "dataset", "model", "date", "portfolio", "custom")


def _now(timespec: str = "seconds") -> str:
    return pd.Timestamp.now(tz="UTC").isoformat(timespec=timespec)


class Store:
    """The workspaces, files, refreshes and published VaR of every user under `home` (created 0700)."""

    def __init__(self, home: str | Path) -> None:
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.home, 0o700)
        self.db = self.home / "workspaces.sqlite3"
        con = sqlite3.connect(self.db, timeout=BUSY_TIMEOUT_S)
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        try:  # WAL (readers never block the writer) is a property of the database file, set once
            while True:
                try:
                    con.execute("PRAGMA journal_mode=WAL")
                    con.executescript(SCHEMA)
                    break
                except sqlite3.OperationalError as exc:  # two processes opening a new store at once: SQLite answers
                    if "locked" not in str(exc) or time.monotonic() > deadline:  # the mode change "locked" at once,
                        raise  # without its busy timeout; wait for the other
                    time.sleep(0.05)
        finally:
            con.close()

    @contextlib.contextmanager
    def _connect(self, write: bool = True):
        """One connection per call (safe across threads and processes), committed on success; a writer takes the
        write lock at once (BEGIN IMMEDIATE: no deadlock between two writers), a reader never waits (WAL)."""
        con = sqlite3.connect(self.db, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield con
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    # --- files ------------------------------------------------------------------------------
    def add_file(self, user: User, filename: str, data: bytes, kind: str = "data") -> StoredFile:
        """Keep `data` (written once, atomically) as `user`'s file of `kind`; the same bytes from the same user give
        the same id and no second copy."""
        file_id = hashlib.sha256(user.id.encode() + b"\0" + data).hexdigest()
        name = Path(filename).name
        path = self._file_path(user, file_id, name)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            atomic_write_bytes(path, data)
        with self._connect() as con:
            con.execute("INSERT OR IGNORE INTO files VALUES (?, ?, ?, ?, ?, ?)",
                        (file_id, user.id, name, len(data), _now(), kind))
        return StoredFile(file_id, name, len(data), path, kind)

    def file(self, user: User, file_id: str) -> StoredFile:
        with self._connect(write=False) as con:
            row = con.execute("SELECT filename, size, kind FROM files WHERE id = ? AND owner = ?",
                              (file_id, user.id)).fetchone()
        if row is None:
            raise NotYours(f"no file {file_id[:12]}... of yours (not yours, or gone); upload it again")
        return StoredFile(file_id, row[0], row[1], self._file_path(user, file_id, row[0]), row[2])

    def files(self, user: User, kind: str | None = None) -> list[StoredFile]:
        """`user`'s files, newest first (of `kind` only, when given)."""
        with self._connect(write=False) as con:
            rows = con.execute("SELECT id, filename, size, kind FROM files WHERE owner = ? AND (? IS NULL OR kind = ?) "
                               "ORDER BY added DESC", (user.id, kind, kind)).fetchall()
        return [StoredFile(i, f, s, self._file_path(user, i, f), k) for i, f, s, k in rows]

    def _file_path(self, user: User, file_id: str, filename: str) -> Path:
        """FILES/<owner>/<id><suffix>: the suffix of the uploaded name, which tells the reader the format."""
        return self.home / "files" / user.id[:32] / (file_id + Path(filename).suffix.lower())

    # --- workspaces -------------------------------------------------------------------------
    def new_workspace(self, user: User, name: str, data_file: str, model: str, train_end, valid_end,
                      weights_file: str | None = None) -> Workspace:
        """A workspace of `user` not stored yet: `record_refresh(..., new=True)` stores it with its first refresh
        (DataError when the user already has one of that name)."""
        name = name.strip()
        if not name:
            raise DataError("a workspace needs a name; give --name NAME")
        if any(w.name == name for w in self.workspaces(user)):
            raise DataError(f"you already have a workspace named {name!r}; pick another name or refresh that one")
        for f in (data_file, weights_file):
            if f is not None:
                self.file(user, f)  # the user's own files only
        ws_id = hashlib.sha256(f"{user.id}\0{name}\0{secrets.token_hex(16)}".encode()).hexdigest()
        now = _now()
        return Workspace(ws_id, name, data_file, model, pd.Timestamp(pd.Timestamp(train_end).date()),
                         pd.Timestamp(pd.Timestamp(valid_end).date()), weights_file, now, now)

    def workspace(self, user: User, ws_id: str) -> Workspace:
        """The workspace `ws_id` of `user`; NotYours for another user's or a missing one (the same answer)."""
        return self._one(user, "id = ?", ws_id, f"no workspace {ws_id[:12]}... of yours (not yours, or deleted)")

    def workspace_named(self, user: User, name: str) -> Workspace:
        return self._one(user, "name = ?", name, f"you have no workspace named {name!r}; `neuralfactors workspace "
                                                 "list` shows yours")

    def workspaces(self, user: User) -> list[Workspace]:
        with self._connect(write=False) as con:
            rows = con.execute("SELECT * FROM workspaces WHERE owner = ? ORDER BY updated DESC", (user.id,)).fetchall()
        return [_workspace(r) for r in rows]

    def _one(self, user: User, where: str, value: str, message: str) -> Workspace:
        with self._connect(write=False) as con:
            row = con.execute(f"SELECT * FROM workspaces WHERE {where} AND owner = ?", (value, user.id)).fetchone()
        if row is None:
            raise NotYours(message)
        return _workspace(row)

    # --- refreshes and published VaR ----------------------------------------------------------
    def record_refresh(self, user: User, ws: Workspace, new: bool, last_date, summary: dict,
                       published: dict[str, float]) -> int:
        """In ONE transaction: the workspace (inserted when `new`, else its data and holdings files updated), the
        refresh (its summary as JSON) and the VaR published at the close of `last_date` for the next date (what was
        published once is never replaced). A crash leaves all of it or none. Returns the refresh's number."""
        day, now = str(pd.Timestamp(last_date).date()), _now()
        for f in (ws.data_file, ws.weights_file):
            if f is not None:
                self.file(user, f)  # the user's own files only
        with self._connect() as con:
            if new:
                try:
                    con.execute("INSERT INTO workspaces VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                (ws.id, user.id, ws.name, ws.data_file, ws.model, str(ws.train_end.date()),
                                 str(ws.valid_end.date()), ws.weights_file, ws.created, now))
                except sqlite3.IntegrityError:
                    raise DataError(f"you already have a workspace named {ws.name!r}; pick another name")
            elif con.execute("UPDATE workspaces SET data_file = ?, weights_file = ?, updated = ? WHERE id = ? AND "
                             "owner = ?", (ws.data_file, ws.weights_file, now, ws.id, user.id)).rowcount != 1:
                raise NotYours(f"no workspace {ws.id[:12]}... of yours (not yours, or deleted)")
            n = con.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM refreshes WHERE workspace = ?", (ws.id,)).fetchone()[0]
            con.execute("INSERT INTO refreshes VALUES (?, ?, ?, ?, ?, ?)",
                        (ws.id, n, now, ws.data_file, day, json.dumps(summary)))
            con.execute("INSERT OR IGNORE INTO published VALUES (?, ?, ?, ?, ?, ?)",
                        (ws.id, day, published["var95"], published["var99"], published["vol"], now))
        return n

    def last_refresh(self, user: User, ws_id: str) -> dict | None:
        """{"n", "at", "data_file", "last_date", "summary"} of the latest refresh, None before the first."""
        self.workspace(user, ws_id)
        with self._connect(write=False) as con:
            row = con.execute("SELECT n, at, data_file, last_date, summary FROM refreshes WHERE workspace = ? "
                              "ORDER BY n DESC LIMIT 1", (ws_id,)).fetchone()
        if row is None:
            return None
        return {"n": row[0], "at": row[1], "data_file": row[2], "last_date": pd.Timestamp(row[3]),
                "summary": json.loads(row[4])}

    def published(self, user: User, ws_id: str, date) -> dict | None:
        """{"var95", "var99", "vol", "at"} published at the close of `date`, None when none was."""
        self.workspace(user, ws_id)
        with self._connect(write=False) as con:
            row = con.execute("SELECT var95, var99, vol, at FROM published WHERE workspace = ? AND date = ?",
                              (ws_id, str(pd.Timestamp(date).date()))).fetchone()
        return None if row is None else dict(zip(("var95", "var99", "vol", "at"), row))

    # --- runs and the training queue ------------------------------------------------------------
    def add_run(self, user: User, run_id: str) -> None:
        """Record `user` as the owner of run `run_id` (before its folder exists, so it is never taken for a run from
        before owners)."""
        with self._connect() as con:
            con.execute("INSERT INTO runs VALUES (?, ?, ?)", (run_id, user.id, _now()))

    def run(self, user: User, run_id: str) -> None:
        """Nothing when `run_id` is `user`'s run; NotYours for another user's or a missing one (the same answer)."""
        with self._connect(write=False) as con:
            row = con.execute("SELECT 1 FROM runs WHERE id = ? AND owner = ?", (run_id, user.id)).fetchone()
        if row is None:
            raise NotYours(f"no run {run_id[:12]}... of yours (not yours, or removed); your runs are listed in the "
                           "sidebar's Model box and by `neuralfactors runs list`")

    def run_ids(self, user: User) -> set[str]:
        with self._connect(write=False) as con:
            return {r[0] for r in con.execute("SELECT id FROM runs WHERE owner = ?", (user.id,))}

    def adopt_runs(self, user: User, run_ids) -> None:
        """Make `user` the owner of those of `run_ids` nobody owns yet (runs from before owners were recorded)."""
        with self._connect(write=False) as con:
            new = set(run_ids) - {r[0] for r in con.execute("SELECT id FROM runs")}
        if new:
            with self._connect() as con:
                con.executemany("INSERT OR IGNORE INTO runs VALUES (?, ?, ?)", [(r, user.id, _now()) for r in new])

    def remove_run(self, user: User, run_id: str) -> None:
        """Forget `user`'s run `run_id` and its job (NotYours for another user's)."""
        self.run(user, run_id)
        with self._connect() as con:
            con.execute("DELETE FROM runs WHERE id = ? AND owner = ?", (run_id, user.id))

    def submit_job(self, user: User, run_id: str, command: list[str], max_steps: int | None,
                   budget: float | None) -> Job:
        """In ONE transaction: `user` owns run `run_id` and its job waits in the queue."""
        now = _now("microseconds")  # the queue's order
        with self._connect() as con:
            con.execute("INSERT INTO runs VALUES (?, ?, ?)", (run_id, user.id, now))
            con.execute("INSERT INTO jobs (run, owner, state, command, max_steps, budget, submitted) VALUES "
                        "(?, ?, 'queued', ?, ?, ?, ?)", (run_id, user.id, json.dumps(command), max_steps, budget, now))
        return self.job(user, run_id)

    def job(self, user: User, run_id: str) -> Job:
        """`user`'s job of run `run_id` (NotYours for another user's or none)."""
        with self._connect(write=False) as con:
            row = con.execute("SELECT * FROM jobs WHERE run = ? AND owner = ?", (run_id, user.id)).fetchone()
        if row is None:
            raise NotYours(f"no training job {run_id[:12]}... of yours (not yours, or removed)")
        return _job(row)

    def jobs(self, user: User | None = None, state: str | None = None) -> list[Job]:
        """The jobs of `user` (of every user when None), of `state` only when given, in the order submitted."""
        with self._connect(write=False) as con:
            rows = con.execute("SELECT * FROM jobs WHERE (? IS NULL OR owner = ?) AND (? IS NULL OR state = ?) "
                               "ORDER BY submitted, rowid", (user and user.id, user and user.id, state, state))
            return [_job(r) for r in rows.fetchall()]

    def claim_jobs(self, per_user: int, server: int) -> list[Job]:
        """In ONE transaction (so two server processes never start the same job): the queued jobs that may start now,
        first come first served, at most `per_user` running per user and `server` in all; marked running."""
        claimed = []
        with self._connect(write=False) as con:  # most calls find nothing queued: no write lock for them
            if con.execute("SELECT 1 FROM jobs WHERE state = 'queued' LIMIT 1").fetchone() is None:
                return claimed
        with self._connect() as con:
            running = [r[0] for r in con.execute("SELECT owner FROM jobs WHERE state = 'running'")]
            for row in con.execute("SELECT * FROM jobs WHERE state = 'queued' ORDER BY submitted, rowid").fetchall():
                job = _job(row)
                if len(running) >= server:
                    break
                if running.count(job.owner) < per_user:
                    con.execute("UPDATE jobs SET state = 'running', started = ? WHERE run = ?", (_now(), job.run))
                    running.append(job.owner)
                    claimed.append(job)
        return claimed

    def job_started(self, run_id: str, pid: int) -> bool:
        """Record the process of running job `run_id`; False when the job was cancelled meanwhile."""
        with self._connect() as con:
            return con.execute("UPDATE jobs SET pid = ? WHERE run = ? AND state = 'running'",
                               (pid, run_id)).rowcount == 1

    def end_job(self, run_id: str, state: str, message: str = "") -> bool:
        """A queued or running job ends in `state` (finished, failed, cancelled) with `message`; False when it had
        already ended."""
        with self._connect() as con:
            return con.execute("UPDATE jobs SET state = ?, ended = ?, message = ? WHERE run = ? AND state IN "
                               "('queued', 'running')", (state, _now(), message, run_id)).rowcount == 1

    def requeue_job(self, run_id: str, command: list[str]) -> bool:
        """A failed or cancelled job waits again, at the end of the queue, with `command`; False for another state."""
        with self._connect() as con:
            return con.execute("UPDATE jobs SET state = 'queued', command = ?, pid = NULL, submitted = ?, started = "
                               "NULL, ended = NULL, message = '' WHERE run = ? AND state IN ('failed', 'cancelled')",
                               (json.dumps(command), _now("microseconds"), run_id)).rowcount == 1

    # --- saved views ----------------------------------------------------------------------------
    def save_view(self, user: User, name: str, choices: dict[str, str], workspace: str | None = None) -> SavedView:
        """Keep the view `choices` (VIEW_FIELDS) as `user`'s view `name` (of `workspace`, one of the user's, when
        given); its id."""
        name = name.strip()
        if not name:
            raise DataError("a saved view needs a name")
        if workspace is not None:
            self.workspace(user, workspace)
        view_id = hashlib.sha256(f"{user.id}\0{name}\0{secrets.token_hex(16)}".encode()).hexdigest()
        spec = {k: str(choices.get(k) or "") for k in VIEW_FIELDS}
        with self._connect() as con:
            con.execute("INSERT INTO views VALUES (?, ?, ?, ?, ?, ?)",
                        (view_id, user.id, workspace, name, json.dumps(spec), _now()))
        return self.view(user, view_id)

    def view(self, user: User, view_id: str) -> SavedView:
        """`user`'s saved view `view_id`; NotYours for another user's or a missing one (the same answer)."""
        with self._connect(write=False) as con:
            row = con.execute("SELECT id, name, workspace, spec, created FROM views WHERE id = ? AND owner = ?",
                              (view_id, user.id)).fetchone()
        if row is None:
            raise NotYours(f"no saved view {view_id[:12]}... of yours (not yours, or deleted)")
        return _view(row)

    def views(self, user: User, workspace: str | None = None) -> list[SavedView]:
        """`user`'s saved views (of `workspace` only, when given), newest first."""
        with self._connect(write=False) as con:
            rows = con.execute("SELECT id, name, workspace, spec, created FROM views WHERE owner = ? AND (? IS NULL "
                               "OR workspace = ?) ORDER BY created DESC, rowid DESC",
                               (user.id, workspace, workspace)).fetchall()
        return [_view(r) for r in rows]


def _job(row) -> Job:
    run, owner, state, command, max_steps, budget, pid, submitted, started, ended, message = row
    return Job(run, owner, state, json.loads(command), max_steps, budget, pid, submitted, started, ended, message)


def _view(row) -> SavedView:
    view_id, name, workspace, spec, created = row
    return SavedView(view_id, name, workspace, **{k: json.loads(spec)[k] for k in VIEW_FIELDS}, created=created)


def _workspace(row) -> Workspace:
    i, _, name, data_file, model, train_end, valid_end, weights_file, created, updated = row
    return Workspace(i, name, data_file, model, pd.Timestamp(train_end), pd.Timestamp(valid_end), weights_file,
                     created, updated)
