"""Device choice and mixed precision: CUDA when present, CPU otherwise, overridable.

Order: explicit argument (unless "auto"), then env var NEURALFACTORS_DEVICE, then auto.
TF32 matmuls and bf16 autocast are used on CUDA only; the CPU runs in float32.
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
    return torch.device(choice)


def autocast(device: torch.device):
    """bf16 autocast on CUDA, a no-op context on the CPU."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
