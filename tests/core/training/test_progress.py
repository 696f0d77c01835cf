"""The structured progress channel: JSON lines appended by the training loop (core.training.progress)."""
import json

import torch

from core.training import progress
from core.training.trainer import Trainer, TrainSettings


def test_append_and_last_round_trip_skip_torn_lines_and_write_nan_as_null(tmp_path):
    path = tmp_path / "run" / progress.FILE
    assert progress.last(path) is None
    progress.append(path, {"step": 1, "valid": float("nan")})
    progress.append(path, {"step": 2, "valid": 0.5})
    assert path.read_text().splitlines()[0] == '{"step": 1, "valid": null}'
    with open(path, "a") as fh:
        fh.write('{"step": 3, "val')                    # a writer stopped mid-line
    assert progress.last(path) == {"step": 2, "valid": 0.5}


def test_last_reads_only_the_tail_of_a_long_file(tmp_path):
    path = tmp_path / progress.FILE
    path.write_text("".join(json.dumps({"step": i, "pad": "x" * 50}) + "\n" for i in range(1000)))
    assert progress.last(path)["step"] == 999


def _run(tmp_path, **kw):
    net = torch.nn.Linear(3, 1)
    x = torch.randn(16, 3, generator=torch.Generator().manual_seed(0))
    s = TrainSettings(steps=6, lr=0.01, valid_every=3, progress=False, out_dir=tmp_path / "checkpoint",
                      progress_log=tmp_path / progress.FILE, **kw)
    return Trainer(net, lambda n, rng, gen: n(x).pow(2).mean(), lambda n: float(n(x).pow(2).mean()), s,
                   torch.device("cpu")).run()


def _records(tmp_path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / progress.FILE).read_text().splitlines()]


def test_the_loop_writes_progress_lines_and_a_final_record(tmp_path):
    res = _run(tmp_path)
    rows = _records(tmp_path)
    assert rows[0]["step"] == 1 and rows[0]["valid"] is None and rows[0]["total"] == 6
    assert {3, 6} <= {r["step"] for r in rows}                      # every validation step is reported
    assert [r["step"] for r in rows] == sorted(r["step"] for r in rows)
    assert all(set(r) >= {"step", "total", "elapsed", "eta", "train_loss", "valid"} for r in rows)
    final = rows[-1]
    assert final["stopped"] == "done" and final["best_valid"] == res.best_valid and final["eta"] == 0
    assert next(r for r in rows if r["step"] == 3)["valid"] == res.history[0]["valid"]


def test_a_resumed_run_appends_and_a_fresh_run_starts_the_file_again(tmp_path):
    _run(tmp_path, max_steps=3)
    first = _records(tmp_path)
    assert first[-1]["stopped"] == "max_steps" and first[-1]["total"] == 3
    _run(tmp_path, resume=True)
    resumed = _records(tmp_path)
    assert resumed[:len(first)] == first and resumed[-1]["step"] == 6 and resumed[-1]["stopped"] == "done"
    _run(tmp_path, max_steps=2)
    assert _records(tmp_path)[0]["step"] == 1 and _records(tmp_path)[-1]["step"] == 2
