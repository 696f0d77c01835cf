"""`FactorVAEModel`: the RiskModel around core.models.factorvae.network, trained by core.training.trainer.

Inputs are NeuralFactors' (core.data.features): the same stock and market channels, scaled with
training-date statistics frozen in the saved model, in windows of `lookback` rows ending at the
forecast date. Returns are divided by the training std (`FeatureScaler.return_scale`); every NLL
here is per stock on that scale. Forecasts from the prior, in ORIGINAL units, Normal:
mean = (alpha + B mu_z) s, exposures = B s, factor_cov = diag(sigma_z^2), idio_var = sigma_alpha^2 s^2.
Training (the shared Trainer): Adam on `vae_loss` over `days_per_step` random training days a step, the
learning rate decayed to 0 over `steps` (cosine: the prior's mean settles instead of tracking the last days);
every `valid_every` steps the exact validation NLL_joint of the prior forecast is scored and the best state kept.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from core.data.features import FeatureScaler, Features, build_features
from core.data.panel import Panel
from core.errors import ModelError
from core.forecast import ForecastSeries
from core.models.factorvae.config import DEFAULTS, resolve
from core.models.factorvae.network import FactorVAENet, vae_loss
from core.models.fitted import ConfiguredModel
from core.models.protocol import Calibration, PosteriorFactorModel
from core.training.device import resolve_device
from core.training.trainer import Trainer, TrainSettings


def forecast_positions(panel: Panel, target_dates) -> np.ndarray:
    """Date indices t whose next date t+1 is in `target_dates`."""
    pos = panel.dates.get_indexer(pd.DatetimeIndex(target_dates)) - 1
    return np.sort(pos[pos >= 0]).astype(np.int64)


class FactorVAEModel(ConfiguredModel, PosteriorFactorModel):
    """FactorVAE; keyword settings in core.models.factorvae.config (preset, n_factors, ...)."""

    name = "factorvae"
    calibration = Calibration(half_life=None)  # by the rule of benchmarks/layer_rule.py
    label = "FactorVAE"
    description = ("FactorVAE (Duan et al. 2022): GRU features, exposures, attention prior of K factors, "
                   "VAE training with a return-fed posterior; Normal")
    learned = True
    zero_shot = True
    defaults = DEFAULTS

    def __init__(self, **config) -> None:
        super().__init__(**config)
        self.config = resolve(config)
        self.device = torch.device("cpu")
        self.net: FactorVAENet | None = None
        self.scaler: FeatureScaler | None = None
        self._cache: tuple[Panel, Features] | None = None

    @classmethod
    def build_settings(cls, max_steps, device, work_dir) -> dict:
        """The shipped model trains the sp500-20 preset (`max_steps` caps its steps)."""
        return {"overrides": {"preset": "sp500-20", "device": device} | ({"steps": max_steps} if max_steps else {})}

    # --- inputs -------------------------------------------------------------------------
    def _features(self, panel: Panel) -> Features:
        """Features of `panel` under the frozen scaler (cached for the last panel seen)."""
        if self._cache is None or self._cache[0] is not panel:
            self._cache = (panel, build_features(panel, self.scaler))
        return self._cache[1]

    def _masks(self, feats: Features, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For forecast positions t (D,): eligible (D, N) listed at t with min_history returns in the
        window, observed (D, N) eligible with r_{t+1} known, target (D, N) scaled r_{t+1} (0 where not observed)."""
        lb = int(self.config["lookback"])
        cum = np.concatenate([np.zeros((1, feats.present.shape[1]), np.int64), np.cumsum(feats.present, axis=0)])
        elig = feats.present[t] & (cum[t + 1] - cum[np.maximum(t - lb + 1, 0)] >= self.config["min_history"])
        ret = np.where((t + 1 < len(feats.dates))[:, None], feats.returns[np.minimum(t + 1, len(feats.dates) - 1)], np.nan)
        obs = elig & np.isfinite(ret)
        return elig, obs, np.where(obs, ret, 0.0).astype(np.float32)

    def _batch(self, feats: Features, t: np.ndarray) -> tuple[torch.Tensor, ...]:
        """x (D, N, L, C) windows ending at each t, then target, eligible, observed (see `_masks`), on the device."""
        x = np.stack([feats.window(int(i), int(self.config["lookback"])) for i in t])
        elig, obs, target = self._masks(feats, t)
        return tuple(torch.from_numpy(np.ascontiguousarray(a)).to(self.device) for a in (x, target, elig, obs))

    def _usable(self, feats: Features, t: np.ndarray) -> np.ndarray:
        """The positions among t whose day has at least one observed stock."""
        return t[self._masks(feats, t)[1].any(1)]

    # --- fitting ------------------------------------------------------------------------
    def fit(self, panel: Panel, train_dates, valid_dates) -> "FactorVAEModel":
        cfg = self.config
        self.device = resolve_device(cfg["device"])
        self.scaler = FeatureScaler.fit(panel, pd.DatetimeIndex(train_dates))
        feats = self._features(panel)
        train_t = self._usable(feats, forecast_positions(panel, train_dates))
        valid_t = self._usable(feats, forecast_positions(panel, valid_dates))
        if len(train_t) == 0 or len(valid_t) == 0:
            raise ModelError(f"factorvae: no training or validation day has stocks with {cfg['min_history']} returns "
                             f"in {cfg['lookback']} days; use more dates or lower min_history / lookback")
        if cfg["valid_days"] and len(valid_t) > cfg["valid_days"]:
            valid_t = valid_t[np.linspace(0, len(valid_t) - 1, cfg["valid_days"]).round().astype(int)]
        torch.manual_seed(cfg["seed"])
        net = FactorVAENet(feats.n_channels, cfg["hidden"], cfg["n_factors"], cfg["portfolios"]).to(self.device)
        self.net = net

        def loss_fn(net, rng, gen):
            days = np.sort(rng.choice(train_t, size=cfg["days_per_step"], replace=len(train_t) < cfg["days_per_step"]))
            return vae_loss(net, *self._batch(feats, days), gamma=cfg["gamma"], gen=gen)

        settings = TrainSettings(steps=int(cfg["steps"]), lr=cfg["lr"], weight_decay=cfg["weight_decay"],
                                 valid_every=int(cfg["valid_every"]), patience=int(cfg["patience"]), schedule="cosine",
                                 seed=int(cfg["seed"]), noise_seed=int(cfg["seed"]), progress=False)
        result = Trainer(net, loss_fn, lambda net: float(np.mean(self.nll_joint_days(feats, valid_t))), settings,
                         self.device).run()
        if result.stopped == "non_finite":
            raise ModelError(f"factorvae: the training loss is not finite at step {result.step + 1}; lower lr "
                             f"(now {cfg['lr']})")
        net.load_state_dict(result.best_state)
        self.net = net.eval()
        self.state = {"fitted": True, "scaler": self.scaler.to_json(), "n_channels": feats.n_channels,
                      "tickers": panel.tickers,
                      "training": {"steps_run": result.step, "best_step": result.best_step, "stopped": result.stopped,
                                   "best_valid_nll_joint_scaled": result.best_valid,
                                   "history": [{"step": h["step"], "valid_nll_joint": h["valid"]}
                                               for h in result.history]}}
        self.arrays = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}
        return self

    def _restore(self) -> None:
        self.scaler = FeatureScaler.from_json(self.state["scaler"])
        net = FactorVAENet(self.state["n_channels"], self.config["hidden"], self.config["n_factors"],
                           self.config["portfolios"])
        net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in self.arrays.items()})
        self.net, self.device = net.eval(), torch.device("cpu")

    # --- the prior forecast ---------------------------------------------------------------
    def _require(self) -> FactorVAENet:
        if self.net is None:
            raise ModelError("this FactorVAE model is not trained; call fit() or load a saved model")
        return self.net

    def _prior(self, feats: Features, t: np.ndarray):
        """Yield (rows, eligible, observed, target, mean, beta, sigma_z, sigma_alpha) in chunks of batch_days,
        scaled units, no grad: mean (D, N) = alpha + beta mu_z, beta (D, N, K), sigma_z (D, K), sigma_alpha (D, N)."""
        net = self._require()
        step = int(self.config["batch_days"])
        for lo in range(0, len(t), step):
            x, target, elig, obs = self._batch(feats, t[lo: lo + step])
            with torch.no_grad():
                e = net.features(x, elig)
                mu_a, s_a, beta = net.decoder(e)
                mu_z, s_z = net.predictor(e, elig)
                yield (slice(lo, lo + len(x)), elig, obs, target, mu_a + torch.einsum("dnk,dk->dn", beta, mu_z),
                       beta, s_z, s_a)

    def nll_joint_days(self, feats: Features, t: np.ndarray) -> np.ndarray:
        """(len(t),) exact NLL of r_{t+1} under the prior forecast, per observed stock (scaled returns)."""
        out = []
        for _, _, obs, target, mean, beta, s_z, s_a in self._prior(feats, t):
            for i in range(len(target)):
                o = obs[i]
                dist = torch.distributions.LowRankMultivariateNormal(mean[i, o], beta[i, o] * s_z[i], s_a[i, o] ** 2)
                out.append(float(-dist.log_prob(target[i, o])) / max(int(o.sum()), 1))
        return np.array(out)

    def forecast(self, panel: Panel, date):
        fc = self.forecast_series(panel, [date]).at(date)
        if fc.n_stocks == 0:
            raise ModelError(f"no stock has {self.config['min_history']} returns in the {self.config['lookback']} "
                             f"days before {pd.Timestamp(date).date()}; pick a later date")
        return fc

    def forecast_series(self, panel: Panel, dates) -> ForecastSeries:
        """Forecasts made at the close of each of `dates`, in original return units (Normal)."""
        self._require()
        feats = self._features(panel)
        t = np.array([panel.date_position(d) for d in dates], dtype=np.int64)
        s, n, k = self.scaler.return_scale, panel.n_tickers, int(self.config["n_factors"])
        mean, var = np.full((len(t), n), np.nan), np.full((len(t), n), np.nan)
        expo, fcov = np.zeros((len(t), n, k)), np.zeros((len(t), k, k))
        for rows, elig, _, _, m, beta, s_z, s_a in self._prior(feats, t):
            e = elig.cpu().numpy()
            mean[rows] = np.where(e, m.double().cpu().numpy() * s, np.nan)
            var[rows] = np.where(e, s_a.double().cpu().numpy() ** 2 * s * s, np.nan)
            expo[rows] = np.where(e[..., None], beta.double().cpu().numpy() * s, 0.0)
            fcov[rows] = np.eye(k) * (s_z.double().cpu().numpy() ** 2)[:, None, :]
        return ForecastSeries(dates=pd.DatetimeIndex([panel.dates[i] for i in t]), tickers=panel.tickers, mean=mean,
                              exposures=expo, factor_cov=fcov, idio_var=var, family="normal", model=self.name,
                              factor_names=self.factor_names())

    # --- factors ----------------------------------------------------------------------------
    def factor_names(self) -> list[str]:
        return [f"f{j + 1}" for j in range(int(self.config["n_factors"]))]

    def factor_returns(self, panel: Panel, dates) -> pd.DataFrame:
        """Realised factor returns: the posterior mean of z_{t+1} (the encoder fed r_{t+1}) for each
        forecast date t in `dates` with a next day; index = the realised date t+1, columns factor_names()."""
        net = self._require()
        feats = self._features(panel)
        t = np.array([panel.date_position(d) for d in dates], dtype=np.int64)
        t = t[t + 1 < len(panel.dates)]
        out = []
        for lo in range(0, len(t), int(self.config["batch_days"])):
            x, target, elig, obs = self._batch(feats, t[lo: lo + int(self.config["batch_days"])])
            with torch.no_grad():
                mu, _ = net.encoder(net.features(x, elig), target, obs)
            mu[~obs.any(1)] = float("nan")
            out.append(mu.cpu().double().numpy())
        values = np.concatenate(out) if out else np.zeros((0, len(self.factor_names())))
        return pd.DataFrame(values, index=pd.DatetimeIndex([panel.dates[i + 1] for i in t], name="date"),
                            columns=self.factor_names())

    def adaptation_notes(self, panel: Panel) -> list[str]:
        """How `panel`'s inputs are adapted to this model's channels (one line each); the features' note on
        unseen sectors is left out, as FactorVAE takes no sector input."""
        self._require()
        return [n for n in self._features(panel).notes if "sector" not in n]
