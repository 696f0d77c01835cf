"""benchmarks/train.py: the timed steps record the thread setting; the sweep table reads its runs."""
import torch

from benchmarks.train import sweep_table, time_steps
from core.data.synthetic import make_market


def test_bench_train_records_the_thread_setting():
    panel = make_market(n_stocks=10, n_dates=260, n_factors=2, seed=2)[0]
    before = torch.get_num_threads()
    try:
        row = time_steps(panel, "tiny", 2, "cpu", threads=1)
    finally:
        torch.set_num_threads(before)
    assert row["threads"] == 1 and row["steps_per_s"] > 0 and row["device"] == "cpu"
    table = sweep_table([{"busy": 0, "setting": 1, "threads": 1, "runs": [5.0, 7.0]}])
    assert "| 0 | 1" in table and "| 6.00 | 5.00, 7.00 |" in table
