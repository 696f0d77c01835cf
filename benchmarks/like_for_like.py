"""`python -m benchmarks like_for_like`: every joint model raw and through its own calibration layer ("+cal", the
layer each model takes by the rule of benchmarks/layer_rule.py), on sp500-20's validation and test splits, and the
portfolio families of the calibrated variants on test; writes <out>/bench_like_for_like.md.

Metrics: nll_joint, cov_mse, calib_port, var99_rate, kupiec_p99 (core/evaluation/tables.py: the raw models' shipped
metrics, the calibrated variants computed from the shipped forecasts and the shipped layers), then per family the calibration error and the 99% VaR breach rate with the 95% range of
a calibrated model (core/evaluation/families.py). `--quick`: three models, validation only, no families.
"""
from __future__ import annotations

import sys

import numpy as np

from benchmarks import COMMAND, write

MODELS = ("neuralfactors", "factorvae", "ca0", "ca1", "ca2", "ca3", "pca", "ppca", "ipca", "ts-regression",
          "xs-regression", "sample", "ledoit-wolf", "ewma")
COLUMNS = ("nll_joint", "cov_mse", "calib_port", "var99_rate", "kupiec_p99")


def _table(panel, split: str, models, workers: int) -> list[str]:
    import pandas as pd

    from core.evaluation.tables import Settings, evaluate_models

    raw = evaluate_models(panel, list(models), split, recompute=False, log=sys.stderr)  # the shipped metrics
    cal = evaluate_models(panel, [f"{m}+cal" for m in models], split, recompute=True, workers=workers, log=sys.stderr,
                          settings=Settings(groups=("joint", "covariance", "portfolio")))
    table = pd.concat([raw, cal]).loc[[k for m in models for k in (m, f"{m}+cal")]]
    lines = [f"### {split}", "", "| model | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for name, row in table.iterrows():
        lines.append(f"| {name} | " + " | ".join("n/a" if np.isnan(row[c]) else f"{row[c]:.4g}" for c in COLUMNS) + " |")
    best = {c: table.loc[[f"{m}+cal" for m in models], c].idxmin() for c in ("nll_joint", "cov_mse", "calib_port")}
    lines += ["", "Lowest among the calibrated variants: " + "; ".join(f"{c} {n}" for c, n in best.items()), ""]
    return lines


def run(out: str = ".", quick: bool = False) -> int:
    from core.data.embedded import load_dataset
    from core.evaluation.families import family_table, table_markdown
    from core.training.threads import available_cores, limit_math_threads

    limit_math_threads(1)
    panel = load_dataset("sp500-20")
    models = MODELS[:1] + MODELS[7:8] + MODELS[12:13] if quick else MODELS
    lines = ["# Like for like: every joint model raw and through its own calibration layer (sp500-20)", "",
             f"Printed by `{COMMAND} like_for_like --out docs`; what is computed: benchmarks/like_for_like.py.", ""]
    for split in ("valid",) if quick else ("valid", "test"):
        lines += _table(panel, split, models, available_cores())
    if not quick:
        families = family_table(panel, [f"{m}+cal" for m in models], "test", log=sys.stderr)
        lines += ["### Portfolio families of the calibrated variants, test", "", table_markdown(families)]
    write(out, "like_for_like", "\n".join(lines))
    return 0
