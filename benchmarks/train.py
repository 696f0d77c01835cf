"""`python -m benchmarks train`: training speed (steps/s, stock-days/s), thread setting and peak memory.

Cases: (a) the sp500-20 preset on the embedded data; (b) the paper configuration (500
synthetic stocks, lookback 256, hidden 256, F = 64, one day per step). Each case times full
training steps (forward, IWAE loss, backward, Adam) after one warm-up step. On the CPU a
thread sweep times case (a) with torch threads 1, 2 and torch's own default, with the
machine otherwise idle and with one other busy process (a CPU-bound loop this benchmark
starts), which is what decided the default of core.training.threads.
"""
from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks import COMMAND, write
from core.data.features import FeatureScaler
from core.models.neuralfactors.model import NeuralFactorsModel, forecast_positions
from core.models.neuralfactors.network import NeuralFactorsNet
from core.training import threads as nf_threads
from core.training.device import autocast


def time_steps(panel, preset: str, steps: int, device: str, threads: int | str | None = None, **overrides) -> dict:
    """Run `steps` timed training steps; returns the figures as a dict (threads: torch's
    intra-op thread count during the run, set by core.training.threads from `threads`)."""
    model = NeuralFactorsModel(preset=preset, device=device, threads=threads, **overrides)
    cfg, dev = model.config, model.device
    n_threads = nf_threads.apply_threads(threads, dev)
    train = panel.split_dates("train")
    model.scaler = FeatureScaler.fit(panel, train)
    win = model._windows(panel)
    days = forecast_positions(panel, train)
    days = days[days >= cfg.lookback]
    torch.manual_seed(0)
    net = NeuralFactorsNet(cfg, win.feats.n_channels, len(model.scaler.sectors)).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    rng, gen = np.random.default_rng(0), torch.Generator(device=dev).manual_seed(0)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    stock_days = 0

    def step() -> int:
        b = win.batch(np.sort(rng.choice(days, cfg.days_per_step, replace=False))).to(dev)
        with autocast(dev, cfg.bf16):
            loss = -(model._iwae(net, b, cfg.k, gen) / b.observed.sum(1)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return int(b.observed.sum())

    step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        stock_days += step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    el = time.perf_counter() - t0
    peak = (torch.cuda.max_memory_allocated() / 2**20 if dev.type == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return {"case": preset, "device": str(dev), "threads": n_threads, "stocks": panel.n_tickers,
            "lookback": cfg.lookback, "hidden": cfg.hidden, "factors": net.n_factors,
            "days_per_step": cfg.days_per_step, "k": cfg.k, "steps_timed": steps, "seconds": el,
            "steps_per_s": steps / el, "stock_days_per_s": stock_days / el, "peak_mib": peak,
            "peak_kind": "torch.cuda.max_memory_allocated" if dev.type == "cuda" else "process peak RSS (ru_maxrss)"}


def _busy_processes(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def thread_sweep(panel, steps: int = 60, settings=(1, 2, "torch"), busy=(0, 1), repeats: int = 2) -> list[dict]:
    """steps/s of the sp500-20 preset on the CPU for each thread setting (an int, or "torch" for
    torch's own default read at start-up) with `busy` other CPU-bound processes running; the
    settings are interleaved `repeats` times. Rows: busy, setting, threads, runs (steps/s),
    load (the 1-minute load average before each run: other work on the machine shows there)."""
    rows = []
    for n_busy in busy:
        procs = _busy_processes(n_busy)
        try:
            time.sleep(0.5 if n_busy else 0.0)
            runs: dict = {s: [] for s in settings}
            loads: dict = {s: [] for s in settings}
            for _ in range(repeats):
                for s in settings:
                    n = nf_threads.TORCH_DEFAULT if s == "torch" else int(s)
                    loads[s].append(os.getloadavg()[0])
                    runs[s].append(time_steps(panel, "sp500-20", steps, "cpu", threads=n)["steps_per_s"])
        finally:
            for p in procs:
                p.kill()
                p.wait()
        for s in settings:
            n = nf_threads.TORCH_DEFAULT if s == "torch" else int(s)
            rows.append({"busy": n_busy, "setting": s, "threads": n, "runs": runs[s], "load": loads[s]})
    torch.set_num_threads(nf_threads.resolve_threads())
    return rows


def sweep_table(rows: list[dict]) -> str:
    chosen = nf_threads.default_threads()
    out = ("| other busy processes | torch threads | steps/s (median) | runs | load avg before each run |\n"
           "|---|---|---|---|---|\n")
    for r in rows:
        label = f"{r['threads']}" + (" (torch default)" if r["setting"] == "torch" else "")
        label += " **(NeuralFactors default)**" if r["threads"] == chosen and r["setting"] != "torch" else ""
        out += (f"| {r['busy']} | {label} | {statistics.median(r['runs']):.2f} | "
                f"{', '.join(f'{v:.2f}' for v in r['runs'])} | {', '.join(f'{v:.1f}' for v in r.get('load', []))} |\n")
    return out


def run(quick: bool = False, out: str | Path = ".", device: str = "auto", threads: int | str | None = None,
        sweep: bool = True) -> int:
    """Measure, print and write the Markdown report to <out>/bench_train.md.
    threads: for the two cases (None = core.training.threads' choice); sweep: the CPU thread
    sweep (CPU runs only)."""
    from core.data.embedded import load_dataset
    from core.data.synthetic import make_market

    device = device or "auto"
    sp = load_dataset("sp500-20")
    rows = [time_steps(sp, "sp500-20", 5 if quick else 50, device, threads=threads)]
    paper_panel = make_market(n_stocks=60 if quick else 500, n_dates=600, n_factors=4, seed=0)[0]
    rows.append(time_steps(paper_panel, "paper", 1 if quick else 3, device, threads=threads,
                           **({"lookback": 64, "hidden": 64, "n_factors": 16} if quick else {})))
    head = ("| case | device | torch threads | stocks | lookback | hidden | F | days/step | k | steps timed | "
            "steps/s | stock-days/s | peak MiB |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    body = "".join(
        f"| {r['case']} | {r['device']} | {r['threads']} | {r['stocks']} | {r['lookback']} | {r['hidden']} | "
        f"{r['factors']} | {r['days_per_step']} | {r['k']} | {r['steps_timed']} | {r['steps_per_s']:.3f} | "
        f"{r['stock_days_per_s']:.0f} | {r['peak_mib']:.0f} |\n" for r in rows)
    table = head + body
    print(table)
    sweep_text = ""
    if sweep and rows[0]["device"] == "cpu":
        sweep_rows = thread_sweep(sp, steps=5 if quick else 60, repeats=1 if quick else 2)
        st = sweep_table(sweep_rows)
        print(st)
        sweep_text = f"""
## CPU threads (sp500-20 preset, {nf_threads.available_cores()} cores)

Each row: {5 if quick else 60} timed steps after one warm-up, the settings interleaved
{1 if quick else 2} time(s); "other busy processes" are CPU-bound loops started by the
benchmark, standing in for whatever else runs on a shared machine.

{st}
NeuralFactors' default (core/training/threads.py): 1 thread when a process has <= 2 cores
to itself, else min(cores, {nf_threads.MAX_AUTO_THREADS}); NEURALFACTORS_THREADS or the model's
`threads` argument override it. On 2 cores a second thread pays only while nothing else runs
(about 1.5x at load ~1.5, measured in separate processes: see core/training/threads.py) and
loses 2-6x as soon as anything else does (OpenMP threads wait for each other at every
parallel region), so one thread is the robust choice there.
"""
    paper = rows[1]
    hours = 100_000 / paper["steps_per_s"] / 3600
    gpu = "a CUDA GPU was used" if paper["device"].startswith("cuda") else (
        "no GPU was used (none was available to this run); GPU figures are not measured")
    cmd = f"{COMMAND} train" + (" --quick" if quick else "") + f" --device {device}"
    report = f"""# Training benchmark (`{cmd}`)

Written by benchmarks/train.py on {platform.machine()} with {nf_threads.available_cores()} cores, torch {torch.__version__};
{gpu}. Torch threads: {nf_threads.describe(threads)}.
Peak memory: {rows[0]['peak_kind']}. Each case: one warm-up step, then full training steps
(windows gathered, forward, IWAE loss with k samples, backward, Adam).
{'QUICK mode: the paper case is shrunk (60 stocks, lookback 64, hidden 64, F = 16).' if quick else ''}

{table}
At the measured paper-configuration rate, the paper's 100,000-step schedule would take
{hours:,.1f} hours on this device ({paper['device']}).
{sweep_text}
## Several processes, bf16, torch.compile

`core.training.parallel.train_neuralfactors(nproc, ...)` (`neuralfactors train --nproc N`),
or the same under `torchrun --nproc-per-node N`, trains data-parallel on torch.distributed
(core/training/distributed.py): each step's days are split across the
ranks and DDP averages the gradients, so a step equals the one-process step with the same
days per step (tests/core/training/test_distributed.py: relative loss difference ~1e-7);
gloo on the CPU, NCCL with one GPU per rank on CUDA. Settings `bf16=true` (autocast, CUDA
only) and `compile=true` (torch.compile of the network) are off by default.

Goal on one H100: 100,000 steps for 500 stocks in under 30 minutes, i.e. about 56 steps/s
(28,000 stock-days/s at one day per step). Per step the paper configuration is ~1e11
multiply-adds forward (500 sequences x 256 steps through two 256-wide transformer layers),
~3e11 with the backward pass: ~17 TFLOP/s sustained at 56 steps/s, within bf16 reach of an
H100 only with fused attention and several days per step (fewer, larger kernels). What bounds
it: kernel-launch overhead and the small per-day batch (500 sequences) at one day per step;
attention over the 256-day lookback (quadratic in lookback); the float64 F x F Cholesky
(tiny but serial per day). Not measured here without a GPU.
"""
    write(out, "train", report)
    return 0
