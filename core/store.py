"""Shipped and saved artefacts: where they live, reading and checking them (no pipelines).

Shipped outputs, pretrained/<dataset>/<model>/ (only safetensors, Parquet and JSON; never pickle):
    weights.safetensors, config.json       the fitted model (its save(); config names "model")
    forecasts.safetensors, forecasts.json  its ForecastSeries from the last training date to the
                                           last date, with the data fingerprint and version
    factor_returns.parquet                 realised factor returns, where the model defines them
    metrics.json                           the evaluate table rows for valid and test
pretrained/<dataset>/precomputed/<model key>.json and .safetensors: the default view's precomputed views
(core.workbench.precomputed, which reads them), and pretrained/<dataset>/manifest.json (fingerprint, version, library
versions, device, wall times, the command that built it). core.build writes them.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from core import __version__
from core.errors import CheckpointError
from core.forecast import ForecastSeries
from core.io import read_arrays, read_json
from core.scorecard import METRICS

def _shipped_root() -> Path:
    """NEURALFACTORS_PRETRAINED, else the installed `pretrained` package (its data files)."""
    from importlib.util import find_spec

    if os.environ.get("NEURALFACTORS_PRETRAINED"):
        return Path(os.environ["NEURALFACTORS_PRETRAINED"])
    spec = find_spec("pretrained")
    return Path(spec.origin).parent if spec and spec.origin else Path(__file__).resolve().parent.parent / "pretrained"


#: the shipped outputs
ROOT = _shipped_root()


def model_dir(dataset: str, model: str, root: str | Path | None = None) -> Path:
    return Path(root or ROOT) / dataset / model


def has_model(directory: Path) -> bool:
    return (Path(directory) / "config.json").exists()


def has_forecasts(dataset: str, model: str, root: str | Path | None = None) -> bool:
    return (model_dir(dataset, model, root) / "forecasts.safetensors").exists()


def load_forecasts(dataset: str, model: str, root: str | Path | None = None) -> ForecastSeries:
    """The shipped ForecastSeries of `model` on `dataset` (CheckpointError if absent or corrupted)."""
    series = ForecastSeries.load(model_dir(dataset, model, root))
    for message in manifest_warnings(dataset, root):
        warnings.warn(message, stacklevel=2)
    return series


def has_calibration(dataset: str, model: str, root: str | Path | None = None) -> bool:
    return (model_dir(dataset, model, root) / "calibration.safetensors").exists()


def load_calibration(dataset: str, model: str, root: str | Path | None = None) -> dict[str, np.ndarray] | None:
    """The shipped calibration layer of `model`, one row per shipped forecast date (core/risk/recalibration.py
    Layer; written by core.build.write_calibration): {"pit_map": (T, K)} plus, for a model that takes the
    covariance update, "factor" (T, F, F) and "ratio" (T, N), and "settings" (recalibration.layer_settings);
    None when the model ships none or its file predates the settings."""
    path = model_dir(dataset, model, root) / "calibration.safetensors"
    if not path.exists():
        return None
    a = read_arrays(path)  # each part's distinct rows and each date's row in them (a fit lasts 21 days)
    if "pit_map" not in a or "settings" not in a:  # written before the layer recorded its settings: refit
        return None
    out = {part: a[part].astype(np.float64)[a[f"{part}_index"]] for part in ("pit_map", "factor", "ratio") if part in a}
    return out | {"settings": a["settings"].astype(np.float64)}


def load_prior(dataset: str, model: str, panel, root: str | Path | None = None) -> np.ndarray | None:
    """The prior map (K,) of `model`'s calibration layer shipped on `dataset` (its raw forecasts' map fitted on the
    validation split), the start of the layer on other data; None when none ships or `panel` IS that data (a
    prior fitted on the very outcomes it would calibrate)."""
    path = model_dir(dataset, model, root) / "calibration.safetensors"
    if not path.exists() or built_from(model_dir(dataset, model, root), panel, same_version=False):
        return None
    a = read_arrays(path)
    return a["prior"].astype(np.float64) if "prior" in a else None


def load_factor_returns(dataset: str, model: str, root: str | Path | None = None) -> pd.DataFrame | None:
    """Shipped realised factor returns (dates x factors), None when the model ships none."""
    path = model_dir(dataset, model, root) / "factor_returns.parquet"
    return pd.read_parquet(path) if path.exists() else None


def available_models(dataset: str, root: str | Path | None = None) -> list[str]:
    """Models with shipped forecasts for `dataset`, in registry order."""
    from core.models.registry import model_names

    return [m for m in model_names() if has_forecasts(dataset, m, root)]


def built_from(mdir: Path, panel, same_version: bool = True, fingerprint: str | None = None) -> bool:
    """`mdir` holds forecasts built from `panel`'s data (and, if asked, by this version); `fingerprint`: the panel's,
    when the caller has it already (Panel.fingerprint hashes every return)."""
    if not (Path(mdir) / "forecasts.json").exists():
        return False
    meta = read_json(Path(mdir) / "forecasts.json")
    return meta.get("fingerprint") == (fingerprint or panel.fingerprint()) and (
        not same_version or meta.get("version") == __version__)


def manifest_warnings(dataset: str, root: str | Path | None = None, panel=None) -> list[str]:
    """Mismatches between the shipped files and this installation (fingerprint, version)."""
    path = Path(root or ROOT) / dataset / "manifest.json"
    if not path.exists():
        return []
    manifest = read_json(path)
    fix = f"rebuild with `neuralfactors pretrained build --dataset {dataset}`"
    out = []
    if manifest.get("version") != __version__:
        out.append(f"{dataset}: shipped files built by neuralfactors {manifest.get('version')}, this is {__version__}; {fix}")
    if panel is None:
        from core.data.embedded import DATASETS, load_dataset

        panel = load_dataset(dataset) if dataset in DATASETS else None
    if panel is not None and manifest.get("fingerprint") != panel.fingerprint():
        out.append(f"{dataset}: the shipped models saw other data (fingerprint {manifest.get('fingerprint')}, "
                   f"this data {panel.fingerprint()}); {fix}")
    return out


LIBRARIES = ("numpy", "scipy", "scikit-learn", "pandas", "torch", "cvxpy", "arch")


def library_versions() -> dict[str, str | None]:
    """Installed versions of the libraries the shipped numbers depend on (None when absent)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def library_warnings(dataset: str, root: str | Path | None = None) -> list[str]:
    """One line per library whose installed version differs from the one the shipped files were built
    with: recomputed metrics may then differ in their last digits (counts by one)."""
    path = Path(root or ROOT) / dataset / "manifest.json"
    if not path.exists():
        return []
    built = read_json(path).get("libraries")
    if built is None:
        return [f"{dataset}: the manifest records no library versions (built before they were recorded)"]
    here = library_versions()
    return [f"{dataset}: built with {lib} {v}, this installation has {here.get(lib)}"
            for lib, v in sorted(built.items()) if here.get(lib) != v]


def shipped_metrics(panel, name: str, split: str, risk_aversion: float, root: str | Path | None = None):
    """(metrics, reasons) from pretrained/<panel.name>/<name>/metrics.json when they were computed by
    this version on this data with this risk aversion; None otherwise."""
    mdir = model_dir(panel.name, name, root)
    if not (mdir / "metrics.json").exists() or not built_from(mdir, panel):
        return None
    entry = read_json(mdir / "metrics.json").get(split)
    if not entry or entry.get("risk_aversion") != risk_aversion:
        return None
    return entry["models"][name], entry.get("reasons", {}).get(name, {})


def metrics_table(dataset: str, split: str, root: str | Path | None = None) -> pd.DataFrame:
    """The shipped metrics of every shipped model on one split, as evaluate's table (models x METRICS)."""
    rows, reasons, attrs = {}, {}, {}
    for name in available_models(dataset, root):
        path = model_dir(dataset, name, root) / "metrics.json"
        if not path.exists():
            continue
        entry = read_json(path).get(split) or {}
        if name not in entry.get("models", {}):
            raise CheckpointError(f"{dataset}/{name}/metrics.json has no {split} metrics; rebuild them with "
                                  f"`neuralfactors pretrained build --dataset {dataset} --reuse`")
        rows[name] = entry["models"][name]
        reasons[name] = entry.get("reasons", {}).get(name, {})
        attrs = {k: entry[k] for k in ("split", "dates", "nll_scale", "risk_aversion") if k in entry}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=METRICS).astype(float)
    table.index.name = "model"
    table.attrs.update(reasons=reasons, **attrs)
    return table


def check(dataset: str, root: str | Path | None = None) -> list[str]:
    """Read every shipped file (raising CheckpointError on a corrupted one); return the warnings."""
    from core.models.registry import load_model

    names = available_models(dataset, root)
    if not names:
        raise CheckpointError(f"no shipped outputs for {dataset} under {Path(root or ROOT).name}/; "
                              f"build them with `neuralfactors pretrained build --dataset {dataset}`")
    for name in names:
        load_model(model_dir(dataset, name, root))
        ForecastSeries.load(model_dir(dataset, name, root))
    return manifest_warnings(dataset, root)
