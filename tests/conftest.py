"""Shared test fixtures (keep small; helper functions live in modules: tests/panels.py, benchmarks/userfiles.py,
tests/lookahead.py for the look-ahead checks of every refit schedule).
Provides:

- `small_market`: a session-wide synthetic (Panel, SyntheticTruth), 40 stocks x 400 days, seed 3.
- `rng`: numpy's default generator, seed 0.

tests/ is a package (every folder holds an __init__.py), so pytest puts the repository root on sys.path: test
modules may share a name in different folders (tests/core/risk/test_backtest.py, tests/core/portfolio/...), and
helpers are imported by their package path (`from tests.panels import with_returns`).
"""
from __future__ import annotations

import numpy as np
import pytest


def pytest_collection_modifyitems(config, items):
    """The files that hold a long test (marked slow or browser) first, each file's tests kept together and in order:
    under `make test` (xdist, whole files per worker, --no-loadscope-reorder) the long files start first and the
    short ones fill the gaps at the end, instead of xdist's default, files with the most tests first."""
    long_files = {item.path for item in items if item.get_closest_marker("slow") or item.get_closest_marker("browser")}
    items.sort(key=lambda item: item.path not in long_files)  # stable


@pytest.fixture(scope="session", autouse=True)
def private_home(tmp_path_factory):
    """NEURALFACTORS_HOME in a temporary folder for the whole session (servers the tests start inherit it): no test
    writes into the real user data folder. A test that needs its own sets it with monkeypatch."""
    import os

    old = os.environ.get("NEURALFACTORS_HOME")
    os.environ["NEURALFACTORS_HOME"] = str(tmp_path_factory.mktemp("neuralfactors_home"))
    yield
    if old is None:
        os.environ.pop("NEURALFACTORS_HOME", None)
    else:
        os.environ["NEURALFACTORS_HOME"] = old


@pytest.fixture(scope="session")
def small_market():
    from core.data.synthetic import make_market

    return make_market(n_stocks=40, n_dates=400, n_factors=3, seed=3)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
