"""A random factor forecast for the risk tests (Normal, or Student-t with one heavy-tailed factor)."""
import numpy as np
import pandas as pd

from core.forecast import FactorForecast


def make_fc(n=12, f=3, family="normal", seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(f, f))
    kw = {}
    if family == "student_t":
        kw = {"factor_dof": np.r_[5.0, np.full(f - 1, np.inf)], "idio_dof": np.full(n, 6.0)}
    return FactorForecast(pd.Timestamp("2020-01-02"), [f"T{i}" for i in range(n)], rng.normal(0, 1e-3, n),
                          rng.normal(0, 1, (n, f)) * 0.01, a @ a.T / f + 0.1 * np.eye(f),
                          rng.uniform(1e-4, 4e-4, n), family=family, **kw)
