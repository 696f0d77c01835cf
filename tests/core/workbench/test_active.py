"""core.workbench.active: tracking error in factor form and its Euler contributions."""
import numpy as np
import pandas as pd
import pytest

from core.errors import NotAvailable, PortfolioError
from core.forecast import FactorForecast
from core.workbench.active import active_risk, benchmark_weights


def _fc(n=12, f=3, seed=0, joint=True):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((f, f)) * 0.01
    fc = FactorForecast(date=pd.Timestamp("2020-01-02"), tickers=[f"T{i}" for i in range(n)], mean=np.zeros(n),
                        exposures=rng.standard_normal((n, f)), factor_cov=a @ a.T + 1e-5 * np.eye(f),
                        idio_var=rng.uniform(1e-4, 4e-4, n), factor_names=[f"f{k + 1}" for k in range(f)])
    if not joint:
        fc.joint = False
    return fc


SECTORS = pd.Series({f"T{i}": ["Tech", "Energy", "Retail"][i % 3] for i in range(12)})


def test_contributions_sum_to_tracking_error():
    fc = _fc()
    w = pd.Series(np.random.default_rng(1).dirichlet(np.ones(12)), index=fc.tickers)
    b, notes = benchmark_weights(fc.tickers, "equal")
    assert notes == [] and b.sum() == pytest.approx(1.0)
    r = active_risk(fc, w, b, SECTORS)
    te = np.sqrt((w - b) @ fc.dense_cov() @ (w - b))
    assert r.te == pytest.approx(te, rel=1e-10) == pytest.approx(np.sqrt(fc.portfolio_var(w - b)), rel=1e-10)
    assert r.per_factor.sum() + r.specific == pytest.approx(r.te, rel=1e-10)
    assert r.per_stock.sum() == pytest.approx(r.te, rel=1e-10)
    assert r.per_sector.sum() == pytest.approx(r.te, rel=1e-10)
    assert set(r.per_sector.index) == {"Tech", "Energy", "Retail"}
    assert r.active.sum() == pytest.approx(0.0, abs=1e-12)


def test_equal_to_benchmark_gives_zero():
    fc = _fc()
    b, _ = benchmark_weights(fc.tickers, "equal")
    r = active_risk(fc, b, b, SECTORS)
    assert r.te == 0.0 and (r.per_factor == 0).all() and (r.per_sector == 0).all()


def test_uploaded_benchmark_dropped_tickers_rescaled_and_errors():
    from core.portfolio.weights import read_weights_csv

    up = read_weights_csv(b"ticker,weight\nT0,0.5\nT1,0.25\nXX,0.25\n")
    b, notes = benchmark_weights([f"T{i}" for i in range(12)], "uploaded", up)
    assert b["T0"] == pytest.approx(2 / 3) and b.sum() == pytest.approx(1.0) and "XX" in notes[0]
    with pytest.raises(PortfolioError):
        benchmark_weights(["T0"], "uploaded", {"XX": 1.0})
    with pytest.raises(PortfolioError):
        benchmark_weights(["T0"], "uploaded", None)


def test_univariate_model_has_no_tracking_error():
    fc = _fc(joint=False)
    b, _ = benchmark_weights(fc.tickers)
    with pytest.raises(NotAvailable):
        active_risk(fc, b * 0 + pd.Series({"T0": 1.0}).reindex(fc.tickers).fillna(0), b, SECTORS)
