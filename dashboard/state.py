"""The global choices (dataset, model, date, portfolio, custom weights) in st.session_state,
mirrored in st.query_params so a link reproduces the view (or names a saved view: dashboard/views.py)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core.errors import NeuralFactorsError
from core.workbench import keys

KEYS = ("dataset", "model", "date", "portfolio", "w")
DEFAULT_DATASET = "sp500-20"  # the embedded dataset a first visit opens on


@dataclass(frozen=True)
class Selection:
    dataset: str
    model: str
    date: str  # YYYY-MM-DD, a date with a forecast
    portfolio: str
    custom: str  # custom weights "TICKER:w,..."
    part: str = ""  # the split holding `date`: train, valid or test
    horizon: str = "daily"  # risk figures per day or annualised (ui.HORIZONS)
    value: float = 0.0  # portfolio value in money (0: none), turning VaR / CVaR into amounts


def seed_from_query() -> None:
    """On a session's first run, take the choices from the link."""
    if st.session_state.get("_seeded"):
        return
    for k in KEYS:
        if k in st.query_params and k not in st.session_state:
            st.session_state[k] = st.query_params[k]
    st.session_state["_seeded"] = True


def ensure_option(key: str, options: list[str], default: str, label=None) -> None:
    """Keep st.session_state[key] among `options`: a date snaps to the last option before it,
    anything else falls back to `default`, with a warning (never silent) when the value was asked for
    by a link. label: option -> readable name for the warning."""
    value = st.session_state.get(key)
    if value in options:
        return
    name = label or str
    if key == "date" and value and options:
        try:
            pos = pd.DatetimeIndex(options).searchsorted(pd.Timestamp(value), side="right") - 1
            st.session_state[key] = options[max(int(pos), 0)]
            if st.session_state[key] != value and pd.Timestamp(value) < pd.Timestamp(options[0]):
                warn(f"the link's date {value} is before the first forecast date; showing {options[0]}")
            elif st.session_state[key] != value and pd.Timestamp(value) > pd.Timestamp(options[-1]):
                warn(f"the link's date {value} is after the last forecast date; showing {options[-1]}")
            return
        except (ValueError, TypeError):
            warn(f"the link's date {value!r} is not a date (use YYYY-MM-DD); showing {default}")
    elif value and key == "dataset" and _is_upload(value):
        warn(f"the link's uploaded dataset is not one of yours (not yours, or deleted): upload the file on Your "
             f"data. Showing {name(default)} meanwhile")
    elif value:
        warn(f"the link asks for {key} {value!r}, which is not available here; showing {name(default)} instead")
    st.session_state[key] = default


def _is_upload(key: str) -> bool:
    try:
        return keys.parse_dataset(key).is_upload
    except NeuralFactorsError:
        return False


def warn(message: str) -> None:
    """A warning for the sidebar (shown once, by app.sidebar)."""
    st.session_state.setdefault("_link_warnings", []).append(message)


def snap(dates: list[str], value) -> str:
    """The forecast date at or before `value` (the first one when it is earlier)."""
    pos = pd.DatetimeIndex(dates).searchsorted(pd.Timestamp(value), side="right") - 1
    return dates[max(int(pos), 0)]


def pick_date(dates: list[str]) -> None:
    """on_change of the typed date (applied on Enter or on leaving the box): snap it to a forecast date, saying so
    when it moved (a date without a forecast, before the first or after the last) or was not a date."""
    text = str(st.session_state.get("date_pick") or "").strip()
    try:
        picked = pd.Timestamp(text)
    except (ValueError, TypeError):
        warn(f"{text!r} is not a date: type YYYY-MM-DD (forecasts {dates[0]} to {dates[-1]})")
        return
    if picked is pd.NaT:
        return
    st.session_state["date"] = snapped = snap(dates, picked)
    if picked > pd.Timestamp(dates[-1]):
        warn(f"{picked.date()} is after the last forecast date; showing {snapped}")
    elif picked < pd.Timestamp(dates[0]):
        warn(f"{picked.date()} is before the first forecast date; showing {snapped}")
    elif snapped != str(picked.date()):
        warn(f"no forecast at {picked.date()} (not a trading date); showing the one before it, {snapped}")


def step_date(dates: list[str], step: int) -> None:
    """on_click of the previous / next buttons: the neighbouring forecast date."""
    pos = dates.index(st.session_state["date"]) if st.session_state.get("date") in dates else len(dates) - 1
    st.session_state["date"] = dates[min(max(pos + step, 0), len(dates) - 1)]


def publish(sel: Selection, view: str | None = None, holdings: bool = True) -> None:
    """Write the choices into the URL: the saved view `view` when the session shows one unchanged (dashboard/views.py),
    else the dataset, model, date and portfolio name, and the custom weights only when `holdings` (never on a sign-in
    server: there a link to a custom portfolio is a saved view's)."""
    want = {"view": view} if view else {"dataset": sel.dataset, "model": sel.model, "date": sel.date,
                                         "portfolio": sel.portfolio}
    if not view and holdings and sel.portfolio == "custom" and sel.custom:
        want["w"] = sel.custom
    if dict(st.query_params) != want:
        st.query_params.from_dict(want)
    st.session_state["selection"] = sel


def selection() -> Selection:
    return st.session_state["selection"]
