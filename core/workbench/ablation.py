"""The sector ablation: NeuralFactors is given each stock's sector as an input, so its sector clusters are
evidence only beside the same network trained without it. The ablation network is shipped as a NeuralFactors
run directory (config.json + weights.safetensors, any configuration) under pretrained/sp500-20/ablations/."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core import store
from core.workbench.embedding import sector_knn
from core.errors import NotAvailable
from core.io import read_json
from core.workbench.keys import parse_model
from core.workbench.sources import ZERO_SHOT_DATASET, Forecasts, forecast_dates, forecasts

MODEL = "neuralfactors"
K = 5  # neighbours of the kNN vote (core.workbench.embedding's default)
STEP = 21  # the split's sample: every 21st forecast date, as docs/results.md's sector ablation


def ablation_dir(root: str | Path | None = None) -> Path:
    """Where the no-sector ablation network of the shipped NeuralFactors lives."""
    return Path(root or store.ROOT) / ZERO_SHOT_DATASET / "ablations" / f"{MODEL}-no-sector"


@dataclass(frozen=True)
class Scores:
    """Mean kNN (k = K, leave one out) sector accuracy of the exposures over n_dates dates: with the sector input
    (the chosen network) and without it (the ablation network); chance = the largest sector's share."""

    with_input: float
    without_input: float
    chance: float
    n_dates: int
    zero_shot: bool  # both networks score a universe they were not trained on

    def meaning(self) -> str:
        """What the two scores say, in one clause: "mostly" = the ablation keeps at most half the lead over chance."""
        if self.with_input <= self.chance:
            return "the exposures separate sectors no better than chance"
        if self.without_input - self.chance <= (self.with_input - self.chance) / 2:
            return "the network's sector clusters come mostly from the sector input, not from the returns"
        return "most of the network's sector clustering is learnt from the returns; the sector input adds the rest"


def _check_run(directory: Path) -> None:
    """NotAvailable, naming what is missing, unless `directory` holds a NeuralFactors run."""
    missing = [f for f in ("config.json", "weights.safetensors") if not (directory / f).exists()]
    if missing:
        raise NotAvailable(f"the no-sector ablation network is not installed ({' and '.join(missing)} missing in "
                           f"{directory}); copy a run of `neuralfactors train --model {MODEL} --dataset "
                           f"{ZERO_SHOT_DATASET} --preset {ZERO_SHOT_DATASET} --set sector_dim=0 "
                           f"--set sector_factors=false` there")
    if (name := read_json(directory / "config.json").get("model")) != MODEL:
        raise NotAvailable(f"{directory} holds a {name!r} model, not a {MODEL} run; the sector ablation needs one")


def sector_scores(panel, chosen: Forecasts, dates, ablation: str | Path | None = None) -> Scores:
    """The kNN sector accuracy of `chosen`'s exposures and of the ablation network's (default `ablation_dir()`) on
    `panel` at `dates` (dates of chosen.series). Only for the shipped NeuralFactors (or its calibrated variant: the
    layer leaves the exposures as they are): on sp500-20, or zero-shot on another universe, where the ablation network
    scores it zero-shot too; NotAvailable otherwise."""
    if parse_model(chosen.name).base != MODEL or (chosen.source != "zero-shot" and panel.name != ZERO_SHOT_DATASET):
        raise NotAvailable(f"a no-sector ablation network is shipped for the {ZERO_SHOT_DATASET} NeuralFactors only, "
                           f"not for {chosen.name}")
    directory = Path(ablation) if ablation is not None else ablation_dir()
    _check_run(directory)
    dates = pd.DatetimeIndex(dates)
    ablated = forecasts(panel, MODEL, dates, run=directory).series
    with_input, chance = sector_knn(chosen.series, panel.sectors, dates, K)
    without_input, _ = sector_knn(ablated, panel.sectors, dates, K)
    return Scores(with_input, without_input, chance, len(dates), chosen.source == "zero-shot")


def split_scores(panel, chosen: Forecasts, part: str, ablation: str | Path | None = None) -> Scores | None:
    """`sector_scores` over every STEP-th forecast date of split `part` that chosen.series covers (the sample of
    docs/results.md; one date of a few stocks is noisy); None outside valid and test or without such dates."""
    sample = forecast_dates(panel, part)[::STEP] if part in ("valid", "test") else pd.DatetimeIndex([])
    sample = sample[sample.isin(chosen.series.dates)]
    return sector_scores(panel, chosen, sample, ablation) if len(sample) else None
