"""Views' results (pandas frames and series, numpy arrays, timestamps, the workbench's result dataclasses) written as
JSON plus named arrays, and read back: what core.workbench.precomputed stores, pickle-free. Numbers travel as arrays
(exact float64), text and small values in the JSON; a dataclass is rebuilt only when it is in the allowlist
`decode` is given, so a file names no code to run.

`encode(obj, arrays) -> JSON value` adds the arrays it needs to `arrays` (name -> ndarray); `decode(value, arrays,
classes)` is its inverse: equal frames (dtypes and index included), series, arrays, dicts (any keys), lists, tuples.
"""
from __future__ import annotations

import dataclasses
import hashlib
import math

import numpy as np
import pandas as pd

from core.errors import CheckpointError

#: numpy dtype kinds stored as arrays (safetensors holds bool, integers and floats); the rest goes into the JSON
ARRAY_KINDS = "biuf"


def _array(values: np.ndarray, arrays: dict[str, np.ndarray]) -> dict:
    """A reference to `values` in `arrays`, named by its content (dtype, shape, bytes): stored once however often
    it occurs (the same dates index under many series)."""
    values = np.ascontiguousarray(values)
    name = "a" + hashlib.sha1(f"{values.dtype.str}{values.shape}".encode() + values.tobytes()).hexdigest()[:20]
    arrays.setdefault(name, values)
    return {"array": name}


def _column(values, arrays: dict[str, np.ndarray]) -> dict:
    """One column or a series' values: an array when numeric, else a list of encoded values, with its dtype."""
    values = pd.Series(values) if not isinstance(values, (pd.Series, pd.Index)) else values
    dtype = str(values.dtype)
    if values.dtype.kind in ARRAY_KINDS:
        return {"dtype": dtype, **_array(values.to_numpy(), arrays)}
    return {"dtype": dtype, "list": [encode(v, arrays) for v in values.tolist()]}


def _index(index: pd.Index, arrays: dict[str, np.ndarray]) -> dict:
    if isinstance(index, pd.DatetimeIndex):
        if index.tz is not None:
            raise CheckpointError("a time-zone aware index cannot be stored; store it in UTC without a zone")
        return {"dates": _array(index.asi8.copy(), arrays), "dtype": str(index.dtype), "freq": index.freqstr,
                "name": index.name}
    return {"index": _column(index, arrays), "name": index.name}


def encode(obj, arrays: dict[str, np.ndarray]):
    """A JSON value for `obj`, its numbers added to `arrays` (see the module docstring)."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else {"float": repr(f)}
    if isinstance(obj, pd.Timestamp) or obj is pd.NaT:
        if obj is not pd.NaT and obj.tz is not None:
            raise CheckpointError("a time-zone aware timestamp cannot be stored; store it in UTC without a zone")
        return {"timestamp": None if obj is pd.NaT else obj.isoformat()}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in ARRAY_KINDS:
            return {"ndarray": [encode(v, arrays) for v in obj.tolist()]}
        return _array(obj, arrays)
    if isinstance(obj, pd.DataFrame):
        return {"frame": {"index": _index(obj.index, arrays), "columns": _index(obj.columns, arrays),
                          "data": [_column(obj.iloc[:, j], arrays) for j in range(obj.shape[1])]}}
    if isinstance(obj, pd.Series):
        return {"series": {"index": _index(obj.index, arrays), "name": encode(obj.name, arrays),
                           "values": _column(obj, arrays)}}
    if isinstance(obj, pd.Index):
        return {"pd_index": _index(obj, arrays)}
    if isinstance(obj, dict):
        return {"dict": [[encode(k, arrays), encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"tuple" if isinstance(obj, tuple) else "list": [encode(v, arrays) for v in obj]}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        cls = type(obj)
        return {"dataclass": f"{cls.__module__}.{cls.__qualname__}",
                "fields": {f.name: encode(getattr(obj, f.name), arrays) for f in dataclasses.fields(obj)}}
    raise CheckpointError(f"cannot store a {type(obj).__name__} in precomputed views; store its numbers instead")


def _values(col: dict, arrays: dict[str, np.ndarray], classes: dict[str, type]):
    if "array" in col:
        return _get(arrays, col["array"]).astype(col["dtype"], copy=False)
    return pd.array([decode(v, arrays, classes) for v in col["list"]], dtype=col["dtype"]) \
        if col["dtype"] != "object" else np.array([decode(v, arrays, classes) for v in col["list"]] or [], dtype=object)


def _unindex(idx: dict, arrays: dict[str, np.ndarray], classes: dict[str, type]) -> pd.Index:
    if "dates" in idx:
        return pd.DatetimeIndex(_get(arrays, idx["dates"]["array"]).astype(idx["dtype"]), name=idx["name"],
                                freq=idx.get("freq"))
    values = _values(idx["index"], arrays, classes)
    return pd.Index(values, name=idx["name"], dtype=idx["index"]["dtype"])


def _get(arrays: dict[str, np.ndarray], name: str) -> np.ndarray:
    if name not in arrays:
        raise CheckpointError(f"precomputed views: array {name!r} is missing from the arrays file; rebuild them")
    return arrays[name]


def decode(value, arrays: dict[str, np.ndarray], classes: dict[str, type]):
    """The object `encode` wrote as `value`; dataclasses only of `classes` (qualified name -> class)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if not isinstance(value, dict) or len(value) == 0:
        raise CheckpointError(f"precomputed views: unreadable value {str(value)[:80]!r}; rebuild them")
    if "float" in value:
        return float(value["float"])
    if "timestamp" in value:
        return pd.NaT if value["timestamp"] is None else pd.Timestamp(value["timestamp"])
    if "array" in value:
        return _get(arrays, value["array"]).copy()
    if "ndarray" in value:
        return np.array([decode(v, arrays, classes) for v in value["ndarray"]], dtype=object)
    if "frame" in value:
        f = value["frame"]
        columns = _unindex(f["columns"], arrays, classes)
        data = {j: _values(c, arrays, classes) for j, c in enumerate(f["data"])}
        out = pd.DataFrame(data, index=_unindex(f["index"], arrays, classes))
        out.columns = columns
        return out
    if "series" in value:
        s = value["series"]
        return pd.Series(_values(s["values"], arrays, classes), index=_unindex(s["index"], arrays, classes),
                         name=decode(s["name"], arrays, classes))
    if "pd_index" in value:
        return _unindex(value["pd_index"], arrays, classes)
    if "dict" in value:
        return {decode(k, arrays, classes): decode(v, arrays, classes) for k, v in value["dict"]}
    if "list" in value:
        return [decode(v, arrays, classes) for v in value["list"]]
    if "tuple" in value:
        return tuple(decode(v, arrays, classes) for v in value["tuple"])
    if "dataclass" in value:
        cls = classes.get(value["dataclass"])
        if cls is None:
            raise CheckpointError(f"precomputed views name {value['dataclass']!r}, not a stored result type; "
                                  "rebuild them")
        return cls(**{k: decode(v, arrays, classes) for k, v in value["fields"].items()})
    raise CheckpointError(f"precomputed views: unreadable value {str(value)[:80]!r}; rebuild them")
