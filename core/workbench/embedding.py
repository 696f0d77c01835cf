"""t-SNE of the exposures beta_{i,t} on one date and how well they separate sectors (spec section 7).

Quality is measured, not just shown: leave-one-out k-nearest-neighbour (k = 5) sector accuracy
in the exposure space and in the 2-D map, against chance = share of the largest sector.

Speed at 500+ stocks (measured on 2 busy cores, 500 stocks x 4 factors): sklearn's t-SNE with
its default 1,000 iterations and 2 OpenMP threads took 15-69 s, one thread 4.7 s, one thread and
500 iterations 2.7 s; the leave-one-out kNN as 500 refits took 7 s, as one neighbour query ms.
So: one thread, PCA initialisation, 500 iterations, exposures first reduced to at most 50
principal components (a full-covariance model in factor form has N factors), kNN by one query.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import ModelError
from core.forecast import FactorForecast

TSNE_ITERATIONS = 500
MAX_DIMS = 50


@dataclass
class Embedding:
    """coords: DataFrame (N x 2: x, y) indexed by ticker, with a sector column; accuracies in [0, 1]."""

    coords: pd.DataFrame
    knn_exposures: float
    knn_map: float
    chance: float


def knn_accuracy(x: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    """Leave-one-out k-NN classification accuracy of labels (N,) from points x (N, D): each point's
    label against the majority of its k nearest other points (ties to the first label in sorted order,
    as sklearn's KNeighborsClassifier)."""
    from sklearn.neighbors import NearestNeighbors

    x = np.asarray(x, dtype=float)
    n = len(x)
    k = min(k, n - 1)
    classes, codes = np.unique(np.asarray(labels), return_inverse=True)
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)
    hits = 0
    for i in range(n):
        row = idx[i]
        others = row[row != i][:k] if (row == i).any() else row[:k]
        votes = np.bincount(codes[others], minlength=len(classes))
        hits += int(np.argmax(votes) == codes[i])
    return hits / n


def _tsne(x: np.ndarray, perplexity: float, seed: int) -> np.ndarray:
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    x = np.asarray(x, dtype=float)
    with threadpool_limits(1):  # OpenMP / BLAS threads on a shared machine are slower than one
        if x.shape[1] > MAX_DIMS:
            from sklearn.decomposition import PCA

            x = PCA(n_components=MAX_DIMS, random_state=seed).fit_transform(x)
        tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed,
                    max_iter=TSNE_ITERATIONS, n_jobs=1)
        return tsne.fit_transform(x)


def embed_exposures(fc: FactorForecast, sectors: pd.Series, k: int = 5, seed: int = 0,
                    perplexity: float = 30.0) -> Embedding:
    """t-SNE (2-D, seeded) of fc.exposures (N x F) and the kNN sector accuracies."""
    n = fc.n_stocks
    if n < k + 2 or fc.n_factors == 0:
        raise ModelError(f"an embedding needs at least {k + 2} stocks with exposures (got {n} stocks, "
                         f"{fc.n_factors} factors); pick a date or model with more")
    labels, chance = _sector_labels(fc, sectors)
    xy = _tsne(fc.exposures, min(perplexity, (n - 1) / 3), seed)
    coords = pd.DataFrame(xy, index=pd.Index(fc.tickers, name="ticker"), columns=["x", "y"])
    coords["sector"] = labels
    return Embedding(coords, knn_accuracy(fc.exposures, labels, k), knn_accuracy(xy, labels, k), chance)


def _sector_labels(fc: FactorForecast, sectors: pd.Series) -> tuple[np.ndarray, float]:
    """(sector of each of fc's tickers (N,), "Unknown" where not given; chance = largest sector's share)."""
    labels = sectors.reindex(fc.tickers).fillna("Unknown").to_numpy()
    return labels, float(pd.Series(labels).value_counts(normalize=True).iloc[0])


def sector_knn(series, sectors: pd.Series, dates, k: int = 5) -> tuple[float, float]:
    """(mean kNN sector accuracy of the exposures, mean chance) over `dates` of a ForecastSeries:
    the sector evidence of a model without the t-SNE (for ablations: a model that takes sector as an
    input must be compared with one trained without it)."""
    acc, chance = [], []
    for d in dates:
        fc = series.at(d)
        labels, share = _sector_labels(fc, sectors)
        acc.append(knn_accuracy(fc.exposures, labels, k))
        chance.append(share)
    return float(np.mean(acc)), float(np.mean(chance))
