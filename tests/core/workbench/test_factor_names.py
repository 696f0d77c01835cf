"""core.workbench.factor_names: factors named by their correlation with the market, sectors and style ETFs."""
import numpy as np
import pandas as pd

import pytest

from core.workbench.factor_names import (MIN_CORR, baskets_on, correlations, factor_names, in_reference_units,
                                         name_factors, references, suggest)


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
        assert name.endswith("(unnamed)") and not np.isfinite(rho) or name in refs and rho >= MIN_CORR
    assert out["suggested name"].is_unique and out["label"].is_unique


def test_sign_unnamed_and_equal_weighted_market_without_benchmark():
    from core.data.synthetic import make_market

    panel, truth = make_market(n_stocks=30, n_dates=300, n_factors=2, seed=3)
    rng = np.random.default_rng(0)
    z = pd.DataFrame({"f1": -truth.factor_returns[:, 0], "f2": rng.standard_normal(300)}, index=panel.dates)
    from dataclasses import replace

    out = name_factors(replace(panel, benchmark=None), z)
    assert "market (equal-weighted mean)" in out.columns
    assert out.loc["f1", "suggested name"] == "market (equal-weighted mean)"  # no minus: the sign is fixed
    assert out.loc["f1", "sign"] == -1 and out.loc["f1", "correlation"] > 0.5 and out.loc["f1", "scale"] < 0
    assert out.loc["f2", "suggested name"] == "f2 (unnamed)"


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


def test_names_are_unique_a_second_market_takes_its_best_other_match_and_sectors_keep_their_sector():
    corr = pd.DataFrame({"market": [0.9, -0.8, 0.7, 0.1], "Energy": [0.5, 0.2, 0.75, 0.9],
                         "value (VLUE)": [0.1, 0.45, 0.0, 0.0]},
                        index=["f1", "f2", "f3", "sector: Energy"])
    out = suggest(corr)
    assert out.loc["sector: Energy", "suggested name"] == "Energy"  # by its sector only, first
    assert out.loc["f1", "suggested name"] == "market"
    assert out.loc["f2", "suggested name"] == "value (VLUE)"  # market is taken
    assert out.loc["f3", "suggested name"] == "f3 (unnamed)"  # market and Energy taken, nothing else >= 0.3
    assert out["suggested name"].is_unique


def test_exposures_in_reference_units_give_the_reference_a_beta_of_one():
    """A long-only portfolio's exposure to a factor that moves AGAINST the market reads as a positive market beta."""
    from core.data.synthetic import make_market

    panel, truth = make_market(n_stocks=30, n_dates=300, n_factors=2, seed=3)
    from dataclasses import replace

    panel = replace(panel, benchmark=None)
    z = pd.DataFrame(-truth.factor_returns, index=panel.dates, columns=["f1", "f2"])
    out = name_factors(panel, z)
    market = references(panel)["market (equal-weighted mean)"]
    slope = market.cov(z["f1"]) / z["f1"][market.notna()].var()
    beta = in_reference_units(pd.Series({"f1": slope, "f2": 0.0}), out)
    assert beta[out.loc["f1", "label"]] == pytest.approx(1.0)  # the reference's own exposure is beta 1
    frame = in_reference_units(pd.DataFrame({"f1": [slope]}), out)
    assert list(frame.columns) == [out.loc["f1", "label"]] and frame.iloc[0, 0] == pytest.approx(1.0)


def _market_beta_of_equal_weight(panel, model):
    from core import workbench as wb
    from core.workbench.portfolios import named_portfolio

    fc = wb.forecasts(panel, model)
    named = factor_names(panel, fc)
    assert named["suggested name"].is_unique and named["label"].is_unique
    assert all(n.split(": ")[0] != "sector" for n in named["suggested name"])  # sector factors: the sector only
    market = named.index[named["suggested name"].str.startswith("market")]
    assert len(market) == 1
    betas = []
    for date in (fc.series.dates[0], fc.series.dates[len(fc.series.dates) // 2], fc.series.dates[-1]):
        f = fc.series.at(date)
        w = named_portfolio(panel, f, "equal weight")
        y = pd.Series(w.to_numpy() @ f.exposures, index=f.factor_names)
        beta = in_reference_units(y, named, baskets_on(panel, f, named))[named.loc[market[0], "label"]]
        fixed = in_reference_units(y, named)[named.loc[market[0], "label"]]  # the validation window's slope
        assert np.sign(beta) == np.sign(fixed)  # the same sign either way: long the market
        betas.append(beta)
    return betas


def test_equal_weight_market_beta_near_one_on_sp500():
    """Against the S&P 500 benchmark: the 20 stocks' equal-weighted historical beta to it, on every date (the model's
    exposures swell in a volatile regime; the basket's swell with them)."""
    from core.data.embedded import load_dataset

    betas = _market_beta_of_equal_weight(load_dataset("sp500-20"), "neuralfactors")
    assert all(0.5 <= beta <= 1.5 for beta in betas) and np.ptp(betas) < 1e-9


@pytest.mark.slow
def test_equal_weight_market_beta_near_one_on_the_500_stock_vendor_file(tmp_path):
    from benchmarks.userfiles import write_vendor_csv

    from core.data.files import load_file

    panel = load_file(write_vendor_csv(tmp_path / "prices.csv").path)
    for beta in _market_beta_of_equal_weight(panel, "neuralfactors"):  # the shipped network, zero-shot
        assert 0.5 <= beta <= 1.5


def test_bounds_in_model_units_swap_under_a_negative_scale():
    from core.workbench.factor_names import bounds_in_model_units

    named = pd.DataFrame({"scale": [-100.0, 50.0], "label": ["a", "b"]}, index=["f1", "f2"])
    assert bounds_in_model_units([("f1", 0.8, 1.2), ("f2", -1.0, 1.0)], named) == (
        ("f1", -0.012, -0.008), ("f2", -0.02, 0.02))
    assert bounds_in_model_units([("f1", 0.8, 1.2)], None) == (("f1", 0.8, 1.2),)
    basket = pd.Series({"f1": -0.01, "f2": 0.0})  # the market basket's exposure on the date; none for f2
    lo, hi = bounds_in_model_units([("f1", 0.5, 1.0), ("f2", 0.0, 1.0)], named, basket)
    assert lo == ("f1", -0.01, -0.005) and hi == ("f2", 0.0, 0.02)


def _pairwise_loop(returns, refs, min_obs=20):
    """The reference: each pair's Pearson correlation on its common dates, NaN below min_obs or without variance."""
    z = returns.reindex(refs.index)
    out = pd.DataFrame(np.nan, index=returns.columns, columns=refs.columns)
    for f in z.columns:
        for r in refs.columns:
            ok = z[f].notna() & refs[r].notna()
            if ok.sum() >= min_obs and z.loc[ok, f].std() > 1e-12 and refs.loc[ok, r].std() > 1e-12:
                out.loc[f, r] = float(np.corrcoef(z.loc[ok, f], refs.loc[ok, r])[0, 1])
    return out


def test_correlations_of_every_pair_at_once_match_each_pair_on_its_common_dates():
    rng = np.random.default_rng(1)
    dates = pd.bdate_range("2020-01-01", periods=300)
    z = pd.DataFrame(rng.normal(0.001, 0.01, (300, 5)), index=dates, columns=list("abcde"))
    refs = pd.DataFrame(rng.normal(0.002, 0.02, (300, 4)), index=dates, columns=list("wxyz"))
    refs += 0.5 * z.iloc[:, :4].to_numpy()
    z.iloc[:290, 1] = np.nan  # 10 common dates: too few
    z.iloc[::3, 2] = np.nan
    z.iloc[50:, 3] = np.nan
    refs.iloc[:100, 0] = np.nan  # a style ETF that starts later
    refs["y"] = 0.003  # no variance: no correlation (the pairwise loop read rounding noise there)
    got, want = correlations(z, refs), _pairwise_loop(z, refs)
    pd.testing.assert_frame_equal(got, want, rtol=1e-9, atol=1e-12)
    assert got["y"].isna().all() and got.loc["b"].isna().all() and np.isfinite(got.loc["a", "w"])
