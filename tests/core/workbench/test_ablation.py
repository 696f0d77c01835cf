"""The sector ablation (core.workbench.ablation): NeuralFactors' sector score beside its no-sector network's."""
from __future__ import annotations

import shutil

import pytest

from core import store
from core.data.embedded import load_dataset
from core.data.files import load_file
from core.workbench.embedding import knn_accuracy
from core.errors import NotAvailable
from core.io import write_json
from core.workbench import forecast_dates, forecasts
from core.workbench.ablation import K, STEP, Scores, ablation_dir, sector_scores, split_scores
from benchmarks.userfiles import write_vendor_csv


@pytest.fixture(scope="module")
def sp500():
    panel = load_dataset("sp500-20")
    return panel, forecasts(panel, "neuralfactors")


def _in_unit(s: Scores) -> bool:
    return all(0.0 <= x <= 1.0 for x in (s.with_input, s.without_input, s.chance))


def test_both_scores_on_the_date_and_the_split_with_the_shipped_ablation(sp500, tmp_path):
    panel, chosen = sp500
    date = chosen.series.dates[-1]
    day = sector_scores(panel, chosen, [date])
    fc = chosen.series.at(date)
    assert day.with_input == knn_accuracy(fc.exposures, panel.sectors.reindex(fc.tickers).to_numpy(), K)
    split = split_scores(panel, chosen, "test")
    assert _in_unit(day) and _in_unit(split) and day.n_dates == 1 and not day.zero_shot
    assert split.n_dates == len(range(0, 1006, STEP))  # docs/results.md's sample: one test date in 21
    assert ablation_dir() == store.ROOT / "sp500-20" / "ablations" / "neuralfactors-no-sector"
    copy = shutil.copytree(ablation_dir(), tmp_path / "copy")  # the directory is all the code depends on
    assert sector_scores(panel, chosen, [date], copy) == day
    assert split_scores(panel, chosen, "train") is None


def test_a_missing_or_foreign_ablation_directory_says_so(sp500, tmp_path, monkeypatch):
    panel, chosen = sp500
    date = chosen.series.dates[-1]
    monkeypatch.setattr(store, "ROOT", tmp_path)  # the default directory follows the shipped root
    with pytest.raises(NotAvailable, match=r"not installed \(config.json and weights.safetensors missing .*ablations"):
        sector_scores(panel, chosen, [date])
    write_json(tmp_path / "other" / "config.json", {"model": "ppca"})
    (tmp_path / "other" / "weights.safetensors").write_bytes(b"")
    with pytest.raises(NotAvailable, match="'ppca' model, not a neuralfactors run"):
        sector_scores(panel, chosen, [date], tmp_path / "other")


def test_another_universe_is_scored_zero_shot_by_both_networks(tmp_path):
    write_vendor_csv(path := tmp_path / "vendor.csv", n_stocks=30, n_dates=200)
    panel = load_file(path)
    sample = forecast_dates(panel, "test")[::STEP]
    chosen = forecasts(panel, "neuralfactors", sample)
    split = split_scores(panel, chosen, "test")
    assert chosen.source == "zero-shot" and split.zero_shot and split.n_dates == len(sample) and _in_unit(split)


def test_only_the_shipped_neuralfactors_has_an_ablation(sp500):
    panel, chosen = sp500
    with pytest.raises(NotAvailable, match="sp500-20 NeuralFactors only, not for ppca"):
        sector_scores(panel, forecasts(panel, "ppca"), chosen.series.dates[-1:])


@pytest.mark.parametrize("without, says", [(0.20, "mostly from the sector input"), (0.40, "learnt from the returns")])
def test_meaning_compares_the_ablation_with_the_lead_over_chance(without, says):
    assert says in Scores(0.50, without, 0.25, 1, False).meaning()
    assert "no better than chance" in Scores(0.25, without, 0.25, 1, False).meaning()


def test_the_calibrated_variant_is_scored_as_its_network():
    """The layer leaves the exposures as they are: "neuralfactors+cal" gets NeuralFactors' sector ablation."""
    from core.data.embedded import load_dataset
    from core.workbench import forecasts
    from core.workbench.ablation import sector_scores

    panel = load_dataset("sp500-20")
    raw, cal = forecasts(panel, "neuralfactors"), forecasts(panel, "neuralfactors+cal")
    date = raw.series.dates[-22]
    assert sector_scores(panel, cal, [date]) == sector_scores(panel, raw, [date])
