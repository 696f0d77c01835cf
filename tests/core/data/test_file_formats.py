"""How a user's file is read (issue 13): dates that could be day- or month-first, duplicate
column names, delimiters and decimal commas, encodings, id columns, and a realistic 500-stock
vendor export. A file is never read wrongly without a word: what is guessed is a warning, what
cannot be told is a one-line DataError naming the fix."""
from __future__ import annotations

import gzip
import hashlib
import time

import numpy as np
import pandas as pd
import pytest
from userfiles import write_vendor_csv

from core.data import load_panel
from core.data.files import load_file
from core.errors import DataError


def _table(dates: pd.DatetimeIndex, fmt: str = "%Y-%m-%d", tickers=("AAA", "BBB", "CCC")) -> pd.DataFrame:
    """A long price table: one row per date and ticker, dates written with `fmt`."""
    rows = [(d.strftime(fmt), t, round(10.0 + 3 * j + 0.01 * i + 0.005 * (i % 3), 4))
            for i, d in enumerate(dates) for j, t in enumerate(tickers)]
    return pd.DataFrame(rows, columns=["Date", "Ticker", "Close"])


def _error(path, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        load_file(path, **kwargs)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(path))
    return msg


# ---- dates ------------------------------------------------------------------------------------

AMBIGUOUS = pd.DatetimeIndex([d for d in pd.bdate_range("2010-01-01", "2010-12-31") if d.day <= 12])


def test_ambiguous_day_month_dates_are_refused_with_the_fix(tmp_path):
    path = tmp_path / "amb.csv"
    _table(AMBIGUOUS, "%d/%m/%Y").to_csv(path, index=False)
    msg = _error(path)
    assert "column 'Date'" in msg and "day-first or month-first" in msg and "line 2" in msg
    assert "date_format='%d/%m/%Y'" in msg and "--date-format %d/%m/%Y" in msg and "'%m/%d/%Y'" in msg


@pytest.mark.parametrize("fmt, month_first", [("%d/%m/%Y", False), ("%m/%d/%Y", True)])
def test_date_format_reads_an_ambiguous_file_either_way(tmp_path, fmt, month_first):
    path = tmp_path / "amb.csv"
    _table(AMBIGUOUS, "%d/%m/%Y").to_csv(path, index=False)
    p = load_panel(path=str(path), date_format=fmt)  # load_panel passes it through
    given = AMBIGUOUS.strftime("%d/%m/%Y")
    expected = pd.to_datetime(given, format=fmt).sort_values()
    assert list(p.dates) == list(expected[1:])  # swapping day and month gives another set of weekdays
    # 08/01/2010 (a Friday, day-first): 1 August 2010, a Sunday, read month-first
    assert (pd.Timestamp("2010-01-08") in p.dates) is not month_first
    assert (pd.Timestamp("2010-08-01") in p.dates) is month_first
    assert not any("dates read" in w for w in p.warnings)


def test_day_first_proved_by_the_data_is_read_day_first_with_a_note(tmp_path):
    dates = pd.bdate_range("2009-12-01", periods=30)  # 31/12/2009 and 13/01/2010 prove day-first
    path = tmp_path / "dayfirst.csv"
    _table(dates, "%d/%m/%Y").to_csv(path, index=False)
    p = load_file(path)
    assert list(p.dates) == list(dates[1:])  # the old reader scrambled 01/12 .. 12/12 into January .. December
    note = [w for w in p.warnings if "dates read" in w]
    assert note == ["column 'Date': dates read as DD/MM/YYYY, as '14/12/2009' (line 29) shows (14 cannot be a "
                    "month); pass date_format to read them otherwise"]


def test_month_first_proved_by_the_data_is_read_month_first(tmp_path):
    dates = pd.bdate_range("2009-12-01", periods=30)
    path = tmp_path / "monthfirst.csv"
    _table(dates, "%m-%d-%Y").to_csv(path, index=False)
    p = load_file(path)
    assert list(p.dates) == list(dates[1:])
    assert any(w.startswith("column 'Date': dates read as MM-DD-YYYY") for w in p.warnings)


def test_iso_and_yyyymmdd_dates_still_read_without_a_note(tmp_path):
    dates = pd.bdate_range("2010-01-04", periods=20)
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"):
        path = tmp_path / "d.csv"
        _table(dates, fmt).to_csv(path, index=False)
        p = load_file(path, lookback=5)
        assert list(p.dates) == list(dates[1:]) and p.warnings == ()


def test_dates_mixing_day_first_and_month_first_are_refused(tmp_path):
    table = _table(pd.bdate_range("2009-12-01", periods=30), "%d/%m/%Y")
    table.loc[table.index[-3:], "Date"] = "01/13/2010"  # month-first among day-first dates
    table = table.drop_duplicates(["Date", "Ticker"])
    path = tmp_path / "mixed.csv"
    table.to_csv(path, index=False)
    msg = _error(path)
    assert "day-first" in msg and "month-first" in msg and "'01/13/2010'" in msg and "YYYY-MM-DD" in msg


def test_two_digit_years_are_refused_with_the_format_to_pass(tmp_path):
    path = tmp_path / "yy.csv"
    _table(pd.bdate_range("2009-12-01", periods=30), "%d/%m/%y").to_csv(path, index=False)
    assert "two-digit year" in (msg := _error(path)) and "date_format='%d/%m/%y'" in msg
    assert len(load_file(path, date_format="%d/%m/%y").dates) == 29


def test_date_format_that_does_not_match_is_refused(tmp_path):
    path = tmp_path / "iso.csv"
    _table(pd.bdate_range("2010-01-04", periods=20)).to_csv(path, index=False)
    msg = _error(path, date_format="%d/%m/%Y")
    assert "line 2" in msg and "'2010-01-04'" in msg and "date_format='%d/%m/%Y'" in msg
    assert "not a valid format" in _error(path, date_format="%Q")


# ---- duplicate column names -------------------------------------------------------------------

@pytest.mark.parametrize("second, expected", [
    ("close", "two columns have the same name 'close' (columns 3 and 4 of the header); rename or delete one"),
    ("Close", "columns 'close' and 'Close' have the same name (names are case-insensitive; columns 3 and 4"),
])
def test_duplicate_column_names_are_refused(tmp_path, second, expected):
    path = tmp_path / "dup.csv"
    body = "".join(f"2020-01-{d:02d},{t},{10 + d},{20 + d}\n" for d in range(1, 25) for t in "AB")
    path.write_text(f"date,ticker,close,{second}\n" + body)
    msg = _error(path)
    assert expected in msg and "close.1" not in msg


def test_duplicate_parquet_column_names_are_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "dup.parquet"
    dates = [f"2020-01-{d:02d}" for d in range(1, 25) for _ in "AB"]
    table = pa.Table.from_arrays([pa.array(dates), pa.array(list("AB") * 24), pa.array(np.arange(48.0) + 1),
                                  pa.array(np.arange(48.0) + 2)], names=["date", "ticker", "close", "close"])
    pq.write_table(table, path)
    assert "same name 'close' (schema columns 3 and 4" in _error(path)


# ---- delimiters, decimal commas, encodings ----------------------------------------------------

def _reference(tmp_path):
    table = _table(pd.bdate_range("2010-01-04", periods=25))
    table["Sector"] = ["Energy", "Utilities", "Energy"] * 25
    table.to_csv(tmp_path / "ref.csv", index=False)
    return table, load_file(tmp_path / "ref.csv")


@pytest.mark.parametrize("name, sep, decimal", [
    ("semi.csv", ";", ","), ("semi_points.csv", ";", "."), ("tab.tsv", "\t", "."), ("tab.txt", "\t", ","),
    ("pipe.csv", "|", "."), ("pipe.txt", "|", "."), ("semi.csv.gz", ";", ","),
])
def test_other_delimiters_and_decimal_commas_are_read(tmp_path, name, sep, decimal):
    table, ref = _reference(tmp_path)
    text = table.to_csv(index=False, sep=sep, decimal=decimal)
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    p = load_file(path)
    np.testing.assert_allclose(p.returns.to_numpy(), ref.returns.to_numpy(), rtol=1e-12)
    assert p.meta.equals(ref.meta)
    notes = [w for w in p.warnings if "decimal commas" in w]
    assert len(notes) == (decimal == ",")
    if notes:
        assert notes[0] == "numbers read with decimal commas: '10,0' on line 2 is 10.0 (" + \
            {";": "semicolon ';'", "\t": "tab"}[sep] + " delimiter)"


def test_one_column_with_every_delimiter_is_refused(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("date ticker close\n2020-01-02 A 1.5\n")
    msg = _error(path)
    assert "single column with every delimiter tried (comma ',', semicolon ';', tab, pipe '|')" in msg
    assert "separate the columns with commas" in msg


def test_mixed_decimal_separators_are_refused(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("date;ticker;close\n" + "".join(f"2020-01-{d:02d};A;1{',' if d == 3 else '.'}5\n"
                                                    f"2020-01-{d:02d};B;2.5\n" for d in range(1, 25)))
    msg = _error(path)
    assert "decimal commas ('1,5' on line 6)" in msg and "decimal points ('1.5' on line 2)" in msg


def test_row_with_more_fields_than_the_header_is_refused(tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text("date,A,B\n2020-01-01,1,2,3\n" + "".join(f"2020-01-{d:02d},1,2\n" for d in range(2, 25)))
    assert "line 2: 4 fields but the header has 3" in _error(path)


def test_unnamed_columns_empty_ones_dropped_others_refused(tmp_path):
    table, ref = _reference(tmp_path)
    path = tmp_path / "trailing.csv"  # Excel's trailing delimiter: an empty column without a name
    path.write_text("".join(line + ";\n" for line in table.to_csv(index=False, sep=";").splitlines()))
    p = load_file(path)
    assert p.features == {} and p.returns.equals(ref.returns)
    table.to_csv(path)  # pandas' default writes the row index as a first column without a name
    assert "line 2: column 1 of the header has no name but holds values ('0'" in _error(path)


def test_latin1_file_is_read_with_a_stated_fallback(tmp_path):
    table, ref = _reference(tmp_path)
    table["Name"] = np.where(table["Ticker"] == "BBB", "Société Générale", "Plain Corp")
    path = tmp_path / "latin1.csv"
    table.to_csv(path, index=False, encoding="latin-1")
    p = load_file(path)
    assert p.meta.loc["BBB", "name"] == "Société Générale"
    assert p.warnings[0] == ("the file is not UTF-8 (byte 0xE9 on line 3 is not valid UTF-8); it was decoded as "
                             "cp1252 (Windows Western European) instead: check accented names, or re-save the "
                             "file as UTF-8")
    for encoding in ("utf-8", "utf-8-sig", "utf-16"):  # a UTF-8 BOM is dropped, UTF-16 has one
        table.to_csv(path, index=False, encoding=encoding)
        p = load_file(path, lookback=5)
        assert p.meta.loc["BBB", "name"] == "Société Générale" and p.warnings == ()


# ---- id columns -------------------------------------------------------------------------------

@pytest.mark.parametrize("column, ids", [("PERMNO", (10107, 14593, 93436)), ("cusip", ("037833100", "594918104",
                                                                                      "00206R102")),
                                         ("ISIN", ("US0378331005", "US5949181045", "US00206R1023"))])
def test_id_columns_key_a_long_file(tmp_path, column, ids):
    table = _table(pd.bdate_range("2010-01-04", periods=20), tickers=ids).rename(columns={"Ticker": column})
    path = tmp_path / "ids.csv"
    table.to_csv(path, index=False)
    p = load_file(path)
    assert "long format" in p.source and p.tickers == sorted(str(i) for i in ids)  # leading zeros kept
    table.to_parquet(tmp_path / "ids.parquet", index=False)
    assert load_file(tmp_path / "ids.parquet").tickers == p.tickers


def test_second_id_column_is_not_a_feature_and_must_match_the_ticker(tmp_path):
    table = _table(pd.bdate_range("2010-01-04", periods=20))
    table["PERMNO"] = table["Ticker"].map({"AAA": 1, "BBB": 2, "CCC": 3})
    table.to_csv(tmp_path / "ok.csv", index=False)
    p = load_file(tmp_path / "ok.csv")
    assert p.tickers == ["AAA", "BBB", "CCC"] and "permno" not in p.features
    assert "column 'PERMNO' is a second id column and was not used; stocks are keyed by 'Ticker'" in p.warnings
    table.loc[table.index[-3:], "PERMNO"] = 9  # AAA is reused by another security
    table.to_csv(tmp_path / "reused.csv", index=False)
    msg = _error(tmp_path / "reused.csv")
    assert "ticker 'AAA' has 2 different 'PERMNO' values (1, 9)" in msg and "key the stocks by 'PERMNO'" in msg


# ---- a realistic vendor export at 500 stocks ---------------------------------------------------

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
