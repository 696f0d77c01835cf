"""`neuralfactors data info` through core.cli.main: JSON summary, one-line errors, exit code 2."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main

DATA = Path(__file__).resolve().parents[2] / "data"


def test_info_sp500_json(capsys):
    assert main(["data", "info", "--dataset", "sp500-20", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_tickers"] == 20 and len(out["tickers"]) == 20
    assert out["first_date"].startswith("1990") and out["last_date"].startswith("2022")
    assert out["frequency"] == "daily" and isinstance(out["warnings"], list)
    assert 0 <= out["missing_share"] < 0.01 and sum(out["sectors"].values()) == 20
    assert out["split"]["train"]["last"] <= "2013-12-31" and out["split"]["test"]["first"].startswith("2019")


def test_info_file_json_lists_warnings(capsys):
    assert main(["data", "info", "--data", str(DATA / "long_prices_daily.csv"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_tickers"] == 3 and out["frequency"] == "daily"
    assert any(w.startswith("BBB 2021-01-25") for w in out["warnings"])
    assert out["sectors"] == {"Energy": 1, "Information Technology": 1, "Unknown": 1}


def test_info_text(capsys):
    assert main(["data", "info", "--data", str(DATA / "wide_prices_weekly.csv")]) == 0
    out = capsys.readouterr().out
    assert "weekly" in out and "XOM" in out and "KO 2020-02-07" in out


@pytest.mark.parametrize("name", ["bad_duplicate.csv", "bad_not_parquet.parquet", "bad_dates.csv", "missing.csv"])
def test_malformed_file_exit_2_one_line(capsys, name):
    assert main(["data", "info", "--data", str(DATA / name)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert captured.out == "" and err.startswith("error: ") and "\n" not in err
    assert "Traceback" not in err and name in err
