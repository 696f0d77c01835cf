"""t-SNE of the exposures beta_{i,t} on one date and how well they separate sectors (spec section 7).

Quality is measured, not just shown: leave-one-out k-nearest-neighbour (k = 5) sector accuracy
in the exposure space and in the 2-D map, against chance = share of the largest sector.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.manifold import TSNE
from sklearn.model_selection import LeaveOneOut, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from core.errors import ModelError
from core.forecast import FactorForecast


@dataclass
class Embedding:
    """coords: DataFrame (N x 2: x, y) indexed by ticker, with a sector column; accuracies in [0, 1]."""

    coords: pd.DataFrame
    knn_exposures: float
    knn_map: float
    chance: float


def knn_accuracy(x: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    """Leave-one-out k-NN classification accuracy of labels (N,) from points x (N, D)."""
    k = min(k, len(x) - 1)
    return float(cross_val_score(KNeighborsClassifier(n_neighbors=k), x, labels, cv=LeaveOneOut()).mean())


def embed_exposures(fc: FactorForecast, sectors: pd.Series, k: int = 5, seed: int = 0,
                    perplexity: float = 30.0) -> Embedding:
    """t-SNE (2-D, seeded) of fc.exposures (N x F) and the kNN sector accuracies."""
    n = fc.n_stocks
    if n < k + 2 or fc.n_factors == 0:
        raise ModelError(f"an embedding needs at least {k + 2} stocks with exposures (got {n} stocks, "
                         f"{fc.n_factors} factors); pick a date or model with more")
    labels = sectors.reindex(fc.tickers).fillna("Unknown").to_numpy()
    xy = TSNE(n_components=2, perplexity=min(perplexity, (n - 1) / 3), init="pca", random_state=seed).fit_transform(
        fc.exposures)
    coords = pd.DataFrame(xy, index=pd.Index(fc.tickers, name="ticker"), columns=["x", "y"])
    coords["sector"] = labels
    chance = float(pd.Series(labels).value_counts(normalize=True).iloc[0])
    return Embedding(coords, knn_accuracy(fc.exposures, labels, k), knn_accuracy(xy, labels, k), chance)
