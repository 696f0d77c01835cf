"""Precomputed views of the shipped default: what every visitor of an embedded dataset's default view asks for first,
computed once by the pretrained build (core.build.write_views) and read by the dashboard instead of recomputing it.

Stored per (dataset, model key) in <root>/<dataset>/precomputed/<model key>.json (what each entry is, its value's
structure, the fingerprint) and <model key>.safetensors (its numbers, pickle-free; core.workbench.codec). Each entry
is one call of a view of VIEWS with its arguments (the weights by their tickers and exact values); `serve` answers a
call from the store when it holds that very call, else computes it as before. Nothing is served from a store whose
fingerprint differs from what the data, the model and the code give now (`fingerprint`): the returns (Panel
fingerprint), the forecasts as served (every array of the series, so the model's weights and its calibration layer
as applied), the layer's settings, the source of every core module the views run (their import closure) and the
package version. A stale store is refused, said once, and every view is recomputed.

A store holds (`default_calls`) the factors' names and sector ablation; for the validation and test splits the
exposures over time, the factor returns, the covariance scores, the split's sector ablation and the VaR series of
every named portfolio held at the default date; and the stress windows' replays of those portfolios on that date;
each drawn as the page draws it. The fingerprint is core.workbench.provenance's.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core import store
from core.errors import CheckpointError, NotAvailable
from core.io import atomic_write_bytes, read_arrays, write_arrays
from core.workbench import ablation, capabilities, codec, covariance, exposures, factor_names as naming, stress, var, \
    vocabulary
from core.workbench.dates import default_date, window
from core.workbench.portfolios import PORTFOLIOS, named_portfolio
from core.workbench.provenance import fingerprint
from core.workbench.sources import Forecasts, forecasts as forecasts_of

FORMAT = 1
FOLDER = "precomputed"
#: the result types a store may rebuild (codec.decode's allowlist)
CLASSES = {f"{c.__module__}.{c.__qualname__}": c for c in (stress.Window, stress.Reading, stress.Replay,
                                                            stress.FactorReplay, stress.Stress, ablation.Scores)}
MISSING = object()

#: the views a store can hold: name -> f(panel, forecasts, root, **arguments), the calls the dashboard's services make
#: (root: the shipped outputs the forecasts came from, where a view reads shipped factor returns)
VIEWS = {
    "factor_names": lambda panel, f, root: naming.factor_names(panel, f, root),
    "exposures_over_time": lambda panel, f, root, part, weights: exposures.exposures_over_time(
        f.series, window(panel, f.series, part), weights),
    "factor_returns": lambda panel, f, root, part: exposures.factor_returns(panel, f, window(panel, f.series, part),
                                                                            root),
    "covariance_scores": lambda panel, f, root, part, h, step: covariance.covariance_scores(
        panel, f.series, window(panel, f.series, part), h, step),
    "var_series": lambda panel, f, root, part, weights: var.var_series(
        panel, f.series, window(panel, f.series, part), weights),
    "stress_tests": lambda panel, f, root, date, weights, windows, names: stress.stress_tests(
        panel, f, date, weights, list(windows), names=names),
    "sector_input": lambda panel, f, root: capabilities.sector_input(f),
    "sector_scores": lambda panel, f, root, date: ablation.sector_scores(panel, f, [date]),
    "split_sector_scores": lambda panel, f, root, part: ablation.split_scores(panel, f, part),
}


def _canonical(value):
    """A JSON value identifying an argument: weights by tickers and exact float64 bytes, windows by their fields."""
    if isinstance(value, pd.Series):
        raw = ",".join(map(str, value.index)).encode() + value.to_numpy(dtype=np.float64).tobytes()
        return {"series": hashlib.sha256(raw).hexdigest()}
    if isinstance(value, stress.Window):
        return ["window", value.name, value.start.isoformat(), value.end.isoformat(), value.source]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, dict):
        return {"dict": sorted([str(k), _canonical(v)] for k, v in value.items())}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def call_key(view: str, **args) -> str:
    """The key of one call of `view` with `args` (sha256 of their canonical JSON)."""
    text = json.dumps([view, {k: _canonical(v) for k, v in sorted(args.items())}], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class Views:
    """The stored calls of one (dataset, model key): key -> value; `note` says why there are none when empty."""

    entries: dict[str, object] = field(default_factory=dict)
    note: str = ""

    def get(self, view: str, **args):
        return self.entries.get(call_key(view, **args), MISSING)


def serve(views: Views | None, panel, forecasts: Forecasts, view: str, root: str | Path | None = None,
          **args):
    """The call `view(**args)` from `views` when they hold it, else computed (VIEWS[view], reading shipped outputs
    under `root`, default the installed ones)."""
    hit = MISSING if views is None else views.get(view, **args)
    return VIEWS[view](panel, forecasts, root, **args) if hit is MISSING else hit


# --- reading and writing ------------------------------------------------------------------------------------------
def paths(dataset: str, model: str, root: str | Path | None = None) -> tuple[Path, Path]:
    return tuple(Path(root or store.ROOT) / dataset / FOLDER / f"{model}{ext}" for ext in (".json", ".safetensors"))


def load(panel, forecasts: Forecasts, root: str | Path | None = None, log=None) -> Views:
    """The stored views of (panel, forecasts) when their fingerprint matches now's; empty Views saying why otherwise
    (a stale store is said once on `log`, default stderr, with the command that rebuilds it)."""
    meta_path, arrays_path = paths(panel.name, forecasts.name, root)
    if not meta_path.exists():
        return Views(note=f"no precomputed views of {panel.name}/{forecasts.name}")
    try:
        meta = json.loads(meta_path.read_text())
        stored, now = meta["fingerprint"], fingerprint(panel, forecasts, root)
        stale = [k for k in now if stored.get(k) != now[k]] if meta.get("format") == FORMAT else ["format"]
        if not stale and hashlib.sha256(arrays_path.read_bytes()).hexdigest() != meta["arrays_sha256"]:
            stale = ["arrays file"]
        if not stale:
            arrays = read_arrays(arrays_path)
            return Views({k: codec.decode(e["value"], arrays, CLASSES) for k, e in meta["entries"].items()})
        note = (f"precomputed views of {panel.name}/{forecasts.name} are stale ({', '.join(stale)} changed): "
                "recomputed on each visit; rebuild them with `neuralfactors pretrained build --reuse --keep-metrics`")
    except (OSError, ValueError, KeyError, CheckpointError) as exc:
        note = f"precomputed views of {panel.name}/{forecasts.name} unreadable ({exc}): recomputed; rebuild them"
    print(note, file=log or sys.stderr)
    return Views(note=note)


def default_calls(panel, forecasts: Forecasts, root: str | Path | None = None) -> list[tuple[str, dict, str]]:
    """(view, arguments, what it is in words) of every call the default view of (panel, forecasts) makes first (the
    module docstring says which); root: where its shipped outputs are."""
    series = forecasts.series
    fc = series.at(date := default_date(series.dates))
    books = {}
    for kind in PORTFOLIOS[:-1]:  # the named portfolios; custom weights are the visitor's own
        try:
            books[kind] = named_portfolio(panel, fc, kind)
        except NotAvailable:
            continue
    calls: list[tuple[str, dict, str]] = [("factor_names", {}, "the factors' names"),
                                          ("sector_input", {}, "sector input"),
                                          ("sector_scores", {"date": str(date.date())}, "sector ablation")]
    first = PORTFOLIOS[0]
    for part in [p for p in ("valid", "test") if len(window(panel, series, p))]:
        calls += [("exposures_over_time", {"part": part, "weights": books[first]}, f"{first}, {part}"),
                  ("factor_returns", {"part": part}, part),
                  ("covariance_scores", {"part": part, "h": covariance.COV_HORIZON, "step": 5}, part),
                  ("split_sector_scores", {"part": part}, part)]
        calls += [("var_series", {"part": part, "weights": w}, f"{kind} of {date.date()}, {part}")
                  for kind, w in books.items()]
    names = vocabulary.model_vocabulary(panel, forecasts, date, root)
    windows = tuple(stress.windows_in(panel))
    if windows:
        calls += [("stress_tests", {"date": str(date.date()), "weights": w, "windows": windows, "names": names},
                   f"{kind} of {date.date()}, {len(windows)} windows") for kind, w in books.items()]
    return calls


def build(panel, model: str, root: str | Path | None = None, log=None) -> Path:
    """Compute `default_calls` of `model` on `panel` (forecasts from `root`'s shipped outputs) and write them with
    their fingerprint under <root>/<dataset>/precomputed/; the JSON file's path. A call the model cannot serve
    (NotAvailable) is left out: the page says so itself."""
    log = log or sys.stderr
    f = forecasts_of(panel, model, root=root, log=log)
    arrays: dict[str, np.ndarray] = {}
    entries = {}
    for view, args, what in default_calls(panel, f, root):
        t0 = time.process_time()
        try:
            value = VIEWS[view](panel, f, root, **args)
        except NotAvailable as exc:
            print(f"[{model}] {view} ({what}): not stored ({exc})", file=log)
            continue
        entries[call_key(view, **args)] = {"view": view, "what": what, "value": codec.encode(value, arrays),
                                           "cpu_seconds": round(time.process_time() - t0, 3)}
    meta_path, arrays_path = paths(panel.name, model, root)
    write_arrays(arrays_path, arrays)
    meta = {"format": FORMAT, "dataset": panel.name, "model": model, "fingerprint": fingerprint(panel, f, root),
            "arrays_sha256": hashlib.sha256(arrays_path.read_bytes()).hexdigest(), "entries": entries,
            "built": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")}
    atomic_write_bytes(meta_path, json.dumps(meta, separators=(",", ":"), allow_nan=False).encode())
    print(f"[{model}] {len(entries)} precomputed views ({sum(e['cpu_seconds'] for e in entries.values()):.1f} s of "
          f"CPU) in {meta_path}", file=log)
    return meta_path
