"""How many CPU threads torch uses for NeuralFactors training and CPU inference.

One place decides: `apply_threads(threads, device)`, called before training (fit) and before
CPU inference. Order: the `threads` argument (an int >= 1; None / 0 / "auto" = not given),
then the environment variable NEURALFACTORS_THREADS, then `default_threads()`.

Default (measured in docs/bench_train.md, sp500-20 preset, 2-core machine, steps/s):

    other load            1 thread        2 threads (= torch's default here)
    none (load ~1.5)      6.6 - 7.2       9.0 - 12.2
    1 busy process        6.4 - 6.6       2.5 - 3.2
    2 busy processes      3.5 - 4.1       0.6 - 2.8

OpenMP threads that share a core with another process stall each other at every parallel
region, so on small machines the safe choice is one thread. Hence: cores available to this
process (its CPU affinity divided by the processes of a distributed run on this host) <= 2
-> 1 thread; otherwise min(those cores, MAX_AUTO_THREADS) (not measured here: no machine
with more cores was available; 8 caps the OpenMP barrier cost of a small model).
"""
from __future__ import annotations

import os

import torch

from core.errors import ModelError
from core.parallel import ENV_VAR, available_cores, default_map_threads

MAX_AUTO_THREADS = 8
TORCH_DEFAULT = torch.get_num_threads()  # torch's own choice, read before anything changes it


def local_processes() -> int:
    """Processes of a distributed run sharing this host (1 outside one)."""
    for name in ("LOCAL_WORLD_SIZE", "WORLD_SIZE"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1


def default_threads(cores: int | None = None, processes: int | None = None) -> int:
    """1 when a process has <= 2 cores to itself, else min(its cores, MAX_AUTO_THREADS)."""
    cores = available_cores() if cores is None else cores
    per_process = max(1, cores // max(1, local_processes() if processes is None else processes))
    return 1 if per_process <= 2 else min(per_process, MAX_AUTO_THREADS)


def _parse(value, source: str) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto", "0")):
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = -1
    if isinstance(value, bool) or n < 0:
        raise ModelError(f"{source}={value!r}: threads must be a whole number >= 1, or 0 / 'auto' for the default")
    return n or None


def resolve_threads(threads: int | str | None = None) -> int:
    """The thread count to use: `threads`, else NEURALFACTORS_THREADS, else default_threads()."""
    n = _parse(threads, "threads")
    if n is None:
        n = _parse(os.environ.get(ENV_VAR), ENV_VAR)
    return default_threads() if n is None else n


def apply_threads(threads: int | str | None = None, device: torch.device | str | None = None) -> int:
    """Set torch's intra-op thread count (CPU devices only; a CUDA run keeps torch's setting)
    and return the count in effect."""
    if device is not None and torch.device(device).type != "cpu":
        return torch.get_num_threads()
    n = resolve_threads(threads)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def inference_threads() -> int:
    """Python threads that share CPU inference chunk by chunk: default_map_threads() while torch runs each op on
    one thread (as apply_threads sets on <= 2 cores), 1 while torch has a pool of its own. A one-thread op gives the
    same numbers on whichever thread calls it, so the chunks' results are those of a one-thread loop, bit for bit
    (tests/core/models/neuralfactors/test_model.py); a two-thread torch pool does not (its float32 sums split
    otherwise: the rule withdrawn in docs/bench_dashboard.md)."""
    return default_map_threads() if torch.get_num_threads() == 1 else 1


_BLAS_LIMIT = []  # the threadpoolctl limiter in effect (kept alive: dropping it does not undo the limit)


def limit_math_threads(threads: int | str | None = None) -> int:
    """Apply the same count to the numpy / scipy BLAS and OpenMP pools (threadpoolctl): on a busy
    2-core machine a 450 x 450 eigendecomposition of a classical model ran 25-60x slower with two
    BLAS threads than with one. Returns the count."""
    from threadpoolctl import threadpool_limits

    n = resolve_threads(threads)
    _BLAS_LIMIT[:] = [threadpool_limits(limits=n)]
    return n


def describe(threads: int | str | None = None) -> str:
    """How the thread count was chosen, for reports: "1 (auto: 2 cores)", "4 (NEURALFACTORS_THREADS)"."""
    if _parse(threads, "threads") is not None:
        return f"{int(threads)} (threads argument)"
    if _parse(os.environ.get(ENV_VAR), ENV_VAR) is not None:
        return f"{int(os.environ[ENV_VAR])} ({ENV_VAR})"
    return f"{default_threads()} (auto: {available_cores()} cores, {local_processes()} process(es))"
