"""Shipped models and outputs (pretrained/sp500-20): complete, readable, reproducible, and loud
when corrupted or built from other data."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from core import pretrained
from core.cli import main
from core.data.embedded import load_sp500_20
from core.errors import CheckpointError
from core.models.base import ForecastSeries, load_model, model_names

DATASET = "sp500-20"
ROOT = pretrained.ROOT


def test_every_registered_model_is_shipped_and_covers_valid_and_test():
    panel = load_sp500_20()
    dates = pretrained.output_dates(panel)
    assert pretrained.available_models(DATASET) == model_names()
    for name in model_names():
        series = pretrained.load_forecasts(DATASET, name)
        assert series.dates.equals(dates), name
        fc = series.at(panel.split_dates("test")[-2])
        assert fc.n_stocks == 20 and np.isfinite(fc.total_var()).all(), name
        metrics = json.loads((pretrained.model_dir(DATASET, name) / "metrics.json").read_text())
        assert set(metrics) == {"valid", "test"}


def test_shipped_files_are_small_and_pickle_free():
    files = [p for p in (ROOT / DATASET).rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 20 * 2**20
    assert {p.suffix for p in files} <= {".safetensors", ".json", ".parquet", ".md"}


def test_manifest_matches_this_data_and_version():
    assert pretrained.check(DATASET) == []


def test_fingerprint_mismatch_names_the_rebuild_command():
    panel = load_sp500_20()
    changed = panel.with_returns(panel.returns * 1.01)
    (message,) = pretrained.manifest_warnings(DATASET, panel=changed)
    assert "other data" in message and "neuralfactors pretrained build --dataset sp500-20" in message


def test_truncated_file_is_a_clear_error(tmp_path, capsys):
    shutil.copytree(ROOT / DATASET, tmp_path / DATASET)
    target = tmp_path / DATASET / "ewma" / "forecasts.safetensors"
    target.write_bytes(target.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="corrupted or truncated"):
        ForecastSeries.load(target.parent)
    assert main(["pretrained", "check", "--dataset", DATASET, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "forecasts.safetensors" in err[0]


def test_corrupted_weights_are_a_clear_error(tmp_path):
    shutil.copytree(ROOT / DATASET / "neuralfactors", tmp_path / "neuralfactors")
    (tmp_path / "neuralfactors" / "weights.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError):
        load_model(tmp_path / "neuralfactors")


def test_evaluate_answers_from_the_shipped_files(capsys):
    code = main(["evaluate", "--dataset", DATASET, "--split", "test", "--models", "neuralfactors", "--json"])
    assert code == 0
    captured = capsys.readouterr()
    assert "shipped metrics" in captured.err
    out = json.loads(captured.out)["models"]["neuralfactors"]
    shipped = json.loads((pretrained.model_dir(DATASET, "neuralfactors") / "metrics.json").read_text())
    assert out == shipped["test"]["models"]["neuralfactors"]


def test_recomputing_from_shipped_forecasts_gives_the_shipped_metrics(capsys):
    code = main(["evaluate", "--dataset", DATASET, "--split", "test", "--models", "ledoit-wolf", "--json",
                 "--recompute"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)["models"]["ledoit-wolf"]
    shipped = json.loads((pretrained.model_dir(DATASET, "ledoit-wolf") / "metrics.json").read_text())
    for metric, value in shipped["test"]["models"]["ledoit-wolf"].items():
        assert out[metric] == (None if value is None else pytest.approx(value, rel=1e-9)), metric


@pytest.mark.slow
def test_recorded_command_reproduces_shipped_metrics(tmp_path):
    """The build command at reduced steps: classical models reproduce the shipped metrics
    (tolerance 1e-4 relative: the shipped forecasts went through one more float32 rounding
    before their int16 storage, which moves daily QP solutions by ~1e-6); NeuralFactors at 10 steps cannot match a full run, so only its
    pipeline (training, weights, forecasts for every output date) is checked here; its metrics
    cost minutes of Monte Carlo and are covered by test_evaluate on small data."""
    pretrained.build(DATASET, tmp_path, models=["ledoit-wolf", "ppca"], device="cpu")
    pretrained.build(DATASET, tmp_path, models=["neuralfactors"], max_steps=10, device="cpu", with_metrics=False)
    for name in ("ledoit-wolf", "ppca"):
        new = json.loads((tmp_path / DATASET / name / "metrics.json").read_text())
        old = json.loads((pretrained.model_dir(DATASET, name) / "metrics.json").read_text())
        for split in ("valid", "test"):
            a, b = new[split]["models"][name], old[split]["models"][name]
            for metric, value in b.items():
                if value is None:
                    assert a[metric] is None, (name, split, metric)
                else:
                    assert a[metric] == pytest.approx(value, rel=1e-4, abs=1e-8), (name, split, metric)
    nf = ForecastSeries.load(tmp_path / DATASET / "neuralfactors")
    assert nf.dates.equals(pretrained.output_dates(load_sp500_20())) and np.isfinite(nf.mean).all()
    # --from-run replaces a model even under --reuse (the way a better training run is shipped)
    manifest = pretrained.build(DATASET, tmp_path, models=["ledoit-wolf"], reuse=True, with_metrics=False,
                                from_runs={"ledoit-wolf": str(pretrained.model_dir(DATASET, "ledoit-wolf"))})
    assert manifest["models"]["ledoit-wolf"]["trained_by"].startswith("`neuralfactors train")
    assert manifest["models"]["neuralfactors"]["trained_by"] == "this build"  # kept by --reuse
    assert load_model(tmp_path / DATASET / "neuralfactors").forecast(load_sp500_20(), "2020-03-16").n_stocks == 20
