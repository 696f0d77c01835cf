"""Portfolio families: books at a gross of 1, the shapes each family promises, and the batched PIT / VaR of many
books equal to the one-book answers of the same forecast."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.forecast.recalibrated import PIT_KNOTS
from core.risk.families import FIT_FAMILIES, HELD_OUT, books, forecast_books, NET, on_day, reference_books

SECTORS = pd.Series(["Tech"] * 4 + ["Energy"] * 3 + [None] * 3, index=[f"S{i}" for i in range(10)])


@pytest.mark.parametrize("family", [f for f in FIT_FAMILIES + HELD_OUT if f != "min-variance"])
def test_every_book_has_a_gross_of_one_and_its_net_each_day(family):
    raw = books(SECTORS, family)
    w, held = on_day(raw, np.full(raw.shape[1], NET[family]))
    assert w.shape[0] == 10 and w.shape[1] > 0 and held.all()
    assert np.allclose(np.abs(w).sum(axis=0), 1.0) and np.allclose(w.sum(axis=0), NET[family])


def test_the_families_are_what_they_say():
    labels = SECTORS.fillna("Unknown").to_numpy()
    w, held = on_day(books(SECTORS, "long-short"), np.zeros(30))
    assert held.all() and np.allclose(w.sum(axis=0), 0.0) and np.allclose(np.abs(w).sum(axis=0), 1.0)
    assert (books(SECTORS, "long-only") >= 0).all() and (books(SECTORS, "concentrated") > 0).sum(axis=0).max() == 5
    assert NET["130/30"] == pytest.approx(1.0 / 1.6)  # 130 long, 30 short of a gross of 160
    for w in books(SECTORS, "pairs").T:  # one long, one short, same sector
        legs = np.flatnonzero(w)
        assert len(legs) == 2 and w[legs].sum() == 0 and labels[legs[0]] == labels[legs[1]]
    legs = books(SECTORS, "130/30")
    assert np.allclose(legs.clip(0).sum(axis=0), 1.3) and np.allclose(legs.clip(None, 0).sum(axis=0), -0.3)
    weights, nets = reference_books(SECTORS)
    assert weights.shape[1] == books(SECTORS, "long-only").shape[1] + 30 and nets.tolist() == [1.0] * 34 + [0.0] * 30


def test_a_stock_listed_later_changes_no_other_weight():
    """The fitted families' random weights are drawn per ticker: adding a ticker leaves the others' weights."""
    more = pd.concat([SECTORS, pd.Series(["Tech"], index=["NEW"])])
    for family, cols in (("long-only", slice(1 + 3, None)), ("long-short", slice(None))):  # the random books
        a, b = books(SECTORS, family)[:, cols], books(more, family)[:10, cols]
        assert np.allclose(b / np.abs(b).sum(axis=0), a / np.abs(a).sum(axis=0))


def test_on_day_keeps_each_books_net_on_the_stocks_traded():
    w = np.array([[0.5, 0.4], [0.3, -0.3], [0.2, -0.3], [0.0, 0.0]])
    day, held = on_day(w[[0, 1, 3]], np.array([1.0, 0.0]))  # stock 2 not traded
    assert held.tolist() == [True, True]
    assert np.allclose(day.sum(axis=0), [1.0, 0.0]) and np.allclose(np.abs(day).sum(axis=0), 1.0)
    _, held = on_day(w[[0, 3]], np.array([1.0, 0.0]))  # the short leg is gone: the neutral book is not held
    assert held.tolist() == [True, False]


def _normal_forecast(small_market):
    """The true forecast of day 200 with Normal factors and noise."""
    panel, truth = small_market
    fc = truth.forecast_series(panel, panel.dates[200:201]).at(panel.dates[200])
    return panel, replace(fc, family="normal", factor_dof=None, idio_dof=None)


def test_batched_books_match_the_one_book_answers(small_market):
    panel, fc = _normal_forecast(small_market)
    w = on_day(books(panel.sectors.reindex(fc.tickers), "long-short")[:, :5], np.zeros(5))[0]
    x = np.linspace(-0.01, 0.01, 5)
    pit, var = fc.distribution.books_pit_var(fc, w, x, 0.99, 0, 0)  # Normal: closed form
    for p in range(5):
        one_pit, one_var = fc.distribution.portfolio_pit_var(fc, w[:, p], x[p], (0.99,), 0, 0)
        assert pit[p] == pytest.approx(one_pit) and var[p] == pytest.approx(one_var[0.99][0])
    t = replace(fc, family="student_t", factor_dof=np.full(fc.n_factors, 5.0), idio_dof=np.full(fc.n_stocks, 4.0))
    pit_t, var_t = t.distribution.books_pit_var(t, w, x, 0.99, 100_000, 1)
    for p in range(5):
        one_pit, one_var = t.distribution.portfolio_pit_var(t, w[:, p], x[p], (0.99,), 100_000, 2)
        assert abs(pit_t[p] - one_pit) < 0.01 and abs(var_t[p] / one_var[0.99][0] - 1) < 0.04


def test_a_calibration_map_moves_the_batched_books_as_it_moves_one_book(small_market):
    panel, fc = _normal_forecast(small_market)
    wider = replace(fc, pit_map=stats.norm.cdf(stats.norm.ppf(PIT_KNOTS) / 1.5))  # raw tails 1.5x too thin
    w, x = on_day(books(panel.sectors.reindex(fc.tickers), "pairs")[:, :3], np.zeros(3))[0], np.array([-0.01, 0.0, 0.01])
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
