"""Shipped models and precomputed outputs under pretrained/<dataset>/<model>/.

Layout of one model directory (only safetensors, Parquet and JSON; never pickle):
    weights.safetensors, config.json       the fitted model (its save(); config names "model")
    forecasts.safetensors, forecasts.json  its ForecastSeries from the last training date to the
                                           last date (every forecast the valid and test splits use)
    factor_returns.parquet                 realised factor returns, where the model defines them
    metrics.json                           the evaluate table rows for valid and test
and pretrained/<dataset>/manifest.json: data fingerprint, package version, device, wall times,
the command that built it. Loading checks the fingerprint and version and warns on a mismatch.

`neuralfactors pretrained build --dataset sp500-20 [--max-steps N]` rebuilds everything;
`neuralfactors pretrained check --dataset sp500-20` verifies the files and the fingerprint.
"""
from __future__ import annotations

import argparse
import io
import platform
import shutil
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

from core import __version__
from core.errors import CheckpointError, ModelError
from core.models.base import ForecastSeries

ROOT = Path(__file__).resolve().parent.parent / "pretrained"
#: Learned models are trained with these presets / settings for the shipped files.
NF_PRESET = "sp500-20"


def model_dir(dataset: str, model: str, root: str | Path | None = None) -> Path:
    return Path(root or ROOT) / dataset / model


def has_forecasts(dataset: str, model: str, root: str | Path | None = None) -> bool:
    return (model_dir(dataset, model, root) / "forecasts.safetensors").exists()


def load_forecasts(dataset: str, model: str, root: str | Path | None = None) -> ForecastSeries:
    """The shipped ForecastSeries of `model` on `dataset` (CheckpointError if absent or corrupted)."""
    series = ForecastSeries.load(model_dir(dataset, model, root))
    for message in manifest_warnings(dataset, root):
        warnings.warn(message, stacklevel=2)
    return series


def available_models(dataset: str, root: str | Path | None = None) -> list[str]:
    """Models with shipped forecasts for `dataset`, in registry order."""
    from core.models.base import model_names

    return [m for m in model_names() if has_forecasts(dataset, m, root)]


def manifest_warnings(dataset: str, root: str | Path | None = None, panel=None) -> list[str]:
    """Mismatches between the shipped files and this installation (fingerprint, version)."""
    from core.io import read_json

    path = Path(root or ROOT) / dataset / "manifest.json"
    if not path.exists():
        return []
    manifest = read_json(path)
    fix = f"rebuild with `neuralfactors pretrained build --dataset {dataset}`"
    out = []
    if manifest.get("version") != __version__:
        out.append(f"{path}: built by neuralfactors {manifest.get('version')}, this is {__version__}; {fix}")
    if panel is None:
        from core.data.embedded import DATASETS, load_dataset

        panel = load_dataset(dataset) if dataset in DATASETS else None
    if panel is not None and manifest.get("fingerprint") != panel.fingerprint():
        out.append(f"{path}: the shipped models saw other data (fingerprint {manifest.get('fingerprint')}, "
                   f"this data {panel.fingerprint()}); {fix}")
    return out


def output_dates(panel) -> pd.DatetimeIndex:
    """Forecast dates that the shipped outputs cover: the last training date to the last date."""
    start = panel.dates.get_indexer([panel.split_dates("train")[-1]])[0]
    return panel.dates[start:]


def fit_model(name: str, panel, max_steps: int | None, device: str, work_dir: Path):
    """Fit one registered model on the panel's train/valid dates. NeuralFactors trains with its
    preset and checkpoints in `work_dir`, so an interrupted build resumes where it stopped."""
    from core.models.base import create_model
    from core.training.checkpoint import exists as checkpoint_exists

    if name == "neuralfactors":
        model = create_model(name, preset=NF_PRESET, device=device, max_steps=max_steps, progress=True,
                             out_dir=work_dir, resume=checkpoint_exists(work_dir))
    else:
        model = create_model(name)
    return model.fit(panel, panel.split_dates("train"), panel.split_dates("valid"))


def built_from(mdir: Path, panel, same_version: bool = True) -> bool:
    """`mdir` holds forecasts built from `panel`'s data (and, if asked, by this version)."""
    from core.io import read_json

    if not (mdir / "forecasts.json").exists():
        return False
    meta = read_json(mdir / "forecasts.json")
    return meta.get("fingerprint") == panel.fingerprint() and (not same_version or meta.get("version") == __version__)


def _reusable(mdir: Path, panel) -> bool:
    """A model directory already holds the model and forecasts built from this data by this version."""
    return (mdir / "config.json").exists() and built_from(mdir, panel)


def build(dataset: str, out: str | Path, models: list[str] | None = None, max_steps: int | None = None,
          device: str = "auto", reuse: bool = False, from_runs: dict[str, str] | None = None,
          with_metrics: bool = True, log=sys.stderr) -> dict:
    """Fit every model, write its weights, forecasts and metrics under out/<dataset>/, return the manifest.
    With `reuse`, models whose directory already holds forecasts of this data and version are kept;
    `from_runs` maps a model name to a finished training run directory whose weights are shipped as they are
    (such a model is rebuilt from the run even under `reuse`)."""
    from core.models.base import load_model

    from core.data.embedded import load_dataset
    from core.evaluate import evaluate_models, to_json
    from core.io import atomic_write_bytes, read_json, write_json
    from core.models.base import model_names
    from core.training.device import resolve_device

    panel = load_dataset(dataset)
    names = models or model_names()
    dates = output_dates(panel)
    manifest_path = Path(out) / dataset / "manifest.json"
    timings = read_json(manifest_path).get("models", {}) if reuse and manifest_path.exists() else {}
    for name in names:
        if reuse and name not in (from_runs or {}) and _reusable(model_dir(dataset, name, out), panel):
            print(f"[{name}] kept (already built from this data)", file=log)
            continue
        start = time.perf_counter()
        print(f"[{name}] fitting on {dataset}", file=log)
        mdir = model_dir(dataset, name, out)
        work_dir = Path(out) / dataset / f".training-{name}"
        if name in (from_runs or {}):
            model = load_model(from_runs[name])
            print(f"[{name}] weights taken from the training run {from_runs[name]}", file=log)
        else:
            model = fit_model(name, panel, max_steps, device, work_dir)
        fit_s = time.perf_counter() - start
        model.save(mdir)
        model.forecast_series(panel, dates).save(mdir, {"fingerprint": panel.fingerprint(), "version": __version__})
        if hasattr(model, "factor_returns"):
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
            table = evaluate_models(panel, [name], split, pretrained_root=out, dataset=dataset, log=log)
            metrics[split] = to_json(table)
        write_json(model_dir(dataset, name, out) / "metrics.json", metrics)
    manifest = {
        "dataset": dataset, "fingerprint": panel.fingerprint(), "version": __version__,
        "device": str(resolve_device(device)), "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(), "max_steps": max_steps, "models": timings,
        "command": f"neuralfactors pretrained build --dataset {dataset}"
                   + (f" --max-steps {max_steps}" if max_steps else "") + f" --out {Path(out).name}"
                   + "".join(f" --from-run {k}={v}" for k, v in (from_runs or {}).items()) + (" --reuse" if reuse else ""),
        "built": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
    }
    write_json(Path(out) / dataset / "manifest.json", manifest)
    return manifest


def _run_command(run_dir: str) -> str:
    """How a training run was made, from its config.json (its recorded command when present)."""
    from core.io import read_json

    meta = read_json(Path(run_dir) / "config.json")
    training = meta.get("training", {})
    return (f"`neuralfactors train --model {meta.get('model')} --out {run_dir}` run: step {training.get('step')}, "
            f"stopped {training.get('stopped')}, best validation NLL_joint {training.get('best_valid_nll_joint_scaled')}")


def check(dataset: str, root: str | Path | None = None) -> list[str]:
    """Read every shipped file (raising CheckpointError on a corrupted one); return the warnings."""
    from core.models.base import load_model

    names = available_models(dataset, root)
    if not names:
        raise CheckpointError(f"no shipped outputs under {Path(root or ROOT) / dataset}; "
                              f"build them with `neuralfactors pretrained build --dataset {dataset}`")
    for name in names:
        load_model(model_dir(dataset, name, root))
        ForecastSeries.load(model_dir(dataset, name, root))
    return manifest_warnings(dataset, root)


def metrics_table(dataset: str, split: str, root: str | Path | None = None) -> pd.DataFrame:
    """The shipped metrics of every shipped model on one split, as evaluate's table."""
    from core.evaluate import METRICS
    from core.io import read_json

    rows, reasons, attrs = {}, {}, {}
    for name in available_models(dataset, root):
        path = model_dir(dataset, name, root) / "metrics.json"
        if not path.exists():
            continue
        entry = read_json(path).get(split) or {}
        if name not in entry.get("models", {}):
            raise CheckpointError(f"{path} has no {split} metrics for {name}; rebuild them with "
                                  f"`neuralfactors pretrained build --dataset {dataset} --reuse`")
        rows[name] = entry["models"][name]
        reasons[name] = entry.get("reasons", {}).get(name, {})
        attrs = {k: entry[k] for k in ("split", "dates", "nll_scale", "risk_aversion") if k in entry}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=METRICS).astype(float)
    table.index.name = "model"
    table.attrs.update(reasons=reasons, **attrs)
    return table


def pretrained_command(args: argparse.Namespace) -> int:
    if args.action == "table":
        from core.evaluate import to_markdown

        for split in ("valid", "test"):
            table = metrics_table(args.dataset, split, args.out)
            print(f"### {args.dataset}, {split} split ({table.attrs.get('dates', ['?', '?'])[0]} .. "
                  f"{table.attrs.get('dates', ['?', '?'])[1]}; NLL on returns / {table.attrs.get('nll_scale', float('nan')):.4g})\n")
            print(to_markdown(table))
        return 0
    if args.action == "build":
        names = [m.strip() for m in args.models.split(",")] if args.models else None
        bad = [item for item in args.from_run if "=" not in item]
        if bad:
            raise ModelError(f"--from-run {bad[0]!r}: expected MODEL=DIR, e.g. --from-run neuralfactors=runs/nf")
        runs = dict(item.split("=", 1) for item in args.from_run)
        manifest = build(args.dataset, args.out, names, args.max_steps, args.device, args.reuse, runs)
        print(f"built {len(manifest['models'])} models under {Path(args.out) / args.dataset}")
        return 0
    problems = check(args.dataset, args.out)
    for p in problems:
        print(f"warning: {p}")
    print(f"{args.dataset}: {len(available_models(args.dataset, args.out))} models readable"
          + ("" if not problems else f", {len(problems)} warnings"))
    return 0
