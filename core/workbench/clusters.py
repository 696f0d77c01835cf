"""Sector clusters: the t-SNE map of one date's exposures and the kNN sector accuracy (core.workbench.embedding)."""
from __future__ import annotations

from core.workbench.embedding import embed_exposures
from core.forecast import FactorForecast
from core.workbench.capabilities import require_factors

K = 5  # neighbours of the kNN vote (core.workbench.embedding's default)


def embedding(panel, fc: FactorForecast) -> dict:
    """t-SNE map of the exposures and kNN sector accuracy: {"points": ticker, x, y, sector, name per stock,
    "acc_exposures", "acc_map", "chance", "k"}."""
    require_factors(fc)
    emb = embed_exposures(fc, panel.sectors, K)
    points = emb.coords.reset_index()
    points["name"] = panel.meta["name"].reindex(points["ticker"]).fillna("").to_numpy()
    return {"points": points, "acc_exposures": emb.knn_exposures, "acc_map": emb.knn_map, "chance": emb.chance,
            "k": K}
