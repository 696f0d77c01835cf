"""Shipped models and precomputed outputs under pretrained/<dataset>/<model>/.

Layout of one model directory:
    weights.safetensors, config.json   the fitted model (core.io.save_bundle; config names "model")
    forecasts.safetensors, forecasts.json   its ForecastSeries over the validation and test dates
    metrics.json                        the evaluate table rows for valid and test
"""
from __future__ import annotations

from pathlib import Path

from core.models.base import ForecastSeries

ROOT = Path(__file__).resolve().parent.parent / "pretrained"


def model_dir(dataset: str, model: str, root: str | Path | None = None) -> Path:
    return Path(root or ROOT) / dataset / model


def has_forecasts(dataset: str, model: str, root: str | Path | None = None) -> bool:
    return (model_dir(dataset, model, root) / "forecasts.safetensors").exists()


def load_forecasts(dataset: str, model: str, root: str | Path | None = None) -> ForecastSeries:
    """The shipped ForecastSeries of `model` on `dataset` (CheckpointError if absent or corrupted)."""
    return ForecastSeries.load(model_dir(dataset, model, root))
