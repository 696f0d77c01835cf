"""Data layer: the Panel, embedded datasets, your own files, features, synthetic market."""
from __future__ import annotations

from core.data.panel import Panel, Split
from core.errors import DataError


def load_panel(dataset: str | None = None, path: str | None = None, lookback: int = 64,
               date_format: str | None = None) -> Panel:
    """One entry point for every source: an embedded dataset by name, or a CSV/Parquet file.
    `lookback` only drives the "too little history" warning of file loads; `date_format`
    (e.g. "%d/%m/%Y") is how a file's dates are written (see core.data.files.load_file)."""
    if (dataset is None) == (path is None):
        raise DataError("give exactly one of --dataset NAME or --data PATH")
    if dataset is not None:
        from core.data.embedded import load_dataset

        return load_dataset(dataset)
    from core.data.files import load_file

    return load_file(path, lookback=lookback, date_format=date_format)


__all__ = ["Panel", "Split", "load_panel"]
