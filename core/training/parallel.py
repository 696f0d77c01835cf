"""NeuralFactors on N processes: `neuralfactors train --model neuralfactors --nproc N`.

`train_neuralfactors` runs the usual fit on every rank through core.training.distributed.launch
(spawned processes, or the processes of a torchrun), rank 0 saves the model and returns a
summary. Kept apart from core.training.distributed so that module does not import the model.
"""
from __future__ import annotations

from pathlib import Path

import torch

from core.training.distributed import launch, rank_world


def train_neuralfactors(nproc: int | None, out: str | Path, *, dataset: str | None = None,
                        data: str | Path | None = None, date_format: str | None = None,
                        split: tuple[float, float] | None = None, train_end=None, valid_end=None,
                        **model_kwargs) -> dict | None:
    """Fit NeuralFactors on `nproc` ranks (or under torchrun) and save it to `out` (rank 0).

    model_kwargs go to NeuralFactorsModel (preset, device, seed, max_steps, out_dir, resume,
    progress, threads and setting overrides); dataset / data / date_format as for core.data.load_panel,
    split / train_end / valid_end as for core.data.splits.resplit.
    Returns a summary on rank 0 (None on the other torchrun ranks): step, stopped, best_valid,
    steps_per_s, message, return_scale, device, world_size, threads, dataset, n_stocks."""
    source = {"dataset": dataset, "path": None if data is None else str(data), "date_format": date_format}
    splits = {"shares": split, "train_end": train_end, "valid_end": valid_end}
    return launch(nproc, _train_worker, str(out), source, splits, model_kwargs,
                  device=model_kwargs.get("device", "auto"))


def _train_worker(out: str, source: dict, splits: dict, model_kwargs: dict) -> dict:
    from core.data import load_panel
    from core.data.splits import resplit
    from core.models.neuralfactors.model import NeuralFactorsModel

    rank, world = rank_world()
    kw = dict(model_kwargs)
    if rank != 0:
        kw["progress"] = False
    model = NeuralFactorsModel(**kw)
    panel = resplit(load_panel(**source), **splits)
    train, valid = panel.split_dates("train"), panel.split_dates("valid")
    if rank == 0 and kw.get("progress"):
        print(f"training neuralfactors on {panel.name} ({panel.n_tickers} stocks, {len(train)} train / "
              f"{len(valid)} valid dates) on {world} x {model.device}; config: {model.config.to_json()}", flush=True)
    model.fit(panel, train, valid)
    if rank == 0:
        model.save(out)
    r = model.result
    return {"step": r.step, "stopped": r.stopped, "best_valid": r.best_valid, "steps_per_s": r.steps_per_s,
            "message": r.message, "return_scale": model.scaler.return_scale, "device": str(model.device),
            "world_size": world, "threads": torch.get_num_threads(), "dataset": panel.name,
            "n_stocks": panel.n_tickers}
