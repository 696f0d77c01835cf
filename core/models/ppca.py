"""PCA and probabilistic PCA (Tipping & Bishop 1999) on a trailing window of returns.

At the close of t, with mean m and sample covariance S = V diag(l) V' (eigenvalues
descending) of the `window` (default 504) days ending at t (`window_moments`: eligible
stocks only, see core.models.rolling):
  pca   r_{t+1} ~ N(m, B B' + diag(d)),  B = V_k sqrt(l_k),  d = diag(S - B B')   (per stock)
  ppca  r_{t+1} = m + W z + eps,  W = V_k sqrt(l_k - s2),  s2 = mean(l_{k+1..N})  (isotropic)
        z ~ N(0, I); eps Gaussian (decoder "normal") or standardised Student-t with one dof
        fitted on training residuals (decoder "student_t", the paper's PPCA baseline).
k is chosen once in `fit` as the k <= max_factors with the lowest mean Gaussian NLL of r_{t+1}
over every `valid_stride`-th validation date (stored as state["n_factors"]).

Short files: a history at the first forecast (the last training date) shorter than `window`
caps the window to all of it (state["window_used"], at least 20 dates; `min_obs_share` applies to
the window used; core.models.rolling.capped_window), so a one-year file split 60/20/20 fits on
its ~150 training dates and forecasts every validation and test date. The Student-t noise dof
uses every `valid_stride`-th training date with a full window, or every training date when the
stride finds none (a short training period). What was adapted is stated in state["notes"] (`model.notes`).
"""
from __future__ import annotations

import numpy as np
from scipy import optimize, stats

from core.errors import ModelError
from core.forecast import FactorForecast
from core.forecast.linalg import safe_cholesky
from core.models.fitted import ConfiguredModel
from core.models.protocol import Calibration, FactorModel
from core.models.rolling import capped_window, eligible, too_few, trailing, window_moments

LOG2PI = float(np.log(2.0 * np.pi))


def factor_gaussian_nll(fc: FactorForecast, r: np.ndarray) -> float:
    """-(1/n) log N(r | mean, B Sz B' + diag(d)) over the stocks with a finite r (N,), by the
    Woodbury identity and the determinant lemma (no N x N matrix)."""
    ok = np.isfinite(r)
    x = (r - fc.mean)[ok]
    d = fc.idio_var[ok]
    u = fc.exposures[ok] @ safe_cholesky(fc.factor_cov) if fc.n_factors else np.zeros((ok.sum(), 0))
    cap = np.eye(u.shape[1]) + (u.T / d) @ u
    y = u.T @ (x / d)
    _, logdet_cap = np.linalg.slogdet(cap)
    quad = x @ (x / d) - y @ np.linalg.solve(cap, y)
    return float(0.5 * (LOG2PI + (np.sum(np.log(d)) + logdet_cap + quad) / ok.sum()))


def fit_student_dof(u: np.ndarray) -> float:
    """Maximum-likelihood dof of a unit-variance Student-t for the standardised sample u."""
    u = u[np.isfinite(u)] / np.nanstd(u)

    def nll(nu: float) -> float:
        c = np.sqrt(nu / (nu - 2.0))
        return -float(np.sum(stats.t.logpdf(u * c, nu) + np.log(c)))

    return float(optimize.minimize_scalar(nll, bounds=(2.05, 200.0), method="bounded").x)


class PCAModel(ConfiguredModel, FactorModel):
    """Plain PCA factor model with per-stock residual variances (Normal)."""

    name = "pca"
    calibration = Calibration(half_life=252.0)  # by the rule of benchmarks/layer_rule.py
    label = "PCA"
    quick_fit = True
    description = ("PCA on a 504-day trailing window (the whole history when shorter), k chosen on validation NLL, "
                   "per-stock residual variance (Normal)")
    defaults = {"window": 504, "min_obs_share": 0.9, "max_factors": 10, "n_factors": 0, "valid_stride": 5}

    @property
    def window(self) -> int:
        """The window in use: state["window_used"] once fitted (a model saved before it: the setting)."""
        return int(self.state.get("window_used", self.config["window"]))

    def spectrum(self, returns: np.ndarray, pos: int):
        """(ok (N,) bool, mean (n,), eigenvalues (n,) descending, eigenvectors (n, n), cov (n, n))."""
        window = self.window
        block = trailing(returns, pos, window)
        ok = eligible(block, int(np.ceil(self.config["min_obs_share"] * window)))
        mean, cov = window_moments(block[:, ok])
        lam, vec = np.linalg.eigh(cov)
        return ok, mean, np.clip(lam[::-1], 0.0, None), vec[:, ::-1], cov

    def build(self, date, tickers, mean, lam, vec, cov, k: int) -> FactorForecast:
        b = vec[:, :k] * np.sqrt(lam[:k])
        rest = np.diag(cov) - np.sum(b * b, axis=1)
        floor = 1e-6 * max(float(np.mean(lam)), 1e-300)
        return FactorForecast(date=date, tickers=tickers, mean=mean, exposures=b, factor_cov=np.eye(k),
                              idio_var=np.maximum(rest, floor), model=self.name)

    def fit(self, panel, train_dates, valid_dates) -> "PCAModel":
        returns = panel.returns.to_numpy(dtype=np.float64)
        window, notes = capped_window(self.name, panel, train_dates, self.config["window"])
        self.state = {"fitted": True, "window_used": window, "notes": notes}
        k = int(self.config["n_factors"])
        scores: dict[int, float] = {}
        if k <= 0:
            scores = self._validation_nll(panel, returns, valid_dates)
            k = min(scores, key=scores.get)
        self.state.update(n_factors=k, valid_nll={str(j): v for j, v in scores.items()})
        self._fit_noise(panel, returns, train_dates)
        return self

    def _fit_noise(self, panel, returns: np.ndarray, train_dates) -> None:
        """Hook for decoders with shape parameters (PPCA Student-t)."""

    def _pairs(self, panel, dates, stride: int | None = None):
        """Positions t (every valid_stride-th of `dates`, or every `stride`-th) whose next date exists."""
        pos = panel.dates.get_indexer(dates)[:: stride or self.config["valid_stride"]]
        return [int(p) for p in pos if 0 <= p < len(panel.dates) - 1]

    def _validation_nll(self, panel, returns: np.ndarray, valid_dates) -> dict[int, float]:
        """k -> mean Gaussian NLL of r_{t+1} over the validation dates (Gaussian also for the t decoder)."""
        totals: dict[int, list[float]] = {}
        for pos in self._pairs(panel, valid_dates):
            ok, mean, lam, vec, cov = self.spectrum(returns, pos)
            if ok.sum() < 3:
                continue
            r_next = returns[pos + 1, ok]
            if not np.isfinite(r_next).any():
                continue
            for k in range(1, min(self.config["max_factors"], int(ok.sum()) - 1) + 1):
                fc = self.build(panel.dates[pos], [""] * int(ok.sum()), mean, lam, vec, cov, k)
                totals.setdefault(k, []).append(factor_gaussian_nll(fc, r_next))
        if not totals:
            raise ModelError(f"{self.name}: no validation date has enough history to choose the number of factors; "
                             "use a longer validation period or set n_factors")
        return {k: float(np.mean(v)) for k, v in totals.items()}

    def forecast(self, panel, date) -> FactorForecast:
        self.require_fitted()
        pos = panel.date_position(date)
        ok, mean, lam, vec, cov = self.spectrum(panel.returns.to_numpy(dtype=np.float64), pos)
        if ok.sum() < 2:
            raise too_few(self.name, date, int(ok.sum()))
        k = min(self.state["n_factors"], int(ok.sum()) - 1)
        names = panel.tickers  # a property that builds a list: read it once
        return self.build(panel.dates[pos], [names[i] for i in np.flatnonzero(ok)], mean, lam, vec, cov, k)


class PPCAModel(PCAModel):
    """Tipping-Bishop PPCA: isotropic noise, Gaussian factors; Gaussian or Student-t noise."""

    name = "ppca"
    label = "PPCA"
    description = ("PPCA (Tipping-Bishop) on a 504-day trailing window (the whole history when shorter), "
                   "k chosen on validation NLL; "
                   "Normal factors, Student-t noise with fitted dof")
    calibration = Calibration(half_life=252.0)  # by the rule of benchmarks/layer_rule.py
    defaults = {**PCAModel.defaults, "decoder": "student_t"}

    def __init__(self, **config) -> None:
        super().__init__(**config)
        if self.config["decoder"] not in ("normal", "student_t"):
            raise ModelError(f"ppca: decoder {self.config['decoder']!r} is unknown; use 'normal' or 'student_t'")

    def build(self, date, tickers, mean, lam, vec, cov, k: int) -> FactorForecast:
        s2 = max(float(np.mean(lam[k:])), 1e-6 * max(float(np.mean(lam)), 1e-300))
        w = vec[:, :k] * np.sqrt(np.clip(lam[:k] - s2, 0.0, None))
        n = len(tickers)
        nu = self.state.get("idio_dof")
        student = self.config["decoder"] == "student_t" and nu is not None
        return FactorForecast(
            date=date, tickers=tickers, mean=mean, exposures=w, factor_cov=np.eye(k), idio_var=np.full(n, s2),
            family="student_t" if student else "normal", factor_dof=np.full(k, np.inf) if student else None,
            idio_dof=np.full(n, nu) if student else None, model=self.name,
        )

    def _fit_noise(self, panel, returns: np.ndarray, train_dates) -> None:
        """dof of the standardised posterior-mean residuals r_{t+1} - m - W E[z | r_{t+1}] (training dates)."""
        if self.config["decoder"] != "student_t":
            return
        resid = self._noise_residuals(panel, returns, self._pairs(panel, train_dates))
        if not resid:  # a short training history: the stride may miss the few dates with a full window
            resid = self._noise_residuals(panel, returns, self._pairs(panel, train_dates, stride=1))
        if not resid:
            raise ModelError("ppca: no training date has enough history to fit the noise dof; use more training data")
        self.state["idio_dof"] = fit_student_dof(np.concatenate(resid))

    def _noise_residuals(self, panel, returns: np.ndarray, positions) -> list[np.ndarray]:
        k, resid = self.state["n_factors"], []
        for pos in positions:
            ok, mean, lam, vec, cov = self.spectrum(returns, pos)
            if ok.sum() <= k:
                continue
            fc = self.build(panel.dates[pos], [""] * int(ok.sum()), mean, lam, vec, cov, min(k, int(ok.sum()) - 1))
            x = returns[pos + 1, ok] - mean
            seen = np.isfinite(x)
            w = fc.exposures[seen]
            z = np.linalg.solve(w.T @ w + fc.idio_var[0] * np.eye(w.shape[1]), w.T @ x[seen])
            resid.append((x[seen] - w @ z) / np.sqrt(fc.idio_var[0]))
        return resid
