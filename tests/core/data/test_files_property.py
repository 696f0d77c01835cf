"""Property test: malformed tables raise DataError, and any table raises nothing else."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data.files import load_file
from core.errors import DataError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CELLS = st.one_of(
    st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**12),
    st.text(max_size=8), st.sampled_from(["2020-01-02", "2020-13-01", "n/a", "1e309", "-0", "0", "Jan 5 2020"]),
)
NAMES = st.sampled_from(["date", "Date", "ticker", "SYMBOL", "price", "close", "Adj_Close", "return", "volume",
                         "sector", "x", "A", "B", ""])


def _good(n_dates: int = 15) -> pd.DataFrame:
    dates = pd.bdate_range("2021-01-04", periods=n_dates).strftime("%Y-%m-%d")
    rows = [(d, t, 10.0 + i + j) for i, d in enumerate(dates) for j, t in enumerate(["A", "B", "C"])]
    return pd.DataFrame(rows, columns=["date", "ticker", "price"]).astype({"price": object})


def _corrupt(kind: str, row: int, good: pd.DataFrame) -> pd.DataFrame:
    bad = good.copy()
    row = row % len(bad)
    if kind == "no_date":
        return bad.drop(columns="date")
    if kind == "bad_date":
        bad.loc[row, "date"] = "not-a-date"
    elif kind == "duplicate":
        bad = pd.concat([bad, bad.iloc[[row]]], ignore_index=True)
    elif kind == "text_price":
        bad.loc[row, "price"] = "abc"
    elif kind == "negative_price":
        bad.loc[row, "price"] = -1.0 * (row + 1)
    elif kind == "zero_price":
        bad.loc[row, "price"] = 0
    elif kind == "one_ticker":
        bad = bad[bad.ticker == "A"]
    elif kind == "few_dates":
        bad = bad.iloc[: 3 * (1 + row % 9)]
    elif kind == "no_value":
        bad = bad.rename(columns={"price": "quantity"})
    elif kind == "empty_ticker":
        bad.loc[row, "ticker"] = None
    return bad


@SETTINGS
@given(kind=st.sampled_from(["no_date", "bad_date", "duplicate", "text_price", "negative_price", "zero_price",
                             "one_ticker", "few_dates", "no_value", "empty_ticker"]),
       row=st.integers(0, 10**6), fmt=st.sampled_from(["csv", "parquet"]))
def test_malformed_tables_raise_data_error(tmp_path_factory, kind, row, fmt):
    path = tmp_path_factory.mktemp("p") / f"t.{fmt}"
    table = _corrupt(kind, row, _good())
    if fmt == "csv":
        table.to_csv(path, index=False)
    else:
        table.astype({c: str for c in table.columns if table[c].dtype == object}).to_parquet(path, index=False)
    try:
        load_file(path)
    except DataError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
    else:
        raise AssertionError(f"{kind} at row {row} loaded without an error")


@SETTINGS
@given(data=st.data(), n_cols=st.integers(1, 5), n_rows=st.integers(0, 25))
def test_arbitrary_tables_load_or_raise_data_error_only(tmp_path_factory, data, n_cols, n_rows):
    names = data.draw(st.lists(NAMES, min_size=n_cols, max_size=n_cols, unique=True))
    columns = {c: data.draw(st.lists(CELLS, min_size=n_rows, max_size=n_rows)) for c in names}
    path = tmp_path_factory.mktemp("a") / "t.csv"
    pd.DataFrame(columns).to_csv(path, index=False)
    try:
        panel = load_file(path)
    except DataError as exc:
        assert "\n" not in str(exc)
    else:
        assert np.isfinite(panel.returns.to_numpy()[panel.returns.notna().to_numpy()]).all()


@SETTINGS
@given(data=st.data(), n_dates=st.integers(1, 20), tickers=st.lists(st.sampled_from("ABCD"), min_size=1, max_size=4),
       value=st.sampled_from(["price", "return", "close"]), fmt=st.sampled_from(["csv", "parquet"]))
def test_long_tables_with_random_values(tmp_path_factory, data, n_dates, tickers, value, fmt):
    """Well-formed dates and tickers (maybe duplicated), random values and an extra column."""
    dates = pd.bdate_range("2020-01-01", periods=n_dates).strftime("%Y-%m-%d")
    rows = [(d, t) for d in dates for t in tickers]
    n = len(rows)
    table = pd.DataFrame(rows, columns=["Date", "Ticker"])
    table[value] = data.draw(st.lists(st.one_of(st.floats(-2, 1e6), st.none(), CELLS), min_size=n, max_size=n))
    table["extra"] = data.draw(st.lists(CELLS, min_size=n, max_size=n))
    path = tmp_path_factory.mktemp("l") / f"t.{fmt}"
    if fmt == "csv":
        table.to_csv(path, index=False)
    else:
        table.astype(str).to_parquet(path, index=False)
    try:
        panel = load_file(path)
    except DataError as exc:
        assert "\n" not in str(exc)
    else:
        assert panel.n_tickers >= 2
