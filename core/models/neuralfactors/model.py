"""`NeuralFactorsModel`: the RiskModel wrapper around the network, the likelihood and the loop.

Internally returns are divided by the training std (`FeatureScaler.return_scale`); every NLL
this class reports (`score`, validation) is on that scaled return scale. Forecasts are in
ORIGINAL return units: mean = alpha s, exposures = beta s, idio_var = Var_t(sigma, nu) s^2,
factor_cov = diag(prior variance), dofs from the network and the prior.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from core.data.features import FeatureScaler, Features, build_features, pc_start
from core.data.panel import Panel
from core.errors import CheckpointError, ModelError
from core.io import read_json
from core.forecast import FactorForecast, ForecastSeries
from core.models.protocol import Calibration, PosteriorFactorModel, StepTrainedModel, saved_state
from core.models.neuralfactors.batches import DayBatch, Windows
from core.models.neuralfactors.config import NFConfig, make_config
from core.models.neuralfactors.finetune import (
    CALIB_TOLERANCE, expand_state, extend_sectors, finetune_config, selection_lines,
)
from core.models.neuralfactors.sectors import rename_sectors
from core.forecast.student_t import (
    iwae_log_likelihood, marginal_log_likelihood, posterior, t_variance,
)
from core.models.neuralfactors.network import NeuralFactorsNet
from core.parallel import thread_map
from core.training import distributed
from core.training.device import autocast, resolve_device
from core.training.threads import apply_threads, inference_threads
from core.risk.calibration import portfolio_calibration
from core.training.trainer import Guard, Trainer, TrainResult, TrainSettings

#: at most this many validation days score a run that validates only once, at its end (shorter than valid_every)
FINAL_VALID_DAYS = 64
#: windows per network call at CPU inference: a 500-stock day batch (32,000 windows) in one call runs several times
#: slower than in calls of a few hundred, whose attention stays in cache (docs/bench_dashboard.md, the 500-stock
#: warm-up). The 500-stock upload's 101 days on 1 thread: 512 rows 11.7 s, 256 rows 7.8 s, 128 rows 9.4 s (the same
#: forecasts, bit for bit)
INFERENCE_ROWS = 256


class NeuralFactorsModel(StepTrainedModel, PosteriorFactorModel):
    """NeuralFactors. Keyword arguments other than the ones below override the preset's settings.

    preset: "paper" | "sp500-20" | "tiny"; device: "auto" | "cpu" | "cuda"; seed: initialisation
    and training seed; max_steps, out_dir, resume, progress, progress_log, time_budget (seconds): passed to
    the trainer (core.training.trainer); threads: torch CPU threads for training and CPU inference (None = NEURALFACTORS_THREADS
    or the default of core.training.threads); init: the directory of a saved NeuralFactors network to
    fine-tune (its architecture, FINETUNE training settings, then the overrides; core.models.neuralfactors.finetune)
    instead of a fresh one. In a distributed run (core.training.distributed) each rank trains on its block
    of every step's days. After fit, `notes` says how the fit adapted (sectors, validation sample)."""

    name = "neuralfactors"
    label = "NeuralFactors"
    description = "NeuralFactors (Gopal 2024): neural exposures, Student-t factors and noise, IWAE training"
    learned = True
    zero_shot = True
    calibration = Calibration(half_life=252.0)
    format_version = 2
    #: preset of `train` without --preset on a CPU (the paper configuration takes ~2,200 hours there)
    CPU_PRESET = "sp500-20"

    @property
    def sector_input(self) -> bool:
        """Whether the network sees each stock's sector (embedding or sector factors; ablation: docs/results.md)."""
        return self.config.sector_dim > 0 or self.config.sector_factors

    def __init__(self, preset: str | None = None, config: NFConfig | None = None, device: str = "auto",
                 seed: int = 0, max_steps: int | None = None, out_dir: str | Path | None = None,
                 resume: bool = False, progress: bool = False, threads: int | str | None = None,
                 progress_log: str | Path | None = None, init: str | Path | None = None,
                 time_budget: float | None = None, **overrides) -> None:
        if init is not None and (preset is not None or config is not None):
            raise ModelError("--preset does not apply with --init: fine-tuning keeps the start network's "
                             "configuration; drop --preset")
        self.init = None if init is None else Path(init)
        if config is None:
            config = (make_config(preset, **overrides) if self.init is None
                      else finetune_config(_saved_config(self.init), overrides))
        self.config = config
        self.device = resolve_device(device)
        self.seed, self.max_steps, self.out_dir, self.resume, self.progress = seed, max_steps, out_dir, resume, progress
        self.threads, self.progress_log, self.time_budget = threads, progress_log, time_budget
        self.sector_aliases: dict[str, str] = {}
        self.notes: list[str] = []
        self.net: NeuralFactorsNet | None = None
        self.scaler: FeatureScaler | None = None
        self.tickers: list[str] = []
        self.fingerprint: str | None = None
        self.result: TrainResult | None = None
        self._cache: tuple[int, Windows] | None = None
        self._kept: tuple[tuple, dict[int, dict[str, torch.Tensor]]] | None = None  # see _kept_heads

    # --- training --------------------------------------------------------------------------
    @classmethod
    def build_settings(cls, max_steps, device, work_dir) -> dict:
        """The shipped model trains the sp500-20 preset, checkpointing in WORK_DIR/checkpoint (a build resumes)."""
        from core.training.checkpoint import exists

        return {"preset": "sp500-20", "device": device, "max_steps": max_steps,
                "resume": exists(Path(work_dir) / "checkpoint")}

    @classmethod
    def preset_for(cls, device: torch.device) -> tuple[str | None, list[str]]:
        """(preset, notes) of a run that names none: the paper's on CUDA, CPU_PRESET on a CPU."""
        if device.type != "cpu":
            return None, []
        return cls.CPU_PRESET, [f"no --preset on a CPU: training the CPU-sized preset {cls.CPU_PRESET!r}; the paper "
                                "configuration (--preset paper, 100k steps) would take about 2,200 hours on this "
                                "kind of CPU (docs/bench_train.md); use it on a GPU"]

    def spread_over(self, world: int) -> list[str]:
        """Fit the configuration to `world` processes: days_per_step raised to world when smaller (one day
        per process and step at least). Returns the notes saying so."""
        if self.config.days_per_step >= world:
            return []
        old, self.config = self.config.days_per_step, replace(self.config, days_per_step=world)
        return [f"days_per_step raised from {old} to {world}: each of the {world} processes needs a day per step"]

    def fit(self, panel: Panel, train_dates, valid_dates) -> "NeuralFactorsModel":
        cfg = self.config
        apply_threads(self.threads, self.device)
        world = distributed.rank_world()[1]
        if cfg.days_per_step < world:
            raise ModelError(f"days_per_step ({cfg.days_per_step}) is smaller than the number of processes ({world}): "
                             f"each process needs at least one day per step; raise days_per_step or lower --nproc")
        self.notes, self._cache, start = [], None, None
        if self.init is None:
            self.scaler = FeatureScaler.fit(panel, pd.DatetimeIndex(train_dates), peers=cfg.peer_returns,
                                            pcs=cfg.pc_inputs)
        else:
            start = type(self).load(self.init, device="cpu")
            self.scaler, self.sector_aliases, notes = extend_sectors(start.scaler, panel.sectors)
            self.notes += [f"fine-tuning the network of {self.init}"] + notes
        self.tickers, self.fingerprint = panel.tickers, panel.fingerprint()
        win = self._windows(panel)
        train_t = self._usable(win, forecast_positions(panel, train_dates))
        valid_t = self._usable(win, forecast_positions(panel, valid_dates))
        if len(train_t) == 0 or len(valid_t) == 0:
            raise ModelError("no training or validation day has stocks with enough history; "
                             f"use more dates or lower min_history (now {cfg.min_history}) / lookback ({cfg.lookback})")
        n_valid = min(cfg.valid_days or len(valid_t), len(valid_t))
        if self.max_steps is not None and self.max_steps < min(cfg.valid_every, cfg.steps):
            n_valid = min(n_valid, FINAL_VALID_DAYS)
            self.notes.append(f"a run shorter than valid_every ({cfg.valid_every}) is validated once, at its end, on "
                              f"{n_valid} of the {len(valid_t)} validation days (evenly spaced)")
        if n_valid < len(valid_t):
            valid_t = valid_t[np.linspace(0, len(valid_t) - 1, n_valid).round().astype(int)]
        valid_dates = pd.DatetimeIndex([panel.dates[i] for i in valid_t])
        guard = None if start is None else self._zero_shot_guard(start, panel, valid_t, valid_dates)
        torch.manual_seed(self.seed)
        self.net = NeuralFactorsNet(cfg, win.feats.n_channels, len(self.scaler.sectors), pc_start(self.scaler))
        if start is not None:
            self.net.load_state_dict(expand_state(start.net.state_dict(), cfg, len(start.scaler.sectors),
                                                  len(self.scaler.sectors)))
        self.net.to(self.device)
        dev = self.device

        def loss_fn(net, rng, gen):
            days = np.sort(rng.choice(train_t, size=cfg.days_per_step, replace=len(train_t) < cfg.days_per_step))
            if world == 1:
                b = win.batch(days).to(dev)
                ll = self._iwae(net, b, cfg.k, gen)
                return -(ll / b.observed.sum(1)).mean()
            # this rank's block of the days; the mean over ranks (DDP's gradient average) is the step's loss
            ll, n_obs = self._iwae_share(net, win, days, distributed.share(len(days)), cfg.k, gen)
            return -(ll / n_obs).sum() * (world / len(days))

        def valid_fn(net):
            return float(np.mean(self._nll_joint_days(net, win, valid_t, cfg.k_eval, seed=0)))

        if guard is not None:  # the fine-tune's calib_port: this network's forecasts (it is self.net) on validation
            guard.fn = lambda net: portfolio_calibration(self.forecast_series(panel, valid_dates), panel.returns,
                                                         valid_dates)
        settings = TrainSettings(
            steps=cfg.steps, lr=cfg.lr, weight_decay=cfg.weight_decay, polyak_start=cfg.polyak_start,
            valid_every=cfg.valid_every, patience=cfg.patience, seed=self.seed, max_steps=self.max_steps,
            out_dir=self.out_dir, resume=self.resume, progress=self.progress, bf16=cfg.bf16, compile=cfg.compile,
            progress_log=self.progress_log, time_budget=self.time_budget)
        self.result = Trainer(self.net, loss_fn, valid_fn, settings, dev, guard=guard,
                              extra_meta={"config": cfg.to_json(), "fingerprint": self.fingerprint}).run()
        self.net.load_state_dict(self.result.best_state)
        self.net.eval()
        if start is not None:
            self.notes += selection_lines(self.result.selection)
            if not self.result.selection["kept"]:  # serve the zero-shot network itself (step 0 is no adaptation)
                self.net, self.scaler = start.net.to(dev).eval(), start.scaler
                self.sector_aliases = start.sector_aliases
                self._cache = None
        return self

    def _zero_shot_guard(self, start: "NeuralFactorsModel", panel: Panel, valid_t: np.ndarray,
                         valid_dates: pd.DatetimeIndex) -> Guard:
        """Step 0 of a fine-tune's selection (core.models.neuralfactors.finetune): the start network as it scores
        `panel` zero-shot, on the validation days: its nll_joint as valid_fn computes it (same days, k_eval, seed;
        the same return scale) and its calib_port. The Guard's fn is set by fit."""
        start.device, start.threads, start._cache = self.device, self.threads, None
        start.net.to(self.device).eval()
        nll = float(np.mean(start._nll_joint_days(start.net, start._windows(panel), valid_t, self.config.k_eval,
                                                  seed=0)))
        calib = portfolio_calibration(start.forecast_series(panel, valid_dates), panel.returns, valid_dates)
        return Guard("calib_port", fn=None, reference=calib, reference_valid=nll, tolerance=CALIB_TOLERANCE)

    def training_summary(self) -> dict:
        """What the last fit did: step, stopped, best_valid (validation NLL_joint per stock, scaled returns),
        steps_per_s, message, return_scale (the training std), device, config (JSON), best_step (the step of the
        weights kept) and selection (a fine-tune's choice, core.models.neuralfactors.finetune; None otherwise)."""
        r = self.result
        return {"step": r.step, "stopped": r.stopped, "best_valid": r.best_valid, "steps_per_s": r.steps_per_s,
                "message": r.message, "return_scale": self.scaler.return_scale, "device": str(self.device),
                "config": self.config.to_json(), "best_step": r.best_step, "selection": r.selection}

    @staticmethod
    def _usable(win: Windows, t: np.ndarray) -> np.ndarray:
        """Forecast positions whose batch has at least one observed stock."""
        return t[_observed_any(win, t)] if len(t) else t

    # --- network on batches ----------------------------------------------------------------
    def _heads(self, net: NeuralFactorsNet, b: DayBatch, rows: int | None = None) -> dict[str, torch.Tensor]:
        """Run the embedder on the eligible (day, stock) rows only; others get neutral values. `rows` (CPU inference,
        no grad) sends `rows` windows at a time, on `inference_threads()` Python threads."""
        d, n, lb, c = b.x.shape
        idx = b.eligible.reshape(-1).nonzero().squeeze(1)
        dev = b.x.device
        alpha, sigma = torch.zeros(d * n, device=dev), torch.ones(d * n, device=dev)
        nu, beta = torch.full((d * n,), 5.0, device=dev), torch.zeros(d * n, net.n_factors, device=dev)
        if len(idx):
            x, sector = b.x.reshape(d * n, lb, c)[idx], b.sector.repeat(d)[idx]
            parts = [net(x, sector)] if not rows else list(thread_map(
                lambda i: _no_grad(net, x[i:i + rows], sector[i:i + rows]), range(0, len(idx), rows),
                inference_threads()))
            a, be, s, v = (torch.cat(p) for p in zip(*parts))
            alpha, beta, sigma, nu = (alpha.index_copy(0, idx, a), beta.index_copy(0, idx, be),
                                      sigma.index_copy(0, idx, s), nu.index_copy(0, idx, v))
        scale_z, dof_z = net.prior(b.x, b.eligible)
        return {"alpha": alpha.view(d, n), "beta": beta.view(d, n, -1), "scale_x": sigma.view(d, n),
                "dof_x": nu.view(d, n), "scale_z": scale_z.float(), "dof_z": dof_z.float()}

    def _iwae(self, net, b: DayBatch, k: int, gen: torch.Generator, rows: int | None = None) -> torch.Tensor:
        h = self._heads(net, b, rows)
        return iwae_log_likelihood(b.target, b.observed, k=k, generator=gen, **h)

    def _iwae_share(self, net, win: Windows, days: np.ndarray, part: slice, k: int, gen: torch.Generator):
        """IWAE log-likelihood of days[part] only, (len(part),), and their observed counts, with the
        noise a one-process step over all `days` draws for them: the other days enter the
        likelihood as empty days (no stock, no network call, not in the result), so the (k, D, F)
        noise draw from `gen` and its layout are those of the one-process step."""
        b = win.batch(days[part]).to(self.device)
        h = self._heads(net, b)
        lo, hi, d = part.start, part.stop, len(days)

        def pad(v: torch.Tensor, fill) -> torch.Tensor:
            return torch.cat([v.new_full((lo,) + v.shape[1:], fill), v, v.new_full((d - hi,) + v.shape[1:], fill)])

        fills = {"alpha": 0.0, "beta": 0.0, "scale_x": 1.0, "dof_x": 5.0, "scale_z": 1.0}  # neutral values
        full = {key: pad(v, fills[key]) if key in fills and v.dim() > 1 else v for key, v in h.items()}
        ll = iwae_log_likelihood(pad(b.target, 0.0), pad(b.observed, False), k=k, generator=gen, **full)
        return ll[lo:hi], b.observed.sum(1)

    def _batches(self, win: Windows, t: np.ndarray):
        """Yield (positions, DayBatch on device, heads) in chunks of config.batch_days, no grad. A day's heads are
        computed once per (windows, network, weights) and kept (`_kept_heads`): the forecasts, the realised factor
        returns and the scores of the same days share one run of the network (scale_z, dof_z come back (D, F))."""
        net = self._require()
        apply_threads(self.threads, self.device)
        net.eval()
        kept = self._kept_heads(win, net)
        for i in range(0, len(t), self.config.batch_days):
            tt = t[i:i + self.config.batch_days]
            b = win.batch(tt).to(self.device)
            new = [k for k, p in enumerate(tt) if int(p) not in kept]
            if new:
                days = DayBatch(b.x[new], b.sector, b.eligible[new], b.target[new], b.observed[new])
                with torch.no_grad(), autocast(self.device, self.config.bf16):
                    h = self._heads(net, days, INFERENCE_ROWS if self.device.type == "cpu" else None)
                h = {key: v.expand(len(new), -1) if v.dim() == 1 else v for key, v in h.items()}  # (F,) -> (D, F)
                for j, k in enumerate(new):
                    kept[int(tt[k])] = {key: v[j] for key, v in h.items()}
            with torch.no_grad(), autocast(self.device, self.config.bf16):
                yield tt, b, {key: torch.stack([kept[int(p)][key] for p in tt]) for key in kept[int(tt[0])]}

    def _kept_heads(self, win: Windows, net: NeuralFactorsNet) -> dict[int, dict[str, torch.Tensor]]:
        """The heads computed so far for `win` by `net` as its weights now stand (day position -> heads of that
        day); emptied when the windows, the network or any of its weights change (torch counts in-place updates:
        an optimiser step or load_state_dict moves a parameter's _version)."""
        versions = tuple(p._version for p in net.parameters())
        if self._kept is None or not (self._kept[0][0] is win and self._kept[0][1] is net
                                      and self._kept[0][2] == versions):
            self._kept = ((win, net, versions), {})
        return self._kept[1]

    def _nll_joint_days(self, net, win: Windows, t: np.ndarray, k: int, seed: int) -> np.ndarray:
        """Per-day NLL_joint (scaled returns), (len(t),); on the CPU the network runs in calls of INFERENCE_ROWS."""
        gen = torch.Generator(device=self.device).manual_seed(seed)
        rows, out = INFERENCE_ROWS if self.device.type == "cpu" else None, []
        for i in range(0, len(t), self.config.batch_days):
            b = win.batch(t[i:i + self.config.batch_days]).to(self.device)
            with torch.no_grad(), autocast(self.device, self.config.bf16):
                ll = self._iwae(net, b, k, gen, rows)
            out.append((-ll / b.observed.sum(1)).cpu().numpy())
        return np.concatenate(out)

    # --- inference -------------------------------------------------------------------------
    def _require(self) -> NeuralFactorsNet:
        if self.net is None or self.scaler is None:
            raise ModelError("this NeuralFactors model is not trained; call fit() or load a saved model")
        return self.net

    def _windows(self, panel: Panel) -> Windows:
        """Features of `panel` under the frozen scaler (cached for the last panel seen)."""
        if self._cache is not None and self._cache[0] is panel:
            return self._cache[1]
        feats = build_features(rename_sectors(panel, self.sector_aliases), self.scaler)
        win = Windows(feats, self.config.lookback, self.config.min_history)
        self._cache = (panel, win)
        return win

    def adaptation_notes(self, panel: Panel) -> list[str]:
        """How `panel`'s inputs are adapted to this model's channels and sectors (one line each)."""
        self._require()
        return list(self._windows(panel).feats.notes)

    def forecast(self, panel: Panel, date) -> FactorForecast:
        """Forecast of r at the date after `date`, for stocks listed at `date` with enough history."""
        fc = self.forecast_series(panel, [date]).at(date)
        if fc.n_stocks == 0:
            raise ModelError(f"no stock has {self.config.min_history} returns in the {self.config.lookback} days "
                             f"before {pd.Timestamp(date).date()}; pick a later date")
        return fc

    def forecast_series(self, panel: Panel, dates) -> ForecastSeries:
        """Forecasts made at the close of each of `dates` (batched), in original return units."""
        self._require()
        win = self._windows(panel)
        t = np.array([panel.date_position(d) for d in dates], dtype=np.int64)
        s = self.scaler.return_scale
        n, f = panel.n_tickers, self.net.n_factors
        mean, var, dof = (np.full((len(t), n), np.nan) for _ in range(3))
        expo = np.zeros((len(t), n, f))
        var_z, dof_z = np.zeros((len(t), f)), np.zeros((len(t), f))
        for i, (tt, b, h) in enumerate(self._batches(win, t)):
            rows = slice(i * self.config.batch_days, i * self.config.batch_days + len(tt))
            e = b.eligible.cpu().numpy()
            mean[rows] = np.where(e, h["alpha"].double().cpu().numpy() * s, np.nan)
            var[rows] = np.where(e, t_variance(h["scale_x"], h["dof_x"]).double().cpu().numpy() * s * s, np.nan)
            dof[rows] = np.where(e, h["dof_x"].double().cpu().numpy(), np.nan)
            expo[rows] = np.where(e[..., None], h["beta"].double().cpu().numpy() * s, 0.0)
            sz, dz = (np.broadcast_to(h[k].double().cpu().numpy(), (len(tt), f)) for k in ("scale_z", "dof_z"))
            var_z[rows], dof_z[rows] = sz**2 * dz / (dz - 2), dz
        return ForecastSeries(
            dates=pd.DatetimeIndex([panel.dates[i] for i in t]), tickers=panel.tickers, mean=mean, exposures=expo,
            factor_cov=var_z[:, :, None] * np.eye(f), idio_var=var, family="student_t",
            factor_dof=dof_z, idio_dof=dof, model=self.name,
            factor_names=self.factor_names())

    def score(self, panel: Panel, dates, k: int | None = None, n_samples: int = 0, seed: int = 0) -> pd.DataFrame:
        """Per forecast date t: NLL_joint of r_{t+1} (IWAE, k = config.k_eval) and, when
        n_samples > 0, NLL_ind (prior sampling), both per stock on the SCALED return scale
        (returns / training std), and n_stocks. Index: the forecast dates."""
        win = self._windows(panel)
        t = np.array([panel.date_position(d) for d in dates], dtype=np.int64)
        t = t[t + 1 < len(panel.dates)]
        gen = torch.Generator(device=self.device).manual_seed(seed)
        rows = []
        for _, b, h in self._batches(win, t):
            with torch.no_grad():
                n_obs = b.observed.sum(1)
                ll = iwae_log_likelihood(b.target, b.observed, k=k or self.config.k_eval, generator=gen, **h)
                cols = {"nll_joint": (-ll / n_obs).cpu().numpy(), "n_stocks": n_obs.cpu().numpy()}
                if n_samples:
                    m = marginal_log_likelihood(b.target, b.observed, n_samples=n_samples, generator=gen, **h)
                    cols["nll_ind"] = (-torch.nan_to_num(m, nan=0.0).sum(1) / n_obs).cpu().numpy()
            rows.append(pd.DataFrame(cols))
        names = ["nll_joint", "n_stocks"] + (["nll_ind"] if n_samples else [])
        out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=names, dtype=float)
        out.index = pd.DatetimeIndex([panel.dates[i] for i in t], name="date")
        return out[out["n_stocks"] > 0]

    def factor_returns(self, panel: Panel, dates) -> pd.DataFrame:
        """Realised factor returns: the posterior mean of z_{t+1} for each forecast date t in
        `dates` that has a next day; index = the realised date t+1, columns factor_names()."""
        win = self._windows(panel)
        t = np.array([panel.date_position(d) for d in dates], dtype=np.int64)
        t = t[t + 1 < len(panel.dates)]
        out = []
        for _, b, h in self._batches(win, t):
            d = b.x.shape[0]
            mu, _ = posterior(b.target, b.observed, h["alpha"], h["beta"], h["scale_x"], h["dof_x"],
                              h["scale_z"].expand(d, -1), h["dof_z"].expand(d, -1), torch.zeros_like(h["beta"][:, 0]))
            mu[~b.observed.any(1)] = float("nan")
            out.append(mu.cpu().numpy())
        cols = self.factor_names()
        values = np.concatenate(out) if out else np.zeros((0, len(cols)))
        return pd.DataFrame(values, index=pd.DatetimeIndex([panel.dates[i + 1] for i in t], name="date"),
                            columns=cols)

    def factor_names(self) -> list[str]:
        """f1..fF for the learned factors, then "sector: NAME" for each sector factor (sector_factors)."""
        self._require()
        sectors = [f"sector: {s}" for s in self.scaler.sectors] if self.config.sector_factors else []
        return [f"f{j + 1}" for j in range(self.config.n_factors)] + sectors

    def exposures(self, panel: Panel, dates) -> pd.DataFrame:
        """Exposures beta_{i,t} (original units) for every (date, ticker) with a forecast:
        rows indexed by (date, ticker), columns factor_names()."""
        fs = self.forecast_series(panel, dates)
        ok = np.isfinite(fs.mean)
        t_idx, n_idx = np.nonzero(ok)
        index = pd.MultiIndex.from_arrays([fs.dates[t_idx], np.asarray(fs.tickers)[n_idx]], names=["date", "ticker"])
        return pd.DataFrame(fs.exposures[t_idx, n_idx], index=index, columns=fs.factor_names)

    def sample(self, panel: Panel, date, n: int, seed: int | None = None) -> np.ndarray:
        """n joint scenarios of r_{t+1} (original units): (n, N) over the forecast's tickers."""
        return self.forecast(panel, date).sample(n, seed)

    # --- persistence (the one scheme of core.models.protocol) ------------------------------------------------
    def to_saved(self) -> tuple[dict[str, np.ndarray], dict, dict]:
        net = self._require()
        arrays = {k: v.detach().cpu().contiguous().numpy() for k, v in net.state_dict().items()}
        train = None
        if self.result is not None:
            train = {"best_valid_nll_joint_scaled": self.result.best_valid, "step": self.result.step,
                     "stopped": self.result.stopped, "history": self.result.history,
                     "best_step": self.result.best_step, "selection": self.result.selection}
        return arrays, self.config.to_json(), {
            "scaler": self.scaler.to_json(), "tickers": self.tickers, "n_channels": self._n_channels(),
            "fingerprint": self.fingerprint, "training": train, "seed": self.seed,
            "nll_scale": "NLL values are per stock on returns divided by scaler.return_scale",
            "sector_aliases": self.sector_aliases}

    def _n_channels(self) -> int:
        return self.net.embedder.inp.in_features

    @classmethod
    def from_saved(cls, meta: dict, arrays: dict[str, np.ndarray], device: str = "auto") -> "NeuralFactorsModel":
        """Format 2 keeps what fitting learnt under "state"; format 1 (the shipped weights, runs before the one
        scheme) kept it at the top level of config.json: both load."""
        state = saved_state(meta)
        model = cls(config=NFConfig.from_json(meta["config"]), device=device, seed=state.get("seed", 0))
        model.scaler = FeatureScaler.from_json(state["scaler"])
        model.tickers, model.fingerprint = state["tickers"], state.get("fingerprint")
        model.sector_aliases = state.get("sector_aliases", {})
        model.notes = selection_lines((state.get("training") or {}).get("selection"))  # a fine-tune's kept step
        net = NeuralFactorsNet(model.config, state["n_channels"], len(model.scaler.sectors), pc_start(model.scaler))
        try:
            net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in arrays.items()})
        except RuntimeError as exc:
            raise CheckpointError(f"weights do not match the saved configuration ({exc}); retrain") from exc
        model.net = net.to(model.device).eval()
        return model


def _no_grad(net: NeuralFactorsNet, x: torch.Tensor, sector: torch.Tensor):
    """net(x, sector) without autograd, on any thread (grad mode is per thread: a pool's thread starts with it on)."""
    with torch.no_grad():
        return net(x, sector)


def _saved_config(path: Path) -> NFConfig:
    """The configuration of the NeuralFactors network saved in `path` (a CheckpointError names the problem)."""
    if not (path / "config.json").is_file():
        raise CheckpointError(f"--init {path}: no saved model there (config.json missing); give the directory of a "
                              "NeuralFactors run or 'shipped'")
    meta = read_json(path / "config.json")
    if meta.get("model") != NeuralFactorsModel.name:
        raise CheckpointError(f"--init {path} holds model {meta.get('model')!r}; fine-tuning starts from a "
                              "NeuralFactors network")
    return NFConfig.from_json(meta["config"])


def forecast_positions(panel: Panel, target_dates) -> np.ndarray:
    """Date indices t whose next date t+1 is in `target_dates` (the forecasts scored on them)."""
    pos = panel.dates.get_indexer(pd.DatetimeIndex(target_dates)) - 1
    return np.sort(pos[pos >= 0]).astype(np.int64)


def _observed_any(win: Windows, t: np.ndarray) -> np.ndarray:
    """(len(t),) bool: some stock is eligible at t and has a return at t+1."""
    feats: Features = win.feats
    nxt = np.minimum(t + 1, len(feats.dates) - 1)
    return (win.eligible(t) & feats.present[nxt] & (t + 1 < len(feats.dates))[:, None]).any(1)
