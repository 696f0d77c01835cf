"""The uploaded files of each user: kept in the workspace store (core.workspaces.store, under NEURALFACTORS_HOME;
dashboard/ownership.py) so they survive a restart, validated once into a Panel per server process, listed and opened
by their owner only.
An upload's key is derived from its owner and bytes (core.workbench.keys.upload_key), so no two users share one and
every cache keyed by the dataset key is the user's own. The bytes are validated from a private temporary copy
before anything is stored; the user's file is never modified."""
from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import streamlit as st

from core.data.embedded import DATASETS
from core.data.files import load_file
from core.data.panel import Panel
from core.data.splits import resplit
from core.workbench import keys
from dashboard import signin
from dashboard.ownership import check_upload, own_uploads, store


@st.cache_resource
def _panels() -> dict[tuple[str, str], Panel]:
    """(user id, dataset key) -> the validated Panel of this server process."""
    return {}


def _read(filename: str, data: bytes) -> Panel:
    with tempfile.TemporaryDirectory() as tmp:
        (path := Path(tmp) / Path(filename).name).write_bytes(data)
        panel = load_file(path)
    return replace(panel, name=Path(filename).name, source=f"upload {Path(filename).name}")


def add_upload(filename: str, data: bytes) -> str:
    """Validate an uploaded file into a Panel (DataError with the fix otherwise), keep it as the user's; its key."""
    user = signin.current_user()
    panel = _read(filename, data)  # refused files are not stored
    key = keys.upload_key(store().add_file(user, filename, data).id)
    _panels()[(user.id, key)] = panel
    return key


def resplit_upload(key: str, shares=None, train_end=None, valid_end=None) -> str:
    """An upload with another split (core.data.splits.resplit), under its own key."""
    new = resplit(get(keys.parse_dataset(key).base), shares, train_end, valid_end)
    out = keys.resplit_key(key, new.split.train_end, new.split.valid_end)
    _panels()[(signin.current_user().id, out)] = new
    return out


def dataset_options() -> list[str]:
    """The embedded datasets, then this user's uploads (stored ones first, newest first) and their re-splits."""
    uid, stored = signin.current_user().id, list(own_uploads())
    splits = [k for (u, k) in _panels() if u == uid and keys.parse_dataset(k).base in stored]
    return list(DATASETS) + list(dict.fromkeys(stored + splits))


def dataset_label(key: str) -> str:
    parsed = keys.parse_dataset(key)
    stored = own_uploads().get(parsed.base) if parsed.is_upload else None
    return keys.dataset_label(key, None if stored is None else stored.filename)


def get(key: str) -> Panel:
    """The Panel of upload `key` of this user (read again from the store after a restart); NotYours for a key that
    is not this user's, the same whether another user's or none."""
    uid = signin.current_user().id
    if (uid, key) in _panels():
        return _panels()[(uid, key)]
    parsed = keys.parse_dataset(key)
    stored = check_upload(key)
    panel = _panels()[(uid, parsed.base)] = _read(stored.filename, stored.path.read_bytes())
    if parsed.split:
        panel = _panels()[(uid, key)] = resplit(panel, None, *parsed.split)
    return panel

