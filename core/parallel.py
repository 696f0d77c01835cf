"""Python threads for numpy work that releases the GIL (random draws, BLAS), e.g. the Monte Carlo PITs of many
independent days: how many cores this process has, and an ordered map over a small thread pool.

Threads, not processes: the work items share large read-only forecasts, and numpy's generators and linear algebra
release the GIL, so two threads on two cores run about twice as fast as one (docs/bench_dashboard.md). Unlike
OpenMP pools (core/training/threads.py), idle Python threads do not spin, so sharing a busy machine costs no more
than the work itself. Each item must draw from a generator of its own, seeded by the item, so results do not depend
on the number of threads. While the pool runs, numpy's BLAS keeps one thread of its own per call: two map threads
each calling a two-thread BLAS ran the PITs of a 500-stock upload 1.3x faster than one thread, one-thread BLAS 1.95x
(same numbers). The limit is process-wide while a map runs (threadpoolctl); two maps that overlap may leave BLAS at
one thread, the project's setting on small machines anyway (core/training/threads.py)."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

from threadpoolctl import threadpool_limits

T = TypeVar("T")
R = TypeVar("R")
#: threads of `thread_map` at most
MAX_THREADS = 4
#: a process's thread budget where one is set (an evaluation worker's share of the cores; core/training/threads.py)
ENV_VAR = "NEURALFACTORS_THREADS"


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_map_threads() -> int:
    """min(available cores, MAX_THREADS, the NEURALFACTORS_THREADS budget where it is a whole number >= 1)."""
    budget = os.environ.get(ENV_VAR, "").strip()
    n = min(available_cores(), MAX_THREADS)
    return min(n, int(budget)) if budget.isdigit() and int(budget) > 0 else n


def thread_map(fn: Callable[[T], R], items: Iterable[T], threads: int | None = None) -> Iterator[R]:
    """fn(item) for each item, in order, on `threads` threads (default: default_map_threads(); 1 runs a plain loop
    in this thread, BLAS untouched). Items are taken from `items` as the pool frees up, at most 2 x threads ahead."""
    n = default_map_threads() if threads is None else max(1, int(threads))
    if n == 1:
        yield from map(fn, items)
        return
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(n, thread_name_prefix="nf-map") as pool:
        pending = []
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= 2 * n:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
