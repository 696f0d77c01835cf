"""core/parallel.py: an ordered map over threads."""
import threading

import pytest

from core import parallel


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_thread_map_keeps_the_order_and_runs_on_the_threads_asked(threads):
    names = set()

    def work(x):
        names.add(threading.current_thread().name)
        return x * x

    assert list(parallel.thread_map(work, iter(range(50)), threads)) == [x * x for x in range(50)]
    assert (names == {threading.current_thread().name}) == (threads == 1)


def test_an_error_in_an_item_reaches_the_caller():
    def work(x):
        if x == 7:
            raise ValueError("item 7")
        return x

    with pytest.raises(ValueError, match="item 7"):
        list(parallel.thread_map(work, range(20), 2))


def test_the_threads_budget_of_a_process_bounds_the_map(monkeypatch):
    monkeypatch.setattr(parallel, "available_cores", lambda: 8)
    monkeypatch.delenv(parallel.ENV_VAR, raising=False)
    assert parallel.default_map_threads() == parallel.MAX_THREADS
    monkeypatch.setenv(parallel.ENV_VAR, "1")  # an evaluation worker's share (core/evaluation/tables.py _map)
    assert parallel.default_map_threads() == 1
    monkeypatch.setenv(parallel.ENV_VAR, "auto")
    assert parallel.default_map_threads() == parallel.MAX_THREADS
