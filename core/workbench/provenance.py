"""What a stored result was computed from, as a fingerprint a store keeps and a reader compares
(core.workbench.precomputed): the data (Panel.fingerprint), the model key, the forecasts as served (every array of the
series: the model's outputs and its calibration layer as applied), the layer's settings, the code (the source of
every core module the views run: the import closure of core.workbench.precomputed) and the package version."""
from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from core import __version__, store
from core.workbench.keys import parse_model
from core.workbench.sources import Forecasts, half_life_of

#: the module whose import closure is the code a store depends on
VIEWS_MODULE = "core.workbench.precomputed"


#: an import statement of core code, anywhere in a module (top level or in a function): `from core.x import a, b`
#: (parenthesised or not) or `import core.x[, ...]`; read by `_imported`
IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(core(?:\.\w+)*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)|import[ \t]+([^\n]*))",
                    re.M)


def _imported(source: str) -> list[str]:
    """The modules (and `from` names, which may be modules) that `source` imports: its import statements read by a
    regular expression, backslash continuations joined and comments dropped (parsing every module's syntax tree
    took most of a second of a cold start; tests check the two agree on the views' closure)."""
    text = re.sub(r"#[^\n]*", "", source.replace("\\\n", " "))
    out = []
    for module, names, plain in IMPORT.findall(text):
        if module:
            out += [module] + [f"{module}.{a.split(' as ')[0].strip()}" for a in names.strip("() \n").split(",")
                               if a.strip()]
        else:
            out += [a.split(" as ")[0].strip() for a in plain.split(",")]
    return out


def _closure(start: str) -> list[Path]:
    """The source files of module `start` and of every core module it imports, transitively (parents included)."""
    root = Path(__file__).resolve().parents[1]  # core/

    def path_of(name: str) -> Path | None:
        rel = Path(*name.split(".")[1:])
        for p in (root / rel.with_suffix(".py") if rel.parts else None, root / rel / "__init__.py"):
            if p is not None and p.is_file():
                return p
        return None

    seen: dict[str, Path] = {}
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen or (path := path_of(name)) is None:
            continue
        seen[name] = path
        parts = name.split(".")
        todo += [".".join(parts[:k]) for k in range(1, len(parts))]
        todo += [n for n in _imported(path.read_text()) if n.split(".")[0] == "core"]
    return sorted(seen.values())


@lru_cache(maxsize=1)
def code_digest() -> str:
    """sha256 of the source of core.workbench.precomputed and of every core module it runs (the views' code, the
    forecasts' and the layer's): a store built by other code is refused."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for path in _closure(VIEWS_MODULE):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def series_digest(series) -> str:
    """sha256 of a ForecastSeries as served: dates, tickers, factors, family and every array (the layer's maps and
    covariance update included)."""
    h = hashlib.sha256("|".join([*map(str, series.dates.asi8), *series.tickers, *map(str, series.factor_names),
                                 series.family, series.model]).encode())
    for k in ("mean", "exposures", "factor_cov", "idio_var", "factor_dof", "idio_dof", "pit_map"):
        a = getattr(series, k)
        h.update(k.encode() + (b"-" if a is None else np.ascontiguousarray(a, dtype=np.float64).tobytes()))
    return h.hexdigest()[:16]


def fingerprint(panel, forecasts: Forecasts, root: str | Path | None = None) -> dict[str, str]:
    """What a store was computed from: data, model key, forecasts as served, layer settings, code, version."""
    key = parse_model(forecasts.name)
    layer = "raw"
    if key.calibrated:
        shipped = store.load_calibration(panel.name, key.base, root) if forecasts.source == "shipped" else None
        settings = [] if shipped is None else np.asarray(shipped["settings"], dtype=float).round(12).tolist()
        layer = json.dumps({"half_life": half_life_of(forecasts.series.model), "settings": settings})
    return {"data": panel.fingerprint(), "model": forecasts.name, "forecasts": series_digest(forecasts.series),
            "layer": hashlib.sha256(layer.encode()).hexdigest()[:16], "code": code_digest(), "version": __version__}
