"""One training run, assembled in one place: `neuralfactors train` (one process, --nproc N or the
ranks of a torchrun) and benchmarks/scale.py call `train_run`; the pretrained build (core.build) calls `fit` with
`build_run`'s settings.

Knows no model by name: the registry builds the model, and whether it is a StepTrainedModel
(core.models.protocol, where the settings and methods such a model takes are declared) decides the settings it
takes. Only step-trained models train on several processes (core.training.distributed.launch: spawned, or the
processes of a torchrun).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from core.data.panel import Panel
from core.errors import ModelError
from core.models.registry import create_model, model_class, models_where
from core.training import distributed, progress
from core.training.device import resolve_device


@dataclass(frozen=True)
class RunSettings:
    """Plain settings of a run (what the CLI parses). overrides: model settings (e.g. n_factors=8);
    seed None: the model's default; nproc None: one process, or the ranks of a torchrun; preset None: the
    model's choice for the device (`preset_for`); init: directory of a saved model to fine-tune;
    time_budget: seconds of training before a clean stop."""

    model: str
    out: Path
    overrides: dict = field(default_factory=dict)
    preset: str | None = None
    max_steps: int | None = None
    device: str | None = None
    seed: int | None = None
    resume: bool = False
    threads: int | str | None = None
    nproc: int | None = None
    progress: bool = True
    init: Path | None = None
    time_budget: float | None = None


def parse_overrides(items: list[str]) -> dict:
    """["k=v", ...] -> {k: v}; v parsed as JSON when it is JSON (1, 0.5, true, "x"), else a string."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ModelError(f"--set {item!r}: expected KEY=VALUE, e.g. --set n_factors=8")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def build_model(s: RunSettings) -> tuple[object, list[str]]:
    """The model to train, its settings checked before any data is read (a typo fails at once), and notes
    on how the run was set up (a preset chosen for the device)."""
    overrides = dict(s.overrides)
    cls = model_class(s.model)
    if cls.step_trained:
        out = Path(s.out)
        preset, notes = s.preset, []
        if preset is None and s.init is None:
            preset, notes = cls.preset_for(resolve_device(s.device or "auto"))
        return cls(preset=preset, device=s.device or "auto", seed=0 if s.seed is None else s.seed,
                   max_steps=s.max_steps, out_dir=out / "checkpoint", resume=s.resume, progress=s.progress,
                   progress_log=out / progress.FILE, threads=s.threads, init=s.init, time_budget=s.time_budget,
                   **overrides), notes
    if s.init is not None or s.time_budget is not None:
        raise ModelError(f"--init and --time-budget apply to {', '.join(models_where(step_trained=True))} only, "
                         f"not {s.model!r}; drop them")
    if s.preset or s.resume or s.max_steps is not None or s.device is not None:
        raise ModelError(f"--preset, --resume, --max-steps and --device apply to "
                         f"{', '.join(models_where(step_trained=True))} only, not {s.model!r} (it trains on the CPU); "
                         f"drop them")
    if s.nproc is not None or s.threads is not None or distributed.launched_by_torchrun():
        raise ModelError(f"--nproc and --threads apply to step-trained models "
                         f"({', '.join(models_where(step_trained=True))}), not {s.model!r}")
    if s.seed is not None:
        if "seed" not in cls.defaults:
            raise ModelError(f"{s.model} has no random seed (its fit is deterministic); drop --seed")
        overrides.setdefault("seed", s.seed)
    return create_model(s.model, **overrides), []


def build_run(name: str, max_steps: int | None, device: str, work_dir: Path) -> RunSettings:
    """The run of model `name` in a pretrained build: the settings its class gives a build (`build_settings`) in
    the folder `work_dir` (NeuralFactors checkpoints there, so an interrupted build resumes)."""
    return RunSettings(model=name, out=Path(work_dir), **model_class(name).build_settings(max_steps, device, work_dir))


def train_run(s: RunSettings, load_panel: Callable[[], Panel]) -> dict | None:
    """Check the settings, load the panel (here, once), fit on its train / valid split on s.nproc
    processes, save to s.out (rank 0). Returns rank 0's summary (None on the other ranks of a torchrun):
    model, dataset, n_stocks, world_size, threads, notes (how the fit adapted to the data) and, for a
    step-trained model, its training_summary() (step, stopped, best_valid, steps_per_s, message, ...)."""
    build_model(s)
    panel = load_panel()
    return distributed.launch(s.nproc, _fit_and_save, s, panel, device=s.device or "auto")


def fit(s: RunSettings, panel: Panel) -> tuple[object, list[str]]:
    """This rank's model, fitted on the panel's train / valid split, and the notes on how the run was set up."""
    rank, world = distributed.rank_world()
    model, notes = build_model(s if rank == 0 else replace(s, progress=False))
    if world > 1:
        notes += model.spread_over(world)
    train, valid = panel.split_dates("train"), panel.split_dates("valid")
    if rank == 0 and model.step_trained and s.progress:
        where = model.device if world == 1 else f"{world} x {model.device}"
        print(f"training {s.model} on {panel.name} ({panel.n_tickers} stocks, {len(train)} train / {len(valid)} "
              f"valid dates) on {where}; config: {model.config.to_json()}", flush=True)
    return model.fit(panel, train, valid), notes


def _fit_and_save(s: RunSettings, panel: Panel) -> dict:
    """One rank's part of train_run (module level: spawned processes import it by name)."""
    import torch

    rank, world = distributed.rank_world()
    model, notes = fit(s, panel)
    if rank == 0:
        model.save(s.out)
    return {"model": s.model, "dataset": panel.name, "n_stocks": panel.n_tickers, "world_size": world,
            "threads": torch.get_num_threads(), "notes": notes + list(model.notes),
            **(model.training_summary() if model.step_trained else {})}
