"""`neuralfactors evaluate --families`: one row per (model, family), the held-out families said, a univariate model
left out with its reason."""
from tests.core.cli.commands import run_json


def test_families_table_of_the_truth_and_a_univariate_model(capsys):
    out = run_json(capsys, ["evaluate", "--dataset", "synthetic", "--models", "truth,garch", "--split", "valid",
                            "--families"])
    rows = out["rows"]
    assert {r["model"] for r in rows} == {"truth"}  # garch: no joint distribution, left out
    fams = {r["family"]: r for r in rows}
    assert fams["long-only"]["fitted"] and not fams["pairs"]["fitted"] and "min-variance" in fams
    assert all(r["lo"] <= r["var99_rate"] <= r["hi"] for r in rows)  # the true model is in range on every family
