"""Small page helpers: draw a figure with PNG download, show errors as messages."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from core.io import csv_bytes

from core.errors import NeuralFactorsError, NotAvailable
from core.portfolio.weights import legs as book_legs
from dashboard import downloads
from dashboard.figures import png_config


def plot(fig, name: str) -> None:
    """Draw a Plotly figure, full width; the modebar camera saves it as `name`.png."""
    st.plotly_chart(fig, width="stretch", config=png_config(name), theme="streamlit", key=f"fig_{name}")


@contextmanager
def guard():
    """Show a user-causable error as st.error with its fix; a view the model cannot fill as st.info."""
    try:
        yield
    except NotAvailable as exc:
        st.info(no_paths(str(exc)))
    except NeuralFactorsError as exc:
        st.error(no_paths(str(exc)))


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][\w.@+~-]+){2,}[/\\]?")


def no_paths(message: str) -> str:
    """The message without server paths: /tmp/tmpab12/prices.csv -> prices.csv."""
    return _PATH.sub(lambda m: re.split(r"[/\\]", m.group(0).rstrip("/\\"))[-1], message)


def holdings_phrase(portfolio: str, date: str) -> str:
    """How every page names the weights it uses: "the equal weight portfolio as held at the close of 2020-03-16"."""
    return f"the {portfolio} portfolio as held at the close of {date}"


def legs(weights: pd.Series) -> None:
    """The book's gross, net, long and short legs and what its weights are percent of, in one caption under them
    (core.portfolio.weights.legs)."""
    st.caption(book_legs(weights).words() + ".")


def csv_download(frame: pd.DataFrame, label: str, filename: str) -> None:
    downloads.offer(label, csv_bytes(frame), file_name=filename, mime="text/csv", key=f"dl_{filename}")


def split_name(part: str) -> str:
    """A split in words: "valid" -> "validation"."""
    return {"valid": "validation"}.get(part, part)


def pct(x: float, digits: int = 2) -> str:
    return "n/a" if x != x else f"{100 * x:.{digits}f}%"


#: the sidebar's horizon switch: trading days a figure is scaled to (square-root-of-time for risk)
HORIZONS = {"daily": 1, "annualised": 252}


def risk(x: float, horizon: str = "daily", value: float = 0.0, digits: int = 2) -> str:
    """A one-day risk figure (volatility, VaR, CVaR as a fraction) at the horizon, scaled by sqrt(days), as a
    percentage, with its money amount when a portfolio value is given: "1.23% (12,300)"."""
    x = x * HORIZONS[horizon] ** 0.5
    return pct(x, digits) + (f" ({x * value:,.0f})" if value and x == x else "")


def horizon_note(horizon: str) -> str:
    """What the switch means, said once under the figures it scales."""
    return "" if horizon == "daily" else ("Annualised: one-day figures x sqrt(252), the square-root-of-time rule "
                                           "(exact for volatility of independent days, an approximation for VaR).")
