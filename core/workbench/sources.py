"""Where a model's forecasts on a Panel come from: ONE path with one fingerprint check.

For (panel, model) the first that applies:
  1. "truth" on the embedded synthetic market: its ground-truth forecasts;
  2. a finished training run the caller names (`run=` a directory, or the model key "run:<id>" of a run in the
     user data folder, core.runs);
  3. shipped outputs built from this very data (store.built_from: same fingerprint);
  4. a shipped model of this dataset whose forecasts were built from other data: forecast now;
  5. a zero-shot model (class attribute `zero_shot`): the weights shipped for the default
     dataset score this universe without training;
  6. a model that is not `learned`: fitted now on the panel's train and validation dates;
  7. otherwise a ModelError naming the command that trains it.
A key ending "+cal" is the same model's forecasts through the calibration layer (core/risk/recalibration.py
fit_layer): the covariance update where the model takes it, then the portfolio PIT maps, fitted on outcomes
of forecasts from the first validation date on.
"""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from core import runs, store
from core.data.embedded import DATASETS
from core.data.synthetic import default_synthetic, default_synthetic_panel
from core.errors import CheckpointError, ModelError
from core.forecast import ForecastSeries, recalibrated
from core.models.registry import (check_names, create_model, declared, load_model, model_class, model_names,
                                  models_where)
from core.risk import covariance_update, recalibration
from core.risk.recalibration import Layer, fit_layer
from core.workbench.keys import TRUTH, parse_model, run_key

#: the dataset whose shipped weights score other universes zero-shot
ZERO_SHOT_DATASET = "sp500-20"


@dataclass
class Forecasts:
    """A model's forecasts on a panel: the series, the model object behind it (`model`: None for truth or
    shipped outputs of a model that is not saved), where they came from, and a one-line note. Shipped outputs are
    read without their model: `loader` loads it the first time `model` is asked for (the network and torch are
    imported only by the views that run it)."""

    name: str
    series: ForecastSeries
    loaded: object | None  # the model object, once loaded (`model`)
    source: str  # truth | run | shipped | saved | zero-shot | fitted
    note: str
    notes: tuple[str, ...] = ()  # how a zero-shot model adapted this data's inputs, one line each
    loader: Callable[[], object | None] | None = field(default=None, repr=False, compare=False)

    @property
    def model(self) -> object | None:
        """The model behind the series, loaded on first use (None when there is none)."""
        with _LOADING:  # a dashboard's sessions and its preload share one Forecasts: load once
            if self.loaded is None and self.loader is not None:
                self.loaded, self.loader = self.loader(), None
        return self.loaded


_LOADING = threading.RLock()


def half_life_of(name: str) -> float | None:
    """The half-life of the covariance update in the calibration layer the model `name` declares
    (core.models.protocol.Calibration); None (PIT maps only) for a model that declares none or is not registered."""
    return declared(name, "half_life") if name in model_names() else None


def forecast_dates(panel, split: str) -> pd.DatetimeIndex:
    """Dates t whose next date t+1 lies in the split (the first test forecast is made on the last validation date)."""
    pos = panel.dates.get_indexer(panel.split_dates(split))
    pos = pos[pos >= 1] - 1
    if pos.size == 0:
        raise ModelError(f"split {split!r} of {panel.name!r} has no dates to evaluate; check the split")
    return panel.dates[pos]


def view_dates(panel) -> pd.DatetimeIndex:
    """The dates the views cover: every forecast of the validation and test splits."""
    return forecast_dates(panel, "valid").append(forecast_dates(panel, "test")).unique()


def has_truth(panel) -> bool:
    """The panel is the embedded synthetic market, whose true forecasts are known."""
    return panel.synthetic and panel.name == "synthetic" and panel.fingerprint() == default_synthetic_panel().fingerprint()


def zero_shot_weights(name: str, root: str | Path | None = None) -> Path | None:
    """The shipped weights a zero-shot model scores new universes with (None when absent)."""
    d = store.model_dir(ZERO_SHOT_DATASET, name, root)
    return d if declared(name, "zero_shot") and store.has_model(d) else None


def forecasts(panel, name: str, dates: pd.DatetimeIndex | None = None, root: str | Path | None = None,
              run: str | Path | None = None, log=None) -> Forecasts:
    """The forecasts of model `name` (a registered name, TRUTH or a run key) on `panel` at `dates` (default:
    `view_dates`), see the module docstring."""
    log = log or sys.stderr
    dates = view_dates(panel) if dates is None else pd.DatetimeIndex(dates)
    if (key := parse_model(name)).calibrated:
        return calibrated(panel, key, forecasts(panel, key.base, view_dates(panel).union(dates), root, run, log),
                          dates, root)
    if run is None and key.run:
        run = runs.run_path(key.run)
    if name == TRUTH:
        if not has_truth(panel):
            raise ModelError("the ground truth is known only for the embedded synthetic dataset")
        return Forecasts(TRUTH, default_synthetic()[1].forecast_series(panel, dates), None, "truth",
                         "the synthetic market's true distribution")
    if run is not None:
        model = load_model(run)  # its notes: what the run recorded of its fit (a fine-tune: the step it kept)
        return Forecasts(name, model.forecast_series(panel, dates), model, "run", f"trained run {Path(run).name}",
                         tuple(model.notes))
    check_names([name])
    mdir = store.model_dir(panel.name, name, root)
    if store.built_from(mdir, panel, same_version=False):
        series = store.load_forecasts(panel.name, name, root)
        missing = dates.difference(series.dates)
        if len(missing):
            raise CheckpointError(f"{panel.name}/{name}: shipped forecasts lack {len(missing)} dates (from "
                                  f"{missing[0].date()}); rebuild them with `neuralfactors pretrained build "
                                  f"--dataset {panel.name}`")
        return Forecasts(name, series, None, "shipped", f"shipped outputs of {panel.name}",
                         loader=lambda: load_model(mdir) if store.has_model(mdir) else None)
    if store.has_forecasts(panel.name, name, root):
        print(f"{name}: the shipped outputs of {panel.name} were built from other data; not using them", file=log)
    if store.has_model(mdir):
        model = load_model(mdir)
        print(f"{name}: forecasting with the saved model of {panel.name} (no shipped forecasts)", file=log)
        return Forecasts(name, model.forecast_series(panel, dates), model, "saved", f"saved model of {panel.name}")
    cls = model_class(name)
    weights = zero_shot_weights(name, root)
    if weights is not None:
        model = load_model(weights)
        note = f"shipped {ZERO_SHOT_DATASET} weights scoring this universe zero-shot (no training)"
        print(f"{name}: {note}", file=log)
        notes = tuple(model.adaptation_notes(panel))
        for line in notes:
            print(f"{name}: {line}", file=log)
        return Forecasts(name, model.forecast_series(panel, dates), model, "zero-shot", note, notes)
    if cls.learned:
        source = f"--dataset {panel.name}" if panel.name in DATASETS else "--data FILE"
        raise ModelError(f"no trained {name} for {panel.name}; train one first: neuralfactors train --model {name} "
                         f"{source} --out RUN_DIR, then evaluate with --run {name}=RUN_DIR")
    print(f"{name}: no shipped outputs for {panel.name}; fitting it now on the training dates", file=log)
    model = create_model(name).fit(panel, panel.split_dates("train"), panel.split_dates("valid"))
    notes = tuple(model.notes)  # how the fit adapted to this data (capped windows, shrinkage)
    for line in notes:
        print(line, file=log)  # the model's notes name it
    return Forecasts(name, model.forecast_series(panel, dates), model, "fitted", "fitted now on the training dates",
                     notes)


def prior_for(panel, series: ForecastSeries, source: str, root: str | Path | None = None):
    """The prior map (2, K) a model's layer starts from on `panel`: the model's map on the data it ships on, or None
    for its own shipped forecasts (store.load_prior also refuses the very data it was fitted on)."""
    return None if source == "shipped" else store.load_prior(ZERO_SHOT_DATASET, series.model, panel, root)


def model_layer(panel, series: ForecastSeries, prior) -> Layer:
    """The calibration layer of a model's forecasts `series` on `panel` as its "+cal" key serves it: the model's
    declared covariance update, maps from the first validation forecast on, started from `prior` ((2, K) or None:
    store.load_prior)."""
    return fit_layer(panel, series, forecast_dates(panel, "valid")[0], half_life_of(series.model), prior)


def calibrated(panel, key, base: Forecasts, dates: pd.DatetimeIndex | None = None,
               root: str | Path | None = None) -> Forecasts:
    """The forecasts of key.base (`base`: its Forecasts on every view date and every one of `dates`, as `forecasts`
    makes them; the layer's past PITs start at the first validation forecast) through the calibration layer, cut to
    `dates` (default: `view_dates`). A caller that holds the base's forecasts already (the dashboard's cache) passes
    them; a base on fewer dates is refused (the layer would be fitted on another history)."""
    dates = view_dates(panel) if dates is None else pd.DatetimeIndex(dates)
    missing = view_dates(panel).union(dates).difference(base.series.dates)
    if len(missing):
        raise ModelError(f"{key}: the forecasts of {key.base} lack {len(missing)} of the dates the calibration layer "
                         f"is fitted on (from {missing[0].date()}); pass them on every view date")
    half_life = half_life_of(base.series.model)  # by the model behind it, so a run key gets it too
    shipped = store.load_calibration(panel.name, key.base, root) if base.source == "shipped" else None
    layer = Layer(**shipped) if shipped is not None else None  # written by core/build.py
    prior = prior_for(panel, base.series, base.source, root)
    if layer is None or not layer.fits(base.series, half_life):
        layer = model_layer(panel, base.series, prior)
    pos = base.series.dates.get_indexer(dates)
    series = layer.apply(base.series).select(dates)
    mapped = bool(np.abs(series.pit_map - recalibrated.PIT_KNOTS).max() > 1e-6)  # stored maps are float32
    updated = bool(layer.updated()[pos].any())
    if mapped or updated:
        note = base.note + "; " + " and ".join(
            part for part, on in (("covariance updated", updated), ("portfolio quantiles recalibrated", mapped)) if on
        ) + " by the calibration layer (fitted on past outcomes only" + (
            f"; its maps start from the model's map on {ZERO_SHOT_DATASET} and move to this data's own outcomes as "
            "they accumulate)" if prior is not None else ")")
    else:
        need = covariance_update.MIN_DAYS if half_life is not None else recalibration.MIN_DAYS
        note = base.note + (f"; calibration layer not fitted yet on these dates (it needs {need} days of outcomes "
                            "after the start of validation): risk as the raw model's")
    return Forecasts(str(key), series, base.loaded, base.source, note, base.notes,  # the base's model, loaded once
                     None if base.loaded is not None else (lambda: base.model))


def available(panel, root: str | Path | None = None, fingerprint: str | None = None) -> list[str]:
    """Model names with forecasts on `panel` without training: the ground truth (synthetic), zero-shot
    models, shipped outputs, then every quick-fit model. fingerprint: the panel's, when the caller holds it (else
    computed once here)."""
    fingerprint = fingerprint or panel.fingerprint()
    names = model_names()
    out = [m for m in names if store.built_from(store.model_dir(panel.name, m, root), panel, False, fingerprint)]
    out += [m for m in names if m not in out and zero_shot_weights(m, root) is not None]
    out += [m for m in models_where(quick_fit=True) if m not in out]
    out.sort(key=lambda m: not declared(m, "zero_shot"))
    out = [v for m in out for v in (_variants(panel, m, root, fingerprint) if declared(m, "calibratable") else (m,))]
    return [TRUTH] + out if has_truth(panel) else out


def _variants(panel, name: str, root, fingerprint: str | None = None) -> tuple[str, str]:
    """The raw model and its calibrated variant, the variant first (the default) where this very data ships
    its calibration maps (sp500-20), else after the raw model (its maps would be fitted on first use)."""
    shipped = store.has_calibration(panel.name, name, root) and store.built_from(
        store.model_dir(panel.name, name, root), panel, False, fingerprint)
    return (f"{name}+cal", name) if shipped else (name, f"{name}+cal")


def model_keys(panel, own_runs=(), root: str | Path | None = None, fingerprint: str | None = None) -> list[str]:
    """The model keys on offer for `panel`: `available` models, then those of `own_runs` (core.runs.Run: the
    finished runs of whoever asks, core.workspaces.user_runs) trained on this very data (same fingerprint):
    "run:<id>+cal" (the run served through the calibration layer, e.g. an adapted NeuralFactors) then "run:<id>"
    for a calibratable model, else "run:<id>". fingerprint: the panel's, when the caller holds it (the dashboard
    caches it per dataset: hashing every return on each page run cost 0.3-0.6 s of CPU)."""
    fingerprint = fingerprint or panel.fingerprint()
    return available(panel, root, fingerprint) + [key for r in own_runs if r.fingerprint == fingerprint
                                                  for key in run_keys(r)]


def run_keys(run) -> tuple[str, ...]:
    """The model keys of a finished run (core.runs.Run): through the calibration layer first where its model has
    one (the key an adapted run is served by), then the raw run."""
    key = run_key(run.id)
    layered = run.model in model_names() and declared(run.model, "calibratable")
    return (f"{key}+cal", key) if layered else (key,)
