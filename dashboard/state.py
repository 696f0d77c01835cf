"""The global choices (dataset, model, date, portfolio, custom weights) in st.session_state,
mirrored in st.query_params so a link reproduces the view."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

KEYS = ("dataset", "model", "date", "portfolio", "w")


@dataclass(frozen=True)
class Selection:
    dataset: str
    model: str
    date: str  # YYYY-MM-DD, a date with a forecast
    portfolio: str
    custom: str  # custom weights "TICKER:w,..."
    part: str = ""  # the split holding `date`: train, valid or test


def seed_from_query() -> None:
    """On a session's first run, take the choices from the link."""
    if st.session_state.get("_seeded"):
        return
    for k in KEYS:
        if k in st.query_params and k not in st.session_state:
            st.session_state[k] = st.query_params[k]
    st.session_state["_seeded"] = True


def ensure_option(key: str, options: list[str], default: str) -> None:
    """Keep st.session_state[key] among `options`: a date snaps to the last option before it,
    anything else falls back to `default`."""
    value = st.session_state.get(key)
    if value in options:
        return
    if key == "date" and value and options:
        try:
            pos = pd.DatetimeIndex(options).searchsorted(pd.Timestamp(value), side="right") - 1
            st.session_state[key] = options[max(int(pos), 0)]
            return
        except (ValueError, TypeError):
            pass
    st.session_state[key] = default


def publish(sel: Selection) -> None:
    """Write the choices into the URL."""
    want = {"dataset": sel.dataset, "model": sel.model, "date": sel.date, "portfolio": sel.portfolio}
    if sel.portfolio == "custom" and sel.custom:
        want["w"] = sel.custom
    if dict(st.query_params) != want:
        st.query_params.from_dict(want)
    st.session_state["selection"] = sel


def selection() -> Selection:
    return st.session_state["selection"]
