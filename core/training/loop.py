"""A resumable training loop: Adam, Polyak averaging, periodic validation keeping the best
weights, early stopping, a wall-clock budget, NaN/inf guard, checkpoints, a tqdm progress bar and, when
`progress_log` names a file, progress as JSON lines (core.training.progress) for a dashboard.

The loop knows nothing about the model: the caller gives
    loss_fn(net, rng: np.random.Generator, gen: torch.Generator) -> scalar loss tensor
        (samples its own days with rng; gen drives any other sampling, e.g. IWAE noise)
    valid_fn(net) -> float, lower is better (run in eval mode under no_grad).
On the CPU a run is deterministic for a given seed, and a run stopped by `max_steps` then
resumed from its checkpoint ends with the same weights as an uninterrupted run.

Distributed (core.training.distributed, torch.distributed initialised with world size W > 1):
the loss runs through DistributedDataParallel, so the gradients are averaged over the ranks
before every Adam step; loss_fn must then return ITS RANK's share of the step's loss, scaled
so that the mean over the ranks is the step's loss (e.g. sum over its days / global days * W).
Every rank draws the same days (numpy rng) and the same noise stream (gen) with the same
seeds; dropout draws from torch's global RNG seeded seed + 2 + rank. The logged loss is the
mean over ranks; a non-finite loss on any rank stops all of them. Validation runs on rank 0
and its value is broadcast, so every rank takes the same keep-best / early-stop decision;
checkpoints and progress lines are written by rank 0 only (with every rank's dropout RNG state).
"""
from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from core.errors import CheckpointError, ModelError
from core.training import checkpoint as ckpt
from core.training import distributed, progress
from core.training.device import autocast


@dataclass
class LoopSettings:
    """steps: the full schedule; max_steps: stop earlier (resumable); polyak_start: average
    weights after this step; patience: validations without improvement before stopping (0 = off)."""

    steps: int
    lr: float
    weight_decay: float
    polyak_start: int
    valid_every: int
    patience: int = 0
    seed: int = 0
    max_steps: int | None = None
    out_dir: str | Path | None = None
    resume: bool = False
    progress: bool = True
    bf16: bool = False       # bf16 autocast of the loss (CUDA only; ignored on the CPU)
    compile: bool = False    # torch.compile the network for the training steps
    progress_log: str | Path | None = None  # JSON lines of progress (core.training.progress); restarted unless resume
    time_budget: float | None = None  # seconds for this call: stop (validated, checkpointed, resumable) within it
    validate_start: bool = False  # validate the starting weights (step 0) first, e.g. a network being fine-tuned


@dataclass
class LoopResult:
    """best_state: weights with the best validation (or the last evaluated weights if no
    validation ran); stopped: "done" | "max_steps" | "early_stop" | "time_budget" | "non_finite"."""

    best_state: dict[str, torch.Tensor]
    best_valid: float
    step: int
    stopped: str
    history: list[dict] = field(default_factory=list)
    message: str = ""
    steps_per_s: float = float("nan")


def _clone(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in state.items()}


def _rng_state_b64(device: torch.device) -> dict:
    cuda = torch.cuda.get_rng_state(device).numpy().tobytes() if device.type == "cuda" else None
    enc = lambda b: None if b is None else base64.b64encode(b).decode()  # noqa: E731
    return {"cpu": enc(torch.get_rng_state().numpy().tobytes()), "cuda": enc(cuda)}


def _set_rng_state_b64(state: dict, device: torch.device) -> None:
    dec = lambda v: torch.frombuffer(bytearray(base64.b64decode(v)), dtype=torch.uint8)  # noqa: E731
    torch.set_rng_state(dec(state["cpu"]))
    if device.type == "cuda" and state.get("cuda"):
        torch.cuda.set_rng_state(dec(state["cuda"]), device)


def train_loop(net: torch.nn.Module, loss_fn: Callable, valid_fn: Callable, s: LoopSettings,
               device: torch.device, extra_meta: dict | None = None) -> LoopResult:
    """Run (or resume) training of `net` (already on `device`); returns the best weights.
    In a distributed run every rank calls this with the same settings (see the module doc)."""
    rank, world = distributed.rank_world()
    opt = torch.optim.Adam(net.parameters(), lr=s.lr, weight_decay=s.weight_decay)
    rng = np.random.default_rng(s.seed)
    gen = torch.Generator(device=device).manual_seed(s.seed + 1)
    torch.manual_seed(s.seed + 2 + rank)  # dropout (rank 0 = a one-process run)
    step, n_avg, best_valid, bad, history = 0, 0, float("inf"), 0, []
    avg: dict | None = None
    best: dict | None = None
    out = Path(s.out_dir) if s.out_dir else None
    if s.resume:
        if out is None or not ckpt.exists(out):
            raise CheckpointError(f"--resume: no checkpoint in {out}; run without --resume to start training")
        c = ckpt.load_checkpoint(out)
        net.load_state_dict(c["model"])
        opt.load_state_dict(c["optimizer"])
        avg = None if c["avg"] is None else {k: v.to(device) for k, v in c["avg"].items()}
        best = c["best"]
        gen.set_state(c["gen_rng"])
        m = c["meta"]
        ranks = m.get("rank_rng") or []
        if rank < len(ranks):      # a rank without a saved state (fewer ranks before) keeps its fresh seed
            _set_rng_state_b64(ranks[rank], device)
        elif rank == 0:
            torch.set_rng_state(c["torch_rng"])
        step, n_avg, best_valid, bad, history = m["step"], m["n_avg"], m["best_valid"], m["bad"], m["history"]
        best_valid = float("inf") if best_valid is None else best_valid
        rng.bit_generator.state = m["numpy_rng"]
    train_net = torch.compile(net) if s.compile else net   # shares net's parameters
    step_fn = distributed.wrap_loss(train_net, loss_fn) if world > 1 else None

    def save() -> None:
        if out is None:
            return
        # collectives: every rank calls save(), and waits until rank 0 has written the files
        ranks = distributed.gather_objects(_rng_state_b64(device))
        if rank == 0:
            ckpt.save_checkpoint(out, model=net.state_dict(), optimizer=opt, avg=avg, best=best,
                                 torch_rng=torch.get_rng_state(), gen_rng=gen.get_state(),
                                 meta={"step": step, "n_avg": n_avg, "best_valid": best_valid, "bad": bad,
                                       "history": history, "numpy_rng": rng.bit_generator.state,
                                       "world_size": world, "rank_rng": ranks, **(extra_meta or {})})
        distributed.barrier()

    def eval_state() -> dict[str, torch.Tensor]:
        return avg if avg is not None else net.state_dict()

    def validate() -> float:
        v = float("nan")
        if rank == 0:
            live = _clone(net.state_dict())
            net.load_state_dict(eval_state())
            net.eval()
            with torch.no_grad():
                v = float(valid_fn(net))
            net.load_state_dict(live)
        return distributed.broadcast_float(v)

    stop_at = s.steps if s.max_steps is None else min(s.steps, s.max_steps)
    stopped, message, last_loss, valid = "done", "", float("nan"), (best_valid if best else float("nan"))
    t0, step0 = time.perf_counter(), step
    log = Path(s.progress_log) if s.progress_log and rank == 0 else None
    if log is not None and not s.resume:
        log.unlink(missing_ok=True)
    logged_at = -float("inf")

    def report(**final) -> None:
        """One progress line: every step at most once a second, on a validation step, and at the end."""
        nonlocal logged_at
        now = time.perf_counter()
        if log is None or not (final or now - logged_at >= 1.0 or step % s.valid_every == 0):
            return
        logged_at, elapsed = now, now - t0
        eta = (stop_at - step) * elapsed / (step - step0) if step > step0 else float("nan")
        progress.append(log, {"step": step, "total": stop_at, "elapsed": round(elapsed, 3), "eta": round(eta, 3),
                              "train_loss": last_loss, "valid": valid, **final})
    valid_seconds = 0.0  # duration of the last validation (what the time budget keeps in reserve)

    def validate_and_keep() -> None:
        """Validate this step's weights, keep them when best, checkpoint."""
        nonlocal valid, best_valid, best, bad, valid_seconds
        started = time.perf_counter()
        valid = validate()
        valid_seconds = time.perf_counter() - started
        history.append({"step": step, "train_loss": last_loss, "valid": valid})
        if valid < best_valid:
            best_valid, best, bad = valid, {k: v.detach().cpu().clone() for k, v in eval_state().items()}, 0
        else:
            bad += 1
        save()

    if s.validate_start and step == 0:
        validate_and_keep()
    bar = tqdm(total=stop_at, initial=step, unit="step", disable=not s.progress or rank != 0, dynamic_ncols=True)
    while step < stop_at:
        net.train()
        with autocast(device, s.bf16):
            loss = step_fn(rng, gen) if step_fn is not None else loss_fn(train_net, rng, gen)
        step_loss = float(distributed.mean(loss.detach().float()))
        if not np.isfinite(step_loss):
            stopped = "non_finite"
            message = (f"loss became {step_loss} at step {step + 1}; stopped. The last good checkpoint "
                       f"(step {step - step % s.valid_every}) is kept; lower the learning rate (--set lr=...)")
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        last_loss = step_loss
        if step > s.polyak_start:
            n_avg += 1
            if avg is None:
                avg = _clone(net.state_dict())
            else:
                for k, v in net.state_dict().items():
                    if v.is_floating_point():
                        avg[k].add_(v.detach() - avg[k], alpha=1.0 / n_avg)
                    else:
                        avg[k].copy_(v)
        if step % s.valid_every == 0 or step == s.steps:
            validate_and_keep()
            if s.patience and bad >= s.patience:
                stopped = "early_stop"
                break
        bar.update(1)
        bar.set_postfix(loss=f"{last_loss:.4f}", valid="pending" if np.isnan(valid) else f"{valid:.4f}")
        report()
        if s.time_budget and step < stop_at and time.perf_counter() - t0 + valid_seconds >= s.time_budget:
            stopped = "time_budget"  # stopped early enough that the last validation still ends within the budget
            if not (history and history[-1]["step"] == step):
                validate_and_keep()
            break
    bar.close()
    elapsed = time.perf_counter() - t0
    if stopped == "done" and step < s.steps:
        stopped = "max_steps"
        save()
    if best is not None:
        final = best
    elif stopped == "non_finite":
        raise ModelError(message.replace("The last good checkpoint", "No validation had run yet, so no checkpoint")
                         .replace(f"(step {step - step % s.valid_every}) is kept", "was kept"))
    else:
        final = {k: v.detach().cpu().clone() for k, v in eval_state().items()}
        if step > step0:
            # a run shorter than one validation period is still scored once, on the weights it returns;
            # for the report only (the checkpoint's keep-best state is untouched, so --resume is unchanged)
            best_valid = validate()
            history.append({"step": step, "train_loss": last_loss, "valid": best_valid, "final_only": True})
    report(stopped=stopped, best_valid=best_valid)
    return LoopResult(best_state=final, best_valid=best_valid, step=step, stopped=stopped, history=history,
                      message=message, steps_per_s=(step - step0) / elapsed if elapsed > 0 else float("nan"))
