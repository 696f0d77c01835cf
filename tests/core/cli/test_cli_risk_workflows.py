"""`neuralfactors stress | shock | attribution` through core.cli.main: JSON output, text output, one-line errors."""
from __future__ import annotations

import json

import pytest

from core.cli import main

SP = ["--dataset", "sp500-20"]


def run_json(capsys, argv: list[str]) -> dict:
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_stress_json_covid_and_own_window(capsys):
    out = run_json(capsys, ["stress", *SP, "--model", "neuralfactors", "--window", "2020 COVID crash",
                            "--start", "2022-06-01", "--end", "2022-06-30"])
    covid, mine = out["windows"]
    assert covid["start"] == "2020-02-20" and covid["days"] == 23 and covid["replay"]["total"] < -0.2
    assert covid["factor_replay"]["band"] > 0 and "posterior" in covid["factor_replay"]["source"]
    assert mine["name"] == "2022-06-01..2022-06-30" and len(mine["replay"]["path"]) == mine["days"]
    assert main(["stress", *SP, "--model", "ledoit-wolf", "--window", "2010 flash crash"]) == 0
    assert "factor replay no factors" in capsys.readouterr().out


def test_shock_json_factor_in_sd_and_series(capsys):
    out = run_json(capsys, ["shock", *SP, "--model", "neuralfactors", "--factor", "f1=-2sd"])
    assert "Student-t" in out["method"] and len(out["stocks"]) == 20
    assert out["quantiles"]["0.05"] < out["quantiles"]["0.5"] < out["quantiles"]["0.95"]
    out = run_json(capsys, ["shock", *SP, "--model", "ledoit-wolf", "--series", "sector: Energy=0.03"])
    assert out["conditions"] == {"sector: Energy": 0.03} and out["method"] == "Gaussian closed form"


def test_attribution_json_and_text(capsys):
    out = run_json(capsys, ["attribution", *SP, "--model", "neuralfactors", "--start", "2022-09-01",
                            "--end", "2022-09-30", "--benchmark", "equal", "--portfolio", "one per sector"])
    s = out["summary"]
    assert out["active"] and s["sum of daily returns"] + s["compounding"] == pytest.approx(s["compounded return"])
    for parts in out["daily"].values():
        assert sum(v for k, v in parts.items() if k != "total") == pytest.approx(parts["total"], abs=1e-15)
    assert main(["attribution", *SP, "--model", "pca", "--start", "2022-09-01", "--end", "2022-09-09"]) == 0
    assert "compounding" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["stress", *SP, "--model", "ledoit-wolf", "--start", "1980-01-01", "--end", "1980-02-01"], "1990-01-03..2022-12-28"),
    (["stress", *SP, "--model", "ledoit-wolf", "--window", "1929 crash"], "not in the catalogue"),
    (["shock", *SP, "--model", "neuralfactors", "--factor", "f1=40sd"], "within 10 sd"),
    (["shock", *SP, "--model", "neuralfactors"], "one kind per run"),
    (["attribution", *SP, "--model", "ledoit-wolf", "--start", "2022-09-01", "--end", "2022-09-30"], "covariance-only"),
])
def test_errors_are_one_json_line(capsys, argv, message):
    assert main(argv + ["--json"]) == 2
    assert message in json.loads(capsys.readouterr().out)["error"]
