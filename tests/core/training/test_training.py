"""Training loop, checkpoints, resume and the `train` command."""
import numpy as np
import pytest
import torch

from core.cli import main
from core.data.synthetic import make_market
from core.models.neuralfactors.model import NeuralFactorsModel
from core.errors import ModelError
from core.training import checkpoint as ckpt
from core.training import progress
from core.models.training_run import parse_overrides
from core.training.trainer import Trainer, TrainSettings
from core.training.device import resolve_device


@pytest.fixture(scope="module")
def panel():
    return make_market(n_stocks=10, n_dates=260, n_factors=2, seed=2)[0]


def _fit(panel, **kw):
    m = NeuralFactorsModel(preset="tiny", device="cpu", seed=4, **kw)
    return m.fit(panel, panel.split_dates("train"), panel.split_dates("valid"))


def test_tiny_trains_50_steps(panel):
    m = _fit(panel)
    assert m.result.step == 50 and m.result.stopped == "done" and np.isfinite(m.result.best_valid)
    assert [h["step"] for h in m.result.history] == [25, 50]


def test_a_run_shorter_than_one_validation_period_is_scored_once_at_the_end(panel):
    m = _fit(panel, steps=30, valid_every=25, max_steps=5)
    assert m.result.stopped == "max_steps" and np.isfinite(m.result.best_valid)
    assert [h["step"] for h in m.result.history] == [5] and m.result.history[-1]["final_only"]


def test_nproc_is_for_step_trained_models_only(tmp_path, capsys):
    assert main(["train", "--model", "ledoit-wolf", "--dataset", "synthetic", "--nproc", "2",
                 "--out", str(tmp_path)]) == 2
    assert "--nproc and --threads apply to step-trained models" in capsys.readouterr().err


def test_resume_gives_same_weights_as_uninterrupted(panel, tmp_path):
    full = _fit(panel, steps=30, valid_every=10, polyak_start=15)
    part = _fit(panel, steps=30, valid_every=10, polyak_start=15, max_steps=17, out_dir=tmp_path / "ck")
    assert part.result.stopped == "max_steps" and part.result.step == 17
    resumed = _fit(panel, steps=30, valid_every=10, polyak_start=15, out_dir=tmp_path / "ck", resume=True)
    assert resumed.result.step == 30
    assert resumed.result.best_valid == full.result.best_valid
    for k, v in full.net.state_dict().items():
        torch.testing.assert_close(resumed.net.state_dict()[k], v, rtol=0, atol=0)


def test_deterministic_on_cpu(panel):
    a, b = _fit(panel, steps=10, valid_every=10), _fit(panel, steps=10, valid_every=10)
    for k, v in a.net.state_dict().items():
        assert torch.equal(v, b.net.state_dict()[k])


def test_non_finite_loss_stops_and_keeps_checkpoint(tmp_path):
    net = torch.nn.Linear(3, 1)
    x = torch.randn(16, 3, generator=torch.Generator().manual_seed(0))

    def loss_fn(net, rng, gen):
        loss = net(x).pow(2).mean()
        return loss * float("nan") if loss_fn.calls == 7 else loss

    def counted(net, rng, gen):
        loss_fn.calls += 1
        return loss_fn(net, rng, gen)

    loss_fn.calls = 0
    s = TrainSettings(steps=20, lr=0.01, valid_every=5, out_dir=tmp_path, progress=False)
    res = Trainer(net, counted, lambda n: float(n(x).pow(2).mean()), s, torch.device("cpu")).run()
    assert res.stopped == "non_finite" and res.step == 6 and "lower the learning rate" in res.message
    assert all(torch.isfinite(v).all() for v in res.best_state.values())
    assert ckpt.load_checkpoint(tmp_path)["meta"]["step"] == 5  # the last good checkpoint
    s.valid_every = 10
    loss_fn.calls = 0
    with pytest.raises(ModelError):
        Trainer(torch.nn.Linear(3, 1), counted, lambda n: 0.0, s, torch.device("cpu")).run()


def test_train_command_neuralfactors_and_resume(tmp_path, capsys):
    out = tmp_path / "nf"
    args = ["train", "--model", "neuralfactors", "--dataset", "synthetic", "--preset", "tiny", "--device", "cpu",
            "--set", "steps=6", "--set", "valid_every=3", "--set", "valid_days=5", "--out", str(out)]
    assert main(args + ["--max-steps", "3"]) == 0
    assert "--resume" in capsys.readouterr().out
    assert main(args + ["--resume"]) == 0
    assert "step 6" in capsys.readouterr().out
    assert (out / "weights.safetensors").exists() and (out / "checkpoint" / "checkpoint.json").exists()
    final = progress.last(out / progress.FILE)       # the dashboard's channel: the resumed run appended to it
    assert (final["step"], final["total"], final["stopped"]) == (6, 6, "done") and final["best_valid"] is not None


def test_train_command_errors(tmp_path, capsys):
    assert main(["train", "--model", "no-such-model", "--dataset", "synthetic", "--out", str(tmp_path)]) == 2
    assert main(["train", "--model", "neuralfactors", "--dataset", "synthetic", "--set", "bogus=1",
                 "--out", str(tmp_path)]) == 2
    assert main(["train", "--model", "neuralfactors", "--dataset", "synthetic", "--resume",
                 "--out", str(tmp_path / "none")]) == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize("model, extra, message", [
    # a value of the wrong kind ends in a one-line error naming the setting, for NF and the other models
    ("neuralfactors", ["--set", "hidden=abc"], "hidden='abc' should be an integer"),
    ("ca1", ["--set", "hidden=32"], "hidden=32 should be a list"),
    # --device is NeuralFactors-only; --seed only for models with a seed
    ("ledoit-wolf", ["--device", "cpu"], "apply to neuralfactors only"),
    ("ledoit-wolf", ["--seed", "3"], "no random seed"),
])
def test_train_command_option_errors(tmp_path, capsys, model, extra, message):
    assert main(["train", "--model", model, "--dataset", "synthetic", *extra, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_parse_overrides_and_device(monkeypatch):
    assert parse_overrides(["a=1", "b=0.5", "c=true", "d=lstm", "e=[1,2]"]) == {
        "a": 1, "b": 0.5, "c": True, "d": "lstm", "e": [1, 2]}
    monkeypatch.setenv("NEURALFACTORS_DEVICE", "cpu")
    assert resolve_device("auto").type == "cpu"


def test_train_command_passes_seed_to_models_that_have_one(tmp_path, monkeypatch):
    import core.models.training_run as base

    seen = {}

    def capture(name, **config):
        seen.update(config)
        raise ModelError("captured")

    monkeypatch.setattr(base, "create_model", capture)
    assert main(["train", "--model", "ca1", "--dataset", "synthetic", "--seed", "7", "--set", "n_seeds=1",
                 "--out", str(tmp_path)]) == 2
    assert seen == {"seed": 7, "n_seeds": 1}
