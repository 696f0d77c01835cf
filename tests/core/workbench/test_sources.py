"""Where forecasts come from (core.workbench.sources): one path, one fingerprint check."""
from __future__ import annotations

import numpy as np
import pytest

from core.data.embedded import load_dataset
from core.data.files import load_file
from core.errors import ModelError
from core.workbench import TRUTH, available, forecasts, view_dates
from tests.panels import with_returns
from benchmarks.userfiles import write_vendor_csv


@pytest.fixture(scope="module")
def vendor(tmp_path_factory):
    """A 60-stock, one-year vendor file: no benchmark, a volume column, sectors the model never saw."""
    path = tmp_path_factory.mktemp("vendor") / "vendor.csv"
    write_vendor_csv(path, n_stocks=60, n_dates=252)
    return load_file(path)


def test_shipped_outputs_answer_for_their_own_data():
    panel = load_dataset("sp500-20")
    fc = forecasts(panel, "ppca")
    assert fc.source == "shipped" and fc.series.dates.equals(fc.series.dates.union(view_dates(panel)))


def test_shipped_outputs_of_other_data_are_not_used(capsys):
    panel = load_dataset("sp500-20")
    changed = with_returns(panel, panel.returns * 1.01)
    fc = forecasts(changed, "ledoit-wolf", view_dates(changed)[-5:])
    assert fc.source == "saved" and "built from other data" in capsys.readouterr().err


def test_new_universe_is_scored_zero_shot_and_the_adaptations_are_said(vendor, capsys):
    fc = forecasts(vendor, "neuralfactors", view_dates(vendor)[-5:])
    err = capsys.readouterr().err
    assert fc.source == "zero-shot" and "no training" in fc.note
    assert "['logvol'] are ignored" in err and "equal-weighted mean return of this universe" in err
    assert "unknown-sector embedding" in err
    last = fc.series.at(fc.series.dates[-1])
    assert last.n_stocks > 50 and np.isfinite(last.total_var()).all()


def test_classical_models_fit_now_and_learned_ones_name_the_training_command(vendor, capsys):
    assert forecasts(vendor, "ledoit-wolf", view_dates(vendor)[-3:]).source == "fitted"
    with pytest.raises(ModelError, match="neuralfactors train --model ca1 --data FILE .* --run ca1=RUN_DIR"):
        forecasts(vendor, "ca1")


def test_available_models_put_the_truth_and_zero_shot_first(vendor):
    assert available(load_dataset("synthetic"))[:2] == [TRUTH, "neuralfactors"]
    names = available(vendor)
    assert names[0] == "neuralfactors" and {"ppca", "ledoit-wolf", "sample", "ewma", "pca"} <= set(names)
    assert "ca1" not in names


def test_calibrated_variant_has_the_raw_forecasts_and_past_only_maps():
    """"ledoit-wolf+cal" (maps only, by the layer rule): the raw model's means and covariances, with maps fitted on
    validation PITs by the test split; "ppca+cal" (the covariance update too) keeps the raw means only."""
    from core.forecast.recalibrated import PIT_KNOTS
    from core.workbench.sources import forecast_dates

    panel = load_dataset("sp500-20")
    dates = forecast_dates(panel, "test")[:3]
    raw, cal = forecasts(panel, "ledoit-wolf", dates), forecasts(panel, "ledoit-wolf+cal", dates)
    assert cal.name == "ledoit-wolf+cal" and "calibration layer" in cal.note
    raw_at = raw.series.select(dates)  # shipped outputs come whole
    assert np.array_equal(cal.series.mean, raw_at.mean, equal_nan=True)
    assert np.array_equal(cal.series.factor_cov, raw_at.factor_cov)
    assert cal.series.pit_map.shape == (3, 2, PIT_KNOTS.size)
    assert np.abs(cal.series.pit_map - PIT_KNOTS).max() > 0.01  # its test-time maps are not the identity
    ppca = forecasts(panel, "ppca+cal", dates).series
    assert np.array_equal(ppca.mean, forecasts(panel, "ppca", dates).series.select(dates).mean, equal_nan=True)
    assert not np.array_equal(ppca.factor_cov, forecasts(panel, "ppca", dates).series.select(dates).factor_cov)
    names = available(panel)
    assert names.index("ppca+cal") == names.index("ppca") - 1  # shipped maps: the calibrated variant first
    assert names[0] == "neuralfactors+cal"


def test_a_base_on_fewer_dates_than_the_layer_reads_is_refused():
    """`calibrated` lays the layer on base forecasts a caller holds: a base cut to the test split (no validation
    outcomes for the layer's maps) is refused, not fitted on another history; the whole base is laid on."""
    from dataclasses import replace

    from core.workbench.keys import parse_model
    from core.workbench.sources import calibrated, forecast_dates

    panel = load_dataset("sp500-20")
    base = forecasts(panel, "ledoit-wolf")
    key = parse_model("ledoit-wolf+cal")
    short = replace(base, series=base.series.select(forecast_dates(panel, "test")))
    with pytest.raises(ModelError, match="lack .* dates the calibration layer"):
        calibrated(panel, key, short)
    assert calibrated(panel, key, base).series.dates.equals(view_dates(panel))


def test_the_note_says_what_the_layer_changed_on_the_dates_shown():
    from core.workbench.sources import forecast_dates

    panel = load_dataset("sp500-20")
    early, late = forecast_dates(panel, "valid")[20:21], forecast_dates(panel, "test")[300:301]
    assert "not fitted yet" in forecasts(panel, "ledoit-wolf+cal", early).note  # maps need 21 days of outcomes
    assert "not fitted yet" in forecasts(panel, "neuralfactors+cal", early).note
    note = forecasts(panel, "neuralfactors+cal", late).note
    assert "covariance updated and portfolio quantiles recalibrated" in note
    assert "covariance" not in forecasts(panel, "ledoit-wolf+cal", late).note  # its layer is the maps only


def test_shipped_calibration_layers_are_the_ones_sources_would_fit():
    """pretrained/sp500-20/<model>/calibration.safetensors reproduces the layer fitted on the shipped forecasts:
    Ledoit-Wolf's PIT maps (maps only), and the covariance updates of PPCA and NeuralFactors (NeuralFactors' PIT maps
    take Student-t draws: checked by build)."""
    from core import store
    from core.risk.covariance_update import fit_corrections
    from core.risk.recalibration import Layer, recalibrate
    from core.workbench.sources import forecast_dates, half_life_of

    panel = load_dataset("sp500-20")
    start = forecast_dates(panel, "valid")[0]
    series = store.load_forecasts("sp500-20", "ledoit-wolf")
    fitted = recalibrate(panel, series, start).pit_map
    shipped = store.load_calibration("sp500-20", "ledoit-wolf")
    assert set(shipped) == {"pit_map", "settings"} and np.abs(shipped["pit_map"] - fitted).max() < 1e-6
    ppca = store.load_calibration("sp500-20", "ppca")
    factor, ratio = fit_corrections(panel, store.load_forecasts("sp500-20", "ppca"), start, half_life_of("ppca"))
    assert np.abs(ppca["factor"] - factor).max() < 1e-5 and np.abs(ppca["ratio"] - ratio).max() < 1e-5
    nf = store.load_calibration("sp500-20", "neuralfactors")
    factor, ratio = fit_corrections(panel, store.load_forecasts("sp500-20", "neuralfactors"), start,
                                    half_life_of("neuralfactors"))
    assert np.abs(nf["factor"] - factor).max() < 1e-5 and np.abs(nf["ratio"] - ratio).max() < 1e-5
    assert np.abs(factor[-1] - np.eye(factor.shape[1])).max() > 0.05  # the update moves NF's test forecasts
    assert Layer(**nf).fits(store.load_forecasts("sp500-20", "neuralfactors"), half_life_of("neuralfactors"))


def test_a_run_is_offered_through_the_calibration_layer_first(vendor, tmp_path, monkeypatch):
    """A finished run of a calibratable model (e.g. an adapted NeuralFactors) is served as "run:<id>+cal", the raw
    run after it; its recorded notes (a fine-tune's kept step) come with its forecasts."""
    from core.io import read_json, write_json
    from core.models.registry import create_model
    from core.workbench.sources import model_keys

    monkeypatch.setenv("NEURALFACTORS_HOME", str(tmp_path))
    model = create_model("ledoit-wolf").fit(vendor, vendor.split_dates("train"), vendor.split_dates("valid"))
    model.save(tmp_path / "runs" / "r1")
    meta = read_json(tmp_path / "runs" / "r1" / "config.json")
    meta["state"]["fingerprint"] = vendor.fingerprint()  # as a run trained on this file records it
    write_json(tmp_path / "runs" / "r1" / "config.json", meta)
    from core import runs

    keys = model_keys(vendor, runs.list_runs(vendor.fingerprint()))
    assert keys[-2:] == ["run:r1+cal", "run:r1"]
    assert forecasts(vendor, "run:r1+cal", vendor.split_dates("valid")[:3]).source == "run"


def test_model_keys_hash_the_data_once(monkeypatch):
    """Panel.fingerprint hashes every return: model_keys computes it once (or takes it), not once per model."""
    from core.data.panel import Panel
    from core.workbench.sources import model_keys

    panel = load_dataset("sp500-20")
    want = model_keys(panel)
    calls = []
    real = Panel.fingerprint
    monkeypatch.setattr(Panel, "fingerprint", lambda self: calls.append(1) or real(self))
    assert model_keys(panel) == want and len(calls) == 1
    assert model_keys(panel, fingerprint=real(panel)) == want and len(calls) == 1
    assert want[0] == "neuralfactors+cal"
