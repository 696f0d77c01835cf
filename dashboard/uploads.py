"""This server's store of uploaded files, keyed by dataset key (core.workbench.keys): validated once into a
Panel, shared by every session of the server, gone when it restarts. The bytes are read from a private
temporary copy that is deleted at once; the user's file is never written anywhere else."""
from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import streamlit as st

from core.data.embedded import DATASETS
from core.data.files import load_file
from core.data.panel import Panel
from core.data.splits import resplit
from core.errors import ModelError
from core.workbench import keys


@st.cache_resource
def _uploads() -> dict[str, Panel]:
    return {}


def add_upload(filename: str, data: bytes) -> str:
    """Validate an uploaded file into a Panel (DataError with the fix otherwise); its dataset key.
    The bytes are read from a private temporary copy that is deleted at once."""
    key = keys.upload_key(data)
    if key not in _uploads():
        with tempfile.TemporaryDirectory() as tmp:
            (path := Path(tmp) / Path(filename).name).write_bytes(data)
            panel = load_file(path)
        _uploads()[key] = replace(panel, name=Path(filename).name, source=f"upload {Path(filename).name}")
    return key


def resplit_upload(key: str, shares=None, train_end=None, valid_end=None) -> str:
    """An upload with another split (core.data.splits.resplit), under its own key."""
    new = resplit(get(keys.parse_dataset(key).base), shares, train_end, valid_end)
    _uploads()[out := keys.resplit_key(key, new.split.train_end, new.split.valid_end)] = new
    return out


def dataset_options() -> list[str]:
    return list(DATASETS) + list(_uploads())


def dataset_label(key: str) -> str:
    return keys.dataset_label(key, getattr(_uploads().get(key), "name", None))


def get(key: str) -> Panel:
    """The Panel of upload `key` (ModelError naming the fix once the server restarted)."""
    if key not in _uploads():
        raise ModelError(f"uploaded dataset {key} is gone (server restarted); upload the file again")
    return _uploads()[key]
