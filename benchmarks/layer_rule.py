"""`python -m benchmarks layer_rule`: the covariance update offered to every joint model, decided per model on the
VALIDATION split by one written rule (docs/neuralfactors_tuning.md, issue 31); writes <out>/bench_layer_rule.md.

The rule (the same for every model): among half-lives {63, 126, 252, all days} of the update's EWMA weights, keep
those that do not worsen validation nll_joint by more than 0.001 against the raw model; of those take the lowest
validation cov_mse; the model's "+cal" layer takes the update at that half-life only if its cov_mse is at least 5%
below the raw model's, else its layer is the PIT maps alone. The test split is never read here.
Models: every joint model with shipped forecasts on sp500-20. `--quick`: two models, one half-life.
"""
from __future__ import annotations

import sys

from benchmarks import COMMAND, write

HALF_LIVES = (63.0, 126.0, 252.0, None)
NLL_SLACK = 0.001
MIN_GAIN = 0.05
MODELS = ("neuralfactors", "factorvae", "ca0", "ca1", "ca2", "ca3", "pca", "ppca", "ipca", "ts-regression",
          "xs-regression", "sample", "ledoit-wolf", "ewma")


def readings(panel, name: str, half_lives, settings) -> dict:
    """{half-life (None = all days, "raw" = no update): (nll_joint, cov_mse)} of one model on validation."""
    from core.data.features import FeatureScaler
    from core.evaluation.tables import evaluate_series
    from core.risk.covariance_update import corrected, fit_corrections
    from core.workbench.sources import forecast_dates, forecasts

    scale = FeatureScaler.fit(panel, panel.split_dates("train")).return_scale
    valid = forecast_dates(panel, "valid")
    base = forecasts(panel, name, valid, None, log=sys.stderr).series  # an update at t reads days before t only
    out = {}
    for hl in ("raw", *half_lives):
        series = base if hl == "raw" else corrected(base, *fit_corrections(panel, base, valid[0], hl))
        values, _ = evaluate_series(panel, series, "valid", scale, settings)
        out[hl] = (values["nll_joint"], values["cov_mse"])
        print(f"{name} {hl}: nll_joint {out[hl][0]:.6f} cov_mse {out[hl][1]:.6f}", file=sys.stderr, flush=True)
    return out


def decide(reads: dict) -> float | None | str:
    """The rule: the adopted half-life (None = all days), or "maps only"."""
    nll0, cov0 = reads["raw"]
    ok = {hl: v for hl, v in reads.items() if hl != "raw" and v[0] <= nll0 + NLL_SLACK}
    if not ok:
        return "maps only"
    best = min(ok, key=lambda hl: ok[hl][1])
    return best if ok[best][1] <= (1 - MIN_GAIN) * cov0 else "maps only"


def _label(half_life) -> str:
    return {None: "all", "raw": "none"}.get(half_life) or f"{half_life:g}"


def run(out: str = ".", quick: bool = False) -> int:
    from core.data.embedded import load_dataset
    from core.evaluation.tables import Settings
    from core.training.threads import limit_math_threads

    limit_math_threads()
    panel = load_dataset("sp500-20")
    models, half_lives = (MODELS[7:9], (252.0,)) if quick else (MODELS, HALF_LIVES)
    settings = Settings(groups=("joint", "covariance"))
    lines = ["# The covariance update, offered to every joint model (validation split of sp500-20)", "",
             f"Printed by `{COMMAND} layer_rule --out docs`; rule: the module docstring of benchmarks/layer_rule.py.",
             "", "| model | half-life | nll_joint | cov_mse |", "|---|---|---|---|"]
    decisions = []
    for name in models:
        reads = readings(panel, name, half_lives, settings)
        for hl, (nll, cov) in reads.items():
            lines.append(f"| {name} | {_label(hl)} | {nll:.6f} | {cov:.6f} |")
        choice = decide(reads)
        decisions.append(f"- {name}: " + (choice if isinstance(choice, str) else f"update at {_label(choice)} days"))
    write(out, "layer_rule", "\n".join(lines + ["", "Decisions by the rule:", *decisions, ""]))
    return 0
