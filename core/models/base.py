"""The model contract: `FactorForecast`, `ForecastSeries`, the `RiskModel` protocol, the registry.

Every model, learned or classical, returns its one-day-ahead forecast in factor form:

    r_{t+1} = mean + B z + eps,   Cov(z) = factor_cov (F x F),   Var(eps_i) = idio_var_i

with z and eps Normal, or Student-t (z = L u, L = chol(factor_cov), u_f independent
Student-t with dof factor_dof[f] standardised to unit variance; eps_i = sqrt(idio_var_i) *
standardised Student-t with dof idio_dof[i]). A full-covariance model (sample, shrinkage,
EWMA) is written exactly in this form by `FactorForecast.from_covariance`. A univariate
model (GARCH) sets `joint=False`: its marginals are valid, its cross-stock structure is not.
Risk numbers use the factor form; an N x N matrix is built only by `dense_cov` for display.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from core.errors import CheckpointError, ModelError

FAMILIES = ("normal", "student_t")


@dataclass
class FactorForecast:
    """Distribution of r_{t+1} given information at the close of `date`.

    tickers: N names; mean: (N,); exposures: (N, F); factor_cov: (F, F); idio_var: (N,);
    factor_dof: (F,) and idio_dof: (N,) for family "student_t" (None for "normal"); a dof of
    np.inf marks a Normal component (e.g. PPCA with Normal factors and Student-t noise).
    """

    date: pd.Timestamp
    tickers: list[str]
    mean: np.ndarray
    exposures: np.ndarray
    factor_cov: np.ndarray
    idio_var: np.ndarray
    family: str = "normal"
    factor_dof: np.ndarray | None = None
    idio_dof: np.ndarray | None = None
    joint: bool = True
    model: str = ""
    factor_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.mean = np.asarray(self.mean, dtype=np.float64)
        self.exposures = np.asarray(self.exposures, dtype=np.float64).reshape(len(self.tickers), -1)
        self.factor_cov = np.asarray(self.factor_cov, dtype=np.float64).reshape(self.n_factors, self.n_factors)
        self.idio_var = np.asarray(self.idio_var, dtype=np.float64)
        n, f = self.exposures.shape
        if self.mean.shape != (n,) or self.idio_var.shape != (n,):
            raise ModelError(f"forecast shapes disagree: mean {self.mean.shape}, idio_var {self.idio_var.shape}, N={n}")
        if self.family not in FAMILIES:
            raise ModelError(f"unknown distribution family {self.family!r}; use one of {FAMILIES}")
        if self.family == "student_t":
            if self.factor_dof is None or self.idio_dof is None:
                raise ModelError("a Student-t forecast needs factor_dof (F,) and idio_dof (N,)")
            self.factor_dof = np.asarray(self.factor_dof, dtype=np.float64).reshape(f)
            self.idio_dof = np.asarray(self.idio_dof, dtype=np.float64).reshape(n)
        if not self.factor_names:
            self.factor_names = [f"f{k + 1}" for k in range(f)]

    # --- shapes -----------------------------------------------------------------------
    @property
    def n_stocks(self) -> int:
        return len(self.tickers)

    @property
    def n_factors(self) -> int:
        return self.exposures.shape[1]

    # --- moments in factor form ---------------------------------------------------------
    def total_var(self) -> np.ndarray:
        """Marginal variance of each stock, (N,): diag(B Sz B') + d, without forming N x N."""
        return np.einsum("nf,fg,ng->n", self.exposures, self.factor_cov, self.exposures) + self.idio_var

    def portfolio_mean(self, w: np.ndarray) -> float:
        """w: (N,) weights -> expected portfolio return."""
        return float(np.asarray(w) @ self.mean)

    def portfolio_var(self, w: np.ndarray) -> float:
        """w: (N,) -> (w'B) Sz (B'w) + sum w_i^2 d_i."""
        w = np.asarray(w, dtype=np.float64)
        y = self.exposures.T @ w
        return float(y @ self.factor_cov @ y + np.sum(w * w * self.idio_var))

    def dense_cov(self) -> np.ndarray:
        """The N x N covariance. For display and small-N checks only."""
        b = self.exposures
        return b @ self.factor_cov @ b.T + np.diag(self.idio_var)

    # --- scenarios ------------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draw n joint scenarios of r_{t+1}: array (n, N)."""
        rng = np.random.default_rng(rng)
        f = self.n_factors
        chol = _safe_cholesky(self.factor_cov) if f else np.zeros((0, 0))
        if self.family == "normal":
            u = rng.standard_normal((n, f))
            e = rng.standard_normal((n, self.n_stocks))
        else:
            u = _std_t(rng, self.factor_dof, (n, f))
            e = _std_t(rng, self.idio_dof, (n, self.n_stocks))
        return self.mean + (u @ chol.T) @ self.exposures.T + e * np.sqrt(self.idio_var)

    # --- construction ----------------------------------------------------------------
    @classmethod
    def from_covariance(cls, date, tickers, mean, cov, model: str = "", floor_share: float = 0.5) -> "FactorForecast":
        """Exact factor form of a dense Normal forecast N(mean, cov).

        cov = V (L - delta) V' + delta I with delta = floor_share * smallest eigenvalue, so
        B = V sqrt(L - delta) (N x N), factor_cov = I, idio_var = delta (> 0 when cov is PD).
        """
        cov = 0.5 * (np.asarray(cov, dtype=np.float64) + np.asarray(cov, dtype=np.float64).T)
        lam, vec = np.linalg.eigh(cov)
        lam = np.clip(lam, 0.0, None)
        delta = max(floor_share * lam[0], 1e-12 * max(lam[-1], 1e-300))
        keep = lam - delta > 0
        b = vec[:, keep] * np.sqrt(lam[keep] - delta)
        k = b.shape[1]
        return cls(
            date=pd.Timestamp(date), tickers=list(tickers), mean=np.asarray(mean, dtype=np.float64),
            exposures=b, factor_cov=np.eye(k), idio_var=np.full(len(tickers), delta), model=model,
            factor_names=[f"pc{j + 1}" for j in range(k)],
        )


def _std_t(rng: np.random.Generator, dof: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Student-t draws with dof (shape[1],) scaled to unit variance (dof > 2; inf = Normal)."""
    dof = np.broadcast_to(np.asarray(dof, dtype=np.float64), shape)
    finite = np.isfinite(dof)
    x = rng.standard_normal(shape)
    if finite.any():
        d = np.where(finite, dof, 10.0)
        t = rng.standard_t(d) * np.sqrt((d - 2.0) / d)
        x = np.where(finite, t, x)
    return x


def _safe_cholesky(a: np.ndarray) -> np.ndarray:
    """Cholesky of a PSD matrix with growing jitter as fallback."""
    a = 0.5 * (a + a.T)
    jitter = 0.0
    scale = max(float(np.mean(np.diag(a))), 1e-300)
    for _ in range(8):
        try:
            return np.linalg.cholesky(a + jitter * np.eye(len(a)))
        except np.linalg.LinAlgError:
            jitter = scale * 1e-10 if jitter == 0.0 else jitter * 100
    raise ModelError("factor covariance is not positive semi-definite")


@dataclass
class ForecastSeries:
    """Forecasts for many dates, stacked (what evaluation, pretrained files and the dashboard use).

    dates: (T,) forecast dates (close of t, for t+1); tickers: N names; mean, idio_var: (T, N)
    with NaN where a stock has no forecast; exposures: (T, N, F); factor_cov: (T, F, F);
    factor_dof: (T, F) and idio_dof: (T, N) for Student-t. F is fixed across dates.
    """

    dates: pd.DatetimeIndex
    tickers: list[str]
    mean: np.ndarray
    exposures: np.ndarray
    factor_cov: np.ndarray
    idio_var: np.ndarray
    family: str = "normal"
    factor_dof: np.ndarray | None = None
    idio_dof: np.ndarray | None = None
    joint: bool = True
    model: str = ""
    factor_names: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.dates)

    def at(self, date) -> FactorForecast:
        """The forecast made at the close of `date`, restricted to stocks that have one."""
        pos = self.dates.get_indexer([pd.Timestamp(date)])[0]
        if pos < 0:
            raise ModelError(
                f"no forecast of {self.model or 'this model'} at {pd.Timestamp(date).date()}; "
                f"forecasts exist for {self.dates[0].date()}..{self.dates[-1].date()}"
            )
        ok = np.isfinite(self.mean[pos]) & np.isfinite(self.idio_var[pos])
        idx = np.flatnonzero(ok)
        return FactorForecast(
            date=self.dates[pos], tickers=[self.tickers[i] for i in idx], mean=self.mean[pos, idx],
            exposures=self.exposures[pos][idx], factor_cov=self.factor_cov[pos], idio_var=self.idio_var[pos, idx],
            family=self.family,
            factor_dof=None if self.factor_dof is None else self.factor_dof[pos],
            idio_dof=None if self.idio_dof is None else self.idio_dof[pos, idx],
            joint=self.joint, model=self.model, factor_names=list(self.factor_names),
        )

    @classmethod
    def stack(cls, forecasts: list[FactorForecast], tickers: list[str]) -> "ForecastSeries":
        """Stack per-date forecasts (each on a subset of `tickers`) into one series. A date with
        fewer factors than the widest (e.g. a dense-covariance model on fewer stocks) is padded
        with factors of zero exposure and unit variance, which changes no distribution."""
        if not forecasts:
            raise ModelError("no forecasts to stack")
        t, n = len(forecasts), len(tickers)
        f = max(fc.n_factors for fc in forecasts)
        col = {tk: i for i, tk in enumerate(tickers)}
        mean = np.full((t, n), np.nan)
        var = np.full((t, n), np.nan)
        expo = np.zeros((t, n, f))
        fcov = np.broadcast_to(np.eye(f), (t, f, f)).copy()
        student = forecasts[0].family == "student_t"
        fdof = np.full((t, f), np.inf) if student else None
        idof = np.full((t, n), np.nan) if student else None
        for k, fc in enumerate(forecasts):
            idx = np.array([col[tk] for tk in fc.tickers], dtype=int)
            g = fc.n_factors
            mean[k, idx], var[k, idx], expo[k, idx, :g] = fc.mean, fc.idio_var, fc.exposures
            fcov[k, :g, :g] = fc.factor_cov
            if student:
                fdof[k, :g], idof[k, idx] = fc.factor_dof, fc.idio_dof
        widest = max(forecasts, key=lambda fc: fc.n_factors)
        first = forecasts[0]
        return cls(
            dates=pd.DatetimeIndex([fc.date for fc in forecasts]), tickers=list(tickers), mean=mean,
            exposures=expo, factor_cov=fcov, idio_var=var, family=first.family, factor_dof=fdof,
            idio_dof=idof, joint=first.joint, model=first.model, factor_names=list(widest.factor_names),
        )

    def save(self, directory: str | Path, extra_meta: dict[str, Any] | None = None) -> None:
        """Write DIR/forecasts.safetensors and DIR/forecasts.json, atomically. Compact storage
        (the shipped outputs must stay small): exposures and means as int16 codes times a
        per-date float32 scale (error <= 1.6e-5 of the date's largest absolute value); factor_cov
        once when constant over dates, else its upper triangle; factor_dof once when constant;
        idio_var and idio_dof float32. NaN means (absent stocks) follow idio_var's NaNs."""
        from core.io import write_arrays, write_json

        e_codes, e_scale = _quantise(self.exposures)
        m_codes, m_scale = _quantise(np.nan_to_num(self.mean))
        f = self.factor_cov.shape[1]
        arrays = {"mean_codes": m_codes, "mean_scale": m_scale, "exposure_codes": e_codes,
                  "exposure_scale": e_scale, "idio_var": self.idio_var}
        constant = _once_if_constant(self.factor_cov)
        if len(constant) == 1:
            arrays["factor_cov"] = constant
        else:
            arrays["factor_cov_triu"] = self.factor_cov[:, *np.triu_indices(f)]
        if self.family == "student_t":
            arrays |= {"factor_dof": _once_if_constant(self.factor_dof), "idio_dof": self.idio_dof}
        arrays = {k: v if v.dtype == np.int16 else v.astype(np.float32) for k, v in arrays.items()}
        directory = Path(directory)
        write_arrays(directory / "forecasts.safetensors", arrays)
        write_json(directory / "forecasts.json", {
            "dates": [d.strftime("%Y-%m-%d") for d in self.dates], "tickers": self.tickers,
            "family": self.family, "joint": self.joint, "model": self.model, "n_factors": f,
            "factor_names": self.factor_names, **(extra_meta or {}),
        })

    @classmethod
    def load(cls, directory: str | Path) -> "ForecastSeries":
        from core.io import read_arrays, read_json

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
        return cls(
            dates=pd.DatetimeIndex(pd.to_datetime(meta["dates"])), tickers=meta["tickers"], mean=mean,
            exposures=expo, factor_cov=fcov, idio_var=var, family=meta["family"],
            factor_dof=None if dof is None else np.broadcast_to(dof.astype(np.float64), (t, f)).copy(),
            idio_dof=None if "idio_dof" not in a else a["idio_dof"].astype(np.float64), joint=meta["joint"],
            model=meta["model"], factor_names=meta.get("factor_names", []),
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


@runtime_checkable
class RiskModel(Protocol):
    """What every model implements. `fit` sees only train and validation dates; `forecast`
    for `date` uses only data up to the close of `date` and describes r at the next date."""

    name: str

    def fit(self, panel, train_dates: pd.DatetimeIndex, valid_dates: pd.DatetimeIndex) -> "RiskModel": ...

    def forecast(self, panel, date) -> FactorForecast: ...

    def forecast_series(self, panel, dates) -> ForecastSeries: ...

    def save(self, path: str | Path) -> None: ...

    @classmethod
    def load(cls, path: str | Path) -> "RiskModel": ...


class BaseRiskModel:
    """Convenience base: `forecast_series` by looping `forecast`; models may override it."""

    name = "base"
    description = ""

    def forecast_series(self, panel, dates) -> ForecastSeries:
        fcs = [self.forecast(panel, d) for d in dates]
        return ForecastSeries.stack(fcs, panel.tickers)


# name -> (module, class, one-line description). Imported lazily so `neuralfactors models` is fast.
REGISTRY: dict[str, tuple[str, str, str]] = {}


def register(name: str, module: str, cls: str, description: str) -> None:
    """Add a model to the registry (module path and class name, imported on first use)."""
    REGISTRY[name] = (module, cls, description)


def model_names() -> list[str]:
    _load_catalogue()
    return list(REGISTRY)


def model_class(name: str):
    """The class registered under `name`; a ModelError lists the known names otherwise."""
    _load_catalogue()
    if name not in REGISTRY:
        raise ModelError(f"unknown model {name!r}; `neuralfactors models` lists: {', '.join(REGISTRY)}")
    module, cls, _ = REGISTRY[name]
    return getattr(importlib.import_module(module), cls)


def create_model(name: str, **config):
    """Instantiate a registered model with keyword configuration."""
    return model_class(name)(**config)


def load_model(path: str | Path):
    """Load any saved model: DIR/config.json names the model, whose class loads DIR."""
    from core.io import read_json

    meta = read_json(Path(path) / "config.json")
    if "model" not in meta:
        raise ModelError(f"{path}/config.json does not name a model; is this a model directory?")
    return model_class(meta["model"]).load(path)


def _load_catalogue() -> None:
    importlib.import_module("core.models.catalogue")
