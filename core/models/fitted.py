"""`ConfiguredModel`: keyword configuration with defaults, and pickle-free save / load.

A subclass declares `name`, `description` and `defaults` (JSON-serialisable keyword settings),
keeps its fitted values in `self.state` (JSON; state["notes"], read by `notes`, says how a fit
adapted the settings to the data) and `self.arrays` (name -> numpy array); saved by the one scheme of
core.models.protocol (config = its settings, state, arrays).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from core.errors import ModelError
from core.models.protocol import RiskModel
from core.models.settings import check_settings


class ConfiguredModel(RiskModel):
    """Base for the classical and autoencoder models of this package."""

    def __init__(self, **config: Any) -> None:
        check_settings(self.name, self.defaults, config)
        self.config: dict[str, Any] = {**self.defaults, **config}
        self.state: dict[str, Any] = {}
        self.arrays: dict[str, np.ndarray] = {}

    @property
    def notes(self) -> list[str]:
        """One-line statements of how `fit` adapted the model to the data (a window capped to a short
        history, shrinkage of a covariance with more stocks than days, ...), from state["notes"];
        [] when it changed nothing. The CLI and the dashboard print them."""
        return [str(n) for n in self.state.get("notes", [])]

    @property
    def fitted(self) -> bool:
        return bool(self.state.get("fitted"))

    def require_fitted(self) -> None:
        if not self.fitted:
            raise ModelError(f"{self.name} is not fitted; call fit(panel, train_dates, valid_dates) or load a saved model")

    def to_saved(self) -> tuple[dict[str, np.ndarray], dict, dict]:
        self.require_fitted()
        return {k: np.ascontiguousarray(v) for k, v in self.arrays.items()}, self.config, self.state

    @classmethod
    def from_saved(cls, meta: dict, arrays: dict[str, np.ndarray], **options) -> "ConfiguredModel":
        obj = cls(**meta.get("config", {}))
        obj.state = meta.get("state", {})
        obj.arrays = dict(arrays)
        obj._restore()
        return obj

    def _restore(self) -> None:
        """Rebuild derived objects (networks, ...) from `state` and `arrays` after `load`."""
