"""Look-ahead checks shared by every refit schedule's tests (issue 31).

A schedule is judged through `outputs(data) -> {name: array}`, where row k of each array is what the schedule
gives for its k-th date (a forecast, a PIT map, a covariance correction, a portfolio GARCH forecast).
`assert_no_lookahead(outputs, data, change, cuts)` changes the data from day t+1 on (`change(data, t)`) for each
cut t and asserts that every output row <= t is bit-identical, and that some row after t did change (the change
reached the schedule, so the check is live). Its failure messages start with "look-ahead" (a row <= t moved)
or "dead check" (nothing moved at all).

Where to cut, for a schedule refitted on a grid of dates (`grid_cuts`): ON a refit date g, just BEFORE one
(g - 1) and OFF the grid (halfway to the next refit). Each catches a leak the others miss:

  - a refit at g whose window reads one day too many (day g+1) moves row g only through day g+1: only the cut
    at g sees it (a cut off the grid or before g changes nothing that refit reads);
  - a refit applied a day early (row g-1 given the fit made for g, which reads day g) moves only row g-1
    through day g: only the cut at g-1 sees it;
  - a daily update that reads day t+1 (a filter, an EWMA) moves every row: any cut sees it, the off-grid cut
    included, which is the only one left when the refits are right.

Planted leaks, to prove each check can fail (monkeypatch a schedule's function with one of these):
`reading_ahead(fn)` calls fn with its first argument one day ahead (row t holds day t+1's), `applied_early(fn)`
returns fn's result one day ahead (row t gets row t+1's). `one_day_ahead` does the shift on an array, a frame,
a tuple, a dict or a dataclass of arrays.

Data changes: `changed_pits` (PIT rows of outcomes after t replaced by uniforms), `changed_frame` and
`changed_after` (returns, features, benchmark and factor series after a date replaced by noise, the listing
pattern scrambled), `with_later_listing` (one more stock, listed only after a date).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd


def grid_cuts(first_refit: int, every: int, label: str = "") -> dict[str, int]:
    """Cuts around the second refit date g = first_refit + every (so an earlier fit exists): ON g, just BEFORE
    it (g - 1) and OFF the grid (g + every // 2). Keys are the kinds, prefixed with `label` when given."""
    g = first_refit + every
    prefix = f"{label} " if label else ""
    return {f"{prefix}before": g - 1, f"{prefix}on": g, f"{prefix}off": g + every // 2}


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def _first_difference(a: np.ndarray, b: np.ndarray) -> int:
    for k in range(min(len(a), len(b))):
        if not _same(a[k], b[k]):
            return k
    return min(len(a), len(b))


def assert_no_lookahead(outputs: Callable[[Any], Mapping[str, np.ndarray]], data: Any,
                        change: Callable[[Any, int], Any], cuts: Mapping[str, int]) -> None:
    """For each cut t: every row <= t of every output is bit-identical when the data change from day t+1 on,
    and some row after t changes (else the check could not fail). Raises AssertionError naming the cut,
    the output and the first row that moved."""
    base = {k: np.asarray(v) for k, v in outputs(data).items()}
    for kind, t in cuts.items():
        moved = {k: np.asarray(v) for k, v in outputs(change(data, t)).items()}
        for key, value in base.items():
            if not _same(value[: t + 1], moved[key][: t + 1]):
                row = _first_difference(value[: t + 1], moved[key][: t + 1])
                raise AssertionError(f"look-ahead: {key} at row {row} changed when the data after row {t} "
                                     f"(cut {kind!r}) changed")
        if all(_same(value[t + 1:], moved[key][t + 1:]) for key, value in base.items()):
            raise AssertionError(f"dead check: changing the data after row {t} (cut {kind!r}) changed no output "
                                 "after it either; the change does not reach the schedule")


def one_day_ahead(x: Any) -> Any:
    """x with its rows moved one day earlier: row t holds row t+1 (the last row is kept). Arrays and frames by
    their first axis; tuples, lists, dicts and dataclasses item by item; anything else as it is."""
    if isinstance(x, np.ndarray) and x.ndim >= 1 and len(x) > 1:
        return np.concatenate([x[1:], x[-1:]])
    if isinstance(x, (pd.DataFrame, pd.Series)) and len(x) > 1:
        out = pd.concat([x.iloc[1:], x.iloc[-1:]])
        out.index = x.index
        return out
    if isinstance(x, (tuple, list)):
        return type(x)(one_day_ahead(v) for v in x)
    if isinstance(x, dict):
        return {k: one_day_ahead(v) for k, v in x.items()}
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return dataclasses.replace(x, **{f.name: one_day_ahead(getattr(x, f.name)) for f in dataclasses.fields(x)
                                         if f.init})
    return x


def reading_ahead(fn: Callable) -> Callable:
    """A planted leak: fn reading its first argument (the rows it is given) one day ahead."""

    def leaky(first, *args, **kwargs):
        return fn(one_day_ahead(first), *args, **kwargs)

    return leaky


def applied_early(fn: Callable) -> Callable:
    """A planted leak: what fn returns for day t+1 given for day t (a refit applied a day early when fn is the
    schedule; the data read a day ahead when fn is what reads them)."""

    def leaky(*args, **kwargs):
        return one_day_ahead(fn(*args, **kwargs))

    return leaky


def changed_pits(pits: np.ndarray, t: int, seed: int = 1) -> np.ndarray:
    """PITs (T, P) with the rows whose outcome falls after day t (rows >= t: row s is scored on day s+1)
    replaced by uniforms."""
    out = pits.copy()
    out[t:] = np.random.default_rng(seed).uniform(size=out[t:].shape)
    return out


def changed_frame(frame: pd.DataFrame | pd.Series, date, seed: int, scale: float = 0.05,
                  holes: float = 0.1) -> pd.DataFrame | pd.Series:
    """The frame with every value after `date` replaced by Normal(0, scale) noise, a share `holes` of them NaN."""
    rng = np.random.default_rng(seed)
    out = frame.astype(np.float64)
    later = out.index > pd.Timestamp(date)
    tail = rng.normal(0.0, scale, out.loc[later].shape)
    tail[rng.random(tail.shape) < holes] = np.nan
    out.loc[later] = tail
    return out


def changed_after(panel, date, seed: int = 0):
    """The panel with every return, feature, benchmark and factor value after `date` replaced by noise (and
    the listing pattern after it scrambled)."""
    date = pd.Timestamp(date)
    return dataclasses.replace(
        panel, returns=changed_frame(panel.returns, date, seed),
        features={k: changed_frame(v, date, seed + 1, scale=3.0) for k, v in panel.features.items()},
        benchmark=None if panel.benchmark is None else changed_frame(panel.benchmark, date, seed + 2, holes=0.0),
        factors=None if panel.factors is None else changed_frame(panel.factors, date, seed + 3, holes=0.0))


def with_later_listing(panel, date, seed: int = 0):
    """The panel with one more stock, "NEWCO" (the first stock's metadata), listed only after `date`: what a newer
    file of the same universe adds. Nothing known at `date` changes."""
    date = pd.Timestamp(date)
    rng = np.random.default_rng(seed)
    later = panel.dates > date
    new = pd.Series(np.nan, index=panel.dates)
    new[later] = rng.normal(0.0, 0.02, int(later.sum()))
    meta = pd.concat([panel.meta, panel.meta.iloc[:1].set_axis(["NEWCO"])])
    seen = pd.Series(np.where(later, 1.0, np.nan), index=panel.dates)
    return dataclasses.replace(panel, returns=panel.returns.assign(NEWCO=new), meta=meta,
                               features={k: v.assign(NEWCO=seen) for k, v in panel.features.items()})
