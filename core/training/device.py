"""Device choice and mixed precision: CUDA when present, CPU otherwise, overridable.

Order: explicit argument (unless "auto"), then env var NEURALFACTORS_DEVICE, then auto.
TF32 matmuls are allowed on CUDA. bf16 autocast is opt-in (`bf16=True`, the NeuralFactors
setting `bf16`) and applies on CUDA only; the CPU always runs in float32. In a distributed
run on CUDA each process gets its own GPU, cuda:LOCAL_RANK. CPU thread counts: threads.py.
"""
from __future__ import annotations

import contextlib
import os

import torch

from core.errors import ModelError

ENV_VAR = "NEURALFACTORS_DEVICE"
CHOICES = ("auto", "cpu", "cuda")


def resolve_device(name: str | None = "auto") -> torch.device:
    """"auto" | "cpu" | "cuda" (NEURALFACTORS_DEVICE overrides "auto") -> torch.device."""
    choice = (name or "auto").lower()
    if choice == "auto":
        choice = os.environ.get(ENV_VAR, "auto").lower() or "auto"
    if choice not in CHOICES:
        raise ModelError(f"unknown device {choice!r}; use one of {', '.join(CHOICES)}")
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda":
        if not torch.cuda.is_available():
            raise ModelError("--device cuda asked for, but no CUDA GPU is available; use --device cpu or auto")
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", torch.cuda.current_device())))
    return torch.device(choice)


def autocast(device: torch.device, bf16: bool = False):
    """bf16 autocast on CUDA when `bf16` is set; otherwise (and always on the CPU) a no-op context."""
    if bf16 and torch.device(device).type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
