"""The model contract, declared: `RiskModel` (what every model implements) and the capabilities a model takes on
by deriving from an abstract base. The flags the registry, the CLI and the views read (`has_factors`,
`step_trained`, `posterior_factors`, `r2_scored`, `calibratable`) are DERIVED from those bases when a class is
defined, never set by hand; views ask the flags (or the class), never probe a model for a method.

    RiskModel                 fit(panel, train_dates, valid_dates), forecast(panel, date) -> FactorForecast (for
                              the date after `date`, from data up to its close), forecast_series, save(dir) / load(dir)
    FactorModel               its exposures are factors with a meaning (not a covariance written in factor form,
                              not univariate marginals)
    PosteriorFactorModel      a FactorModel that infers its own realised factor returns, factor_returns(panel, dates)
                              (e.g. a posterior mean); other factor models' are regressed on their exposures
    R2Model                   reports the Gu-Kelly-Xiu total / predictive R^2, r2_scores(panel, dates)
    StepTrainedModel          trained in steps by core.training.trainer with checkpoints, presets, devices, several
                              processes (core.models.training_run)
A model offered with the calibration layer ("<name>+cal", core.risk.recalibration) declares
`calibration = Calibration(...)` with the layer's settings.

One persistence scheme for every model: DIR/weights.safetensors (the arrays) + DIR/config.json {"model", "version",
"description", "config" (the settings that rebuild it), "state" (what fitting learnt besides arrays: scaler,
tickers, fingerprint, training summary ...)}, each file written atomically by `save` (the weights first, then the
config that names them); a class gives `to_saved` / `from_saved`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Sequence

import pandas as pd

from core.errors import CheckpointError
from core.forecast import FactorForecast, ForecastSeries
from core.io import load_bundle, save_bundle

if TYPE_CHECKING:
    import numpy as np
    import torch


def saved_state(meta: dict) -> dict:
    """What fitting learnt (fingerprint, training summary ...) from a model's config.json `meta`: its "state"; the
    top level of a NeuralFactors save of format 1, from before the one scheme."""
    return meta.get("state", meta)


#: capability flag -> the abstract base a class derives from to have it
FLAG_BASES = {"has_factors": "FactorModel", "posterior_factors": "PosteriorFactorModel", "r2_scored": "R2Model",
              "step_trained": "StepTrainedModel"}


@dataclass(frozen=True)
class Calibration:
    """The calibration layer a model is offered with: half_life in days of the covariance update's EWMA weights
    (math.inf: every past day weighs the same; None: the portfolio PIT maps only), chosen on validation by one
    rule for every joint model (benchmarks/layer_rule.py, docs/bench_layer_rule.md)."""

    half_life: float | None = None


class RiskModel(ABC):
    """What every model implements. `fit` sees only train and validation dates; `forecast` for `date` uses only
    data up to the close of `date` and describes r at the next date."""

    name: ClassVar[str] = "base"
    #: readable name for pages and reports (the registry key stays `name`)
    label: ClassVar[str] = ""
    #: one line for `neuralfactors models` and tooltips
    description: ClassVar[str] = ""
    #: trained by gradient descent: never fitted on the spot, only shipped or loaded from a run
    learned: ClassVar[bool] = False
    #: a shipped network scores a universe it never saw (no training on the user's data)
    zero_shot: ClassVar[bool] = False
    #: fits in seconds on any data, so views offer it on every dataset
    quick_fit: ClassVar[bool] = False
    #: forecasts a joint distribution across stocks (False: univariate marginals only)
    joint: ClassVar[bool] = True
    #: given each stock's sector as an input, so its exposures cluster by sector partly by construction
    sector_input: bool = False
    #: the calibration layer ("<name>+cal") this model is offered with; None: none
    calibration: ClassVar[Calibration | None] = None
    #: one-line statements of how the last fit adapted to the data (the CLI and the dashboard print them)
    notes: Sequence[str] = ()
    #: keyword settings and their defaults (JSON values; core.models.fitted.ConfiguredModel); {} when it takes none
    defaults: ClassVar[dict[str, Any]] = {}
    #: config.json "version" this class writes; `from_saved` reads it and every earlier one it still loads
    format_version: ClassVar[int] = 1

    # derived from the bases below in __init_subclass__; never set by hand
    has_factors: ClassVar[bool] = False
    posterior_factors: ClassVar[bool] = False
    r2_scored: ClassVar[bool] = False
    step_trained: ClassVar[bool] = False
    calibratable: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        for flag, base_name in FLAG_BASES.items():
            base = globals().get(base_name)  # None while this module defines that base itself
            setattr(cls, flag, cls.__name__ == base_name if base is None else issubclass(cls, base))
        cls.calibratable = cls.calibration is not None

    @abstractmethod
    def fit(self, panel, train_dates: pd.DatetimeIndex, valid_dates: pd.DatetimeIndex) -> "RiskModel": ...

    @abstractmethod
    def forecast(self, panel, date) -> FactorForecast: ...

    def forecast_series(self, panel, dates) -> ForecastSeries:
        """Forecasts made at the close of each of `dates` (T dates x N tickers); by default one `forecast` a date."""
        fcs = [self.forecast(panel, d) for d in dates]
        return ForecastSeries.stack(fcs, panel.tickers)

    def save(self, path: str | Path) -> None:
        """Write the fitted model to directory `path` (the scheme in the module doc), atomically file by file."""
        arrays, config, state = self.to_saved()
        save_bundle(path, arrays, {"model": self.name, "version": self.format_version, "description": self.description,
                                   "config": config, "state": state})

    @classmethod
    def load(cls, path: str | Path, **options) -> "RiskModel":
        """The model saved in `path` (options: e.g. device, for a network); CheckpointError names a wrong folder."""
        arrays, meta = load_bundle(path)
        if meta.get("model") != cls.name:
            raise CheckpointError(f"{path} holds model {meta.get('model')!r}, not {cls.name!r}; load it with "
                                  "core.models.registry.load_model(path)")
        if meta.get("version", 1) > cls.format_version:
            raise CheckpointError(f"{path} was saved by a newer version (format {meta['version']}, this one reads "
                                  f"{cls.format_version}); upgrade neuralfactors or retrain")
        return cls.from_saved(meta, arrays, **options)

    @abstractmethod
    def to_saved(self) -> tuple[dict[str, "np.ndarray"], dict, dict]:
        """(arrays name -> numpy array, config JSON, state JSON) of the fitted model; a ModelError when unfitted."""

    @classmethod
    @abstractmethod
    def from_saved(cls, meta: dict, arrays: dict[str, "np.ndarray"], **options) -> "RiskModel":
        """The model from a config.json `meta` (any version up to format_version) and its arrays."""

    def adaptation_notes(self, panel) -> list[str]:
        """How `panel`'s inputs are adapted to what this fitted model expects (channels, unseen sectors), one line
        each; [] for a model that reads the panel as it is."""
        return []

    @classmethod
    def build_settings(cls, max_steps: int | None, device: str, work_dir: Path) -> dict:
        """The run of this model in a pretrained build (core.build): fields of core.models.training_run.RunSettings
        (preset, overrides, device, max_steps, resume ...; the run's folder is `work_dir`); classical models: {}."""
        return {}


class FactorModel(RiskModel):
    """A model whose exposures are factors with a meaning (the views show exposures, factor returns, names)."""


class PosteriorFactorModel(FactorModel):
    """A factor model that infers its realised factor returns itself."""

    @abstractmethod
    def factor_names(self) -> list[str]: ...

    @abstractmethod
    def factor_returns(self, panel, dates) -> pd.DataFrame:
        """Realised factor returns for each forecast date t in `dates` with a next day: rows indexed by the realised
        date t+1, columns factor_names()."""


class R2Model(RiskModel):
    """A model scored by the Gu-Kelly-Xiu R^2 (evaluate's r2_total / r2_pred columns)."""

    @abstractmethod
    def r2_scores(self, panel, dates) -> dict[str, float]:
        """{"r2_total", "r2_pred"} over the stock-days whose returns fall on `dates`."""


class StepTrainedModel(RiskModel):
    """Trained in steps by core.training.trainer. Its constructor takes preset, device, seed, max_steps, out_dir,
    resume, progress, progress_log, threads, init (a saved network to fine-tune) and time_budget (seconds), besides
    its own settings; it has `device` and `config` (`to_json()`); after fit, `notes` and `training_summary()`. It
    checkpoints in OUT/checkpoint/ and writes its progress to OUT/progress.jsonl (core.training.progress)."""

    device: torch.device

    @classmethod
    @abstractmethod
    def preset_for(cls, device: torch.device) -> tuple[str | None, list[str]]:
        """(preset, notes) of a run that names none on `device`."""

    @abstractmethod
    def spread_over(self, world: int) -> list[str]:
        """Fit the configuration to `world` processes; the notes saying what changed."""

    @abstractmethod
    def training_summary(self) -> dict:
        """What the last fit did: step, stopped, best_valid, steps_per_s, message, device, config ..."""

