"""Portfolio families: books at a gross of 1, the shapes each family promises, and the batched PIT / VaR of many
books equal to the one-book answers of the same forecast."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.forecast.recalibrated import PIT_KNOTS
from core.risk.families import FIT_FAMILIES, HELD_OUT, books, forecast_books, reference_books

SECTORS = pd.Series(["Tech"] * 4 + ["Energy"] * 3 + [None] * 3, index=[f"S{i}" for i in range(10)])


@pytest.mark.parametrize("family", [f for f in FIT_FAMILIES + HELD_OUT if f != "min-variance"])
def test_every_book_has_a_gross_of_one(family):
    w = books(SECTORS, family)
    assert w.shape[0] == 10 and w.shape[1] > 0
    assert np.allclose(np.abs(w).sum(axis=0), 1.0)


def test_the_families_are_what_they_say():
    labels = SECTORS.fillna("Unknown").to_numpy()
    assert np.allclose(books(SECTORS, "long-short").sum(axis=0), 0.0)  # dollar neutral
    assert (books(SECTORS, "long-only") >= 0).all() and (books(SECTORS, "concentrated") > 0).sum(axis=0).max() == 5
    for w in books(SECTORS, "pairs").T:  # one long, one short, same sector
        legs = np.flatnonzero(w)
        assert len(legs) == 2 and w[legs].sum() == 0 and labels[legs[0]] == labels[legs[1]]
    nets = books(SECTORS, "130/30").sum(axis=0)
    assert np.allclose(nets, 1.0 / 1.6)  # 130 long, 30 short of a gross of 160
    assert reference_books(SECTORS).shape[1] == books(SECTORS, "long-only").shape[1] + 30


def _normal_forecast(small_market):
    """The true forecast of day 200 with Normal factors and noise."""
    panel, truth = small_market
    fc = truth.forecast_series(panel, panel.dates[200:201]).at(panel.dates[200])
    return panel, replace(fc, family="normal", factor_dof=None, idio_dof=None)


def test_batched_books_match_the_one_book_answers(small_market):
    panel, fc = _normal_forecast(small_market)
    w = books(panel.sectors.reindex(fc.tickers), "long-short")[:, :5]
    x = np.linspace(-0.02, 0.02, 5)
    pit, var = fc.distribution.books_pit_var(fc, w, x, 0.99, 0, 0)  # Normal: closed form
    for p in range(5):
        one_pit, one_var = fc.distribution.portfolio_pit_var(fc, w[:, p], x[p], (0.99,), 0, 0)
        assert pit[p] == pytest.approx(one_pit) and var[p] == pytest.approx(one_var[0.99][0])
    t = replace(fc, family="student_t", factor_dof=np.full(fc.n_factors, 5.0), idio_dof=np.full(fc.n_stocks, 4.0))
    pit_t, var_t = t.distribution.books_pit_var(t, w, x, 0.99, 20_000, 1)
    for p in range(5):
        one_pit, one_var = t.distribution.portfolio_pit_var(t, w[:, p], x[p], (0.99,), 20_000, 2)
        assert abs(pit_t[p] - one_pit) < 0.015 and abs(var_t[p] / one_var[0.99][0] - 1) < 0.05


def test_a_calibration_map_moves_the_batched_books_as_it_moves_one_book(small_market):
    panel, fc = _normal_forecast(small_market)
    wider = replace(fc, pit_map=stats.norm.cdf(stats.norm.ppf(PIT_KNOTS) / 1.5))  # raw tails 1.5x too thin
    w, x = books(panel.sectors.reindex(fc.tickers), "pairs")[:, :3], np.array([-0.01, 0.0, 0.01])
    pit, var = wider.distribution.books_pit_var(wider, w, x, 0.99, 50_000, 3)
    raw_pit, raw_var = fc.distribution.books_pit_var(fc, w, x, 0.99, 0, 0)
    assert np.allclose(pit, stats.norm.cdf(stats.norm.ppf(raw_pit) / 1.5), atol=1e-3)
    for p in range(3):
        one = wider.distribution.portfolio_pit_var(wider, w[:, p], x[p], (0.99,), 50_000, 3)[1][0.99][0]
        assert var[p] == pytest.approx(one, rel=0.03) and var[p] > raw_var[p]


def test_the_minimum_variance_book_has_the_smallest_forecast_variance(small_market):
    panel, truth = small_market
    fc = truth.forecast_series(panel, panel.dates[200:201]).at(panel.dates[200])
    w = forecast_books(fc, "min-variance")[:, 0]
    cov = fc.dense_cov()
    assert abs(w).sum() == pytest.approx(1.0)
    ew = np.full(fc.n_stocks, 1.0 / fc.n_stocks) * abs(w.sum())  # same net exposure as w
    assert w @ cov @ w <= ew @ cov @ ew
