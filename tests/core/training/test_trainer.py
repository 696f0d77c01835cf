"""The one trainer: every network of the package trains through it, its callbacks, skipped steps, the cosine
schedule across a resume, and a source check that no other module runs an optimiser."""
import ast
from pathlib import Path

import numpy as np
import pytest
import torch

from core.data.synthetic import make_market
from core.models.registry import create_model
from core.training import trainer as trainer_module
from core.training.trainer import Callback, Trainer, TrainSettings

ROOT = Path(__file__).resolve().parents[3]


def _quadratic():
    x = torch.randn(16, 3, generator=torch.Generator().manual_seed(0))
    return (lambda n, rng, gen: n(x).pow(2).mean()), (lambda n: float(n(x).pow(2).mean()))


@pytest.fixture(scope="module")
def panel():
    return make_market(n_stocks=10, n_dates=260, n_factors=2, seed=2)[0]


@pytest.mark.parametrize("name,settings", [
    ("neuralfactors", {"preset": "tiny", "device": "cpu", "steps": 4, "valid_every": 2}),
    ("factorvae", {"preset": "tiny", "steps": 4, "valid_every": 2}),
    ("ca0", {"max_epochs": 2, "n_seeds": 2}),
    ("ca3", {"max_epochs": 1, "n_seeds": 1}),
])
def test_every_network_trains_through_the_one_trainer(panel, monkeypatch, name, settings):
    runs = []
    original = Trainer.run

    def counted(self):
        result = original(self)
        runs.append((type(self.net).__name__, result.step))
        return result

    monkeypatch.setattr(Trainer, "run", counted)
    create_model(name, **settings).fit(panel, panel.split_dates("train"), panel.split_dates("valid"))
    members = settings.get("n_seeds", 1)
    assert len(runs) == members and all(step > 0 for _, step in runs), runs


def test_no_module_outside_core_training_runs_an_optimiser():
    """Adam, backward() and learning-rate schedules belong to core/training/trainer.py only."""
    found = []
    for path in (ROOT / "core").rglob("*.py"):
        if path.parent.name == "training" and path.parent.parent.name == "core":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("optim", "backward", "lr_scheduler"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert found == []


def test_the_source_check_sees_a_hand_rolled_optimiser():
    tree = ast.parse("opt = torch.optim.Adam(net.parameters())\nloss.backward()")
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert {"optim", "backward"} <= attrs


def test_a_skipped_step_counts_but_does_not_update():
    net = torch.nn.Linear(3, 1)
    start = {k: v.clone() for k, v in net.state_dict().items()}
    loss, valid = _quadratic()
    res = Trainer(net, lambda n, rng, gen: None, valid, TrainSettings(steps=4, lr=0.1, valid_every=2, progress=False),
                  torch.device("cpu")).run()
    assert res.step == 4 and all(torch.equal(v, start[k]) for k, v in res.best_state.items())


def test_min_delta_counts_small_improvements_as_none():
    scores = iter([1.0, 0.9999999, 0.9999998, 0.5])
    net = torch.nn.Linear(3, 1)
    loss, _ = _quadratic()
    s = TrainSettings(steps=8, lr=0.01, valid_every=2, patience=2, min_delta=1e-6, progress=False)
    res = Trainer(net, loss, lambda n: next(scores), s, torch.device("cpu")).run()
    assert res.stopped == "early_stop" and res.step == 6 and res.best_valid == 1.0


def test_cosine_schedule_resumes_where_it_stopped(tmp_path):
    loss, valid = _quadratic()

    def run(**kw):
        torch.manual_seed(0)
        net = torch.nn.Linear(3, 1)
        s = TrainSettings(steps=12, lr=0.05, valid_every=3, schedule="cosine", progress=False, **kw)
        return Trainer(net, loss, valid, s, torch.device("cpu")).run(), net

    full, _ = run()
    part, _ = run(max_steps=7, out_dir=tmp_path)
    assert part.stopped == "max_steps"
    resumed, net = run(out_dir=tmp_path, resume=True)
    assert resumed.step == 12 and resumed.best_valid == full.best_valid
    for k, v in full.best_state.items():
        assert torch.equal(resumed.best_state[k], v)


def test_the_cosine_schedule_decays_the_rate_to_zero():
    loss, valid = _quadratic()
    net = torch.nn.Linear(3, 1)
    rates = []

    class Rate(Callback):
        def after_step(self, t):
            rates.append(t.opt.param_groups[0]["lr"])

    s = TrainSettings(steps=10, lr=0.1, valid_every=5, schedule="cosine", progress=False)
    Trainer(net, loss, valid, s, torch.device("cpu"), callbacks=[Rate()]).run()
    assert rates[0] < 0.1 and np.all(np.diff(rates) < 0) and rates[-1] == pytest.approx(0.0, abs=1e-12)


def test_an_unknown_schedule_names_the_choices():
    with pytest.raises(trainer_module.ModelError, match="constant, cosine"):
        TrainSettings(steps=1, lr=0.1, valid_every=1, schedule="step")


# --- keep-best under a guard (a fine-tune's selection: core.models.neuralfactors.finetune) --------------------------

def _scripted(valids, guards):
    """A trainer whose validations score `valids` in turn and whose guard scores `guards` in turn (called only for a
    state that beats the best kept so far); the reference scores 1.0 on validation and 0.5 on the guard."""
    from core.training.trainer import Guard

    torch.manual_seed(0)
    net = torch.nn.Linear(3, 1)
    start = {k: v.clone() for k, v in net.state_dict().items()}
    loss, _ = _quadratic()
    v, g, calls = iter(valids), iter(guards), []

    def guard_fn(n):
        calls.append(1)
        return next(g)

    guard = Guard("calib_port", guard_fn, reference=0.5, reference_valid=1.0)
    s = TrainSettings(steps=2 * len(valids), lr=0.05, valid_every=2, progress=False)
    return Trainer(net, loss, lambda n: next(v), s, torch.device("cpu"), guard=guard).run(), start, calls


def test_a_guard_keeps_the_lowest_validation_among_states_no_worse_on_the_guard():
    res, _, calls = _scripted([0.9, 0.8, 0.7, 0.95], [0.4, 0.6, 0.5])
    sel = res.selection
    assert sel["kept"] and sel["step"] == 6 and res.best_step == 6 and res.best_valid == 0.7
    assert sel["calib_port"] == 0.5 <= sel["reference"]["calib_port"] and sel["candidates"] == 4
    assert len(calls) == 3  # step 8 (0.95) could not be chosen: its guard is not scored
    rows = {h["step"]: h for h in res.history}
    assert rows[0]["reference"] and rows[0]["valid"] == 1.0 and rows[0]["calib_port"] == 0.5
    assert rows[4]["qualified"] is False and "calib_port" not in rows[8]


def test_a_guard_that_every_step_worsens_keeps_the_start():
    res, start, _ = _scripted([0.9, 0.8, 0.7], [0.51, 0.6, 0.9])
    assert res.selection["kept"] is False and res.selection["step"] is None
    assert res.best_step == 0 and res.best_valid == 1.0
    assert all(torch.equal(res.best_state[k], v) for k, v in start.items())


def test_a_guarded_run_resumes_to_the_same_choice(tmp_path):
    from core.training.trainer import Guard

    loss, valid = _quadratic()

    def run(**kw):
        torch.manual_seed(0)
        net = torch.nn.Linear(3, 1)
        with torch.no_grad():
            ref, ref_valid = float(net.weight.norm()), valid(net)  # the guard: weights no larger than the start's
        guard = Guard("norm", lambda n: float(n.weight.norm()), reference=ref, reference_valid=ref_valid)
        s = TrainSettings(steps=12, lr=0.05, valid_every=3, progress=False, **kw)
        return Trainer(net, loss, valid, s, torch.device("cpu"), guard=guard).run()

    full = run()
    assert run(max_steps=7, out_dir=tmp_path).stopped == "max_steps"
    resumed = run(out_dir=tmp_path, resume=True)
    assert full.selection["kept"] and full.best_step > 0
    assert resumed.selection == full.selection and resumed.best_step == full.best_step
    assert all(torch.equal(resumed.best_state[k], v) for k, v in full.best_state.items())


def test_a_resume_that_validates_on_other_days_compares_like_with_like(tmp_path):
    """A resumed run may validate on other days than the run before it (a run shorter than its validation interval
    is validated on a subset): the kept weights are scored again on this run's days, so a later step is kept when
    it beats them there, not against a score of other days (here 10 lower: nothing would be kept again)."""
    loss, valid = _quadratic()
    shifted = lambda n: valid(n) + 10.0  # noqa: E731 - the other days' scores: every one 10 higher

    def run(valid_fn, **kw):
        torch.manual_seed(0)
        net = torch.nn.Linear(3, 1)
        s = TrainSettings(steps=12, lr=0.05, valid_every=3, progress=False, **kw)
        return Trainer(net, loss, valid_fn, s, torch.device("cpu")).run(), net

    first, _ = run(valid, max_steps=7, out_dir=tmp_path)
    assert first.best_step == 6
    resumed, net = run(shifted, out_dir=tmp_path, resume=True)
    assert resumed.best_step == 12  # the loss keeps falling: the last validation beats the kept step on its days
    net.load_state_dict(resumed.best_state)
    with torch.no_grad():
        assert resumed.best_valid == shifted(net)


def test_a_guarded_resume_with_nothing_kept_yet_keeps_the_references_bar(tmp_path):
    """Stopped before any step was kept (step 0 = the reference), a guarded run resumes against the guard's
    reference_valid, as a run never interrupted does, not against its start weights scored again (a fine-tune's
    reference is the start model as served, which may score otherwise): here no step beats the reference, so
    neither run keeps one."""
    from core.training.trainer import Guard

    loss, valid = _quadratic()

    def run(**kw):
        torch.manual_seed(0)
        net = torch.nn.Linear(3, 1)
        with torch.no_grad():
            bar = valid(net) - 1000.0  # the reference's validation: better than any step of this run
        guard = Guard("zero", lambda n: 0.0, reference=0.0, reference_valid=bar)
        s = TrainSettings(steps=12, lr=0.05, valid_every=3, progress=False, **kw)
        return Trainer(net, loss, valid, s, torch.device("cpu"), guard=guard).run()

    full = run()
    assert not full.selection["kept"] and full.best_step == 0
    assert run(max_steps=2, out_dir=tmp_path).stopped == "max_steps"
    resumed = run(out_dir=tmp_path, resume=True)
    assert resumed.selection == full.selection and resumed.best_step == 0
