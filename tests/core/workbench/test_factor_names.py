"""core.workbench.factor_names: factors named by their correlation with the market, sectors and style ETFs."""
import numpy as np
import pandas as pd

from core.workbench.factor_names import MIN_CORR, correlations, factor_names, name_factors, references, suggest


def test_synthetic_truth_market_factor_named_market():
    from core.data.synthetic import default_synthetic

    panel, truth = default_synthetic()
    dates = panel.split_dates("valid")
    z = pd.DataFrame(truth.factor_returns, index=panel.dates, columns=["f1", "f2", "f3", "f4"]).reindex(dates)
    out = name_factors(panel, z)
    assert out.loc["f1", "suggested name"] == "market"  # factor 1 acts as the market by construction
    assert out.loc["f1", "market"] > 0.9
    assert out["n_dates"].iloc[0] == len(dates)
    refs = set(references(panel, dates).columns)
    for name, rho in zip(out["suggested name"], out["correlation"]):
        assert name == "unnamed" and abs(rho) < MIN_CORR or name.lstrip("-") in refs and abs(rho) >= MIN_CORR


def test_sign_unnamed_and_equal_weighted_market_without_benchmark():
    from core.data.synthetic import make_market

    panel, truth = make_market(n_stocks=30, n_dates=300, n_factors=2, seed=3)
    rng = np.random.default_rng(0)
    z = pd.DataFrame({"f1": -truth.factor_returns[:, 0], "f2": rng.standard_normal(300)}, index=panel.dates)
    from dataclasses import replace

    out = name_factors(replace(panel, benchmark=None), z)
    assert "market (equal-weighted mean)" in out.columns
    assert out.loc["f1", "suggested name"].startswith("-")  # moves against its best match
    assert out.loc["f1", "correlation"] < -0.5
    assert out.loc["f2", "suggested name"] == "unnamed"


def test_style_etfs_only_where_they_exist():
    idx = pd.bdate_range("2013-01-01", periods=200)
    rng = np.random.default_rng(1)
    etf = pd.Series(rng.standard_normal(200), index=idx)
    etf.iloc[:100] = np.nan  # the ETF starts half way
    refs = pd.DataFrame({"value (VLUE)": etf})
    z = pd.DataFrame({"f1": etf.fillna(0.0) * 2 + 0.1 * rng.standard_normal(200)}, index=idx)
    c = correlations(z, refs)
    assert c.loc["f1", "value (VLUE)"] > 0.99  # the zero-filled early half is not used
    assert suggest(c).loc["f1", "suggested name"] == "value (VLUE)"


def test_sp500_neuralfactors_has_a_market_factor():
    from core import workbench as wb
    from core.data.embedded import load_dataset

    panel = load_dataset("sp500-20")
    fc = wb.forecasts(panel, "neuralfactors")
    out = factor_names(panel, fc)  # the shipped factor returns of the shipped forecasts
    assert out["window"].iloc[0].startswith("validation")
    assert out["market"].abs().max() > 0.7
    assert {"momentum (MTUM)", "quality (QUAL)", "size (SIZE)", "low volatility (USMV)", "value (VLUE)"} <= set(out)
    assert out[[c for c in out if "(" in c and c != "market (equal-weighted mean)"]].notna().all().all()
