"""core.workbench.components: principal components: the PCs of a covariance-only model's forecast covariance (issue 14:
Ledoit-Wolf showed 20 "pc" factors whose exposures flipped sign from one date to the next)."""
import numpy as np
import pandas as pd
import pytest

from core.errors import NotAvailable
from core.forecast import FactorForecast, ForecastSeries
from core.workbench.components import (component_exposures_over_time, component_loadings, component_summary,
                                       principal_components)

N, T = 8, 30
TICKERS = [f"T{i}" for i in range(N)]
DATES = pd.bdate_range("2021-01-04", periods=T)


def _covariances(seed=0) -> list[np.ndarray]:
    """T slowly drifting covariances with distinct eigenvalues, (N, N) each."""
    rng = np.random.default_rng(seed)
    base, drift = rng.standard_normal((N, N)), 0.02 * rng.standard_normal((T, N, N))
    scale = np.diag(np.linspace(3.0, 0.5, N))
    return [0.01 ** 2 * (a := (base + drift[:t + 1].sum(axis=0)) @ scale) @ a.T + 1e-6 * np.eye(N) for t in range(T)]


def _series(flip_seed=None) -> ForecastSeries:
    """Ledoit-Wolf-like forecasts (FactorForecast.from_covariance); with flip_seed, random exposure columns
    negated on random dates: the same covariances, as an eigen-solver may return them."""
    fcs = [FactorForecast.from_covariance(d, TICKERS, np.zeros(N), c, model="ledoit-wolf")
           for d, c in zip(DATES, _covariances())]
    if flip_seed is not None:
        rng = np.random.default_rng(flip_seed)
        for fc in fcs:
            fc.exposures = fc.exposures * rng.choice([-1.0, 1.0], fc.n_factors)
    return ForecastSeries.stack(fcs, TICKERS)


def test_components_are_the_eigenvectors_of_the_forecast_covariance():
    series = _series()
    pcs = principal_components(series, DATES, k=3)
    assert pcs.names == ["PC1", "PC2", "PC3"] and pcs.loadings.shape == (T, N, 3)
    for t in (0, T - 1):
        lam, vec = np.linalg.eigh(series.at(DATES[t]).dense_cov())
        assert pcs.variance[t] == pytest.approx(lam[::-1][:3], rel=1e-8)
        assert pcs.total[t] == pytest.approx(lam.sum(), rel=1e-10)
        want = vec[:, ::-1][:, :3] * np.sqrt(lam[::-1][:3])
        assert np.abs(component_loadings(pcs, DATES[t]).to_numpy()) == pytest.approx(np.abs(want), abs=1e-10)


def test_unequal_specific_variances_use_the_dense_covariance():
    rng = np.random.default_rng(3)
    fc = FactorForecast(date=DATES[0], tickers=TICKERS, mean=np.zeros(N), exposures=rng.standard_normal((N, 2)),
                        factor_cov=np.diag([2.0, 0.5]), idio_var=rng.uniform(0.1, 1.0, N))
    pcs = principal_components(ForecastSeries.stack([fc], TICKERS), DATES[:1], k=2)
    lam = np.linalg.eigvalsh(fc.dense_cov())[::-1]
    assert pcs.variance[0] == pytest.approx(lam[:2], rel=1e-10)


def test_signs_are_fixed_over_time():
    """Flipping exposure columns leaves every covariance unchanged, so the components must not move; each
    component's loadings point the same way as the previous date's (the raw exposures flip)."""
    raw = _series(flip_seed=1)
    top = raw.exposures[:, :, -3:]  # from_covariance orders eigenvalues ascending: the largest last
    assert (np.einsum("tnk,tnk->tk", top[1:], top[:-1]) < 0).any()
    pcs, flipped = principal_components(_series(), DATES), principal_components(raw, DATES)
    assert flipped.loadings == pytest.approx(pcs.loadings, abs=1e-12)
    assert (np.einsum("tnk,tnk->tk", pcs.loadings[1:], pcs.loadings[:-1]) > 0).all()
    assert (pcs.loadings[0].sum(axis=0) > 0).all()


def test_summary_shares_and_portfolio_loadings():
    series = _series()
    pcs = principal_components(series, DATES, k=N)
    fc, w = series.at(DATES[5]), pd.Series(1.0 / N, index=TICKERS)
    table = component_summary(pcs, fc, w)
    assert list(table.index) == pcs.names
    assert table["share of the stocks' variance"].sum() == pytest.approx(1.0, rel=1e-10)
    assert table["share of the portfolio's variance"].sum() == pytest.approx(1.0, rel=1e-8)
    over_time = component_exposures_over_time(pcs, w)
    assert over_time.shape == (T, N) and over_time.iloc[5].to_numpy() == pytest.approx(table["portfolio loading"])


def test_univariate_forecasts_have_no_components():
    series = _series()
    series.joint = False
    with pytest.raises(NotAvailable, match="univariate"):
        principal_components(series, DATES)

