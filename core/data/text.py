"""The bytes of a CSV file as text, and how that text is split: encoding, delimiter, decimal separator.

The text is UTF-8 (with or without a byte-order mark; UTF-16 with one), else cp1252, else
latin-1, with a warning saying so. The delimiter (comma, semicolon, tab, pipe) is sniffed from
the first 64 KiB; a file whose other delimiter comes with decimal commas (1,23) is read with
decimal="," (a note says so). What cannot be told is a one-line DataError naming the fix.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from core.errors import DataError

DELIMITERS = {",": "comma ','", ";": "semicolon ';'", "\t": "tab", "|": "pipe '|'"}
SNIFF_CHARS = 64 * 1024  # the delimiter and the decimal separator are told from this much text
FALLBACK_ENCODINGS = (("cp1252", "cp1252 (Windows Western European)"), ("latin-1", "latin-1 (ISO-8859-1)"))
_COMMA_NUMBER = re.compile(r"[+-]?\d*,\d+")
_POINT_NUMBER = re.compile(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?")


def decode(data: bytes, path: Path) -> tuple[str, list[str]]:
    """(text, notes): UTF-8 (a byte-order mark is dropped), UTF-16 with a byte-order mark, else
    cp1252, else latin-1; a fallback is stated in a note. NUL characters are refused."""
    notes: list[str] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(f"{path}: cannot read the file (it starts like UTF-16 text but is not); "
                            "re-save it as a UTF-8 CSV") from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            for encoding, label in FALLBACK_ENCODINGS:
                try:
                    text = data.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            notes.append(
                f"the file is not UTF-8 (byte 0x{data[exc.start]:02X} on line {line} is not valid UTF-8); it was "
                f"decoded as {label} instead: check accented names, or re-save the file as UTF-8"
            )
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DataError(f"{path}, line {line}: the file contains NUL characters (a binary file, or UTF-16 text "
                        "without a byte-order mark); save it as a UTF-8 CSV")
    return text, notes


def _rows(sample: str, sep: str, truncated: bool) -> list[tuple[int, list[str]]]:
    """(line number, fields) of the non-blank records of `sample` split at `sep`; the last record
    of a truncated sample may be cut short, so it is left out."""
    out = []
    reader = csv.reader(io.StringIO(sample), delimiter=sep)
    try:
        for row in reader:
            if row:  # pandas skips blank lines too
                out.append((reader.line_num, row))
    except csv.Error:
        pass
    return out[:-1] if truncated and len(out) > 1 else out


def sniff(text: str, path: Path, suffix: str) -> tuple[str, list[str], str, list[str]]:
    """(delimiter, header fields, decimal separator, notes) from the start of the text. `suffix`
    (".csv", ".tsv", ".csv.gz" ...) picks the delimiter when two split every line alike."""
    sample, truncated = text[:SNIFF_CHARS], len(text) > SNIFF_CHARS
    parsed = {sep: _rows(sample, sep, truncated) for sep in DELIMITERS}
    if not parsed[","]:
        raise DataError(f"{path}: cannot read the file (it is empty); save it as a valid CSV or Parquet file")
    sep = _delimiter(parsed, path, suffix)
    (_, header), body = parsed[sep][0], parsed[sep][1:]
    for line, row in body:
        if len(row) > len(header):
            raise DataError(
                f"{path}, line {line}: {len(row)} fields but the header has {len(header)} ({DELIMITERS[sep]} "
                "delimiter); quote values that contain the delimiter, or remove the extra fields"
            )
    decimal, notes = ".", []
    if sep != ",":
        comma = _decimal_comma(body, path)
        if comma:
            decimal = ","
            notes.append(f"numbers read with decimal commas: {comma[0]!r} on line {comma[1]} is "
                         f"{float(comma[0].replace(',', '.'))} ({DELIMITERS[sep]} delimiter)")
    return sep, header, decimal, notes


def _delimiter(parsed: dict, path: Path, suffix: str) -> str:
    """The delimiter that splits the header into several fields: the only one, else the only one
    splitting every line alike, else the suffix's default (tab for .tsv, else comma)."""
    multi = [sep for sep, rows in parsed.items() if len(rows[0][1]) > 1]
    if not multi:
        head = parsed[","][0][1][0][:60]
        raise DataError(
            f"{path}, line {parsed[','][0][0]}: the header {head!r} is a single column with every delimiter tried "
            f"({', '.join(DELIMITERS.values())}); separate the columns with commas and start with a header line "
            "such as date,ticker,close"
        )
    if len(multi) == 1:
        return multi[0]
    consistent = [s for s in multi if all(len(r) == len(parsed[s][0][1]) for _, r in parsed[s][1:])]
    default = "\t" if suffix.endswith(".tsv") else ","
    if len(consistent) == 1:
        return consistent[0]
    if default in (consistent or multi):
        return default
    named = " and ".join(f"{DELIMITERS[s]} ({len(parsed[s][0][1])} columns)" for s in (consistent or multi))
    raise DataError(f"{path}: cannot tell the delimiter: {named} both split the header into several "
                    "columns; save the file with one delimiter (commas are best)")


def _decimal_comma(body: list[tuple[int, list[str]]], path: Path) -> tuple[str, int] | None:
    """(field, line) of the first number written with a decimal comma, None when there is none;
    a file that also writes numbers with decimal points is refused."""
    comma = point = None
    for line, row in body:
        for field in row:
            field = field.strip()
            if comma is None and _COMMA_NUMBER.fullmatch(field):
                comma = (field, line)
            elif point is None and _POINT_NUMBER.fullmatch(field):
                point = (field, line)
        if comma and point:
            raise DataError(
                f"{path}: numbers are written with decimal commas ({comma[0]!r} on line {comma[1]}) and with "
                f"decimal points ({point[0]!r} on line {point[1]}); write every number with one decimal "
                "separator and no thousands separators"
            )
    return comma
