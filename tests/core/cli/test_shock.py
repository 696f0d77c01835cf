"""`neuralfactors shock` through core.cli.main: JSON output, one-line errors."""
from __future__ import annotations

import pytest

from tests.core.cli.commands import SP, json_error, run_json


def test_shock_json_reference_in_its_units_with_its_r_squared(capsys):
    out = run_json(capsys, ["shock", *SP, "--model", "neuralfactors", "--date", "2020-03-16",
                            "--reference", "market=-0.10"])
    assert out["conditions"] == {"market": -0.10} and out["references"]["market"] == -0.10
    assert out["r2"]["market"] > 0.9 and out["regression_window"].startswith("250 days")
    assert -0.13 < out["pnl_mean"] < -0.08 and out["basis"] == "of capital" and out["latent_units"] == []
    out = run_json(capsys, ["shock", *SP, "--model", "neuralfactors", "--date", "2020-03-16",
                            "--reference", "f2 (unnamed)=-2sd", "--portfolio", "custom", "--weights", "AAPL:1,XOM:-1"])
    assert out["latent_units"] == ["f2 (unnamed)"] and out["basis"] == "of gross (a dollar-neutral book)"
    assert any("latent units" in n for n in out["notes"])


def test_shock_json_factor_in_sd_and_series(capsys):
    out = run_json(capsys, ["shock", *SP, "--model", "neuralfactors", "--factor", "f1=-2sd"])
    assert "Student-t" in out["method"] and len(out["stocks"]) == 20
    assert out["quantiles"]["0.05"] < out["quantiles"]["0.5"] < out["quantiles"]["0.95"]
    out = run_json(capsys, ["shock", *SP, "--model", "ledoit-wolf", "--series", "sector: Energy=0.03"])
    assert out["conditions"] == {"sector: Energy": 0.03} and out["method"] == "Gaussian closed form"


@pytest.mark.parametrize("argv, message", [
    (["shock", *SP, "--model", "neuralfactors", "--factor", "f1=40sd"], "within 10 sd"),
    (["shock", *SP, "--model", "neuralfactors"], "one kind per run"),
    (["shock", *SP, "--model", "neuralfactors", "--reference", "the moon=-0.1"], "unknown references"),
])
def test_errors_are_one_json_line(capsys, argv, message):
    assert message in json_error(capsys, argv)
