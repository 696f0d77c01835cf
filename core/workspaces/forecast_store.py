"""Forecasts kept between refreshes, keyed by content. The forecast made at the close of date t reads the data up
to t and a model fitted on the data up to the end of validation, so each is stored beside a chain key of those
rows: key_t = SHA-256(key_{t-1}, row t of every series the panel holds, over the stocks observed that day), seeded
with the model key, the package version and the stocks' static metadata, and held at its value at the end of
validation for every earlier date. A newer file that only adds days keeps every key of the old days, so only the
new days are forecast; a file that restates history (a re-adjusted return, a stock renamed or dropped, a sector
changed) changes the keys from the first restated row on (all of validation when the row falls there), and exactly
those forecasts are made again.

Stored under NEURALFACTORS_HOME/forecasts/<workspace id>/<model key>/ as a ForecastSeries (core.forecast.storage)
with the keys in its sidecar."""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import CheckpointError
from core.forecast import ForecastSeries
from core.io import read_json


def chain_keys(panel, seed: str = "", fitted_through=None) -> pd.Series:
    """(T,) hex keys indexed by the panel's dates: key_t changes when anything a forecast at t can read changes
    (seed: what identifies the model; fitted_through: the last date its fit reads, whose key earlier dates take)."""
    frames = [panel.returns] + [panel.features[k] for k in sorted(panel.features)]
    frames += [f.to_frame() if isinstance(f, pd.Series) else f for f in (panel.benchmark, panel.factors)
               if f is not None]
    h = hashlib.sha256(seed.encode() + b"\0")
    h.update(pd.util.hash_pandas_object(panel.meta.fillna(""), index=True).to_numpy().tobytes())
    columns = [np.asarray(f.columns, dtype=str) for f in frames]
    values = [f.to_numpy(dtype=np.float64) for f in frames]
    keys = []
    for t, date in enumerate(panel.dates):
        h.update(str(date.date()).encode())
        for cols, vals in zip(columns, values):
            ok = np.isfinite(vals[t])
            h.update("\0".join(cols[ok]).encode())
            h.update(vals[t, ok].tobytes())
        keys.append(h.copy().hexdigest())
    out = pd.Series(keys, index=panel.dates)
    if fitted_through is not None:
        cut = out.index.searchsorted(pd.Timestamp(fitted_through), "right") - 1
        if cut >= 0:
            out.iloc[:cut] = out.iloc[cut]
    return out


@dataclass
class Reuse:
    """What a refresh can keep: `kept` forecast dates whose key is unchanged, `to_make` the rest of `dates`,
    `restated_from` the first date of the stored forecasts whose data changed (None when none did)."""

    kept: pd.DatetimeIndex
    to_make: pd.DatetimeIndex
    restated_from: pd.Timestamp | None


class ForecastStore:
    """The kept forecasts of one (workspace, model key) in `directory`."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def load(self) -> tuple[ForecastSeries, pd.Series] | None:
        """(series, its keys by date), or None when nothing is stored or what is stored is unreadable."""
        if not (self.directory / "forecasts.json").exists():
            return None
        try:
            series = ForecastSeries.load(self.directory)
        except CheckpointError:
            return None
        keys = read_json(self.directory / "forecasts.json").get("keys", {})
        return series, pd.Series(keys, dtype=object).rename(index=pd.Timestamp)

    def plan(self, keys: pd.Series, dates: pd.DatetimeIndex) -> Reuse:
        """Which of `dates` (forecast dates of the panel whose chain keys are `keys`) are kept and which made."""
        stored = self.load()
        old = pd.Series(dtype=object) if stored is None else stored[1]
        common = old.index.intersection(dates)
        same = common[(old.reindex(common) == keys.reindex(common)).to_numpy()]
        changed = common.difference(same)
        return Reuse(kept=same, to_make=pd.DatetimeIndex(dates).difference(same),
                     restated_from=changed[0] if len(changed) else None)

    def update(self, reuse: Reuse, made: ForecastSeries | None, keys: pd.Series) -> ForecastSeries:
        """The kept forecasts and the `made` ones as one series in date order (on made's tickers, or the kept ones'
        when nothing was made), written back with their keys."""
        stored = self.load()
        parts = [] if stored is None or not len(reuse.kept) else [stored[0].select(reuse.kept)]
        parts += [made] if made is not None and len(made) else []
        series = concat(parts)
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(dir=self.directory.parent, prefix=self.directory.name + ".new-"))
        series.save(fresh, {"keys": {str(d.date()): keys[d] for d in series.dates}})
        old = Path(tempfile.mkdtemp(dir=self.directory.parent, prefix=self.directory.name + ".old-"))
        os.rmdir(old)
        if self.directory.exists():  # swapped whole: a crash leaves the old set, the new one or none (made again)
            os.rename(self.directory, old)
        os.rename(fresh, self.directory)
        shutil.rmtree(old, ignore_errors=True)
        return series


def concat(parts: list[ForecastSeries]) -> ForecastSeries:
    """Series of the same model stacked in date order, on the last part's tickers (a stock absent from a part has
    no forecast there)."""
    tickers = parts[-1].tickers
    aligned = []
    for s in parts:
        col = pd.Index(s.tickers).get_indexer(tickers)
        have = col >= 0

        def take(a, fill):
            if a is None:
                return None
            out = np.full((a.shape[0], len(tickers)) + a.shape[2:], fill, dtype=np.float64)
            out[:, have] = a[:, col[have]]
            return out

        aligned.append(dict(mean=take(s.mean, np.nan), exposures=take(s.exposures, 0.0),
                            idio_var=take(s.idio_var, np.nan), idio_dof=take(s.idio_dof, np.nan),
                            factor_cov=s.factor_cov, factor_dof=s.factor_dof, pit_map=s.pit_map, dates=s.dates))
    first = parts[-1]
    joined = {k: (None if aligned[0][k] is None else np.concatenate([a[k] for a in aligned]))
              for k in ("mean", "exposures", "idio_var", "idio_dof", "factor_cov", "factor_dof", "pit_map")}
    dates = pd.DatetimeIndex(np.concatenate([a["dates"] for a in aligned]))
    order = np.argsort(dates.to_numpy(), kind="stable")
    return replace(first, dates=dates[order], tickers=list(tickers),
                   **{k: None if v is None else v[order] for k, v in joined.items()})
