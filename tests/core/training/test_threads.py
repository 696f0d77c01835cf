"""CPU thread choice (core.training.threads): argument, then NEURALFACTORS_THREADS, then the default."""
import pytest
import torch

from core.errors import ModelError
from core.training import threads


@pytest.fixture
def keep_torch_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("cores, processes, expected", [
    (1, 1, 1), (2, 1, 1), (3, 1, 3), (4, 1, 4), (16, 1, 8), (64, 1, 8),  # <= 2 cores: 1 thread; cap 8
    (4, 2, 1), (8, 2, 4), (16, 4, 4), (2, 4, 1),                        # cores shared by the ranks of a run
])
def test_default_threads(cores, processes, expected):
    assert threads.default_threads(cores, processes) == expected


def test_order_argument_then_env_then_default(monkeypatch):
    monkeypatch.delenv(threads.ENV_VAR, raising=False)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert threads.resolve_threads() == threads.default_threads()
    assert threads.resolve_threads("auto") == threads.resolve_threads(0) == threads.default_threads()
    monkeypatch.setenv(threads.ENV_VAR, "3")
    assert threads.resolve_threads() == 3 and "NEURALFACTORS_THREADS" in threads.describe()
    assert threads.resolve_threads(2) == 2 and "argument" in threads.describe(2)
    monkeypatch.setenv(threads.ENV_VAR, "auto")
    assert threads.resolve_threads() == threads.default_threads()


def test_ranks_on_one_host_split_the_cores(monkeypatch):
    monkeypatch.setattr(threads, "available_cores", lambda: 8)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert threads.default_threads() == 4


@pytest.mark.parametrize("bad", ["many", "-1", -2, True, 1.5j])
def test_bad_values_are_one_line_errors(monkeypatch, bad):
    with pytest.raises(ModelError, match="threads"):
        threads.resolve_threads(bad)
    if isinstance(bad, str):
        monkeypatch.setenv(threads.ENV_VAR, bad)
        with pytest.raises(ModelError, match="NEURALFACTORS_THREADS"):
            threads.resolve_threads()


def test_apply_sets_torch_on_cpu_only(keep_torch_threads, monkeypatch):
    monkeypatch.delenv(threads.ENV_VAR, raising=False)
    assert threads.apply_threads(1, "cpu") == 1 and torch.get_num_threads() == 1
    torch.set_num_threads(2)
    assert threads.apply_threads(1, "cuda") == 2 and torch.get_num_threads() == 2  # a CUDA run is left alone


def test_model_applies_threads_before_training(keep_torch_threads, monkeypatch):
    from core.data.synthetic import make_market
    from core.models.neuralfactors.model import NeuralFactorsModel

    monkeypatch.setenv(threads.ENV_VAR, "2")
    panel = make_market(n_stocks=10, n_dates=260, n_factors=2, seed=2)[0]
    torch.set_num_threads(1)
    m = NeuralFactorsModel(preset="tiny", device="cpu", steps=2, valid_every=2, valid_days=3)
    m.fit(panel, panel.split_dates("train"), panel.split_dates("valid"))
    assert torch.get_num_threads() == 2          # from the environment variable
    m.threads = 1                                 # the `threads` argument of NeuralFactorsModel
    m.forecast_series(panel, panel.dates[-3:])    # CPU inference applies the setting too
    assert torch.get_num_threads() == 1



def test_inference_shares_chunks_on_python_threads_only_while_torch_has_one(keep_torch_threads, monkeypatch):
    """Python threads for CPU inference: the map's default while torch runs its ops on one thread, 1 beside a torch
    pool of its own (its OpenMP workers would split each op again, and its sums differ from one thread's)."""
    monkeypatch.setattr(threads, "default_map_threads", lambda: 3)
    torch.set_num_threads(1)
    assert threads.inference_threads() == 3
    torch.set_num_threads(2)
    assert threads.inference_threads() == 1
