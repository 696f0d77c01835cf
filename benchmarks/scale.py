"""`python -m benchmarks scale`: model quality on a SYNTHETIC S&P-like market (issue 15's scale test bed).

Builds core.data.synthetic.sp500_like_market (500 stocks, 20 years, 11 sectors, Student-t factors and
noise with GARCH volatility clustering, time-varying exposures, listings and delistings; --quick: 40
stocks, 2 years), trains NeuralFactors on its train split (preset sp500-20, `steps` steps with the
preset's schedule scaled to them), fits PPCA and Ledoit-Wolf on the same dates, and scores them, the
trained network through its calibration layer (neuralfactors+cal: covariance update and PIT maps fitted
from the first validation forecast on) and the market's true distribution (SyntheticTruth.forecast_series)
on the valid and test splits with core.evaluation.tables (metric groups joint, covariance, portfolio). --stocks and
--years change the market's size. Writes <out>/bench_scale.md.
"""
from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from benchmarks import COMMAND, write
from core.evaluation.tables import Settings, evaluate_series, to_markdown
from core.training import threads as nf_threads

GROUPS = ("joint", "covariance", "portfolio")
#: 2,000 portfolio scenarios a day, not evaluate's 10,000: at ~470 stocks the Student-t draws dominate
FULL = {"n_stocks": 500, "years": 20, "steps": 300, "settings": Settings(groups=GROUPS, portfolio_samples=2000)}
QUICK = {"n_stocks": 40, "years": 2, "steps": 2,
         "settings": Settings(groups=GROUPS, portfolio_samples=1000, iwae_k=10)}
MODELS = ["neuralfactors", "neuralfactors+cal", "ppca", "ledoit-wolf"]
TRUTH_ROW = "truth (ground truth)"
COLUMNS = ["nll_joint", "cov_mse", "var95_rate", "var99_rate", "kupiec_p95", "kupiec_p99"]
SPLITS = ("valid", "test")
VALID_DAYS = 252
SHOWN_CONFIG = ("n_factors", "sector_factors", "dof_floor", "lookback", "hidden", "sequence")
QUICK_NOTE = ("QUICK mode: a tiny market, a few training steps and small Monte Carlo samples "
              "(a smoke test, not a result).")


def nf_overrides(steps: int) -> dict:
    """The sp500-20 preset's schedule scaled to `steps`: Polyak averaging over the second half, one
    validation at the end on VALID_DAYS days spread over the split (the evaluation scores all of it)."""
    return {"steps": steps, "polyak_start": steps // 2, "valid_every": steps, "valid_days": VALID_DAYS}


def train_nf(panel, steps: int, run_dir: Path, device: str) -> dict:
    """Train NeuralFactors on the panel's train split (nf_overrides), save it to `run_dir`; returns
    its figures (steps, steps/s, validation NLL_joint, seconds, device, k_eval)."""
    from core.models.training_run import RunSettings, train_run

    t0 = time.perf_counter()
    res = train_run(RunSettings(model="neuralfactors", out=run_dir, overrides=nf_overrides(steps), preset="sp500-20",
                                device=device, seed=0), lambda: panel)
    out = {"steps": res["step"], "steps_per_s": res["steps_per_s"], "best_valid": res["best_valid"],
           "stopped": res["stopped"], "seconds": time.perf_counter() - t0, "device": res["device"],
           "k_eval": res["config"]["k_eval"], "config": {k: res["config"][k] for k in SHOWN_CONFIG}}
    print(f"neuralfactors: {out['steps']} steps in {out['seconds']:.0f} s, {out['steps_per_s']:.3f} steps/s "
          f"(validation included), validation NLL_joint {out['best_valid']:.4f}", file=sys.stderr)
    return out


def score(panel, truth, run_dir: Path, settings: Settings) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """({split: table of TRUTH_ROW + MODELS x COLUMNS}, {model: {"forecast_s", split: seconds}}).
    Each model's forecasts over both splits come from core.workbench.sources.forecasts (NeuralFactors
    from `run_dir`, PPCA and Ledoit-Wolf fitted now on the train dates), once."""
    from core.data.features import FeatureScaler
    from core.workbench.sources import forecast_dates, forecasts, view_dates

    scale = FeatureScaler.fit(panel, panel.split_dates("train")).return_scale
    dates = view_dates(panel)
    rows: dict[str, dict] = {s: {} for s in SPLITS}
    reasons: dict[str, dict] = {s: {} for s in SPLITS}
    times: dict[str, dict] = {}
    for name in [TRUTH_ROW] + MODELS:
        t0 = time.perf_counter()
        if name == TRUTH_ROW:
            series, model = truth.forecast_series(panel, dates), None
        else:
            fc = forecasts(panel, name, dates, run=run_dir if name.startswith("neuralfactors") else None)
            series, model = fc.series, fc.model
        times[name] = {"forecast_s": time.perf_counter() - t0}
        for split in SPLITS:
            t0 = time.perf_counter()
            values, why = evaluate_series(panel, series, split, scale, settings, model)
            times[name][split] = time.perf_counter() - t0
            rows[split][name] = values
            reasons[split][name] = {m: r for m, r in why.items() if m in COLUMNS}
            print(f"{name} {split}: " + ", ".join(f"{m} {_fmt(values[m])}" for m in COLUMNS), file=sys.stderr)
    tables = {}
    for split in SPLITS:
        table = pd.DataFrame.from_dict(rows[split], orient="index")[COLUMNS].astype(float)
        table.index.name = "model"
        fd = forecast_dates(panel, split)
        table.attrs.update(reasons=reasons[split], nll_scale=scale, dates=[str(fd[0].date()), str(fd[-1].date())])
        tables[split] = table
    return tables, times


def _fmt(v) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:.4g}"


def market_text(panel, truth) -> str:
    """The market's parameters, as Markdown bullet points."""
    from core.data.synthetic import SP500_LIKE

    listed = truth.listed.sum(axis=1)
    partly = int((~truth.listed.all(axis=0)).sum())
    parts = ", ".join(f"{s} {d[0].date()}..{d[-1].date()} ({len(d)} dates)"
                      for s, d in ((s, panel.split_dates(s)) for s in ("train", "valid", "test")))
    p = SP500_LIKE
    return (f"- source: `{panel.source}`\n"
            f"- {panel.n_tickers} stocks x {len(panel.dates)} business days ({panel.dates[0].date()}.."
            f"{panel.dates[-1].date()}); listed per day: {listed.min()}..{listed.max()} (mean {listed.mean():.0f}); "
            f"{partly} stocks listed or delisted inside the period\n"
            f"- {p['n_sectors']} sectors ({', '.join(sorted(panel.meta['sector'].unique()))})\n"
            f"- {p['n_factors']} Student-t factors (dof {p['factor_dof']:g}), Student-t noise (dof {p['idio_dof']:g}); "
            f"exposures drift with {p['n_characteristics']} AR(1) characteristics\n"
            f"- volatility clustering GARCH(1,1) (a, b): factors {p['factor_garch']}, each stock's noise "
            f"{p['idio_garch']}\n"
            f"- split: {parts}\n")


def report(cmd: str, panel, truth, nf: dict, tables: dict, times: dict, wall: dict, settings: Settings,
           quick: bool) -> str:
    """The Markdown report."""
    cores = nf_threads.available_cores()
    time_rows = "".join(f"| {name} | {t['forecast_s']:.0f} | {t['valid']:.0f} | {t['test']:.0f} |\n"
                        for name, t in times.items())
    split_text = "".join(
        f"\n## {split} split (forecasts made {t.attrs['dates'][0]}..{t.attrs['dates'][1]})\n\n{to_markdown(t)}"
        for split, t in tables.items())
    return f"""# Scale test bed: a SYNTHETIC S&P-like market (`{cmd}`)

**SYNTHETIC data, not real returns**: core.data.synthetic.sp500_like_market, whose true distribution is
known (the "truth" row, the ground-truth reference). Written by benchmarks/scale.py.
{QUICK_NOTE if quick else ''}

## The market

{market_text(panel, truth)}
## Machine and wall times

{platform.machine()}, {cores} cores, Python {platform.python_version()}, torch {torch.__version__}, NeuralFactors
on {nf['device']}; torch threads {nf_threads.describe()}; the machine's other work is not controlled
(1-minute load average at the start {wall['load']:.1f}).

- market built in {wall['market']:.1f} s
- NeuralFactors: preset sp500-20 ({", ".join(f"{k} {v}" for k, v in nf["config"].items())})
  trained {nf['steps']} steps (the preset trains 3000; schedule scaled:
  Polyak averaging from step {nf_overrides(nf['steps'])['polyak_start']}, one validation at the end on
  {VALID_DAYS} validation days), {nf['steps_per_s']:.3f} steps/s including that validation, {nf['seconds']:.0f} s,
  stopped: {nf['stopped']}, validation NLL_joint {nf['best_valid']:.4f} (IWAE k = {nf['k_eval']})
- PPCA and Ledoit-Wolf: fitted as `neuralfactors evaluate` fits them (train dates; PPCA picks its factor
  count on the validation dates), inside the column "forecasts"
- total {wall['total']:.0f} s

| model | forecasts (s) | evaluate valid (s) | evaluate test (s) |
|---|---|---|---|
{time_rows}
Metrics (core/evaluation/tables.py): nll_joint per stock on returns / {tables['test'].attrs['nll_scale']:.4g}
(the training std; Student-t models by IWAE with k = {settings.iwae_k}), cov_mse (whitening test on
the stocks a model forecasts on every day of the split: PPCA and Ledoit-Wolf skip stocks with a short
trailing window, so their stock sets are smaller), VaR of the equal-weight portfolio of each day's stocks
(Student-t by {settings.portfolio_samples:,} Monte Carlo scenarios) with its breach rates and Kupiec p-values.
{split_text}"""


def run(quick: bool = False, out: str | Path = ".", device: str = "auto", steps: int | None = None,
        stocks: int | None = None, years: int | None = None) -> int:
    """Build the market (`stocks` x `years`, default the mode's), train, fit, evaluate; print the report and
    write it to <out>/bench_scale.md."""
    from core.data.synthetic import sp500_like_market

    cfg = QUICK if quick else FULL
    steps = cfg["steps"] if steps is None else steps
    nf_threads.limit_math_threads()
    wall = {"load": os.getloadavg()[0]}
    t_start = time.perf_counter()
    stocks, years = stocks or cfg["n_stocks"], years or cfg["years"]
    panel, truth = sp500_like_market(n_stocks=stocks, years=years)
    wall["market"] = time.perf_counter() - t_start
    print(f"{panel.source}: {panel.n_tickers} stocks x {len(panel.dates)} dates", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="nf-bench-scale-") as tmp:
        run_dir = Path(tmp) / "neuralfactors"
        nf = train_nf(panel, steps, run_dir, device or "auto")
        tables, times = score(panel, truth, run_dir, cfg["settings"])
    wall["total"] = time.perf_counter() - t_start
    cmd = f"{COMMAND} scale" + (" --quick" if quick else "")
    cmd += f" --steps {steps}" if steps != cfg["steps"] else ""
    cmd += f" --stocks {stocks}" if stocks != cfg["n_stocks"] else ""
    cmd += f" --years {years}" if years != cfg["years"] else ""
    text = report(cmd, panel, truth, nf, tables, times, wall, cfg["settings"], quick)
    print(text)
    write(out, "scale", text)
    return 0
