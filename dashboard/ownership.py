"""Whose data a dashboard call touches: this server's workspace store (core.workspaces.store), the signed-in user's
uploads and runs, and `scoped`, the wrapper every cached service of dashboard/services.py goes through. It checks
that the dataset, model(s) or run a call names are the user's own BEFORE the cache is asked (another user's key gets
the same NotYours as a key that never existed), and puts the user's id in the cache key whenever they are: a cache
warmed by A gives B nothing. Embedded datasets and registered models, the same for everyone, share one entry; the
entries of one user's own data are limited per user and per service (cache_per_user), so one user cannot push the
others' out."""
from __future__ import annotations

import functools
import hashlib
import inspect
import os
import threading
from collections import OrderedDict

import pandas as pd
import streamlit as st

from core import runs
from core.errors import NotYours
from core.workbench import keys, sources
from core.workspaces import user_runs
from core.workspaces.store import Store, StoredFile
from dashboard import signin


@st.cache_resource
def _store(home: str) -> Store:
    return Store(home)


def store() -> Store:
    """The store under NEURALFACTORS_HOME (one per server process and folder; connections are opened per call)."""
    return _store(str(runs.home()))


def own_uploads() -> dict[str, StoredFile]:
    """The user's stored datasets by dataset key, newest first."""
    return {keys.upload_key(f.id): f for f in store().files(signin.current_user(), "data")}


def check_upload(key: str) -> StoredFile:
    """The stored file of upload `key` (any re-split of it) when it is the user's; NotYours otherwise."""
    stored = own_uploads().get(keys.parse_dataset(key).base)
    if stored is None:
        raise NotYours(f"no uploaded dataset {key} of yours (not yours, or deleted); upload the file again")
    return stored


def own_runs() -> list[runs.Run]:
    """The user's finished training runs, newest first."""
    return user_runs.list_runs(store(), signin.current_user())


def model_keys(panel, fingerprint: str | None = None) -> list[str]:
    """The model keys on offer for `panel` (its fingerprint when the caller holds it) to this user: everyone's
    models, then the user's own runs of this data."""
    return sources.model_keys(panel, own_runs(), fingerprint=fingerprint)


def scope(dataset: str | None, models: tuple[str, ...] = ()) -> str:
    """The cache scope of a call on `dataset` with model keys `models`: the user's id when any of them is the user's
    own (checked here: NotYours for another user's), "" when all are everyone's."""
    user, mine = signin.current_user(), False
    if dataset is not None and keys.parse_dataset(dataset).is_upload:
        check_upload(dataset)
        mine = True
    for run in (keys.parse_model(m).run for m in models):
        if run:
            store().run(user, run)
            mine = True
    return user.id if mine else ""


def _fingerprint(value) -> str:
    """A stable text standing for an argument of a cached call (pandas objects by their content)."""
    if isinstance(value, (pd.Series, pd.DataFrame, pd.Index)):
        columns = repr(list(value.columns)) if isinstance(value, pd.DataFrame) else ""
        return hashlib.sha256(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
                              + columns.encode()).hexdigest()
    if isinstance(value, (tuple, list)):
        return "(" + ",".join(map(_fingerprint, value)) + ")"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_fingerprint(v)}" for k, v in sorted(value.items())) + "}"
    return repr(value)


class _PerUser:
    """The calls on a user's own data one cached service holds, per user, least recently used first; beyond
    `cache_per_user()` the oldest is cleared from the cache, so one user's uploads and runs cannot push the others'
    entries out."""

    def __init__(self, cached) -> None:
        self.cached, self.lock, self.calls = cached, threading.Lock(), {}

    def used(self, scope: str, args: tuple, kwargs: dict) -> None:
        key = _fingerprint((args, kwargs))
        with self.lock:
            mine = self.calls.setdefault(scope, OrderedDict())
            mine[key] = (args, kwargs)
            mine.move_to_end(key)
            old = [mine.popitem(last=False)[1] for _ in range(len(mine) - cache_per_user())]
        for a, k in old:
            self.cached.clear(scope, *a, **k)


def cache_per_user() -> int:
    """The entries each cached service keeps of one user's own data (NEURALFACTORS_CACHE_PER_USER, default 8)."""
    return max(1, int(os.environ.get("NEURALFACTORS_CACHE_PER_USER") or 8))


def scoped(cached):
    """`cached(scope, dataset, ...)` (a st.cache_* function) called as `f(dataset, ...)`: its `scope` argument,
    part of the cache key, filled by `scope` from the call's dataset, model, models and run arguments; the entries of
    a user's own data are limited per user (_PerUser)."""
    names = list(inspect.signature(cached).parameters)[1:]
    per_user = _PerUser(cached)

    @functools.wraps(cached)
    def call(*args, **kwargs):
        given = {**dict(zip(names, args)), **kwargs}
        models = (given.get("model"), *given.get("models", ()),
                  keys.run_key(given["run"]) if given.get("run") else None)
        owner = scope(given.get("dataset"), tuple(m for m in models if m))
        result = cached(owner, *args, **kwargs)
        if owner:
            per_user.used(owner, args, kwargs)
        return result

    call.clear = cached.clear
    return call
