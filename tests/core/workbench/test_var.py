"""core.workbench.var: VaR methods in words and the verdict table of a VaR series."""
import numpy as np
import pandas as pd

from core.workbench.var import method_label, verdict_table


def test_var_methods_in_words():
    assert method_label("monte_carlo") == "Monte Carlo draws of the Student-t forecast"
    assert method_label("portfolio GARCH(1,1)-t") == "a GARCH(1,1)-t fitted on the portfolio's own returns"
    assert method_label("something new") == "something new"


def test_verdict_table_has_rows_for_both_levels():
    r = np.random.default_rng(0).normal(0.0, 0.01, 500)
    dates = pd.bdate_range("2020-01-01", periods=500)
    series = pd.DataFrame({"VaR 95%": 0.0165, "VaR 99%": 0.0233, "return": r}, index=dates)
    table = verdict_table(series)
    assert {"verdict"} <= set(table.columns) and len(table) >= 4
    assert table.astype(str).apply(lambda c: c.str.contains("99")).any().any()


def test_recalibrated_method_in_words():
    said = method_label("monte_carlo, recalibrated")
    assert said.startswith("Monte Carlo draws") and "recalibrated" in said and "calibration layer" in said
