"""core.data.files.load_file end to end: a user's CSV / Parquet file into a Panel (returns, split,
meta, features, warnings) or a one-line DataError. Each step has its own tests: test_text,
test_reader, test_columns, test_dates, test_layout. The last tests are property tests (hypothesis)."""
from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data import load_panel
from core.data.files import load_file
from core.errors import DataError
from tests.panels import prices_from_returns, to_long
from benchmarks.userfiles import write_vendor_csv

DATA = Path(__file__).resolve().parents[2] / "data"


def test_long_prices_with_characteristics_and_split_warning():
    p = load_file(DATA / "long_prices_daily.csv", lookback=20)
    assert p.frequency == "daily" and p.tickers == ["AAA", "BBB", "CCC"]
    assert p.returns.shape == (29, 3)
    assert sorted(p.features) == ["market_cap", "pe", "volume"]
    assert p.meta.loc["AAA", "sector"] == "Information Technology"
    assert p.meta.loc["BBB", "name"] == "Beta Energy Inc."
    assert p.meta.loc["CCC", "sector"] == "Unknown" and p.meta.loc["CCC", "industry"] == "Unknown"
    # ragged: CCC is listed from its 11th date; its first return is on the 12th date
    assert p.returns["CCC"].first_valid_index() == pd.Timestamp("2021-01-19")
    assert p.returns["CCC"].loc[:"2021-01-18"].isna().all()
    raw = pd.read_csv(DATA / "long_prices_daily.csv")
    aaa = raw[raw.Ticker == "AAA"].set_index("Date")["Adj_Close"]
    assert p.returns.loc["2021-01-05", "AAA"] == pytest.approx(aaa["2021-01-05"] / aaa["2021-01-04"] - 1)
    splits = [w for w in p.warnings if "split" in w]
    assert splits == [splits[0]] and splits[0].startswith("BBB 2021-01-25:") and "2:1 split" in splits[0]
    assert any(w.startswith("CCC ") and "lookback of 20" in w for w in p.warnings)
    # default split 60 / 20 / 20 by date
    assert len(p.split_dates("train")) == 17 and len(p.split_dates("valid")) == 6 and len(p.split_dates("test")) == 6


def test_wide_weekly_prices_detects_frequency_and_holes():
    p = load_file(DATA / "wide_prices_weekly.csv")
    assert p.frequency == "weekly" and p.tickers == ["XOM", "CVX", "KO"] and "prices" in p.source
    assert p.returns["KO"].isna().sum() == 2  # the missing price kills two weekly returns, nothing is bridged
    assert any(w.startswith("KO 2020-02-07:") and "missing" in w for w in p.warnings)
    assert p.meta["sector"].eq("Unknown").all() and list(p.meta["name"]) == p.tickers


def test_long_monthly_returns_parquet_case_insensitive():
    p = load_file(DATA / "long_returns_monthly.parquet")
    assert p.frequency == "monthly" and p.tickers == ["A1", "B2", "C3"] and len(p.dates) == 24
    raw = pd.read_parquet(DATA / "long_returns_monthly.parquet")
    assert p.returns.loc["2015-03-31", "B2"] == raw.query("SYMBOL == 'B2'").iloc[2]["RET"]


def test_roundtrip_synthetic_long_csv_matches_returns(small_market, tmp_path):
    panel, _ = small_market
    long = to_long(prices_from_returns(panel.returns))
    long.to_csv(tmp_path / "m.csv", index=False)
    p = load_file(tmp_path / "m.csv", lookback=5)
    expected = panel.returns.reindex(p.dates)
    np.testing.assert_allclose(p.returns.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-12)
    assert p.warnings == ()


def test_calendar_hole_and_jump_warnings(tmp_path):
    dates = pd.bdate_range("2020-01-01", periods=40).delete(range(20, 28))  # 8 business days missing
    prices = pd.DataFrame({"A": np.linspace(10, 11, 32), "B": np.linspace(20, 21, 32)}, index=dates)
    prices.iloc[25:, 1] *= 1.6  # +60% in a day on B: not a split ratio, but beyond +-40%
    prices.rename_axis("date").to_csv(tmp_path / "w.csv")
    p = load_file(tmp_path / "w.csv", lookback=5)
    hole = [w for w in p.warnings if w.startswith("all tickers")]
    assert len(hole) == 1 and str(dates[20].date()) in hole[0]
    jump = [w for w in p.warnings if w.startswith("B ")]
    assert len(jump) == 1 and str(dates[25].date()) in jump[0] and "40%" in jump[0]


def test_many_warnings_are_summarised(tmp_path):
    prices = pd.DataFrame(100.0, index=pd.bdate_range("2020-01-01", periods=30), columns=[f"T{i:03d}" for i in range(60)])
    prices.iloc[20:] /= 2.0  # every ticker "splits" on the same day
    prices.rename_axis("date").to_csv(tmp_path / "w.csv")
    p = load_file(tmp_path / "w.csv", lookback=5)
    assert len(p.warnings) == 21 and p.warnings[-1] == "... and 40 more corporate-action warnings"


def test_input_file_is_never_modified(tmp_path):
    path = tmp_path / "copy.csv"
    shutil.copy(DATA / "long_prices_daily.csv", path)
    before = hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns
    load_panel(path=str(path))
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) == before


@pytest.mark.parametrize(
    "name, expected",
    [
        ("bad_no_date.csv", ["no date column", "'Ticker'", "named 'date'"]),
        ("bad_dates.csv", ["column 'Date'", "line 9", "'2021-13-45'", "YYYY-MM-DD"]),
        ("bad_duplicate.csv", ["duplicate row", "'AAA'", "2021-01-06", "line 6", "line 8", "one row per"]),
        ("bad_nonnumeric.csv", ["column 'Adj_Close'", "line 11", "'12,5x'", "not a finite number"]),
        ("bad_negative_price.csv", ["column 'Adj_Close'", "line 13", "non-positive price -3.5"]),
        ("bad_one_ticker.csv", ["column 'Ticker'", "1 ticker", "at least 2"]),
        ("bad_few_dates.csv", ["column 'Date'", "only 4 dates", "add more dates"]),
        ("bad_no_value_column.csv", ["no value column", "adj_close, price, close or return"]),
        ("bad_not_parquet.parquet", ["cannot read the file", "valid CSV or Parquet"]),
        ("does_not_exist.csv", ["file not found"]),
    ],
)
def test_bad_files_raise_one_line_data_error(name, expected):
    with pytest.raises(DataError) as info:
        load_file(DATA / name)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(DATA / name))
    for part in expected:
        assert part in msg


@pytest.mark.parametrize(
    "content, expected",
    [
        ("", "cannot read the file"),
        ("date,A,B\n", "no data rows"),
        ("date,ticker,return\n" + "".join(f"2020-01-{d:02d},X,{'-1.5' if d == 5 else '0.01'}\n" for d in range(1, 20)),
         "at or below -100%"),
        ("Date,DATE,A\n2020-01-01,2020-01-01,1\n", "same name"),
        ("date,A,B\n" + "".join(f"{2000 + y}-06-30,1,2\n" for y in range(15)), "coarser than monthly"),
    ],
)
def test_more_malformed_inputs(tmp_path, content, expected):
    path = tmp_path / "f.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=expected):
        load_file(path)


def test_several_hundred_tickers_with_injected_splits(tmp_path):
    """Real adjusted closes of the 20 S&P 500 stocks shipped with skfolio (2016-2022) plus 280
    synthetic tickers on the same calendar, written as one long daily CSV; a few tickers are
    UN-adjusted by injecting 2:1 and 3:1 splits (prices before the split date multiplied by k).
    skfolio's larger NASDAQ set needs a download, so this is the largest real set offline: the
    split warnings must name exactly the injected (ticker, date) pairs."""
    from skfolio.datasets import load_sp500_dataset

    from core.data.synthetic import make_market

    real = load_sp500_dataset().sort_index().loc["2016-01-01":]
    real.index = pd.DatetimeIndex(real.index)
    synth, _ = make_market(n_stocks=280, n_dates=len(real), seed=5)
    fake = prices_from_returns(synth.returns).set_axis(real.index)
    fake.columns = [f"SYN{c[1:]}" for c in fake.columns]
    clean = pd.concat([real, fake], axis=1)
    splits = {("AAPL", "2018-06-01"): 2, ("MSFT", "2019-03-15"): 3, ("JPM", "2021-09-01"): 2,
              ("SYN0007", "2017-05-10"): 2, ("SYN0123", "2020-11-02"): 3}
    dirty = clean.copy()
    for (ticker, day), k in splits.items():
        dirty.loc[dirty.index < day, ticker] *= k

    found = {}
    for label, prices in (("clean", clean), ("dirty", dirty)):
        path = tmp_path / f"{label}.csv"
        to_long(prices, value="close").to_csv(path, index=False)
        t0 = time.perf_counter()
        panel = load_file(path)
        elapsed = time.perf_counter() - t0
        assert panel.n_tickers == 300 and elapsed < 20
        found[label] = {tuple(w.split(":")[0].split(" ")) for w in panel.warnings if "split" in w}
    new = found["dirty"] - found["clean"]
    assert new == set(splits)
    assert not {t for t, _ in found["clean"]} & {t for t, _ in splits}


@pytest.mark.parametrize("options", [
    {},
    {"date_style": "dayfirst", "delimiter": ";", "decimal_comma": True, "encoding": "latin-1"},
    {"date_style": "monthfirst", "delimiter": "\t", "id_column": "PERMNO"},
], ids=["iso-comma-utf8", "dayfirst-semicolon-latin1", "monthfirst-tab-permno"])
def test_realistic_500_stock_vendor_file(tmp_path, options):
    vf = write_vendor_csv(tmp_path / "vendor.csv", **options)
    before = hashlib.sha256(vf.path.read_bytes()).hexdigest()
    t0 = time.perf_counter()
    p = load_file(vf.path)
    assert time.perf_counter() - t0 < 10
    assert hashlib.sha256(vf.path.read_bytes()).hexdigest() == before
    assert p.n_tickers == 500 and sorted(p.tickers) == sorted(vf.tickers) and p.frequency == "daily"
    assert list(p.dates) == list(vf.dates[1:]) and p.benchmark is None
    found = {tuple(w.split(":")[0].split(" ")) for w in p.warnings if "split" in w}
    assert found == set(vf.splits) and len(found) == 4
    for (ticker, day), k in vf.splits.items():
        assert any(w.startswith(f"{ticker} {day}:") and f"unadjusted {k}:1 split" in w for w in p.warnings)
    assert (p.meta["sector"].to_numpy() == vf.sectors.reindex(p.tickers).to_numpy()).all()
    assert (p.meta["industry"].to_numpy() == vf.industries.reindex(p.tickers).to_numpy()).all()
    assert (p.meta["sector"] == "Unknown").sum() == (vf.sectors == "Unknown").sum() > 0
    assert (p.meta.loc[vf.accented, "name"] == vf.names[vf.accented]).all() and len(vf.accented) == 20
    assert sorted(p.features) == ["volume"]
    # away from the split dates the returns are those of the adjusted closes
    expected = vf.adjusted.pct_change(fill_method=None).iloc[1:].reindex(columns=p.tickers)
    for (ticker, day) in vf.splits:
        expected.loc[day, ticker] = p.returns.loc[day, ticker]
    np.testing.assert_allclose(p.returns.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-12)
    text = "\n".join(p.warnings)
    assert ("decoded as cp1252" in text) is (options.get("encoding") == "latin-1")
    assert ("dates read as DD/MM/YYYY" in text) is (options.get("date_style") == "dayfirst")
    assert ("dates read as MM/DD/YYYY" in text) is (options.get("date_style") == "monthfirst")


# Property tests: malformed tables raise DataError, and any table raises nothing else.

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
