"""t-SNE embedding and leave-one-out kNN sector accuracy."""
import numpy as np
import pandas as pd
import pytest

from core.workbench.embedding import embed_exposures, knn_accuracy
from core.errors import ModelError
from core.forecast import FactorForecast


def test_knn_accuracy_hand_example():
    x = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    assert knn_accuracy(x, np.array(list("aaabbb")), k=2) == 1.0
    assert knn_accuracy(x, np.array(list("ababab")), k=1) == 0.0


def test_embedding_separates_clustered_sectors_and_not_random_ones():
    rng = np.random.default_rng(0)
    n, f = 60, 4
    sec = np.repeat(["Tech", "Energy", "Health"], [30, 20, 10])
    centres = {"Tech": np.full(f, 2.0), "Energy": np.r_[-2.0, np.zeros(f - 1)], "Health": np.r_[0, 0, 2.0, -2]}
    b = np.stack([centres[s] for s in sec]) + 0.3 * rng.standard_normal((n, f))
    tickers = [f"S{i}" for i in range(n)]
    fc = FactorForecast(pd.Timestamp("2020-01-01"), tickers, np.zeros(n), b, np.eye(f), np.ones(n))
    sectors = pd.Series(sec, index=tickers)
    emb = embed_exposures(fc, sectors)
    assert emb.chance == pytest.approx(0.5)
    assert emb.knn_exposures > 0.95 and emb.knn_map > 0.9
    assert list(emb.coords.columns) == ["x", "y", "sector"] and len(emb.coords) == n
    shuffled = pd.Series(rng.permutation(sec), index=tickers)
    assert embed_exposures(fc, shuffled).knn_exposures < 0.7
    with pytest.raises(ModelError, match="at least"):
        embed_exposures(FactorForecast(pd.Timestamp("2020-01-01"), tickers[:4], np.zeros(4), b[:4], np.eye(f),
                                       np.ones(4)), sectors)


def test_sector_knn_over_dates_separates_sector_structure_from_noise():
    from core.workbench.embedding import sector_knn
    from core.forecast import ForecastSeries

    rng = np.random.default_rng(0)
    tickers = [f"T{i}" for i in range(30)]
    sectors = pd.Series(np.repeat(["a", "b", "c"], 10), index=tickers)
    centre = np.repeat(np.eye(3) * 3, 10, axis=0)  # (30, 3): one direction per sector
    dates = pd.bdate_range("2020-01-01", periods=4)

    def series(expo):
        return ForecastSeries(dates=dates, tickers=tickers, mean=np.zeros((4, 30)), exposures=expo,
                              factor_cov=np.broadcast_to(np.eye(3), (4, 3, 3)).copy(), idio_var=np.ones((4, 30)))

    noise = rng.normal(size=(4, 30, 3))
    acc, chance = sector_knn(series(centre[None] + 0.3 * noise), sectors, dates)
    blind, _ = sector_knn(series(noise), sectors, dates)
    assert chance == pytest.approx(1 / 3) and acc == 1.0 and blind < 0.6
