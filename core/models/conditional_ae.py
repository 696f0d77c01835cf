"""Conditional autoencoder (Gu, Kelly & Xiu 2021): CA0..CA3.

r_{i,t+1} = beta(z_{i,t})' f_{t+1} + u   (target "next", the paper's; "contemporaneous":
r_{i,t} = beta(z_{i,t})' f_t, the lecture's fit). z: ranked characteristics
(core.models.characteristics). Beta network: `hidden` layers of Linear + BatchNorm + ReLU,
then Linear -> K (CA0: none, CA1: 32, CA2: 32-16, CA3: 32-16-8). Factor network: one Linear
layer on the characteristic-managed portfolios x_t = (Z'Z + I)^-1 Z' r_t of [z, 1]
("managed"), or on the raw cross-section of returns ("raw", fixes the universe). Returns
are divided by their training std. Loss: MSE over observed stock-days + l1 * sum |weights|;
Adam (core.training.trainer), an epoch of mini-batches between validations; early stopping on validation MSE; an ensemble over `n_seeds` seeds, combined
exactly by stacking: B = [B_1 .. B_M] / M, f = [f_1 .. f_M] (M K factors).
Forecast at t: B_t and `conditional_forecast` (mean B_t mean(f), B Cov(f) B' + diag(residual
var) over the trailing window of realised f, past data only).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from core.errors import DataError, ModelError
from core.models.characteristics import characteristic_names
from core.models.ipca import instruments
from core.models.protocol import Calibration, R2Model
from core.models.rolling import FactorHistoryModel, Realised, cross_section_ols, lag
from core.training.trainer import Trainer, TrainSettings


class CAMember(nn.Module):
    """One autoencoder: beta network (L -> K) and linear factor network (P -> K)."""

    def __init__(self, n_chars: int, n_inputs: int, hidden: list[int], k: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        d = n_chars
        for h in hidden:
            layers += [nn.Linear(d, h), nn.BatchNorm1d(h), nn.ReLU()]
            d = h
        self.beta = nn.Sequential(*layers, nn.Linear(d, k))
        self.factor = nn.Linear(n_inputs, k)

    def mse(self, z: torch.Tensor, x: torch.Tensor, r: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        """z: (B, N, L), x: (B, P), r: (B, N), m: (B, N) bool -> mean squared error on m."""
        rows = m.nonzero()[:, 0]
        pred = (self.beta(z[m]) * self.factor(x)[rows]).sum(dim=1)
        return ((pred - r[m]) ** 2).mean()


class ConditionalAutoencoder(FactorHistoryModel, R2Model):
    """Gu-Kelly-Xiu conditional autoencoder with a covariance forecast from past factors."""

    name = "ca"
    calibration = Calibration(half_life=math.inf)  # by the rule of benchmarks/layer_rule.py
    learned = True
    defaults = {"n_factors": 3, "hidden": [], "target": "next", "factor_input": "managed", "n_seeds": 3,
                "max_epochs": 20, "patience": 3, "batch_dates": 256, "lr": 3e-3, "l1": 1e-5, "seed": 0,
                "price_characteristics": True, "min_history": 60, "window": 252, "min_obs": 60}

    def __init__(self, **config) -> None:
        super().__init__(**config)
        if self.config["target"] not in ("next", "contemporaneous"):
            raise ModelError(f"{self.name}: target {self.config['target']!r} is unknown; use next or contemporaneous")
        if self.config["factor_input"] not in ("managed", "raw"):
            raise ModelError(f"{self.name}: factor_input {self.config['factor_input']!r} is unknown; use managed or raw")
        self.members: list[CAMember] = []

    # --- inputs -------------------------------------------------------------------------
    def _inputs(self, panel):
        """z: (T, N, L) characteristics at t (NaN = no exposure); zl: those explaining row t;
        x: (T, P) factor-network input of row t; r: (T, N) scaled returns."""
        if self.config["factor_input"] == "raw" and panel.tickers != self.state["tickers"]:
            raise DataError(f"{self.name} with factor_input=raw was fitted on the tickers {self.state['tickers'][:5]}...; "
                            "use the same universe or refit with factor_input=managed")
        z = instruments(panel, self.state["characteristics"], self.config["min_history"])
        r = panel.returns.to_numpy(dtype=np.float64) / self.state["scale"]
        zl = lag(z) if self.config["target"] == "next" else z
        if self.config["factor_input"] == "raw":
            x = np.nan_to_num(r)
        else:
            x = cross_section_ols(zl, r, np.ones(zl.shape[2]))[0]
        return z[..., :-1], zl[..., :-1], x, r

    # --- fitting --------------------------------------------------------------------------
    def fit(self, panel, train_dates, valid_dates) -> "ConditionalAutoencoder":
        names = characteristic_names(panel, price=self.config["price_characteristics"])
        if not names:
            raise ModelError(f"{self.name}: the data allows no characteristics; set price_characteristics=true")
        scale = float(np.nanstd(panel.returns.reindex(train_dates).to_numpy(dtype=np.float64)))
        self.state = {"fitted": True, "characteristics": names, "scale": scale, "tickers": panel.tickers}
        z, zl, x, r = self._inputs(panel)
        m = np.isfinite(zl).all(axis=2) & np.isfinite(r) & np.isfinite(x).all(axis=1)[:, None]
        rows = {part: np.flatnonzero(panel.dates.isin(d) & (m.sum(axis=1) > 0)) for part, d in
                (("train", train_dates), ("valid", valid_dates))}
        if len(rows["train"]) == 0 or len(rows["valid"]) == 0:
            raise ModelError(f"{self.name}: no training or validation date has stocks with enough history; "
                             "use longer periods")
        tensors = [torch.tensor(np.nan_to_num(a), dtype=torch.float32) for a in (zl, x, r)] + [torch.tensor(m)]
        self.members, epochs, best = [], [], []
        for s in range(int(self.config["n_seeds"])):
            net, n_ep, loss = self._train(self.config["seed"] + s, tensors, rows)
            self.members.append(net)
            epochs.append(n_ep)
            best.append(loss)
        self.state |= {"n_chars": len(names), "n_inputs": x.shape[1], "epochs": epochs, "valid_mse": best}
        self.arrays = {f"m{i}.{k}": v.detach().numpy() for i, net in enumerate(self.members)
                       for k, v in net.state_dict().items()}
        return self

    def _train(self, seed: int, tensors, rows) -> tuple[CAMember, int, float]:
        """Train one member with early stopping (core.training.trainer; a step is one mini-batch of an epoch, a
        validation ends each epoch); returns it (best validation state), epochs run, best MSE."""
        zt, xt, rt, mt = tensors
        torch.manual_seed(seed)
        net = CAMember(zt.shape[2], xt.shape[1], list(self.config["hidden"]), int(self.config["n_factors"]))
        weights = [p for n, p in net.named_parameters() if n.endswith("weight")]
        v = torch.as_tensor(rows["valid"])
        size = int(self.config["batch_dates"])
        per_epoch = -(-len(rows["train"]) // size)
        epoch: dict[str, np.ndarray] = {}

        def loss_fn(net, rng, gen):
            """The next mini-batch of this epoch's shuffle of the training dates (None: too few stock-days)."""
            if "order" not in epoch or epoch["at"] == per_epoch:
                epoch.update(order=rng.permutation(rows["train"]), at=0)
            lo = epoch["at"] * size
            epoch["at"] += 1
            b = torch.as_tensor(epoch["order"][lo: lo + size])
            if mt[b].sum() < 2:
                return None
            return net.mse(zt[b], xt[b], rt[b], mt[b]) + self.config["l1"] * sum(w.abs().sum() for w in weights)

        settings = TrainSettings(steps=int(self.config["max_epochs"]) * per_epoch, lr=self.config["lr"],
                                 valid_every=per_epoch, patience=max(1, int(self.config["patience"])), min_delta=1e-6,
                                 seed=seed, progress=False)
        result = Trainer(net, loss_fn, lambda net: float(net.mse(zt[v], xt[v], rt[v], mt[v])), settings,
                         torch.device("cpu")).run()
        net.load_state_dict(result.best_state)
        net.eval()
        return net, result.step // per_epoch, result.best_valid

    def _restore(self) -> None:
        self.members = []
        for i in range(int(self.config["n_seeds"])):
            net = CAMember(self.state["n_chars"], self.state["n_inputs"], list(self.config["hidden"]),
                           int(self.config["n_factors"]))
            prefix = f"m{i}."
            net.load_state_dict({k[len(prefix):]: torch.from_numpy(np.array(v)) for k, v in self.arrays.items()
                                 if k.startswith(prefix)})
            net.eval()
            self.members.append(net)

    # --- outputs ----------------------------------------------------------------------------
    def factor_names(self) -> list[str]:
        k = int(self.config["n_factors"])
        return [f"s{i}f{j + 1}" for i in range(len(self.members)) for j in range(k)]

    def _realised(self, panel) -> Realised:
        z, _, x, r = self._inputs(panel)
        ok = np.isfinite(z).all(axis=2)
        zt = torch.tensor(np.nan_to_num(z[ok]), dtype=torch.float32)
        xt = torch.tensor(np.nan_to_num(x), dtype=torch.float32)
        with torch.no_grad():
            betas = [net.beta(zt).numpy() for net in self.members]
            factors = [net.factor(xt).numpy() for net in self.members]
        b = np.full(z.shape[:2] + (len(self.members) * int(self.config["n_factors"]),), np.nan)
        b[ok] = np.concatenate(betas, axis=1) / len(self.members)
        f = np.concatenate(factors, axis=1).astype(np.float64) * self.state["scale"]
        f[~np.isfinite(x).all(axis=1)] = np.nan
        bp = lag(b) if self.config["target"] == "next" else b
        resid = r * self.state["scale"] - np.einsum("tnk,tk->tn", bp, f)
        return Realised(exposures=b, factors=f, resid=resid)

    def r2_scores(self, panel, dates) -> dict[str, float]:
        """Gu-Kelly-Xiu R^2 over the stock-days whose returns fall on `dates` (no demeaning):
        r2_total with the realised f_t, r2_pred with lambda = mean of f up to t-1 (a forecast)."""
        self.require_fitted()
        rz = self._realised(panel)
        bp = lag(rz.exposures) if self.config["target"] == "next" else rz.exposures
        f = rz.factors
        seen = np.isfinite(f).all(axis=1)
        running = np.cumsum(np.where(seen[:, None], f, 0.0), axis=0) / np.maximum(np.cumsum(seen), 1)[:, None]
        lam = lag(np.where((np.cumsum(seen) > 0)[:, None], running, np.nan))
        r = panel.returns.to_numpy(dtype=np.float64)
        rows = panel.dates.isin(dates)
        fit_total = np.einsum("tnk,tk->tn", bp, f)[rows]
        fit_pred = np.einsum("tnk,tk->tn", bp, lam)[rows]
        use = np.isfinite(r[rows]) & np.isfinite(fit_total) & np.isfinite(fit_pred)
        if not use.any():
            raise ModelError(f"{self.name}: no stock-day on these dates has a fit; pick dates after the first year")
        denom = np.sum(r[rows][use] ** 2)
        return {"r2_total": float(1 - np.sum((r[rows] - fit_total)[use] ** 2) / denom),
                "r2_pred": float(1 - np.sum((r[rows] - fit_pred)[use] ** 2) / denom)}


def _variant(label: str, hidden: list[int]) -> type[ConditionalAutoencoder]:
    layers = "-".join(map(str, hidden)) or "linear"
    return type(label.upper(), (ConditionalAutoencoder,), {
        "name": label, "label": f"Conditional autoencoder {label.upper()}", "__doc__": f"Conditional autoencoder {label.upper()}: beta network {layers}.",
        "description": f"Gu-Kelly-Xiu conditional autoencoder {label.upper()} (beta net {layers}, 3 factors, "
                       "3-seed ensemble); covariance B Cov(f) B' + diag(resid var) (Normal)",
        "defaults": {**ConditionalAutoencoder.defaults, "hidden": hidden},
    })


CA0 = _variant("ca0", [])
CA1 = _variant("ca1", [32])
CA2 = _variant("ca2", [32, 16])
CA3 = _variant("ca3", [32, 16, 8])
