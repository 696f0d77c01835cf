"""benchmarks/covariance_misses.py's split of cov_mse: its parts add up to the whitening test's score, a planted
co-movement of two same-sector stocks lands in the same-sector pairs, and on the shipped forecasts the total is the
shipped metric."""
import json

import numpy as np
import pytest

from benchmarks.covariance_misses import split_row, whitening_split
from core import store
from core.data.embedded import load_sp500_20
from core.risk.covariance import whitening_scores
from core.workbench.sources import forecast_dates, forecasts
from tests.panels import with_returns


def test_the_parts_add_up_and_a_planted_sector_co_movement_lands_in_its_pairs(rng):
    u = rng.standard_normal((2000, 6))
    u[:, 1] = 0.6 * u[:, 0] + 0.8 * u[:, 1]  # stocks 0 and 1 (same sector) move together: S_01 about 0.6
    sector = np.array(["a", "a", "b", "b", "c", "c"])
    parts = whitening_split(u, sector[:, None] == sector[None, :])
    assert parts["variances"] + parts["same sector"] + parts["other"] == pytest.approx(parts["cov_mse"], rel=1e-12)
    assert parts["cov_mse"] == pytest.approx(whitening_scores(u)[0], rel=1e-12)
    assert parts["same sector"] > 10 * parts["other"]
    assert parts["same sector S"] == pytest.approx(2 * 0.6 / 6, abs=0.03)  # two of the six same-sector entries
    assert abs(parts["other S"]) < 0.02


def test_on_the_shipped_forecasts_the_total_is_the_shipped_cov_mse_and_sectors_follow_the_common_stocks():
    panel = load_sp500_20()
    dates = forecast_dates(panel, "valid")
    series = forecasts(panel, "ledoit-wolf", dates).series
    row = split_row(panel, series, dates)
    shipped = json.loads((store.model_dir("sp500-20", "ledoit-wolf") / "metrics.json").read_text())
    assert row["cov_mse"] == pytest.approx(shipped["valid"]["models"]["ledoit-wolf"]["cov_mse"], rel=1e-9)
    # a stock missing a day leaves the common stocks: the others keep their own sectors
    gap = panel.returns.copy()
    gap.iloc[panel.dates.get_loc(dates[0]) + 1, 2] = np.nan
    fewer = split_row(with_returns(panel, gap), series, dates)
    assert fewer["variances"] + fewer["same sector"] + fewer["other"] == pytest.approx(fewer["cov_mse"], rel=1e-12)
    assert fewer["cov_mse"] != row["cov_mse"]
