"""Compact, atomic storage of a ForecastSeries: DIR/forecasts.safetensors + DIR/forecasts.json.

The shipped outputs must stay small: exposures and means as int16 codes times a per-date float32
scale (error <= 1.6e-5 of the date's largest absolute value); factor_cov once when constant over
dates, else its upper triangle; factor_dof once when constant; idio_var and idio_dof float32.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import CheckpointError
from core.io import read_arrays, read_json, write_arrays, write_json


def save_series(series, directory: str | Path, extra_meta: dict[str, Any] | None = None) -> None:
    """Write a ForecastSeries to DIR atomically; NaN means (absent stocks) follow idio_var's NaNs."""
    e_codes, e_scale = _quantise(series.exposures)
    m_codes, m_scale = _quantise(np.nan_to_num(series.mean))
    f = series.factor_cov.shape[1]
    arrays = {"mean_codes": m_codes, "mean_scale": m_scale, "exposure_codes": e_codes,
              "exposure_scale": e_scale, "idio_var": series.idio_var}
    constant = _once_if_constant(series.factor_cov)
    if len(constant) == 1:
        arrays["factor_cov"] = constant
    else:
        arrays["factor_cov_triu"] = series.factor_cov[:, *np.triu_indices(f)]
    if series.factor_dof is not None:  # Student-t dofs
        arrays |= {"factor_dof": _once_if_constant(series.factor_dof), "idio_dof": series.idio_dof}
    if series.pit_map is not None:  # a calibration layer's maps
        arrays["pit_map"] = series.pit_map
    arrays = {k: v if v.dtype == np.int16 else v.astype(np.float32) for k, v in arrays.items()}
    directory = Path(directory)
    write_arrays(directory / "forecasts.safetensors", arrays)
    write_json(directory / "forecasts.json", {
        "dates": [d.strftime("%Y-%m-%d") for d in series.dates], "tickers": series.tickers,
        "family": series.family, "joint": series.joint, "model": series.model, "n_factors": f,
        "factor_names": series.factor_names, **(extra_meta or {}),
    })


def load_series(directory: str | Path) -> dict[str, Any]:
    """The ForecastSeries fields written by `save_series` (CheckpointError when a file is incomplete)."""
    directory = Path(directory)
    meta = read_json(directory / "forecasts.json")
    a = read_arrays(directory / "forecasts.safetensors")
    t, f = len(meta["dates"]), meta.get("n_factors", 0)
    try:
        expo = _dequantise(a["exposure_codes"], a["exposure_scale"])
        var = a["idio_var"].astype(np.float64)
        mean = np.where(np.isnan(var), np.nan, _dequantise(a["mean_codes"], a["mean_scale"]))
        if "factor_cov" in a:
            fcov = np.broadcast_to(a["factor_cov"].astype(np.float64), (t, f, f)).copy()
        else:
            fcov = np.zeros((t, f, f))
            iu = np.triu_indices(f)
            fcov[:, iu[0], iu[1]] = a["factor_cov_triu"]
            fcov[:, iu[1], iu[0]] = a["factor_cov_triu"]
    except KeyError as exc:
        raise CheckpointError(f"{directory}/forecasts.safetensors lacks {exc}; it was written by another "
                              "version: rebuild it with `neuralfactors pretrained build`") from exc
    dof = a.get("factor_dof")
    return dict(
        dates=pd.DatetimeIndex(pd.to_datetime(meta["dates"])), tickers=meta["tickers"], mean=mean,
        exposures=expo, factor_cov=fcov, idio_var=var, family=meta["family"],
        factor_dof=None if dof is None else np.broadcast_to(dof.astype(np.float64), (t, f)).copy(),
        idio_dof=None if "idio_dof" not in a else a["idio_dof"].astype(np.float64), joint=meta["joint"],
        model=meta["model"], factor_names=meta.get("factor_names", []),
        pit_map=None if "pit_map" not in a else a["pit_map"].astype(np.float64),
    )


def _quantise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x: (T, ...) float -> (int16 codes of x / scale * 32767, scale (T,) = per-date max |x|)."""
    axes = tuple(range(1, x.ndim))
    scale = np.max(np.abs(x), axis=axes, initial=0.0) if x.size else np.zeros(len(x))
    scale = np.where(scale > 0, scale, 1.0)
    codes = np.rint(x / scale.reshape((-1,) + (1,) * (x.ndim - 1)) * 32767.0).astype(np.int16)
    return codes, scale


def _dequantise(codes: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return codes.astype(np.float64) / 32767.0 * scale.astype(np.float64).reshape((-1,) + (1,) * (codes.ndim - 1))


def _once_if_constant(x: np.ndarray) -> np.ndarray:
    """x: (T, ...) -> x[:1] when every date holds the same values (NaN-aware), else x."""
    return x[:1] if len(x) and np.array_equal(x, np.broadcast_to(x[:1], x.shape), equal_nan=True) else x
