"""Distributed data-parallel training (core.training.distributed) on 2 CPU processes (gloo).

Why two processes can match one exactly up to rounding: the tiny preset has dropout 0; every
rank draws the same days (numpy rng) and the same IWAE noise stream (torch generator) with
the one-process seeds; each rank evaluates the likelihood of its block of the step's days
with the noise the one-process step draws for those days (the other days are empty days in
its likelihood call, so the (k, D, F) draw is the one-process draw), and DDP averages the
gradients of the per-rank losses, each scaled so that their mean is the step's loss. What is
left is float32 rounding (different matrix-product batch sizes, summation order): measured
relative loss differences ~1e-7 over 8 steps; the test allows 1e-5.

The worker functions live at module level so that spawned processes can import them.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from core.errors import ModelError
from core.training import checkpoint as ckpt
from core.training import distributed

SETTINGS = dict(preset="tiny", device="cpu", seed=4, steps=8, valid_every=1, valid_days=5, polyak_start=100,
                progress=False)
LOSS_RTOL = 1e-5


def _panel():
    from core.data.synthetic import make_market

    return make_market(n_stocks=10, n_dates=260, n_factors=2, seed=2)[0]


def _fit(log_dir: str | None = None, crash_at: int | None = None, **kw) -> dict:
    """Train the tiny model (in every rank); record checkpoint writes per rank in log_dir;
    rank 1 raises in training step `crash_at`."""
    from core.models.neuralfactors.model import NeuralFactorsModel

    rank, world = distributed.rank_world()
    if log_dir is not None:
        original = ckpt.save_checkpoint

        def logged(directory, **state):
            with open(Path(log_dir) / f"saves.rank{rank}", "a") as f:
                f.write(f"{state['meta']['step']}\n")
            original(directory, **state)

        ckpt.save_checkpoint = logged
    if crash_at is not None and rank == 1:
        share = NeuralFactorsModel._iwae_share
        calls = [0]

        def crashing(self, *a, **k):
            calls[0] += 1
            if calls[0] == crash_at:
                raise RuntimeError("simulated crash of rank 1")
            return share(self, *a, **k)

        NeuralFactorsModel._iwae_share = crashing
    panel = _panel()
    m = NeuralFactorsModel(**{**SETTINGS, **kw}).fit(panel, panel.split_dates("train"), panel.split_dates("valid"))
    return {"history": m.result.history, "step": m.result.step, "world": world,
            "state": {k: v.numpy().copy() for k, v in m.net.state_dict().items()}}


@pytest.fixture(scope="module")
def runs():
    one = _fit()                                       # one process, no process group
    two = distributed.launch(2, _fit, device="cpu")    # two spawned processes, gloo
    return one, two


def _assert_state_close(a: dict, b: dict, atol: float) -> None:
    for key, va in a.items():
        vb = b[key]
        if key.endswith("self_attn.in_proj_bias"):
            # the key third of the bias has an exactly zero gradient (softmax ignores a shift of all
            # scores); Adam turns its rounding noise into steps of size lr, so it is not compared
            h = va.shape[0] // 3
            va, vb = np.r_[va[:h], va[2 * h:]], np.r_[vb[:h], vb[2 * h:]]
        np.testing.assert_allclose(vb, va, rtol=0, atol=atol, err_msg=key)


@pytest.mark.slow  # ~15-20 s on 2 idle cores (process start-up), over a minute on a loaded machine
def test_two_processes_match_one_process_with_the_same_global_batch(runs):
    one, two = runs
    assert one["world"] == 1 and two["world"] == 2 and two["step"] == one["step"] == 8
    loss1 = np.array([h["train_loss"] for h in one["history"]])
    loss2 = np.array([h["train_loss"] for h in two["history"]])
    valid1 = np.array([h["valid"] for h in one["history"]])
    valid2 = np.array([h["valid"] for h in two["history"]])
    assert len(loss1) == len(loss2) == 8 and np.isfinite(loss1).all()
    rel = np.abs(loss2 - loss1) / np.abs(loss1)
    print(f"max relative loss difference over 8 steps: {rel.max():.2e}; validation: "
          f"{(np.abs(valid2 - valid1) / np.abs(valid1)).max():.2e}")
    assert rel.max() < LOSS_RTOL
    np.testing.assert_allclose(valid2, valid1, rtol=LOSS_RTOL)
    _assert_state_close(one["state"], two["state"], atol=1e-5)


@pytest.mark.slow
def test_rank0_alone_writes_checkpoints_and_a_crashed_run_resumes(runs, tmp_path):
    _, two = runs
    ck, logs = tmp_path / "ck", tmp_path / "logs"
    logs.mkdir()
    with pytest.raises(RuntimeError, match="simulated crash of rank 1"):
        distributed.launch(2, _fit, device="cpu", out_dir=str(ck), log_dir=str(logs), crash_at=6)
    assert not (logs / "saves.rank1").exists()                        # rank 1 never wrote
    assert (logs / "saves.rank0").read_text().split() == ["1", "2", "3", "4", "5"]
    meta = ckpt.load_checkpoint(ck)["meta"]
    assert meta["step"] == 5 and meta["world_size"] == 2 and len(meta["rank_rng"]) == 2

    resumed = distributed.launch(2, _fit, device="cpu", out_dir=str(ck), log_dir=str(logs), resume=True)
    assert not (logs / "saves.rank1").exists()
    assert resumed["step"] == 8 and [h["step"] for h in resumed["history"]] == list(range(1, 9))
    assert resumed["history"] == two["history"]                     # the uninterrupted 2-process run, exactly
    _assert_state_close(two["state"], resumed["state"], atol=0.0)


def test_errors_of_a_rank_reach_the_caller_as_they_are():
    with pytest.raises(ModelError, match="days_per_step \\(1\\) is smaller than the number of processes \\(2\\)"):
        distributed.launch(2, _fit, device="cpu", days_per_step=1)


def test_share_splits_days_into_blocks():
    for n, w in [(8, 2), (8, 3), (5, 5), (7, 4)]:
        blocks = [distributed.share(n, r, w) for r in range(w)]
        assert [i for b in blocks for i in range(n)[b]] == list(range(n))
        assert max(b.stop - b.start for b in blocks) - min(b.stop - b.start for b in blocks) <= 1
    assert distributed.share(8) == slice(0, 8) and distributed.rank_world() == (0, 1)


def test_launch_with_one_process_runs_here():
    assert distributed.launch(None, len, [1, 2]) == 2 and distributed.launch(1, len, "abc") == 3
    assert not distributed.is_initialized()
    with pytest.raises(ModelError, match="--nproc 0"):
        distributed.launch(0, len, [])


@pytest.mark.slow
def test_torchrun_trains_and_rank0_saves(tmp_path):
    """Under torchrun the same entry point reads RANK / WORLD_SIZE / LOCAL_RANK from the environment."""
    out = tmp_path / "nf"
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(f"""
        import json
        from pathlib import Path
        from core.data import load_panel
        from core.models.training_run import RunSettings, train_run
        settings = RunSettings(model="neuralfactors", out=Path({str(out)!r}), preset="tiny", device="cpu",
                               overrides={{"steps": 4, "valid_every": 2, "valid_days": 5}})
        summary = train_run(settings, lambda: load_panel(dataset="synthetic"))
        if summary is not None:
            print("SUMMARY " + json.dumps(summary))
    """))
    env = {k: v for k, v in os.environ.items() if k not in distributed.TORCHRUN_VARS}
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           str(script)], capture_output=True, text=True, env=env, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("SUMMARY ")]
    assert len(lines) == 1                                              # rank 0 only
    summary = json.loads(lines[0][len("SUMMARY "):])
    assert summary["world_size"] == 2 and summary["step"] == 4 and summary["stopped"] == "done"
    from core.models.neuralfactors.model import NeuralFactorsModel

    model = NeuralFactorsModel.load(out, device="cpu")
    assert torch.isfinite(next(model.net.parameters())).all()
    assert ckpt.load_checkpoint(out / "checkpoint")["meta"]["world_size"] == 2
    assert json.loads((out / "progress.jsonl").read_text().splitlines()[-1])["best_valid"] == summary["best_valid"]
