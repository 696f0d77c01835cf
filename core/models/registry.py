"""The model registry: names from core.models.catalogue, classes imported lazily, questions
about capabilities answered from the class attributes (`models_where(learned=True)` ...)."""
from __future__ import annotations

import importlib
from pathlib import Path

from core.errors import ModelError
from core.models.catalogue import CATALOGUE, DECLARED


def model_names() -> list[str]:
    """Every registered name, in catalogue order."""
    return list(CATALOGUE)


def check_names(names: list[str]) -> list[str]:
    """`names` unchanged when all are registered; a ModelError listing the known names otherwise."""
    unknown = [n for n in names if n not in CATALOGUE]
    if unknown:
        raise ModelError(f"unknown model {unknown[0]!r}; `neuralfactors models` lists: {', '.join(CATALOGUE)}")
    return names


def model_class(name: str):
    """The class registered under `name`; a ModelError lists the known names otherwise."""
    module, cls = CATALOGUE[check_names([name])[0]].split(":")
    return getattr(importlib.import_module(module), cls)


def declared(name: str, attribute: str):
    """A registered model's class attribute (or "half_life": its calibration layer's, None without one), from
    catalogue.DECLARED where it holds it (no import), else from the class."""
    entry = DECLARED.get(check_names([name])[0], {})
    if attribute in entry:
        return entry[attribute]
    cls = model_class(name)
    if attribute == "half_life":
        return None if cls.calibration is None else cls.calibration.half_life
    return getattr(cls, attribute)


def models_where(**capabilities: bool) -> list[str]:
    """Registered names whose class attributes match, e.g. models_where(learned=False, quick_fit=True)."""
    return [n for n in CATALOGUE
            if all(declared(n, k) == v for k, v in capabilities.items())]


def label(name: str) -> str:
    """Readable name of a registered model (its key when it declares none)."""
    return declared(name, "label") or name if name in CATALOGUE else name


def create_model(name: str, **config):
    """Instantiate a registered model with keyword configuration."""
    return model_class(name)(**config)


def load_model(path: str | Path):
    """Load any saved model: DIR/config.json names the model, whose class loads DIR."""
    from core.io import read_json

    meta = read_json(Path(path) / "config.json")
    if "model" not in meta:
        raise ModelError(f"{path}/config.json does not name a model; is this a model directory?")
    return model_class(meta["model"]).load(path)
