"""core.forecast.distributions: the factors' variance multipliers (`factor_scales`) make the family's law as a scale
mixture of Normals (mean 1; sqrt(v) g has the unit-variance t's quantiles), 1 for Normal factors and layers
delegating; the books' draws (`books_draws`: a Normal per book given the noise's multipliers, or per-stock noise where
books outnumber stocks) have the law of w'r that the stocks' joint draws give."""
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from core.forecast.distributions import Normal, StudentT
from core.forecast.recalibrated import PIT_KNOTS, Recalibrated
from tests.core.risk.forecasts import make_fc


def test_student_t_as_a_scale_mixture_of_normals():
    rng = np.random.default_rng(0)
    dist = StudentT(np.array([5.0, np.inf]), np.array([6.0]))
    v = dist.factor_scales(rng, 200_000, 2)
    assert v.shape == (200_000, 2) and np.all(v[:, 1] == 1.0)
    assert abs(v[:, 0].mean() - 1.0) < 0.02
    u = np.sqrt(v[:, 0]) * rng.standard_normal(200_000)
    q = stats.t.ppf([0.01, 0.1, 0.9, 0.99], 5) * np.sqrt(3 / 5)  # the unit-variance t(5)
    np.testing.assert_allclose(np.quantile(u, [0.01, 0.1, 0.9, 0.99]), q, atol=0.03)
    assert np.all(Normal().factor_scales(rng, 3, 2) == 1.0)
    layered = Recalibrated(dist, PIT_KNOTS)
    assert layered.factor_scales(np.random.default_rng(1), 4, 2).shape == (4, 2)


def _books(n_stocks=60):
    """A Student-t forecast with heavy noise (dof 3-6 across stocks, the last few infinite) and three books (N, 3):
    long only, dollar-neutral, one stock."""
    fc = make_fc(n=n_stocks, f=3, family="student_t", seed=4)
    rng = np.random.default_rng(5)
    dof = rng.uniform(3.0, 6.0, n_stocks)
    dof[-max(1, n_stocks // 12):] = np.inf  # a few Normal stocks, not the single-stock book's
    fc = replace(fc, idio_dof=dof, idio_var=fc.idio_var * 25)  # the noise dominates
    half = n_stocks // 2
    w = np.stack([np.full(n_stocks, 1.0 / n_stocks), np.r_[np.full(half, 2.0), np.full(n_stocks - half, -2.0)]
                  / n_stocks, np.eye(n_stocks)[7 if n_stocks > 7 else 0]], axis=1)
    return fc, w


@pytest.mark.parametrize("planted", [None, "noise without its multipliers"])
@pytest.mark.parametrize("n_stocks", [60, 2])  # fewer books than stocks (a Normal per book), more (per stock)
def test_books_draws_have_the_law_of_the_stocks_joint_draws(n_stocks, planted, monkeypatch):
    """Quantiles of 200,000 draws per book, from `books_draws` and from per-stock draws (`FactorForecast.sample` @ w),
    agree to 4 standard errors of a quantile, tails included; with the multipliers planted away (Normal noise of
    the same variance) the single-stock book's tails no longer agree."""
    import core.forecast.distributions as d

    fc, w = _books(n_stocks)
    if planted:
        monkeypatch.setattr(d, "variance_scales", lambda rng, dof, shape: np.ones(shape))
    n, probs = 200_000, np.array([0.001, 0.01, 0.05, 0.5, 0.95, 0.99, 0.999])
    new = fc.distribution.books_draws(fc, w, n, seed=1)
    old = np.concatenate([fc.sample(50_000, 100 + k) @ w for k in range(n // 50_000)])
    assert new.shape == old.shape == (n, 3)
    qa, qb = np.quantile(new, probs, axis=0), np.quantile(old, probs, axis=0)
    dens = np.array([[stats.gaussian_kde(old[::10, j])(q)[0] for j, q in enumerate(row)] for row in qb])
    se = np.sqrt(probs * (1 - probs) / n)[:, None] / dens
    agree = np.abs(qa - qb) < 4 * np.sqrt(2) * se
    if planted:
        assert not agree[[0, -1], 2].all()
    else:
        assert agree.all(), (qa, qb, se)


@pytest.mark.parametrize("books", [1, 4])  # fewer books than held stocks (a Normal per book), as many (per stock)
def test_a_stock_no_book_holds_draws_nothing(books):
    """Books holding 4 of 60 stocks draw what the same books draw on the forecast of those 4 stocks alone, number for
    number (to rounding): the other 56 stocks' noise is not drawn (it adds nothing to any book)."""
    from core.forecast import restrict

    fc, _ = _books(60)
    held = [3, 17, 40, 58]  # 58: a Normal stock
    w = np.zeros((60, books))
    w[held] = np.random.default_rng(2).normal(size=(4, books))
    small = restrict(fc, [fc.tickers[i] for i in held])
    # the same draws; the products of the zero weights add only rounding
    np.testing.assert_allclose(fc.distribution.books_draws(fc, w, 5_000, seed=3),
                               small.distribution.books_draws(small, w[held], 5_000, seed=3), rtol=1e-12)


def test_books_pits_closed_form_and_from_draws():
    """Normal: the closed form equals the share of Normal draws below x; Student-t: the share of its own draws (the
    same draws as books_pit_quantile's), and a layer answers with its base's."""
    fc, w = _books(40)
    x = np.array([-0.002, 0.0, 0.004])
    normal = replace(fc, family="normal", factor_dof=None, idio_dof=None)
    exact = normal.distribution.books_pits(normal, w, x, 0, 0)
    draws = np.concatenate([normal.sample(50_000, k) @ w for k in range(4)])
    np.testing.assert_allclose(exact, (draws <= x).mean(axis=0), atol=0.005)
    t = fc.distribution
    pits = t.books_pits(fc, w, x, 20_000, seed=3)
    assert np.array_equal(pits, t.books_pit_quantile(fc, w, x, np.full(3, 0.5), 20_000, seed=3)[0])
    assert np.array_equal(pits, Recalibrated(t, PIT_KNOTS).books_pits(fc, w, x, 20_000, seed=3))
