"""core.data.text: a CSV's bytes as text (encodings), its delimiter and its decimal separator."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.core.data.usertables import load_error, reference

from core.data.files import load_file
from core.data.text import SNIFF_CHARS, decode, sniff
from core.errors import DataError

PATH = Path("f.csv")


@pytest.mark.parametrize("name, sep, decimal", [
    ("semi.csv", ";", ","), ("semi_points.csv", ";", "."), ("tab.tsv", "\t", "."), ("tab.txt", "\t", ","),
    ("pipe.csv", "|", "."), ("pipe.txt", "|", "."), ("semi.csv.gz", ";", ","),
])
def test_other_delimiters_and_decimal_commas_are_read(tmp_path, name, sep, decimal):
    table, ref = reference(tmp_path)
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
    msg = load_error(path)
    assert "single column with every delimiter tried (comma ',', semicolon ';', tab, pipe '|')" in msg
    assert "separate the columns with commas" in msg

def test_mixed_decimal_separators_are_refused(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("date;ticker;close\n" + "".join(f"2020-01-{d:02d};A;1{',' if d == 3 else '.'}5\n"
                                                    f"2020-01-{d:02d};B;2.5\n" for d in range(1, 25)))
    msg = load_error(path)
    assert "decimal commas ('1,5' on line 6)" in msg and "decimal points ('1.5' on line 2)" in msg

def test_row_with_more_fields_than_the_header_is_refused(tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text("date,A,B\n2020-01-01,1,2,3\n" + "".join(f"2020-01-{d:02d},1,2\n" for d in range(2, 25)))
    assert "line 2: 4 fields but the header has 3" in load_error(path)

def test_latin1_file_is_read_with_a_stated_fallback(tmp_path):
    table, ref = reference(tmp_path)
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


def test_decode_drops_a_byte_order_mark_states_a_fallback_and_refuses_nul():
    assert decode("\ufeffdate,A\n".encode("utf-8"), PATH) == ("date,A\n", [])
    assert decode("date,Å\n".encode("utf-16"), PATH) == ("date,Å\n", [])
    text, notes = decode(b"date,name\n2020-01-02,Caf\x80\n", PATH)  # 0x80 is the euro sign in cp1252
    assert text.endswith("Caf\u20ac\n") and len(notes) == 1 and "byte 0x80 on line 2" in notes[0]
    with pytest.raises(DataError, match=r"^f.csv, line 2: the file contains NUL characters"):
        decode(b"date,A\n\x00\n", PATH)


@pytest.mark.parametrize("text, suffix, sep", [
    ("a,b;c\n1,2;3\n", ".csv", ","),      # both split every line alike: the suffix's default
    ("a\tb,c\n1\t2,3\n", ".tsv", "\t"),
    ("a;b,c\n1;2,3,4\n", ".csv", ";"),    # only the semicolon splits every line alike
])
def test_sniff_picks_the_delimiter(text, suffix, sep):
    assert sniff(text, PATH, suffix)[0] == sep


def test_sniff_refuses_two_delimiters_without_a_default():
    with pytest.raises(DataError, match="cannot tell the delimiter: semicolon ';' .3 columns. and pipe '|'"):
        sniff("a;b;c|d\n1;2;3|4\n", PATH, ".csv")


def test_sniff_reads_only_the_sample_and_leaves_out_its_cut_last_record():
    row = "2020-01-02;A;1,5\n"
    text = "date;ticker;close\n" + row * (SNIFF_CHARS // len(row)) + "2020-01-02;A;1,5;extra;fields\n"
    sep, header, decimal, notes = sniff(text, PATH, ".csv")  # the long last row lies beyond the sample
    assert (sep, header, decimal) == (";", ["date", "ticker", "close"], ",") and len(notes) == 1
    header = "a;b,cd\n"  # with 6-character rows the sample ends inside a row, after "1;2"
    assert (SNIFF_CHARS - len(header)) % 6 == 3
    text = header + "1;2,3\n" * (SNIFF_CHARS // 6 + 10)
    assert sniff(text, PATH, ".csv")[0] == ","  # the cut record would make the comma look inconsistent
