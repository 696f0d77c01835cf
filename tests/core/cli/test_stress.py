"""`neuralfactors stress` through core.cli.main: JSON output, text output, one-line errors."""
from __future__ import annotations

import pytest

from core.cli import main
from tests.core.cli.commands import SP, json_error, run_json


def test_stress_json_covid_and_own_window(capsys):
    out = run_json(capsys, ["stress", *SP, "--model", "neuralfactors", "--window", "2020 COVID crash",
                            "--start", "2022-06-01", "--end", "2022-06-30"])
    covid, mine = out["windows"]
    assert covid["start"] == "2020-02-20" and covid["days"] == 23 and covid["replay"]["total"] < -0.2
    assert covid["factor_replay"]["band"] > 0 and "today's coordinates" in covid["factor_replay"]["source"]
    assert mine["name"] == "2022-06-01..2022-06-30" and len(mine["replay"]["path"]) == mine["days"]
    assert main(["stress", *SP, "--model", "ledoit-wolf", "--window", "2010 flash crash"]) == 0
    assert "factor replay no factors" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["stress", *SP, "--model", "ledoit-wolf", "--start", "1980-01-01", "--end", "1980-02-01"], "1990-01-03..2022-12-28"),
    (["stress", *SP, "--model", "ledoit-wolf", "--window", "1929 crash"], "not in the catalogue"),
])
def test_errors_are_one_json_line(capsys, argv, message):
    assert message in json_error(capsys, argv)
