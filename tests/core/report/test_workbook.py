"""The Excel workbook of the report's tables: every sheet, numbers as numbers with a percent format, the same
figures as the report's tables, and text from a user's file never turned into a formula (also in CSVs)."""
import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from core.data.embedded import load_sp500_20
from core.data.files import load_file
from core.io import csv_bytes, csv_text
from core.portfolio.weights import read_weights_csv, weights_csv
from core.report import tables
from core.report.page import make_view
from core.report.workbook import SHEETS, build_workbook, workbook_of
from core.workbench import forecasts
from benchmarks.userfiles import write_vendor_csv

HOSTILE = {"=HYPERLINK(\"http://evil.example\",\"x\")": "=1+1", "+SUM(1,1)": "@cmd|' /C calc'!A0",
           "-2+3": "-2+3+cmd"}


@pytest.fixture(scope="module")
def sp500():
    panel = load_sp500_20()
    fc = forecasts(panel, "ppca")
    return panel, fc, panel.split_dates("test")[300]


def test_every_sheet_is_there_with_numbers_and_percent_formats(sp500):
    """Every sheet, each holding its view's table as numbers in percent formats (the sheets read back against the
    tables of the view that wrote them; that a view's Monte Carlo comes out the same when computed again is held by
    tests/core/workbench/test_precomputed.py, every stored call served as computed)."""
    panel, fc, date = sp500
    v = make_view(panel, fc, date)
    book = workbook_of(v)  # as build_workbook(panel, fc, date); the tables below read the view's memo, not a rerun
    sheets = pd.read_excel(io.BytesIO(book), sheet_name=None)
    assert list(sheets) == ["About"] + [title for title, _, _ in SHEETS]
    held = sheets["Holdings"].set_index("ticker")
    np.testing.assert_allclose(held["weight"].to_numpy(), tables.holdings(v)["weight"].to_numpy())
    assert held["weight"].dtype == float and held["weight"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(sheets["VaR backtest"]["VaR 99%"].to_numpy(),
                               tables.var_backtest(v)[0]["VaR 99%"].to_numpy())
    assert set(sheets["Stress"]["window"]) >= {"2020 COVID crash"}
    multi = sheets["Multi-day VaR"].set_index("horizon (trading days)")
    assert list(multi.index) == ["1 day", "10 days", "21 days"]
    np.testing.assert_allclose(multi["VaR 99%"].to_numpy(), tables.horizon_var(v)["VaR 99%"].to_numpy())
    assert multi.loc["10 days", "method"].startswith("simulated paths")
    bt = sheets["Multi-day backtest"]
    assert set(bt["horizon"]) == {"10 days", "21 days"} and "Basel traffic light" not in set(bt["test"])
    kupiec = bt[(bt["test"] == "Kupiec") & (bt["horizon"] == "10 days")]["window"]
    assert (kupiec.str.contains("non-overlapping 10-day windows")).all()
    assert "PIT calibration error" in set(bt["test"])
    ws = load_workbook(io.BytesIO(book))["Holdings"]
    header = [c.value for c in ws[1]]
    weight = ws.cell(row=2, column=header.index("weight") + 1)
    assert isinstance(weight.value, float) and weight.number_format == "0.00%"
    ws = load_workbook(io.BytesIO(book))["Multi-day VaR"]
    header = [c.value for c in ws[1]]
    var = ws.cell(row=3, column=header.index("VaR 99%") + 1)
    assert isinstance(var.value, float) and var.number_format == "0.00%"


def test_a_dollar_neutral_book_has_its_legs_in_percent_of_gross(sp500):
    """Long two stocks, short two: the Legs sheet and the report's holdings note say gross 100%, net 0%, each leg 50%
    of gross."""
    panel, fc, date = sp500
    a, b, c, d = panel.tickers[:4]
    custom = f"{a}:2,{b}:2,{c}:-1,{d}:-3"
    sheets = pd.read_excel(io.BytesIO(build_workbook(panel, fc, date, "custom", custom)), sheet_name=None)
    legs = sheets["Legs"].set_index("leg")
    np.testing.assert_allclose(legs["weight"].to_numpy(), [1.0, 0.0, 0.5, -0.5], atol=1e-12)
    assert legs["stocks"].tolist() == [4, 4, 2, 2]
    assert set(legs["unit"]) == {"fraction of gross (a dollar-neutral book)"}
    held = sheets["Holdings"].set_index("ticker")["weight"]
    assert held.to_dict() == pytest.approx({a: 0.25, b: 0.25, c: -0.125, d: -0.375})
    from core.report.page import holdings
    assert ("Gross 100.0%, net 0.0%: long 50.0% in 2 stocks, short -50.0% in 2 stocks (percent of gross, a "
            "dollar-neutral book)") in holdings(make_view(panel, fc, date, "custom", custom))


def test_a_model_without_factors_says_why_on_its_exposures_sheet(sp500):
    panel, _, date = sp500
    book = build_workbook(panel, forecasts(panel, "ledoit-wolf"), date)
    exposures = pd.read_excel(io.BytesIO(book), sheet_name="Exposures")
    assert list(exposures.columns) == ["not available"] and "factor" in exposures.iloc[0, 0]


def test_text_from_a_users_file_is_never_a_formula(tmp_path):
    vf = write_vendor_csv(tmp_path / "prices.csv", n_stocks=30, splits={})
    table = pd.read_csv(vf.path)
    listed = table.groupby("ticker")["date"].agg(["min", "max"])
    whole = listed[(listed["min"] == table["date"].min()) & (listed["max"] == table["date"].max())].index
    for (ticker, name), old in zip(HOSTILE.items(), whole[:3]):  # stocks listed all year: held on every date
        rows = table["ticker"] == old
        table.loc[rows, "ticker"], table.loc[rows, "name"] = ticker, name
    table.loc[table["ticker"] == "+SUM(1,1)", "sector"] = "=cmd"
    table.to_csv(tmp_path / "hostile.csv", index=False)
    panel = load_file(tmp_path / "hostile.csv")
    assert set(HOSTILE) <= set(panel.tickers)
    fc = forecasts(panel, "ledoit-wolf")
    book = load_workbook(io.BytesIO(build_workbook(panel, fc, fc.series.dates[-1])))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    texts = {c.value for c in cells if c.data_type == "s"}
    assert set(HOSTILE) | set(HOSTILE.values()) | {"=cmd"} <= texts  # each kept as the text it is
    w = pd.Series(1 / 3, index=list(HOSTILE))
    csv = weights_csv(w).decode()
    assert "'=HYPERLINK" in csv and "'+SUM" in csv and "'-2+3" in csv
    assert read_weights_csv(csv.encode()) == pytest.approx(w.to_dict(), abs=1e-6)  # the apostrophe read back off


def test_csv_text_leaves_numbers_and_plain_text_alone():
    assert [csv_text(x) for x in ("-0.05", "+3%", "1e-3", "ACME", "-2+3", "@SUM(1)", 1.5)] == \
        ["-0.05", "+3%", "1e-3", "ACME", "'-2+3", "'@SUM(1)", 1.5]
    out = csv_bytes(pd.DataFrame({"name": ["=1+1"]}, index=["+X"])).decode()
    assert "'+X,'=1+1" in out
