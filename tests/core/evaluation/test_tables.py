"""Evaluation table on a small synthetic panel with tiny test-double models; Settings.groups: an evaluation
restricted to some metric groups gives the same numbers for them."""
import json

import numpy as np
import pytest

from core.errors import ModelError
from core.evaluation.tables import METRIC_GROUPS, METRICS, Settings, evaluate_models
from core.workbench.sources import forecast_dates
from core.forecast import FactorForecast, ForecastSeries
from core.models.protocol import R2Model
from tests.doubles import ForecastOnly
from core.models.catalogue import CATALOGUE

WINDOW = 40


def _window(panel, date):
    pos = panel.date_position(date)
    block = panel.returns.iloc[max(0, pos - WINDOW + 1): pos + 1]
    return pos, block.loc[:, block.notna().all()]


class NormalDouble(ForecastOnly):
    """Sample mean and covariance of the trailing 40 days (Normal, joint); never saved."""

    name = "dbl-normal"

    def forecast(self, panel, date):
        pos, block = _window(panel, date)
        fc = FactorForecast.from_covariance(panel.dates[pos], list(block.columns), block.mean(), block.cov(),
                                            model=self.name)
        f = panel.n_tickers  # pad to a fixed number of factors so days with other N stack
        b = np.zeros((fc.n_stocks, f))
        b[:, :fc.n_factors] = fc.exposures
        return FactorForecast(fc.date, fc.tickers, fc.mean, b, np.eye(f), fc.idio_var, model=self.name)


class StudentDouble(NormalDouble, R2Model):
    """The same covariance as a one-factor Student-t forecast with dof 5, plus r2_scores."""

    name = "dbl-t"

    def forecast(self, panel, date):
        pos, block = _window(panel, date)
        n = block.shape[1]
        beta = np.full((n, 1), float(np.sqrt(max(block.mean(axis=1).var(), 1e-8))))
        return FactorForecast(panel.dates[pos], list(block.columns), np.zeros(n), beta, np.eye(1),
                              block.var().to_numpy(), family="student_t", factor_dof=[5.0],
                              idio_dof=np.full(n, 5.0), model=self.name)

    def r2_scores(self, panel, dates):
        return {"r2_total": 0.1, "r2_pred": 0.01}


class UniDouble(NormalDouble):
    """Per-stock variances only (joint=False), like GARCH."""

    name = "dbl-uni"
    joint = False

    def forecast(self, panel, date):
        pos, block = _window(panel, date)
        n = block.shape[1]
        return FactorForecast(panel.dates[pos], list(block.columns), block.mean(), np.zeros((n, 0)), np.zeros((0, 0)),
                              block.var().to_numpy(), joint=False, model=self.name)


FAST = Settings(portfolio_samples=2000, marginal_samples=500, iwae_k=20, calibration_samples=100)


@pytest.fixture(scope="module")
def panel():
    from core.data.synthetic import make_market

    return make_market(n_stocks=10, n_dates=250, n_factors=2, seed=5)[0]


@pytest.fixture(autouse=True)
def doubles(monkeypatch):
    for cls in (NormalDouble, StudentDouble, UniDouble):
        monkeypatch.setitem(CATALOGUE, cls.name, f"{__name__}:{cls.__name__}")


def test_full_table_with_nulls_and_reasons(panel, tmp_path, capsys):
    pytest.importorskip("core.forecast.student_t")
    table = evaluate_models(panel, ["dbl-normal", "dbl-t", "dbl-uni"], "valid", pretrained_root=tmp_path,
                            settings=FAST)
    assert list(table.columns) == METRICS and list(table.index) == ["dbl-normal", "dbl-t", "dbl-uni"]
    norm, t, uni = table.loc["dbl-normal"], table.loc["dbl-t"], table.loc["dbl-uni"]
    assert norm.drop(["r2_total", "r2_pred"]).notna().all()
    zero_mean = ["sharpe_mv_lo", "sharpe_mv_ls", "sharpe_mv_ls_l1"]  # dbl-t forecasts a zero mean
    assert t.drop(zero_mean).notna().all() and t[zero_mean].isna().all() and t["r2_total"] == 0.1
    assert 0 <= norm["var99_rate"] <= 1 and 0 <= norm["kupiec_p99"] <= 1 and norm["cov_mse"] >= 0
    reasons = table.attrs["reasons"]
    assert uni[["nll_joint", "cov_mse", "sharpe_mv_ls"]].isna().all()
    assert uni[["nll_ind", "calib_uni"]].notna().all()
    # this short panel has too little history for the portfolio GARCH (issue 14): null with that reason
    assert "portfolio GARCH needs" in reasons["dbl-uni"]["var99_rate"]
    assert "joint" in reasons["dbl-uni"]["nll_joint"] and "R2Model" in reasons["dbl-normal"]["r2_total"]
    assert set(reasons["dbl-t"]) == {"sharpe_mv_lo", "sharpe_mv_ls", "sharpe_mv_ls_l1"}  # zero forecast mean
    assert table.attrs["nll_scale"] > 0
    err = capsys.readouterr().err
    assert err.count("fitting it now") == 3


def test_nll_is_on_the_training_scale(panel, tmp_path):
    from core.data.features import FeatureScaler
    from core.forecast import restrict
    from core.forecast import Normal

    table = evaluate_models(panel, ["dbl-normal"], "test", pretrained_root=tmp_path, settings=FAST)
    scale = FeatureScaler.fit(panel, panel.split_dates("train")).return_scale
    model = NormalDouble()
    raw = []
    for d in forecast_dates(panel, "test"):
        fc = model.forecast(panel, d)
        r = panel.returns.iloc[panel.date_position(d) + 1][fc.tickers]
        fc, r = restrict(fc, list(r.index[r.notna()])), r.dropna().to_numpy()  # absent at t+1: masked
        raw.append(-Normal().log_likelihood(fc, r, 0, 0) / fc.n_stocks)
    assert table.loc["dbl-normal", "nll_joint"] == pytest.approx(np.mean(raw) - np.log(scale), rel=1e-9)


def test_pretrained_outputs_are_used_and_learned_models_are_never_trained(panel, tmp_path, capsys):
    dates = forecast_dates(panel, "valid")
    series = NormalDouble().forecast_series(panel, dates)
    series.save(tmp_path / panel.name / "dbl-normal", {"fingerprint": panel.fingerprint()})
    table = evaluate_models(panel, ["dbl-normal"], "valid", pretrained_root=tmp_path, settings=FAST)
    assert "fitting" not in capsys.readouterr().err
    assert np.isfinite(table.loc["dbl-normal", "nll_joint"])
    with pytest.raises(ModelError, match="neuralfactors train --model neuralfactors"):
        evaluate_models(panel, ["neuralfactors"], "valid", pretrained_root=tmp_path, settings=FAST)
    short = ForecastSeries.stack([series.at(d) for d in dates[:5]], panel.tickers)
    short.save(tmp_path / panel.name / "dbl-uni", {"fingerprint": panel.fingerprint()})
    from core.errors import CheckpointError

    with pytest.raises(CheckpointError, match="pretrained build"):
        evaluate_models(panel, ["dbl-uni"], "valid", pretrained_root=tmp_path, settings=FAST)


def test_shipped_forecasts_of_other_data_are_not_used(panel, tmp_path, capsys):
    dates = forecast_dates(panel, "valid")
    NormalDouble().forecast_series(panel, dates).save(tmp_path / panel.name / "dbl-normal", {"fingerprint": "other"})
    evaluate_models(panel, ["dbl-normal"], "valid", pretrained_root=tmp_path, settings=FAST)
    assert "fitting it now" in capsys.readouterr().err


def test_command_json_and_files(panel, tmp_path, monkeypatch, capsys):
    import core.data

    from core.cli import main

    monkeypatch.setattr(core.data, "load_panel", lambda dataset=None, path=None, date_format=None: panel)
    monkeypatch.setattr("core.evaluation.tables.Settings", lambda: FAST)
    assert main(["evaluate", "--dataset", "synthetic", "--models", "dbl-uni", "--split", "test", "--json",
                 "--out", str(tmp_path / "out"), "--pretrained", str(tmp_path / "pre")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["models"]["dbl-uni"]["nll_joint"] is None and out["models"]["dbl-uni"]["nll_ind"] is not None
    assert "joint" in out["reasons"]["dbl-uni"]["nll_joint"]
    assert (tmp_path / "out" / "evaluate_test.csv").exists()
    md = (tmp_path / "out" / "evaluate_test.md").read_text()
    assert "| dbl-uni |" in md and "n/a" in md


def test_univariate_model_gets_portfolio_var_from_the_portfolio_garch(panel, tmp_path, monkeypatch):
    """Issue 14: evaluate gave GARCH no portfolio figures; now var95/99 rate, Kupiec, Christoffersen and
    calib_port come from the portfolio GARCH(1,1)-t on the equal-weight portfolio's own history."""
    from core.forecast import portfolio_garch

    monkeypatch.setattr(portfolio_garch, "MIN_OBS", 30)  # the crafted panel is short
    table = evaluate_models(panel, ["dbl-uni"], "test", pretrained_root=tmp_path, settings=FAST)
    uni = table.loc["dbl-uni"]
    assert uni[["calib_port", "var95_rate", "var99_rate", "kupiec_p95", "kupiec_p99", "christoffersen_p99"]].notna().all()
    assert 0 <= uni["var95_rate"] <= 1 and uni[["nll_joint", "cov_mse", "sharpe_mv_lo"]].isna().all()


def test_models_in_two_processes_give_the_same_table(panel, tmp_path, capsys):
    """workers=2 (spawned processes, models from the catalogue) prints each model's notes once, in
    order, and gives the one-process table exactly."""
    names = ["ewma", "ledoit-wolf", "sample"]
    one = evaluate_models(panel, names, "valid", pretrained_root=tmp_path, settings=FAST)
    err_one = capsys.readouterr().err
    two = evaluate_models(panel, names, "valid", pretrained_root=tmp_path, settings=FAST, workers=2)
    err_two = capsys.readouterr().err
    assert list(two.index) == names
    assert two.equals(one) and two.attrs["reasons"] == one.attrs["reasons"]
    assert "in 2 processes" in err_two and err_two.split("\n", 1)[1] == err_one


def test_iwae_k_option_reaches_the_settings(panel, monkeypatch, capsys):
    import core.data
    import core.evaluation.tables

    from core.cli import main

    seen = {}
    monkeypatch.setattr(core.data, "load_panel", lambda dataset=None, path=None, date_format=None: panel)
    monkeypatch.setattr(core.evaluation.tables, "evaluate_models",
                        lambda *a, **kw: seen.update(kw) or (_ for _ in ()).throw(ModelError("stop here")))
    assert main(["evaluate", "--dataset", "synthetic", "--models", "ewma", "--iwae-k", "1000"]) != 0
    assert seen["settings"].iwae_k == 1000 and seen["settings"].portfolio_samples == Settings().portfolio_samples
    assert main(["evaluate", "--dataset", "synthetic", "--models", "ewma", "--iwae-k", "0"]) != 0
    assert "--iwae-k 0" in capsys.readouterr().err


SMALL = dict(portfolio_samples=500, marginal_samples=200, iwae_k=10, calibration_samples=50)


def test_groups_cover_every_metric_once():
    names = [m for group in METRIC_GROUPS.values() for m in group]
    assert sorted(names) == sorted(METRICS) and len(names) == len(set(names))


def test_restricted_groups_match_the_full_table(panel, tmp_path):
    full = evaluate_models(panel, ["ledoit-wolf"], "valid", pretrained_root=tmp_path, settings=Settings(**SMALL))
    part = evaluate_models(panel, ["ledoit-wolf"], "valid", pretrained_root=tmp_path,
                           settings=Settings(**SMALL, groups=("joint", "covariance", "portfolio")))
    kept = METRIC_GROUPS["joint"] + METRIC_GROUPS["covariance"] + METRIC_GROUPS["portfolio"]
    assert part.loc["ledoit-wolf", kept].equals(full.loc["ledoit-wolf", kept])
    assert full.loc["ledoit-wolf", kept].notna().all()
    dropped = [m for m in METRICS if m not in kept]
    assert part.loc["ledoit-wolf", dropped].isna().all()
    why = part.attrs["reasons"]["ledoit-wolf"]
    assert why["nll_ind"] == "not computed (metric group 'marginal' not requested)"
    assert all("not computed" in why[m] for m in dropped) and not set(why) & set(kept)


def test_unknown_group_is_refused():
    with pytest.raises(ModelError, match="unknown metric group"):
        Settings(groups=("joint", "sharpes"))


PORT = Settings(**SMALL, groups=("joint", "portfolio"))  # what the dashboard's before / after table computes


def test_given_forecasts_are_scored_as_the_ones_it_would_make(panel, tmp_path, capsys):
    """Forecasts handed in (made on every view date, as the dashboard caches them) give the row evaluate_models makes
    itself on the split's dates, and are not forecast again (no source note printed for them)."""
    from core.workbench.sources import forecasts

    names = ["ledoit-wolf", "dbl-t"]
    made = evaluate_models(panel, names, "valid", pretrained_root=tmp_path, settings=PORT)
    capsys.readouterr()
    given = {"dbl-t": forecasts(panel, "dbl-t", root=tmp_path)}
    capsys.readouterr()
    table = evaluate_models(panel, names, "valid", pretrained_root=tmp_path, settings=PORT, given=given)
    assert table.equals(made) and table.attrs["reasons"] == made.attrs["reasons"] and list(table.index) == names
    assert "dbl-t" not in capsys.readouterr().err
    with pytest.raises(ModelError, match="not among"):
        evaluate_models(panel, ["ledoit-wolf"], "valid", pretrained_root=tmp_path, settings=PORT, given=given)
