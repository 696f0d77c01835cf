"""Fine-tuning NeuralFactors on another universe (`train --init`), the time budget, and `train`'s defaults."""
import math
import re
import time
from dataclasses import replace

import numpy as np
import pytest
import torch

from core.cli import main
from core.data.synthetic import make_market
from core.errors import ModelError
from core.models.neuralfactors.config import PRESETS
from core.io import read_json
from core.models.neuralfactors.finetune import FINETUNE, NOT_ADAPTED, expand_state
from core.models.neuralfactors.model import NeuralFactorsModel
from core.models.neuralfactors.sectors import match_sectors, rename_sectors
from core.models.registry import load_model
from core.models.training_run import RunSettings, build_model
from benchmarks.userfiles import write_vendor_csv

START_SECTORS = ["Information Technology", "Energy", "Health Care"]


def _with_sectors(panel, names):
    sectors = [names[i % len(names)] for i in range(panel.n_tickers)]
    return replace(panel, meta=panel.meta.assign(sector=sectors))


@pytest.fixture(scope="module")
def start(tmp_path_factory):
    """A tiny trained network with sector factors, on three GICS sectors (the 'shipped' one of these tests)."""
    panel = _with_sectors(make_market(n_stocks=9, n_dates=260, n_factors=2, n_characteristics=0, seed=7)[0], START_SECTORS)
    model = NeuralFactorsModel(preset="tiny", device="cpu", steps=10, valid_every=5, sector_factors=True).fit(
        panel, panel.split_dates("train"), panel.split_dates("valid"))
    path = tmp_path_factory.mktemp("start")
    model.save(path)
    return path, model


@pytest.fixture(scope="module")
def other():
    """Another universe: one sector spelled differently, one the start network never saw, some unknown."""
    panel = make_market(n_stocks=12, n_dates=260, n_factors=2, seed=8)[0]
    return _with_sectors(panel, ["Technology", "Energy", "Crypto Mining", "Unknown"])


def test_common_spellings_map_to_training_sectors():
    known = ["Consumer Discretionary", "Consumer Staples", "Financials", "Health Care", "Information Technology",
             "Materials", "Communication Services"]
    aliases, new = match_sectors(["Technology", "Healthcare", "Financial Services", "Consumer Cyclical",
                                  "Consumer Defensive", "Basic Materials", "Telecommunication Services",
                                  "health care", "Financials", "Unknown", "Real Estate", "Crypto"], known)
    assert aliases == {"Technology": "Information Technology", "Healthcare": "Health Care",
                       "Financial Services": "Financials", "Consumer Cyclical": "Consumer Discretionary",
                       "Consumer Defensive": "Consumer Staples", "Basic Materials": "Materials",
                       "Telecommunication Services": "Communication Services", "health care": "Health Care"}
    assert new == ["Crypto", "Real Estate"]  # Real Estate is GICS, but not a sector this network was trained on


def test_rename_sectors_keeps_the_data(other):
    renamed = rename_sectors(other, {"Technology": "Information Technology"})
    assert "Technology" not in set(renamed.sectors) and (renamed.sectors == "Information Technology").sum() == 3
    assert renamed.fingerprint() == other.fingerprint()


def test_unseen_sectors_start_from_the_unknown_sector(start):
    _, model = start
    cfg, n_old = model.config, len(model.scaler.sectors)
    state = expand_state(model.net.state_dict(), cfg, n_old, n_old + 2)
    emb = state["embedder.sector.weight"]
    assert emb.shape[0] == n_old + 3
    old_emb = model.net.state_dict()["embedder.sector.weight"]
    torch.testing.assert_close(emb[:n_old], old_emb[:n_old])
    for row in (n_old, n_old + 1, n_old + 2):  # the two new sectors and the unknown sector
        torch.testing.assert_close(emb[row], old_emb[n_old])
    old_scale = model.net.state_dict()["prior_scale_raw"]
    assert state["prior_scale_raw"].shape[0] == cfg.n_factors + n_old + 2
    torch.testing.assert_close(state["prior_scale_raw"][-2:], old_scale[cfg.n_factors:].mean().expand(2))

    # a stock of a new sector gets what the start network gives an unknown-sector stock, plus a loading on
    # its own new factor (the shared sector head), where the unknown sector loads on none
    from core.models.neuralfactors.network import NeuralFactorsNet

    net = NeuralFactorsNet(cfg, model._n_channels(), n_old + 2).eval()
    net.load_state_dict(state)
    x = torch.randn(1, cfg.lookback, model._n_channels())
    with torch.no_grad():
        a0, b0, s0, v0 = model.net.cpu()(x, torch.tensor([n_old]))
        a1, b1, s1, v1 = net(x, torch.tensor([n_old + 1]))
    torch.testing.assert_close((a1, s1, v1), (a0, s0, v0))
    torch.testing.assert_close(b1[:, :cfg.n_factors + n_old], b0)
    assert b1[0, cfg.n_factors + n_old] == 0 and b1[0, cfg.n_factors + n_old + 1] != 0


def test_fine_tune_on_other_sectors_saves_a_loadable_run(start, other, tmp_path):
    path, base = start
    m = NeuralFactorsModel(init=path, device="cpu", max_steps=4, valid_every=2, days_per_step=2, valid_days=10)
    assert m.config.lr == FINETUNE["lr"] and m.config.hidden == base.config.hidden
    m.fit(other, other.split_dates("train"), other.split_dates("valid"))
    assert m.result.step == 4 and np.isfinite(m.result.best_valid)
    assert m.scaler.sectors == sorted(START_SECTORS) + ["Crypto Mining"]
    assert m.sector_aliases == {"Technology": "Information Technology"}
    assert any("Technology -> Information Technology" in n for n in m.notes)
    assert any("Crypto Mining" in n and "unknown sector" in n for n in m.notes)
    fc = m.forecast_series(other, other.split_dates("valid")[:3])
    assert fc.factor_names[-1] == "sector: Crypto Mining"
    tech = [t for t, s in other.sectors.items() if s == "Technology"]
    col = fc.factor_names.index("sector: Information Technology")
    assert np.all(fc.exposures[:, [fc.tickers.index(t) for t in tech], col] != 0)  # the alias loads its sector
    m.save(tmp_path / "run")
    again = load_model(tmp_path / "run")
    np.testing.assert_allclose(again.forecast_series(other, other.split_dates("valid")[:3]).exposures, fc.exposures)


def _valid_calib(model, panel) -> float:
    """calib_port of `model`'s forecasts on the panel's validation split, as `evaluate` computes it."""
    from core.risk.calibration import portfolio_calibration
    from core.workbench.sources import forecast_dates

    dates = forecast_dates(panel, "valid")
    return portfolio_calibration(model.forecast_series(panel, dates), panel.returns, dates)


def test_the_kept_fine_tune_is_no_worse_calibrated_than_zero_shot(start, other, tmp_path, monkeypatch, capsys):
    """The selection rule (core.models.neuralfactors.finetune) on a small synthetic panel: the kept step beats
    zero-shot's validation nll_joint with a calib_port no worse, both as recorded and as the saved run serves it."""
    path, _ = start
    m = NeuralFactorsModel(init=path, device="cpu", max_steps=12, valid_every=2, days_per_step=2).fit(
        other, other.split_dates("train"), other.split_dates("valid"))
    sel = m.result.selection
    zero = _valid_calib(load_model(path), other)  # the shipped-like network scoring `other` zero-shot
    assert sel["reference"]["calib_port"] == zero and sel["reference"]["step"] == 0
    assert sel["kept"] and sel["step"] > 0 and m.result.best_step == sel["step"]
    assert sel["valid"] < sel["reference"]["valid"] and sel["calib_port"] <= zero
    kept = next(h for h in m.result.history if h["step"] == sel["step"])
    assert kept["qualified"] and kept["valid"] == sel["valid"] == m.result.best_valid
    monkeypatch.setenv("NEURALFACTORS_HOME", str(tmp_path))
    m.save(tmp_path / "runs" / "ft")
    saved = load_model(tmp_path / "runs" / "ft")
    assert _valid_calib(saved, other) == sel["calib_port"]  # what was scored is what the run serves
    assert f"kept step {sel['step']}" in m.notes[-1] and "zero-shot (step 0)" in m.notes[-1]
    assert saved.notes == m.notes[-1:]  # the run's forecasts carry it (the dashboard's sidebar shows it)
    summary = m.training_summary()
    assert summary["best_step"] == sel["step"] and summary["selection"] == sel
    assert read_json(tmp_path / "runs" / "ft" / "config.json")["state"]["training"]["selection"]["step"] == sel["step"]
    assert main(["runs", "list"]) == 0 and f"adapted: kept step {sel['step']}" in capsys.readouterr().out


def test_a_fine_tune_that_worsens_calibration_at_every_step_serves_zero_shot(start, other, tmp_path, monkeypatch):
    """Planted: every step after 0 scores a calib_port worse than zero-shot's, so nothing is kept and the run is
    the zero-shot network itself (its forecasts, saved and loaded), saying so."""
    from core.models.neuralfactors import model as nf_model

    path, _ = start
    real, calls = nf_model.portfolio_calibration, []

    def worse_after_step_0(*args, **kw):
        calls.append(1)
        return real(*args, **kw) + (0.0 if len(calls) == 1 else 1.0)  # the first call scores zero-shot

    monkeypatch.setattr(nf_model, "portfolio_calibration", worse_after_step_0)
    m = NeuralFactorsModel(init=path, device="cpu", max_steps=8, valid_every=2, days_per_step=2).fit(
        other, other.split_dates("train"), other.split_dates("valid"))
    monkeypatch.undo()
    sel = m.result.selection
    assert len(calls) > 1 and not sel["kept"] and sel["step"] is None and m.result.best_step == 0
    assert m.notes[-1].startswith(NOT_ADAPTED) and m.training_summary()["best_valid"] == sel["reference"]["valid"]
    zero = load_model(path)
    dates = other.split_dates("valid")[:5]
    expected = zero.forecast_series(other, dates)
    m.save(tmp_path / "run")
    for served in (m, load_model(tmp_path / "run")):
        got = served.forecast_series(other, dates)
        assert got.factor_names == expected.factor_names
        np.testing.assert_array_equal(got.exposures, expected.exposures)
        np.testing.assert_array_equal(got.idio_var, expected.idio_var)


def test_fine_tune_refuses_architecture_changes_and_presets(start):
    path, _ = start
    with pytest.raises(ModelError, match="keeps the network's architecture"):
        NeuralFactorsModel(init=path, hidden=16)
    # the inputs and the prior's form too: the start network was trained without them (or with others)
    for name, value in (("regime_prior", True), ("peer_returns", True), ("pc_inputs", 3), ("pc_direct", True)):
        with pytest.raises(ModelError, match=f"--set {name}: fine-tuning keeps"):
            NeuralFactorsModel(init=path, **{name: value})
    with pytest.raises(ModelError, match="--preset does not apply with --init"):
        NeuralFactorsModel(init=path, preset="tiny")


def test_time_budget_stops_cleanly_validated_and_resumable(tmp_path):
    panel = make_market(n_stocks=8, n_dates=200, n_factors=2, seed=9)[0]
    kw = dict(preset="tiny", device="cpu", steps=100_000, valid_every=1_000, out_dir=tmp_path / "ck")
    started = time.perf_counter()
    m = NeuralFactorsModel(time_budget=1.0, **kw).fit(panel, panel.split_dates("train"), panel.split_dates("valid"))
    assert time.perf_counter() - started < 20
    assert m.result.stopped == "time_budget" and 0 < m.result.step < 100_000
    assert m.result.history[-1]["step"] == m.result.step and np.isfinite(m.result.best_valid)
    resumed = NeuralFactorsModel(time_budget=0.5, resume=True, **kw).fit(
        panel, panel.split_dates("train"), panel.split_dates("valid"))
    assert resumed.result.step > m.result.step


def test_train_cli_fine_tunes_a_file_within_a_budget(start, tmp_path, capsys):
    path, _ = start
    vf = write_vendor_csv(tmp_path / "prices.csv", n_stocks=15, n_dates=150, splits={})
    out = tmp_path / "run"
    assert main(["train", "--model", "neuralfactors", "--data", str(vf.path), "--init", str(path),
                 "--time-budget", "2s", "--set", "days_per_step=2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "sectors the network never saw" in text and "Alpha Tech" in text
    assert "stopped: time_budget" in text and "--resume" in text
    assert "zero-shot (step 0): validation nll_joint" in text  # the selection, kept step or none
    assert re.search(r"neuralfactors: (adapted: kept step [1-9]\d*|no adaptation improved both)", text)
    assert load_model(out).scaler.sectors[-1] not in ("Unknown",)


def test_train_options_are_checked(tmp_path, capsys):
    assert main(["train", "--model", "ppca", "--dataset", "synthetic", "--init", "shipped",
                 "--out", str(tmp_path)]) != 0
    assert main(["train", "--model", "neuralfactors", "--dataset", "synthetic", "--time-budget", "soon",
                 "--out", str(tmp_path)]) != 0
    assert "--time-budget 'soon'" in capsys.readouterr().err


def test_cpu_without_preset_uses_the_cpu_sized_preset_and_says_so(tmp_path):
    model, notes = build_model(RunSettings(model="neuralfactors", out=tmp_path, device="cpu"))
    assert model.config == PRESETS[NeuralFactorsModel.CPU_PRESET]
    assert "no --preset on a CPU" in notes[0] and "--preset paper" in notes[0]
    model, notes = build_model(RunSettings(model="neuralfactors", out=tmp_path, device="cpu", preset="paper"))
    assert model.config == PRESETS["paper"] and notes == []


def test_more_processes_than_days_per_step_raise_days_per_step():
    model = NeuralFactorsModel(preset="paper", device="cpu")
    assert model.spread_over(1) == [] and model.config.days_per_step == 1
    assert "raised from 1 to 3" in model.spread_over(3)[0] and model.config.days_per_step == 3


def test_a_short_run_reports_a_finite_validation_on_a_stated_sample(tmp_path, capsys):
    assert main(["train", "--model", "neuralfactors", "--dataset", "synthetic", "--preset", "tiny",
                 "--set", "valid_every=1000", "--set", "valid_days=0", "--max-steps", "3",
                 "--out", str(tmp_path / "run")]) == 0
    captured = capsys.readouterr()
    assert re.search(r"validated once, at its end, on 64 of the \d+ validation days", captured.out)
    value = float(re.search(r"best validation NLL_joint (\S+)", captured.out).group(1))
    assert math.isfinite(value)
    assert "valid=nan" not in captured.err and "valid=pending" in captured.err
