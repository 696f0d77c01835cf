"""core.data.dates: the date column as days; day-first or month-first only when the file proves it."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tests.core.data.usertables import load_error, long_table

from core.data import load_panel
from core.data.columns import Where
from core.data.dates import parse_dates
from core.data.files import load_file
from core.errors import DataError


AMBIGUOUS = pd.DatetimeIndex([d for d in pd.bdate_range("2010-01-01", "2010-12-31") if d.day <= 12])

def test_ambiguous_day_month_dates_are_refused_with_the_fix(tmp_path):
    path = tmp_path / "amb.csv"
    long_table(AMBIGUOUS, "%d/%m/%Y").to_csv(path, index=False)
    msg = load_error(path)
    assert "column 'Date'" in msg and "day-first or month-first" in msg and "line 2" in msg
    assert "date_format='%d/%m/%Y'" in msg and "--date-format %d/%m/%Y" in msg and "'%m/%d/%Y'" in msg

@pytest.mark.parametrize("fmt, month_first", [("%d/%m/%Y", False), ("%m/%d/%Y", True)])
def test_date_format_reads_an_ambiguous_file_either_way(tmp_path, fmt, month_first):
    path = tmp_path / "amb.csv"
    long_table(AMBIGUOUS, "%d/%m/%Y").to_csv(path, index=False)
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
    long_table(dates, "%d/%m/%Y").to_csv(path, index=False)
    p = load_file(path)
    assert list(p.dates) == list(dates[1:])  # the old reader scrambled 01/12 .. 12/12 into January .. December
    note = [w for w in p.warnings if "dates read" in w]
    assert note == ["column 'Date': dates read as DD/MM/YYYY, as '14/12/2009' (line 29) shows (14 cannot be a "
                    "month); pass date_format to read them otherwise"]

def test_month_first_proved_by_the_data_is_read_month_first(tmp_path):
    dates = pd.bdate_range("2009-12-01", periods=30)
    path = tmp_path / "monthfirst.csv"
    long_table(dates, "%m-%d-%Y").to_csv(path, index=False)
    p = load_file(path)
    assert list(p.dates) == list(dates[1:])
    assert any(w.startswith("column 'Date': dates read as MM-DD-YYYY") for w in p.warnings)

def test_iso_and_yyyymmdd_dates_still_read_without_a_note(tmp_path):
    dates = pd.bdate_range("2010-01-04", periods=20)
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"):
        path = tmp_path / "d.csv"
        long_table(dates, fmt).to_csv(path, index=False)
        p = load_file(path, lookback=5)
        assert list(p.dates) == list(dates[1:]) and p.warnings == ()

def test_dates_mixing_day_first_and_month_first_are_refused(tmp_path):
    table = long_table(pd.bdate_range("2009-12-01", periods=30), "%d/%m/%Y")
    table.loc[table.index[-3:], "Date"] = "01/13/2010"  # month-first among day-first dates
    table = table.drop_duplicates(["Date", "Ticker"])
    path = tmp_path / "mixed.csv"
    table.to_csv(path, index=False)
    msg = load_error(path)
    assert "day-first" in msg and "month-first" in msg and "'01/13/2010'" in msg and "YYYY-MM-DD" in msg

def test_two_digit_years_are_refused_with_the_format_to_pass(tmp_path):
    path = tmp_path / "yy.csv"
    long_table(pd.bdate_range("2009-12-01", periods=30), "%d/%m/%y").to_csv(path, index=False)
    assert "two-digit year" in (msg := load_error(path)) and "date_format='%d/%m/%y'" in msg
    assert len(load_file(path, date_format="%d/%m/%y").dates) == 29

def test_date_format_that_does_not_match_is_refused(tmp_path):
    path = tmp_path / "iso.csv"
    long_table(pd.bdate_range("2010-01-04", periods=20)).to_csv(path, index=False)
    msg = load_error(path, date_format="%d/%m/%Y")
    assert "line 2" in msg and "'2010-01-04'" in msg and "date_format='%d/%m/%Y'" in msg
    assert "not a valid format" in load_error(path, date_format="%Q")


def _parse(values, path: str = "f.csv", **kwargs):
    where = Where(Path(path))
    return parse_dates(pd.Series(values), where("date"), where, **kwargs)


def test_yyyymmdd_integers_zoned_datetimes_and_times_of_day_become_days():
    dates, notes = _parse([20200102, 20200103])
    assert list(dates) == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")] and notes == []
    zoned = pd.Series(pd.to_datetime(["2020-01-02 23:30", "2020-01-03 09:00"]).tz_localize("America/New_York"))
    assert list(_parse(zoned)[0]) == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")]  # wall-clock dates
    assert list(_parse(["2020/01/02 16:00", "2020/1/3"])[0]) == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")]


def test_day_first_note_names_the_proving_row_of_a_repeated_date():
    dates, notes = _parse(["01/02/2020", "01/02/2020", "13/02/2020", "13/02/2020"])
    assert list(dates) == list(pd.to_datetime(["2020-02-01"] * 2 + ["2020-02-13"] * 2))
    assert notes == ["column 'date': dates read as DD/MM/YYYY, as '13/02/2020' (line 4) shows (13 cannot be a month); "
                     "pass date_format to read them otherwise"]


def test_empty_and_unparsable_dates_name_the_row_of_a_parquet_file():
    with pytest.raises(DataError, match=r"^f.parquet, column 'date', row 1: the date is empty"):
        _parse(["2020-01-02", None], path="f.parquet")
    with pytest.raises(DataError, match=r"^f.csv, column 'date', line 3: cannot parse date 'soon'"):
        _parse(["2020-01-02", "soon"])
