"""Data-parallel training on PyTorch's own engine: torch.distributed + DistributedDataParallel.

One process per rank, gloo on the CPU, NCCL on CUDA (one GPU per process, cuda:LOCAL_RANK).
Two ways in:

- `launch(nproc, fn, *args, device=..., **kwargs)` from plain Python (what
  `neuralfactors train --nproc N` calls, through core.models.training_run.train_run): spawns `nproc`
  processes (torch.multiprocessing, start method "spawn"), each with the torchrun variables
  RANK / WORLD_SIZE / LOCAL_RANK / LOCAL_WORLD_SIZE and MASTER_ADDR=127.0.0.1 with a free
  MASTER_PORT, initialises the process group from them, runs fn(*args, **kwargs) and returns
  rank 0's return value (it must pickle). An exception in any rank is raised in the caller
  (the first rank to fail; the others are stopped).
- under `torchrun --nproc-per-node N ...` the variables are already set: `launch` initialises
  the process group from them in this process, runs fn here, and returns its value on rank 0
  and None on the other ranks (so a caller prints / saves only where it gets a value).

Inside fn the training loop (core.training.trainer) sees the process group through
`rank_world()` and wraps the loss in DDP (`wrap_loss`); the model splits each step's days
with `share()`. Uses only APIs present in torch 2.11.
"""
from __future__ import annotations

import datetime
import os
import pickle
import socket
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable

import torch
import torch.distributed as dist
from torch import nn

from core.errors import ModelError, NeuralFactorsError

TORCHRUN_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK")
DEFAULT_TIMEOUT_S = 1800.0


# --- inside a run --------------------------------------------------------------------------
def is_initialized() -> bool:
    return dist.is_available() and dist.is_initialized()


def rank_world() -> tuple[int, int]:
    """(rank, world size); (0, 1) outside a distributed run."""
    if is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def share(n: int, rank: int | None = None, world: int | None = None) -> slice:
    """This rank's contiguous block of n items (blocks differ in size by at most one)."""
    r, w = rank_world()
    r, w = (r if rank is None else rank), (w if world is None else world)
    return slice(r * n // w, (r + 1) * n // w)


def _collective_device() -> torch.device:
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def mean(t: torch.Tensor) -> torch.Tensor:
    """Mean of a tensor over the ranks (the tensor itself outside a distributed run)."""
    if rank_world()[1] == 1:
        return t
    x = t.detach().to(_collective_device(), copy=True)
    dist.all_reduce(x, op=dist.ReduceOp.SUM)
    return (x / dist.get_world_size()).to(t.device)


def broadcast_float(value: float, src: int = 0) -> float:
    """Rank `src`'s value on every rank."""
    if rank_world()[1] == 1:
        return value
    x = torch.tensor([value], dtype=torch.float64, device=_collective_device())
    dist.broadcast(x, src=src)
    return float(x.item())


def gather_objects(obj: Any) -> list:
    """[obj of rank 0, obj of rank 1, ...] on every rank ([obj] outside a distributed run)."""
    if rank_world()[1] == 1:
        return [obj]
    out: list = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def barrier() -> None:
    if rank_world()[1] > 1:
        dist.barrier()


class _LossModule(nn.Module):
    """forward(rng, gen) = loss_fn(net, rng, gen): the whole loss runs inside DDP's forward,
    whatever methods of `net` it calls."""

    def __init__(self, net: nn.Module, loss_fn: Callable) -> None:
        super().__init__()
        self.net, self.loss_fn = net, loss_fn

    def forward(self, rng, gen):
        return self.loss_fn(self.net, rng, gen)


def wrap_loss(net: nn.Module, loss_fn: Callable) -> nn.Module:
    """DDP around loss_fn(net, ...): call the result as step(rng, gen) -> this rank's loss; its
    backward all-reduces (averages) the gradients of net's parameters over the ranks. DDP's
    construction broadcasts rank 0's parameters, so every rank starts from the same weights."""
    # device_ids=None: the module is on one device already; DDP then leaves the inputs alone
    return nn.parallel.DistributedDataParallel(_LossModule(net, loss_fn), device_ids=None)


# --- starting a run ------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def backend_for(device: str | torch.device | None) -> str:
    """"nccl" when the run's device is CUDA, else "gloo"."""
    from core.training.device import resolve_device

    return "nccl" if resolve_device(str(device) if device is not None else "auto").type == "cuda" else "gloo"


def launched_by_torchrun() -> bool:
    return all(v in os.environ for v in TORCHRUN_VARS) and int(os.environ["WORLD_SIZE"]) > 1


def _init(backend: str, timeout_s: float) -> None:
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    elif os.environ["MASTER_ADDR"] in ("127.0.0.1", "localhost"):
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # one host: don't depend on the hostname resolving
    dist.init_process_group(backend=backend, init_method="env://",
                            timeout=datetime.timedelta(seconds=timeout_s))


def _worker(local_rank: int, nproc: int, port: int, backend: str, tmp: str, fn: Callable, args: tuple,
            kwargs: dict, timeout_s: float) -> None:
    os.environ.update({"RANK": str(local_rank), "WORLD_SIZE": str(nproc), "LOCAL_RANK": str(local_rank),
                       "LOCAL_WORLD_SIZE": str(nproc), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})
    try:
        _init(backend, timeout_s)
        result = fn(*args, **kwargs)
        if local_rank == 0:
            (Path(tmp) / "result.pkl").write_bytes(pickle.dumps(result))
        barrier()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, then re-raised
        text = traceback.format_exc()
        try:
            payload = pickle.dumps((time.time_ns(), exc, text))
        except Exception:  # noqa: BLE001 - an exception that does not pickle
            payload = pickle.dumps((time.time_ns(), ModelError(f"{type(exc).__name__}: {exc}"), text))
        (Path(tmp) / f"error.{local_rank}.pkl").write_bytes(payload)
        raise
    finally:
        if is_initialized():
            dist.destroy_process_group()


def _first_error(tmp: str):
    errors = []
    for p in Path(tmp).glob("error.*.pkl"):
        try:
            t, exc, text = pickle.loads(p.read_bytes())  # written by our own child processes
        except Exception:  # noqa: BLE001 - half-written by a process that was stopped
            continue
        errors.append((t, int(p.name.split(".")[1]), exc, text))
    return min(errors, key=lambda e: e[0]) if errors else None


def launch(nproc: int | None, fn: Callable, *args, device: str | torch.device | None = "auto",
           timeout_s: float = DEFAULT_TIMEOUT_S, **kwargs) -> Any:
    """Run fn(*args, **kwargs) on `nproc` ranks and return rank 0's result.

    nproc None or 1 (and not under torchrun): fn runs here, no process group. Under torchrun
    (RANK / WORLD_SIZE / LOCAL_RANK set, WORLD_SIZE > 1): the process group is made from those
    variables, fn runs in this process, rank 0 gets its result and other ranks None; nproc
    must then be None or WORLD_SIZE. Otherwise nproc processes are spawned on this host.
    fn must be importable by name (a module-level function) and its result must pickle.
    `device` picks the backend: NCCL for CUDA (needs nproc GPUs), gloo otherwise.
    """
    if nproc is not None and nproc < 1:
        raise ModelError(f"--nproc {nproc}: the number of processes must be >= 1")
    if is_initialized():  # already inside a rank
        return fn(*args, **kwargs)
    if launched_by_torchrun():
        world = int(os.environ["WORLD_SIZE"])
        if nproc not in (None, world):
            raise ModelError(f"--nproc {nproc} but torchrun started {world} processes; drop --nproc under torchrun")
        _init(backend_for(device), timeout_s)
        try:
            result = fn(*args, **kwargs)
            barrier()
            return result if dist.get_rank() == 0 else None
        finally:
            dist.destroy_process_group()
    if nproc is None or nproc == 1:
        return fn(*args, **kwargs)
    backend = backend_for(device)
    if backend == "nccl" and torch.cuda.device_count() < nproc:
        raise ModelError(f"--nproc {nproc} on CUDA needs {nproc} GPUs, this machine has "
                         f"{torch.cuda.device_count()}; lower --nproc or use --device cpu")
    import torch.multiprocessing as mp
    from torch.multiprocessing.spawn import ProcessException

    with tempfile.TemporaryDirectory(prefix="nf-ddp-") as tmp:
        try:
            mp.start_processes(_worker, args=(nproc, free_port(), backend, tmp, fn, args, kwargs, timeout_s),
                               nprocs=nproc, join=True, start_method="spawn")
        except ProcessException as exc:
            first = _first_error(tmp)
            if first is None:
                raise ModelError(f"a training process stopped without an error message ({exc})") from None
            _, rank, err, text = first
            if not isinstance(err, NeuralFactorsError):
                err.add_note(f"raised in rank {rank} of {nproc}:\n{text}")
            raise err from None
        return pickle.loads((Path(tmp) / "result.pkl").read_bytes())
