"""THE trainer every network of this package uses (NeuralFactors, FactorVAE, the conditional autoencoders).

It knows no model: the caller gives a network, a loss and a validation score,
    loss_fn(net, rng: np.random.Generator, gen: torch.Generator) -> scalar loss tensor, or None to skip
        the step (no update; e.g. a mini-batch with too few observations); it samples its own batch with rng,
        gen drives any other sampling (IWAE or reparameterisation noise)
    valid_fn(net) -> float, lower is better (run in eval mode under no_grad),
and `TrainSettings`. The loop itself does Adam (optionally a cosine learning-rate decay), Polyak averaging,
validation every `valid_every` steps and a NaN/inf guard; everything else is a `Callback` on its events:
keep-best (`KeepBest`, or `KeepGuarded` when a `Guard` says which states may be kept), patience (`Patience`),
checkpoints and resume (`Checkpoint`), a wall-clock budget (`TimeBudget`), a tqdm bar (`ProgressBar`) and
JSON-lines progress for a dashboard (`ProgressLog`, core.training.progress). `default_callbacks(settings)`
assembles the ones the settings ask for.

On the CPU a run is deterministic for a given seed, and a run stopped by `max_steps` then resumed from its
checkpoint ends with the same weights as an uninterrupted run.

Distributed (core.training.distributed, torch.distributed initialised with world size W > 1): the loss runs
through DistributedDataParallel, so the gradients are averaged over the ranks before every Adam step; loss_fn
must then return ITS RANK's share of the step's loss, scaled so that the mean over the ranks is the step's loss
(e.g. sum over its days / global days * W), and may not skip steps. Every rank draws the same batches (numpy rng)
and the same noise stream (gen) with the same seeds; dropout draws from torch's global RNG seeded
seed + 2 + rank. The logged loss is the mean over ranks; a non-finite loss on any rank stops all of them.
Validation runs on rank 0 and its value is broadcast, so every rank takes the same keep-best / early-stop
decision; checkpoints and progress lines are written by rank 0 only (with every rank's dropout RNG state).
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

SCHEDULES = ("constant", "cosine")


@dataclass
class TrainSettings:
    """steps: the full schedule; max_steps: stop earlier (resumable); polyak_start: average the weights after
    this step (None: no averaging); patience: validations without an improvement of more than min_delta before
    stopping (0 = off); schedule: "constant" or "cosine" (learning rate decayed to 0 over `steps`); seed: the
    batch RNG (numpy), dropout (seed + 2 + rank) and, unless noise_seed is given, the noise generator (seed + 1)."""

    steps: int
    lr: float
    valid_every: int
    weight_decay: float = 0.0
    polyak_start: int | None = None
    patience: int = 0
    min_delta: float = 0.0
    schedule: str = "constant"
    seed: int = 0
    noise_seed: int | None = None
    max_steps: int | None = None
    out_dir: str | Path | None = None
    resume: bool = False
    progress: bool = True
    bf16: bool = False       # bf16 autocast of the loss (CUDA only; ignored on the CPU)
    compile: bool = False    # torch.compile the network for the training steps
    progress_log: str | Path | None = None  # JSON lines of progress (core.training.progress); restarted unless resume
    time_budget: float | None = None  # seconds for this call: stop (validated, checkpointed, resumable) within it
    validate_start: bool = False  # validate the starting weights (step 0) first, e.g. a network being fine-tuned

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ModelError(f"unknown learning-rate schedule {self.schedule!r}; use one of {', '.join(SCHEDULES)}")


@dataclass
class TrainResult:
    """best_state: weights with the best validation (or the last evaluated weights if no validation ran);
    best_step: the step they were validated at; stopped: "done" | "max_steps" | "early_stop" | "time_budget" |
    "non_finite"; history: one entry per validation {"step", "train_loss", "valid"} (a Guard adds its score);
    selection: what a Guard decided (KeepGuarded.summary), None without one."""

    best_state: dict[str, torch.Tensor]
    best_valid: float
    step: int
    stopped: str
    history: list[dict] = field(default_factory=list)
    message: str = ""
    steps_per_s: float = float("nan")
    best_step: int | None = None
    selection: dict | None = None


class Callback:
    """Hooks on the trainer's events; each receives the Trainer (its state is public) and may set `trainer.stop`."""

    def on_start(self, t: "Trainer") -> None:
        """Before the first step (after the trainer is set up)."""

    def after_validation(self, t: "Trainer") -> None:
        """After a validation score `t.valid` was recorded in `t.history`."""

    def after_step(self, t: "Trainer") -> None:
        """After an optimisation step that did not stop the run."""

    def on_stop(self, t: "Trainer") -> None:
        """When the loop has ended (t.stopped is final), before the returned weights are chosen."""

    def on_end(self, t: "Trainer") -> None:
        """Last: the returned weights and best_valid are known."""


class KeepBest(Callback):
    """Keep the weights of the best validation (lower by more than min_delta); count validations without one."""

    def __init__(self, min_delta: float = 0.0) -> None:
        self.min_delta = min_delta

    def after_validation(self, t: "Trainer") -> None:
        if t.valid < t.best_valid - self.min_delta:
            t.keep()
        else:
            t.bad += 1


@dataclass
class Guard:
    """A second validation score that a kept state may not worsen against a reference (e.g. a fine-tune's start
    network as it is served without training). fn(net) -> float, lower is better, run like valid_fn (eval mode, no
    grad, rank 0); `reference` is the reference's fn score and `reference_valid` its validation score (valid_fn's
    scale); name: the score's name in the history and the summary."""

    name: str
    fn: Callable
    reference: float
    reference_valid: float
    tolerance: float = 0.0


class KeepGuarded(Callback):
    """Keep-best under a Guard: a state validated at step > 0 is kept when its validation beats the best kept so
    far (at first the reference's validation, by more than min_delta) AND its guard score is no worse than the
    reference's + tolerance. The guard is scored only for a state that beats the best kept so far (no other could
    be kept). Until a state is kept the trainer holds the start weights as `best` at step 0 (what a caller serves
    is then its reference: `summary()["kept"]` is False). The history gets a step-0 row for the reference."""

    def __init__(self, guard: Guard, min_delta: float = 0.0) -> None:
        self.guard, self.min_delta = guard, min_delta
        self.guard_seconds = 0.0  # the longest guard scoring so far: a time budget counts it in every validation

    def on_start(self, t: "Trainer") -> None:
        if t.step == 0 and t.best is None:  # a fresh run (a resumed one restores all of this from its checkpoint)
            g = self.guard
            t.best_valid, t.best_step = g.reference_valid, 0
            t.best = {k: v.detach().cpu().clone() for k, v in t.eval_state().items()}
            t.history.append({"step": 0, "train_loss": float("nan"), "valid": g.reference_valid,
                              g.name: g.reference, "reference": True})

    def after_validation(self, t: "Trainer") -> None:
        row = t.history[-1]
        if t.step == 0 or not t.valid < t.best_valid - self.min_delta:
            t.bad += 1
            t.valid_seconds += self.guard_seconds
            return
        started = time.perf_counter()
        row[self.guard.name] = score = t.score(self.guard.fn)
        self.guard_seconds = max(self.guard_seconds, time.perf_counter() - started)
        t.valid_seconds += self.guard_seconds
        row["qualified"] = bool(score <= self.guard.reference + self.guard.tolerance)
        if row["qualified"]:
            t.keep()
        else:
            t.bad += 1

    def on_end(self, t: "Trainer") -> None:
        t.selection = self.summary(t)

    def summary(self, t: "Trainer") -> dict:
        """{guard, tolerance, reference: {step 0, valid, <guard>}, kept, step (None when nothing qualified),
        valid, <guard>: the chosen state's scores, candidates: the steps validated after step 0}."""
        g = self.guard
        chosen = next((h for h in t.history if h["step"] == t.best_step and h.get("qualified")), None)
        return {"guard": g.name, "tolerance": g.tolerance,
                "reference": {"step": 0, "valid": g.reference_valid, g.name: g.reference},
                "kept": chosen is not None, "step": None if chosen is None else chosen["step"],
                "valid": None if chosen is None else chosen["valid"],
                g.name: None if chosen is None else chosen[g.name],
                "candidates": sum(1 for h in t.history if h["step"] > 0 and not h.get("final_only"))}


class Patience(Callback):
    """Stop ("early_stop") after `patience` validations in a row without an improvement (judged at the validations
    of the training steps, not at the start's or a time budget's)."""

    def __init__(self, patience: int) -> None:
        self.patience = patience

    def after_validation(self, t: "Trainer") -> None:
        in_loop = t.step > 0 and (t.step % t.s.valid_every == 0 or t.step == t.s.steps)
        if in_loop and t.bad >= self.patience:
            t.stop = "early_stop"


class Checkpoint(Callback):
    """Resume from OUT_DIR (when asked) and write the whole training state there after every validation and
    when a run stops at max_steps (rank 0 writes; every rank takes part)."""

    def __init__(self, out_dir: str | Path, resume: bool, extra_meta: dict | None = None) -> None:
        self.out, self.resume, self.extra_meta = Path(out_dir), resume, extra_meta or {}

    def on_start(self, t: "Trainer") -> None:
        if self.resume:
            if not ckpt.exists(self.out):
                raise CheckpointError(f"--resume: no checkpoint in {self.out}; run without --resume to start training")
            t.restore(ckpt.load_checkpoint(self.out))
            t.rescore_best()

    def after_validation(self, t: "Trainer") -> None:
        self.save(t)

    def on_stop(self, t: "Trainer") -> None:
        if t.stopped == "max_steps":
            self.save(t)

    def save(self, t: "Trainer") -> None:
        ranks = distributed.gather_objects(_rng_state_b64(t.device))  # a collective: every rank calls save
        if t.rank == 0:
            ckpt.save_checkpoint(self.out, model=t.net.state_dict(), optimizer=t.opt, avg=t.avg, best=t.best,
                                 torch_rng=torch.get_rng_state(), gen_rng=t.gen.get_state(),
                                 meta={**t.counters(), "world_size": t.world, "rank_rng": ranks, **self.extra_meta})
        distributed.barrier()


class TimeBudget(Callback):
    """Stop ("time_budget") early enough that a last validation still ends within `seconds` (resumable)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def after_step(self, t: "Trainer") -> None:
        over = t.step < t.stop_at and time.perf_counter() - t.t0 + t.valid_seconds >= self.seconds
        over = bool(distributed.broadcast_float(float(over)))  # rank 0's clock decides: all ranks stop together
        if over:
            if not (t.history and t.history[-1]["step"] == t.step):
                t.validate()
            t.stop = "time_budget"


class ProgressBar(Callback):
    """A tqdm bar with the last loss and validation (rank 0)."""

    def on_start(self, t: "Trainer") -> None:
        self.bar = tqdm(total=t.stop_at, initial=t.step, unit="step", disable=t.rank != 0, dynamic_ncols=True)

    def after_step(self, t: "Trainer") -> None:
        self.bar.update(1)
        self.bar.set_postfix(loss=f"{t.last_loss:.4f}", valid="pending" if np.isnan(t.valid) else f"{t.valid:.4f}")

    def on_stop(self, t: "Trainer") -> None:
        self.bar.close()


class ProgressLog(Callback):
    """Progress as JSON lines in `path` (rank 0): at most once a second, on every validation step, at the end."""

    def __init__(self, path: str | Path, resume: bool) -> None:
        self.path, self.resume, self.logged_at = Path(path), resume, -float("inf")

    def on_start(self, t: "Trainer") -> None:
        if t.rank == 0 and not self.resume:
            self.path.unlink(missing_ok=True)

    def after_step(self, t: "Trainer") -> None:
        self.write(t)

    def on_end(self, t: "Trainer") -> None:
        self.write(t, stopped=t.stopped, best_valid=t.best_valid)

    def write(self, t: "Trainer", **final) -> None:
        now = time.perf_counter()
        if t.rank != 0 or not (final or now - self.logged_at >= 1.0 or t.step % t.s.valid_every == 0):
            return
        self.logged_at, elapsed = now, now - t.t0
        eta = (t.stop_at - t.step) * elapsed / (t.step - t.step0) if t.step > t.step0 else float("nan")
        progress.append(self.path, {"step": t.step, "total": t.stop_at, "elapsed": round(elapsed, 3),
                                    "eta": round(eta, 3), "train_loss": t.last_loss, "valid": t.valid, **final})


def default_callbacks(s: TrainSettings, extra_meta: dict | None = None, guard: Guard | None = None
                      ) -> list[Callback]:
    """The callbacks `s` asks for, in the order they must run (keep-best, guarded when a Guard is given, before the
    checkpoint that stores it, the checkpoint before the patience that may end the run)."""
    out: list[Callback] = [KeepBest(s.min_delta) if guard is None else KeepGuarded(guard, s.min_delta)]
    if s.out_dir:
        out.append(Checkpoint(s.out_dir, s.resume, extra_meta))
    elif s.resume:
        raise CheckpointError("--resume needs the run's checkpoint folder (out_dir); give --out")
    if s.patience:
        out.append(Patience(s.patience))
    if s.progress:
        out.append(ProgressBar())
    if s.progress_log:
        out.append(ProgressLog(s.progress_log, s.resume))
    if s.time_budget:
        out.append(TimeBudget(s.time_budget))
    return out


class Trainer:
    """Trains `net` (already on `device`) with loss_fn / valid_fn under `settings`; `run()` returns a TrainResult.
    In a distributed run every rank builds the same Trainer (see the module doc). guard: keep only states that do
    not worsen a second score (Guard, KeepGuarded) in place of plain keep-best."""

    def __init__(self, net: torch.nn.Module, loss_fn: Callable, valid_fn: Callable, settings: TrainSettings,
                 device: torch.device, callbacks: list[Callback] | None = None, extra_meta: dict | None = None,
                 guard: Guard | None = None) -> None:
        s = self.s = settings
        self.net, self.loss_fn, self.valid_fn, self.device = net, loss_fn, valid_fn, device
        self.callbacks = default_callbacks(s, extra_meta, guard) if callbacks is None else callbacks
        self.rank, self.world = distributed.rank_world()
        self.opt = torch.optim.Adam(net.parameters(), lr=s.lr, weight_decay=s.weight_decay)
        self.schedule = (torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=int(s.steps))
                         if s.schedule == "cosine" else None)
        self.rng = np.random.default_rng(s.seed)
        self.gen = torch.Generator(device=device).manual_seed(s.seed + 1 if s.noise_seed is None else s.noise_seed)
        torch.manual_seed(s.seed + 2 + self.rank)  # dropout (rank 0 = a one-process run)
        self.step = self.n_avg = self.bad = 0
        self.best_valid, self.history = float("inf"), []
        self.avg: dict | None = None
        self.best: dict | None = None
        self.best_step: int | None = None
        self.selection: dict | None = None
        self.stop_at = s.steps if s.max_steps is None else min(s.steps, s.max_steps)
        self.stop: str | None = None
        self.stopped, self.message = "done", ""
        self.last_loss, self.valid, self.valid_seconds = float("nan"), float("nan"), 0.0

    # --- state ------------------------------------------------------------------------------
    def eval_state(self) -> dict[str, torch.Tensor]:
        """The weights validated and returned: the Polyak average once it started, else the live weights."""
        return self.avg if self.avg is not None else self.net.state_dict()

    def counters(self) -> dict:
        """What a checkpoint's sidecar holds besides the tensors."""
        return {"step": self.step, "n_avg": self.n_avg, "best_valid": self.best_valid, "best_step": self.best_step,
                "bad": self.bad,
                "history": self.history, "numpy_rng": self.rng.bit_generator.state,
                "schedule": None if self.schedule is None else self.schedule.state_dict()}

    def restore(self, c: dict) -> None:
        """Take up the state of a checkpoint (core.training.checkpoint.load_checkpoint)."""
        self.net.load_state_dict(c["model"])
        self.opt.load_state_dict(c["optimizer"])
        self.avg = None if c["avg"] is None else {k: v.to(self.device) for k, v in c["avg"].items()}
        self.best = c["best"]
        self.gen.set_state(c["gen_rng"])
        m = c["meta"]
        ranks = m.get("rank_rng") or []
        if self.rank < len(ranks):    # a rank without a saved state (fewer ranks before) keeps its fresh seed
            _set_rng_state_b64(ranks[self.rank], self.device)
        elif self.rank == 0:
            torch.set_rng_state(c["torch_rng"])
        if self.schedule is not None and m.get("schedule"):
            self.schedule.load_state_dict(m["schedule"])
        self.step, self.n_avg, self.bad, self.history = m["step"], m["n_avg"], m["bad"], m["history"]
        self.best_valid = float("inf") if m["best_valid"] is None else m["best_valid"]
        self.best_step = m.get("best_step")
        self.valid = self.best_valid if self.best is not None else float("nan")
        self.rng.bit_generator.state = m["numpy_rng"]

    def rescore_best(self) -> None:
        """After a resume: the kept weights scored again by this run's valid_fn, which may read other days than the
        run that kept them (a run shorter than its validation interval is validated on a subset of the days), so
        later validations are compared with a score of the same days. Under a Guard with nothing kept yet (step 0)
        the bar is the guard's reference_valid, as in a run never interrupted (the reference as it is served, which
        may score otherwise than its weights as this network holds them). Equal to the checkpoint's on the same
        days (valid_fn is deterministic); the history keeps the scores as they were read."""
        if self.best is None:
            return
        guards = [cb.guard for cb in self.callbacks if isinstance(cb, KeepGuarded)]
        if guards and self.best_step == 0:
            self.best_valid = self.valid = guards[0].reference_valid
        else:
            self.best_valid = self.valid = self.score(self.valid_fn, self.best)

    def keep(self) -> None:
        """Keep the evaluation weights as the best: their validation, their step; reset the patience count."""
        self.best = {k: v.detach().cpu().clone() for k, v in self.eval_state().items()}
        self.best_valid, self.best_step, self.bad = self.valid, self.step, 0

    # --- events -----------------------------------------------------------------------------
    def _emit(self, event: str) -> None:
        for cb in self.callbacks:
            getattr(cb, event)(self)

    def validate(self) -> None:
        """Score the evaluation weights (rank 0, broadcast), record the score, run the validation callbacks."""
        started = time.perf_counter()
        self.valid = self.score(self.valid_fn)
        self.valid_seconds = time.perf_counter() - started
        self.history.append({"step": self.step, "train_loss": self.last_loss, "valid": self.valid})
        self._emit("after_validation")

    def score(self, fn: Callable, state: dict | None = None) -> float:
        """fn(net) of `state` (default: the evaluation weights) on rank 0 (eval mode, no grad), broadcast to every
        rank (valid_fn, a Guard's fn)."""
        v = float("nan")
        if self.rank == 0:
            live = _clone(self.net.state_dict())
            self.net.load_state_dict(self.eval_state() if state is None else state)
            self.net.eval()
            with torch.no_grad():
                v = float(fn(self.net))
            self.net.load_state_dict(live)
        return distributed.broadcast_float(v)

    def _average(self) -> None:
        self.n_avg += 1
        if self.avg is None:
            self.avg = _clone(self.net.state_dict())
            return
        for k, v in self.net.state_dict().items():
            if v.is_floating_point():
                self.avg[k].add_(v.detach() - self.avg[k], alpha=1.0 / self.n_avg)
            else:
                self.avg[k].copy_(v)

    def _one_step(self, train_net, step_fn) -> bool:
        """One optimisation step (or a skipped one); False when the loss is not finite."""
        self.net.train()
        with autocast(self.device, self.s.bf16):
            loss = step_fn(self.rng, self.gen) if step_fn is not None else self.loss_fn(train_net, self.rng, self.gen)
        if loss is not None:
            step_loss = float(distributed.mean(loss.detach().float()))
            if not np.isfinite(step_loss):
                self.stopped = "non_finite"
                self.message = (f"loss became {step_loss} at step {self.step + 1}; stopped. The last good checkpoint "
                                f"(step {self.step - self.step % self.s.valid_every}) is kept; lower the learning "
                                "rate (--set lr=...)")
                return False
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            self.last_loss = step_loss
        if self.schedule is not None:
            self.schedule.step()
        self.step += 1
        if self.s.polyak_start is not None and self.step > self.s.polyak_start:
            self._average()
        return True

    def run(self) -> TrainResult:
        s = self.s
        self._emit("on_start")
        train_net = torch.compile(self.net) if s.compile else self.net   # shares net's parameters
        step_fn = distributed.wrap_loss(train_net, self.loss_fn) if self.world > 1 else None
        self.t0, self.step0 = time.perf_counter(), self.step
        if s.validate_start and self.step == 0:
            self.validate()
        while self.step < self.stop_at and self.stop is None:
            if not self._one_step(train_net, step_fn):
                break
            if self.step % s.valid_every == 0 or self.step == s.steps:
                self.validate()
                if self.stop is not None:
                    break
            self._emit("after_step")
        if self.stop is not None:
            self.stopped = self.stop
        elapsed = time.perf_counter() - self.t0
        if self.stopped == "done" and self.step < s.steps:
            self.stopped = "max_steps"
        self._emit("on_stop")
        final = self._final_state()
        self._emit("on_end")
        return TrainResult(best_state=final, best_valid=self.best_valid, step=self.step, stopped=self.stopped,
                           history=self.history, message=self.message,
                           steps_per_s=(self.step - self.step0) / elapsed if elapsed > 0 else float("nan"),
                           best_step=self.best_step if self.best is not None else self.step, selection=self.selection)

    def _final_state(self) -> dict[str, torch.Tensor]:
        """The weights returned: the best validated ones; else (no validation ran) the evaluation weights, scored
        once for the report (the checkpoint's keep-best state is untouched, so --resume is unchanged)."""
        if self.best is not None:
            return self.best
        if self.stopped == "non_finite":
            raise ModelError(self.message.replace("The last good checkpoint", "No validation had run yet, so no "
                                                  "checkpoint").replace(f"(step {self.step - self.step % self.s.valid_every}) "
                                                                        "is kept", "was kept"))
        final = {k: v.detach().cpu().clone() for k, v in self.eval_state().items()}
        if self.step > self.step0:
            self.best_valid = self.score(self.valid_fn)
            self.history.append({"step": self.step, "train_loss": self.last_loss, "valid": self.best_valid,
                                 "final_only": True})
        return final


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
