"""The report's tables as an Excel workbook (.xlsx, written with openpyxl): one sheet each for the key risk figures,
holdings, the book's legs (gross, net, long, short), sectors, factor exposures, the VaR backtest and its verdicts,
VaR over 1, 10 and 21 days and its backtest, stress tests and attribution, from the same functions the HTML page
formats (core.report.tables). Numbers are stored as numbers, fractions with a percent format; text is stored as
text, never as a formula, whatever it starts with (a ticker, name or sector from a user's file such as
"=HYPERLINK(...)" or "+1" stays that string). A sheet the model cannot fill holds its one-line reason."""
from __future__ import annotations

import datetime
import io
from typing import Callable

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from core.errors import NeuralFactorsError
from core.report import tables
from core.report.page import View, make_view

PERCENT = "0.00%"
NUMBER = "0.0000"


def _backtest(v: View) -> pd.DataFrame:
    return tables.var_backtest(v)[0]


def _verdicts(v: View) -> pd.DataFrame:
    return tables.var_backtest(v)[1]


def _horizon_verdicts(v: View) -> pd.DataFrame:
    return tables.horizon_backtest(v)[1]


#: (sheet title, table of a View, the columns holding fractions); the order of the workbook
SHEETS: list[tuple[str, Callable[[View], pd.DataFrame], tuple[str, ...]]] = [
    ("Risk", tables.risk, ("value",)),
    ("Holdings", tables.holdings, ("weight", "share of risk")),
    ("Legs", tables.legs, ("weight",)),
    ("Sectors", tables.sectors, ("weight", "share of risk")),
    ("Exposures", tables.exposures, ("share of risk",)),
    ("VaR backtest", _backtest, ("VaR 95%", "VaR 99%", "return")),
    ("VaR verdicts", _verdicts, ()),
    ("Multi-day VaR", tables.horizon_var, ("VaR 95%", "CVaR 95%", "VaR 99%", "CVaR 99%", "1-day VaR 99% x sqrt(h)")),
    ("Multi-day backtest", _horizon_verdicts, ()),
    ("Stress", tables.stress, ("replay", "replay (daily rebalanced)", "worst day", "max drawdown", "factor replay",
                               "specific band")),
    ("Attribution", tables.attribution, ("contribution",)),
]


def write_cell(ws, row: int, col: int, value, number_format: str | None = None) -> None:
    """One cell: a number as a number (NaN / inf left empty), a date as a date, anything else as TEXT (never a
    formula, even when it starts with =, +, - or @)."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, (bool, np.bool_)):
        cell.value = bool(value)
    elif isinstance(value, (int, float, np.integer, np.floating)):
        cell.value = float(value) if np.isfinite(value) else None
        if number_format and cell.value is not None:
            cell.number_format = number_format
    elif value is None or value is pd.NaT:
        cell.value = None
    elif isinstance(value, (pd.Timestamp, datetime.date)):
        cell.value = pd.Timestamp(value).to_pydatetime()
        cell.number_format = "yyyy-mm-dd"
    else:
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value))  # control characters a workbook cannot hold
        cell.data_type = "s"  # openpyxl reads a leading "=" as a formula: stored as a plain string instead


def _sheet(wb: Workbook, title: str, frame: pd.DataFrame, percent: tuple[str, ...]) -> None:
    ws = wb.create_sheet(title)
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.name:  # a row label worth a column
        frame = frame.reset_index()
    for j, name in enumerate(frame.columns, start=1):
        write_cell(ws, 1, j, name)
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(48, len(str(name)) + 4))
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        for j, (name, value) in enumerate(zip(frame.columns, row), start=1):
            write_cell(ws, i, j, value, PERCENT if name in percent else NUMBER)
    ws.freeze_panes = "B2"


def build_workbook(panel, forecasts, date, portfolio: str = "equal weight", custom: str = "",
                   value: float | None = None) -> bytes:
    """The .xlsx bytes of the report's tables for a (data, model, date, portfolio) view (arguments as
    core.report.build_report's)."""
    return workbook_of(make_view(panel, forecasts, date, portfolio, custom, None, value))


def workbook_of(v: View) -> bytes:
    """The .xlsx bytes of the tables of `v` (core.report.page.make_view)."""
    forecasts, portfolio = v.forecasts, v.portfolio
    wb = Workbook()
    about = wb.active
    about.title = "About"
    for i, (k, x) in enumerate([("model", forecasts.name), ("data", v.panel.name), ("forecast date", v.date),
                                ("portfolio", portfolio), ("split", v.part), ("forecasts", forecasts.note)], start=1):
        write_cell(about, i, 1, k)
        write_cell(about, i, 2, x)
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 16, 80
    for title, table, percent in SHEETS:
        try:
            frame = table(v)
        except NeuralFactorsError as exc:  # a table this model cannot fill says why
            frame = pd.DataFrame({"not available": [str(exc)]})
        _sheet(wb, title, frame, percent)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
