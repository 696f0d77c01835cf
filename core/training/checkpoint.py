"""Training checkpoints: DIR/checkpoint.safetensors (tensors) + DIR/checkpoint.json (the rest).

Tensors are stored flat under prefixes: "model.*", "avg.*" (Polyak average), "best.*" (best
validation weights), "opt.<param index>.<key>" (Adam state), "rng.torch" / "rng.gen" (byte
states of the global torch RNG and the trainer's generator). The JSON sidecar holds the step,
counters, the numpy RNG state, optimizer hyper-parameters and anything the caller adds.
Both files are written atomically (core.io); the tensors first, so the JSON names a
complete tensor file.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.errors import CheckpointError
from core.io import read_arrays, read_json, write_arrays, write_json

TENSORS, SIDECAR = "checkpoint.safetensors", "checkpoint.json"


def state_to_numpy(state: dict[str, torch.Tensor], prefix: str) -> dict[str, np.ndarray]:
    return {f"{prefix}.{k}": v.detach().cpu().contiguous().numpy() for k, v in state.items()}


def numpy_to_state(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, torch.Tensor]:
    p = prefix + "."
    return {k[len(p):]: torch.from_numpy(v.copy()) for k, v in arrays.items() if k.startswith(p)}


def exists(directory: str | Path) -> bool:
    return (Path(directory) / SIDECAR).exists() and (Path(directory) / TENSORS).exists()


def save_checkpoint(directory: str | Path, *, model: dict, optimizer: torch.optim.Optimizer, avg: dict | None,
                    best: dict | None, torch_rng: torch.Tensor, gen_rng: torch.Tensor, meta: dict[str, Any]) -> None:
    """Write the whole training state atomically. model/avg/best: state dicts (name -> tensor)."""
    arrays = state_to_numpy(model, "model")
    if avg is not None:
        arrays |= state_to_numpy(avg, "avg")
    if best is not None:
        arrays |= state_to_numpy(best, "best")
    opt = optimizer.state_dict()
    for idx, st in opt["state"].items():
        for key, val in st.items():
            arrays[f"opt.{idx}.{key}"] = torch.as_tensor(val).detach().cpu().numpy().copy()
    arrays["rng.torch"] = torch_rng.numpy().copy()
    arrays["rng.gen"] = gen_rng.cpu().numpy().copy()
    directory = Path(directory)
    write_arrays(directory / TENSORS, arrays)
    write_json(directory / SIDECAR, {**meta, "param_groups": opt["param_groups"],
                                     "has_avg": avg is not None, "has_best": best is not None})


def load_checkpoint(directory: str | Path) -> dict[str, Any]:
    """Read a checkpoint: keys model, avg, best (state dicts or None), optimizer (a state dict
    for Optimizer.load_state_dict), torch_rng, gen_rng (uint8 tensors), meta (the sidecar)."""
    directory = Path(directory)
    meta = read_json(directory / SIDECAR)
    arrays = read_arrays(directory / TENSORS)
    if "rng.torch" not in arrays or "param_groups" not in meta:
        raise CheckpointError(f"{directory}: not a training checkpoint; start a new run without --resume")
    opt_state: dict[int, dict[str, torch.Tensor]] = {}
    for key, val in arrays.items():
        if key.startswith("opt."):
            _, idx, name = key.split(".", 2)
            opt_state.setdefault(int(idx), {})[name] = torch.from_numpy(val.copy())
    return {
        "model": numpy_to_state(arrays, "model"),
        "avg": numpy_to_state(arrays, "avg") if meta["has_avg"] else None,
        "best": numpy_to_state(arrays, "best") if meta["has_best"] else None,
        "optimizer": {"state": opt_state, "param_groups": meta["param_groups"]},
        "torch_rng": torch.from_numpy(arrays["rng.torch"].copy()),
        "gen_rng": torch.from_numpy(arrays["rng.gen"].copy()),
        "meta": meta,
    }
