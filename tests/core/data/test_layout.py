"""core.data.layout: long or wide tables reshaped to dates x tickers; id columns; characteristics."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.core.data.usertables import load_error, long_table

from core.data.columns import Where
from core.data.files import load_file
from core.data.layout import reshape

DATA = Path(__file__).resolve().parents[2] / "data"


def test_wide_daily_returns_kept_as_given():
    p = load_file(DATA / "wide_returns_daily.csv")
    raw = pd.read_csv(DATA / "wide_returns_daily.csv", index_col="date", parse_dates=True)
    assert "returns" in p.source and p.frequency == "daily"
    np.testing.assert_allclose(p.returns.to_numpy(), raw.to_numpy())
    assert p.returns["GE"].first_valid_index() == raw.index[5]

@pytest.mark.parametrize("column, ids", [("PERMNO", (10107, 14593, 93436)), ("cusip", ("037833100", "594918104",
                                                                                      "00206R102")),
                                         ("ISIN", ("US0378331005", "US5949181045", "US00206R1023"))])
def test_id_columns_key_a_long_file(tmp_path, column, ids):
    table = long_table(pd.bdate_range("2010-01-04", periods=20), tickers=ids).rename(columns={"Ticker": column})
    path = tmp_path / "ids.csv"
    table.to_csv(path, index=False)
    p = load_file(path)
    assert "long format" in p.source and p.tickers == sorted(str(i) for i in ids)  # leading zeros kept
    table.to_parquet(tmp_path / "ids.parquet", index=False)
    assert load_file(tmp_path / "ids.parquet").tickers == p.tickers

def test_second_id_column_is_not_a_feature_and_must_match_the_ticker(tmp_path):
    table = long_table(pd.bdate_range("2010-01-04", periods=20))
    table["PERMNO"] = table["Ticker"].map({"AAA": 1, "BBB": 2, "CCC": 3})
    table.to_csv(tmp_path / "ok.csv", index=False)
    p = load_file(tmp_path / "ok.csv")
    assert p.tickers == ["AAA", "BBB", "CCC"] and "permno" not in p.features
    assert "column 'PERMNO' is a second id column and was not used; stocks are keyed by 'Ticker'" in p.warnings
    table.loc[table.index[-3:], "PERMNO"] = 9  # AAA is reused by another security
    table.to_csv(tmp_path / "reused.csv", index=False)
    msg = load_error(tmp_path / "reused.csv")
    assert "ticker 'AAA' has 2 different 'PERMNO' values (1, 9)" in msg and "key the stocks by 'PERMNO'" in msg


def _reshape(table: pd.DataFrame):
    columns = {c: c.strip().lower() for c in table.columns}
    dates = pd.Series(pd.to_datetime(table["date"]))
    return reshape(table.drop(columns="date"), columns, dates, Where(Path("f.csv")))


def test_long_table_becomes_dates_by_tickers_with_features_meta_and_notes():
    table = pd.DataFrame({"date": ["2020-01-03", "2020-01-02", "2020-01-02", "2020-01-03"],
                          "Symbol": ["B", "A", "B", "A"], "Close": [2.0, 1.0, 1.5, 1.1],
                          "Volume": [10, 20, 30, 40], "Sector": ["Energy", None, None, "Tech"],
                          "Exchange": ["X", "X", "X", "X"]})
    shaped = _reshape(table)
    assert (shaped.layout, shaped.kind, shaped.ticker_col) == ("long", "price", "symbol")
    assert shaped.values.index.is_monotonic_increasing and list(shaped.values.columns) == ["A", "B"]
    assert shaped.values.to_numpy().tolist() == [[1.0, 1.5], [1.1, 2.0]]
    assert list(shaped.features) == ["volume"] and shaped.features["volume"].to_numpy().tolist() == [[20, 30], [40, 10]]
    assert shaped.meta["sector"].to_dict() == {"A": "Tech", "B": "Energy"}  # the sector given, blanks skipped
    assert shaped.notes == ["column 'exchange' is not numeric and was ignored"]


@pytest.mark.parametrize("values, kind", [([10.0, 10.5, 11.0], "price"), ([0.01, -0.02, 0.03], "return"),
                                          ([0.1, 0.15, 0.12], "return")])
def test_wide_table_is_prices_unless_negative_or_small(values, kind):
    table = pd.DataFrame({"date": ["2020-01-03", "2020-01-02", "2020-01-06"], "A": values, "B": values})
    shaped = _reshape(table)
    assert (shaped.layout, shaped.kind, shaped.ticker_col) == ("wide", kind, None)
    assert shaped.features == {} and shaped.notes == []
    assert list(shaped.values.index) == sorted(pd.to_datetime(table["date"])) and list(shaped.meta.index) == ["A", "B"]
