"""`neuralfactors attribution` through core.cli.main: JSON output, text output, one-line errors."""
from __future__ import annotations

import pytest

from core.cli import main
from tests.core.cli.commands import SP, json_error, run_json


def test_attribution_json_and_text(capsys):
    out = run_json(capsys, ["attribution", *SP, "--model", "neuralfactors", "--start", "2022-09-01",
                            "--end", "2022-09-30", "--benchmark", "equal", "--portfolio", "one per sector"])
    s = out["summary"]
    assert out["active"] and s["sum of daily returns"] + s["compounding"] == pytest.approx(s["compounded return"])
    for parts in out["daily"].values():
        assert sum(v for k, v in parts.items() if k != "total") == pytest.approx(parts["total"], abs=1e-15)
    assert main(["attribution", *SP, "--model", "pca", "--start", "2022-09-01", "--end", "2022-09-09"]) == 0
    assert "compounding" in capsys.readouterr().out


def test_covariance_only_model_is_refused_in_one_json_line(capsys):
    argv = ["attribution", *SP, "--model", "ledoit-wolf", "--start", "2022-09-01", "--end", "2022-09-30"]
    assert "covariance-only" in json_error(capsys, argv)
