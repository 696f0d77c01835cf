"""Before and after adapting the shipped network to a universe: the validation scores of zero-shot, the fine-tune
(raw and through the calibration layer, as served) and PPCA, side by side.

The fine-tune already scored zero-shot and the step it kept with `evaluate`'s calib_port on the validation days
(core.models.neuralfactors.finetune, its selection rule): where it recorded those scores for this table's very days
they are read, not drawn again (10,000 portfolio scenarios a day of every stock's Student-t noise); the rest is
core.evaluation.tables.
"""
from __future__ import annotations

import pandas as pd

from core.evaluation import tables
from core.models.neuralfactors.finetune import recorded_calib_port
from core.runs import training_record
from core.workbench.keys import run_key
from core.workbench.sources import forecast_dates

RECORDED = "as the fine-tune's selection scored it on these validation days (evaluate's calib_port)"


def before_after(panel, run: str) -> pd.DataFrame:
    """Validation nll_joint and the portfolio metrics (calib_port ...) of the shipped NeuralFactors zero-shot, run
    `run` (a fine-tune's id) raw and through the calibration layer, and PPCA: models x tables.METRICS, with
    evaluate_models' attrs (reasons, nll_scale, dates). Zero-shot's and the raw run's calib_port are the fine-tune's
    recorded scores when it scored these days (their other portfolio metrics are then not computed: null, with the
    reason); otherwise every row is computed."""
    zero, adapted = "neuralfactors", run_key(run)
    names = [zero, adapted, adapted + "+cal", "ppca"]
    recorded = recorded_calib_port(training_record(run).get("selection"), forecast_dates(panel, "valid"))
    both = tables.Settings(groups=("joint", "portfolio"))
    if recorded is None:
        return tables.evaluate_models(panel, names, "valid", settings=both, recompute=False)
    read = tables.evaluate_models(panel, [zero, adapted], "valid", settings=tables.Settings(groups=("joint",)),
                                  recompute=False)
    drawn = tables.evaluate_models(panel, names[2:], "valid", settings=both, recompute=False)
    out = pd.concat([read, drawn]).reindex(names)
    out.loc[[zero, adapted], "calib_port"] = recorded
    reasons = read.attrs["reasons"] | drawn.attrs["reasons"]
    for name in (zero, adapted):
        reasons[name] = {m: why for m, why in reasons[name].items() if m != "calib_port"} | {"calib_port": RECORDED}
    out.attrs = drawn.attrs | {"reasons": reasons}
    return out
