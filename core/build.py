"""The pretrained build pipeline: fit every model on an embedded dataset and write its weights,
forecasts, factor returns and metrics under OUT/<dataset>/ (layout: core.store), plus a manifest.

`neuralfactors pretrained build --dataset sp500-20 [--max-steps N]` rebuilds everything (`--reuse --keep-metrics`
keeps what was built from this data and version, refits stale calibration layers and recomputes the precomputed
views of the default model, core.workbench.precomputed);
`neuralfactors pretrained check` (core.store.check) verifies the files and the fingerprint.
"""
from __future__ import annotations

import io
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from core import __version__, store
from core.data.embedded import load_dataset
from core.evaluation.tables import evaluate_models, to_json
from core.io import atomic_write_bytes, read_arrays, read_json, write_arrays, write_json
from core.models import training_run
from core.models.protocol import saved_state
from core.models.registry import load_model, model_names
from core.store import library_versions
from core.risk.recalibration import fit_layer, prior_map
from core.training.device import resolve_device
from core.workbench import precomputed
from core.workbench.sources import available, forecast_dates


def output_dates(panel) -> pd.DatetimeIndex:
    """Forecast dates that the shipped outputs cover: the last training date to the last date."""
    start = panel.dates.get_indexer([panel.split_dates("train")[-1]])[0]
    return panel.dates[start:]


def _reusable(mdir: Path, panel) -> bool:
    """A model directory already holds the model and forecasts built from this data by this version."""
    return (mdir / "config.json").exists() and store.built_from(mdir, panel)


def build(dataset: str, out: str | Path, models: list[str] | None = None, max_steps: int | None = None,
          device: str = "auto", reuse: bool = False, from_runs: dict[str, str] | None = None,
          with_metrics: bool = True, log=sys.stderr) -> dict:
    """Fit every model, write its weights, forecasts and metrics under out/<dataset>/, return the manifest.
    With `reuse`, models whose directory already holds forecasts of this data and version are kept;
    `from_runs` maps a model name to a finished training run directory whose weights are shipped as they are
    (such a model is rebuilt from the run even under `reuse`)."""
    panel = load_dataset(dataset)
    names = models or model_names()
    dates = output_dates(panel)
    manifest_path = Path(out) / dataset / "manifest.json"
    previous = read_json(manifest_path) if reuse and manifest_path.exists() else {}
    timings = previous.get("models", {})
    for name in names:
        if reuse and name not in (from_runs or {}) and _reusable(store.model_dir(dataset, name, out), panel):
            print(f"[{name}] kept (already built from this data)", file=log)
            _refresh_layer(panel, name, store.model_dir(dataset, name, out), log)
            continue
        start = time.perf_counter()
        print(f"[{name}] fitting on {dataset}", file=log)
        mdir = store.model_dir(dataset, name, out)
        work_dir = Path(out) / dataset / f".training-{name}"
        if name in (from_runs or {}):
            model = load_model(from_runs[name])
            print(f"[{name}] weights taken from the training run {from_runs[name]}", file=log)
        else:
            model = training_run.fit(training_run.build_run(name, max_steps, device, work_dir), panel)[0]
        fit_s = time.perf_counter() - start
        model.save(mdir)
        series = model.forecast_series(panel, dates)
        series.save(mdir, {"fingerprint": panel.fingerprint(), "version": __version__})
        if model.calibratable:
            write_calibration(panel, series, mdir, model.calibration.half_life)
        if model.posterior_factors:
            buf = io.BytesIO()
            model.factor_returns(panel, dates).to_parquet(buf)
            atomic_write_bytes(mdir / "factor_returns.parquet", buf.getvalue())
        shutil.rmtree(work_dir, ignore_errors=True)
        timings[name] = {"fit_seconds": round(fit_s, 2), "total_seconds": round(time.perf_counter() - start, 2),
                         "trained_by": _run_command(from_runs[name]) if name in (from_runs or {}) else "this build"}
        print(f"[{name}] done in {timings[name]['total_seconds']} s", file=log)
    for name in names if with_metrics else []:
        metrics = {}
        for split in ("valid", "test"):
            table = evaluate_models(panel, [name], split, pretrained_root=out, log=log)
            metrics[split] = to_json(table)
        write_json(store.model_dir(dataset, name, out) / "metrics.json", metrics)
    views = write_views(panel, out, log=log)
    manifest = {
        "dataset": dataset, "fingerprint": panel.fingerprint(), "version": __version__,
        "device": str(resolve_device(device)), "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(), "libraries": library_versions(), "max_steps": max_steps, "models": timings,
        "command": f"neuralfactors pretrained build --dataset {dataset}"
                   + (f" --max-steps {max_steps}" if max_steps else "") + f" --out {Path(out).name}"
                   + (f" --models {','.join(models)}" if models else "")
                   + "".join(f" --from-run {k}={v}" for k, v in (from_runs or {}).items()) + (" --reuse" if reuse else "")
                   + ("" if with_metrics else " --keep-metrics"),
        "built": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        "precomputed_views": views,
        # a --reuse build adds to an earlier one: keep how the rest was made
        "previous_commands": previous.get("previous_commands", []) + ([previous["command"]] if previous.get("command") else []),
    }
    write_json(Path(out) / dataset / "manifest.json", manifest)
    return manifest


def write_views(panel, out: str | Path, models: list[str] | None = None, log=sys.stderr) -> list[str]:
    """OUT/<dataset>/precomputed/: the views every visitor of the default view asks for first
    (core.workbench.precomputed), for `models` (default: the model the dashboard opens on, the first on offer),
    from the shipped outputs under `out` as they now stand (after their layers were refitted); the model keys."""
    keys = models or available(panel, out)[:1]
    for key in keys:
        precomputed.build(panel, key, root=out, log=log)
    return keys


def write_calibration(panel, series, mdir: Path, half_life: float | None) -> None:
    """MDIR/calibration.safetensors: the calibration layer of the shipped forecasts `series`, fitted as
    core.workbench.sources fits it for "<model>+cal" (from the first validation forecast on), and the prior map
    the layer starts from on other data."""
    valid = forecast_dates(panel, "valid")
    layer = fit_layer(panel, series, valid[0], half_life)
    arrays = {"prior": prior_map(panel, series.select(valid), valid)}  # the start on other data (store.load_prior)
    for part in ("pit_map", "factor", "ratio"):
        if (rows := getattr(layer, part)) is not None:
            unique, index = np.unique(rows.astype(np.float32), axis=0, return_inverse=True)  # a fit lasts 21 days
            arrays |= {part: unique, f"{part}_index": index.reshape(-1).astype(np.int32)}
    write_arrays(Path(mdir) / "calibration.safetensors", arrays | {"settings": layer.settings})


def _refresh_layer(panel, name: str, mdir: Path, log) -> None:
    """Rewrite a kept model's calibration layer when today's model declares one it lacks or its settings changed."""
    from core.models.registry import model_class
    from core.risk.recalibration import Layer

    cls = model_class(name)
    if not cls.calibratable:
        return
    series = store.load_forecasts(panel.name, name, mdir.parent.parent)
    shipped = store.load_calibration(panel.name, name, mdir.parent.parent)
    has_prior = "prior" in read_arrays(mdir / "calibration.safetensors") if shipped is not None else False
    if not has_prior or not Layer(**shipped).fits(series, cls.calibration.half_life):
        print(f"[{name}] calibration layer refitted (new settings)", file=log)
        write_calibration(panel, series, mdir, cls.calibration.half_life)


def _run_command(run_dir: str) -> str:
    """How a training run was made, from its config.json (its recorded command when present)."""
    meta = read_json(Path(run_dir) / "config.json")
    training = saved_state(meta).get("training") or {}
    return (f"`neuralfactors train --model {meta.get('model')} --out {run_dir}` run: step {training.get('step')}, "
            f"stopped {training.get('stopped')}, best validation NLL_joint {training.get('best_valid_nll_joint_scaled')}")
