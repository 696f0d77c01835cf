"""`neuralfactors shock` through core.cli.main: JSON output, one-line errors."""
from __future__ import annotations

import pytest

from tests.core.cli.commands import SP, json_error, run_json


def test_shock_json_factor_in_sd_and_series(capsys):
    out = run_json(capsys, ["shock", *SP, "--model", "neuralfactors", "--factor", "f1=-2sd"])
    assert "Student-t" in out["method"] and len(out["stocks"]) == 20
    assert out["quantiles"]["0.05"] < out["quantiles"]["0.5"] < out["quantiles"]["0.95"]
    out = run_json(capsys, ["shock", *SP, "--model", "ledoit-wolf", "--series", "sector: Energy=0.03"])
    assert out["conditions"] == {"sector: Energy": 0.03} and out["method"] == "Gaussian closed form"


@pytest.mark.parametrize("argv, message", [
    (["shock", *SP, "--model", "neuralfactors", "--factor", "f1=40sd"], "within 10 sd"),
    (["shock", *SP, "--model", "neuralfactors"], "one kind per run"),
])
def test_errors_are_one_json_line(capsys, argv, message):
    assert message in json_error(capsys, argv)
