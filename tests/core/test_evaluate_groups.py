"""Settings.groups: an evaluation restricted to some metric groups gives the same numbers for them."""
import pytest

from core.errors import ModelError
from core.evaluate import METRIC_GROUPS, METRICS, Settings, evaluate_models

SMALL = dict(portfolio_samples=500, marginal_samples=200, iwae_k=10, calibration_samples=50)


@pytest.fixture(scope="module")
def panel():
    from core.data.synthetic import make_market

    return make_market(n_stocks=10, n_dates=250, n_factors=2, seed=5)[0]


def test_groups_cover_every_metric_once():
    names = [m for group in METRIC_GROUPS.values() for m in group]
    assert sorted(names) == sorted(METRICS) and len(names) == len(set(names))


def test_restricted_groups_match_the_full_table(panel, tmp_path):
    full = evaluate_models(panel, ["ledoit-wolf"], "valid", pretrained_root=tmp_path, settings=Settings(**SMALL))
    part = evaluate_models(panel, ["ledoit-wolf"], "valid", pretrained_root=tmp_path,
                           settings=Settings(**SMALL, groups=("joint", "covariance", "portfolio")))
    kept = METRIC_GROUPS["joint"] + METRIC_GROUPS["covariance"] + METRIC_GROUPS["portfolio"]
    assert part.loc["ledoit-wolf", kept].equals(full.loc["ledoit-wolf", kept])
    assert full.loc["ledoit-wolf", kept].notna().all()
    dropped = [m for m in METRICS if m not in kept]
    assert part.loc["ledoit-wolf", dropped].isna().all()
    why = part.attrs["reasons"]["ledoit-wolf"]
    assert why["nll_ind"] == "not computed (metric group 'marginal' not requested)"
    assert all("not computed" in why[m] for m in dropped) and not set(why) & set(kept)


def test_unknown_group_is_refused():
    with pytest.raises(ModelError, match="unknown metric group"):
        Settings(groups=("joint", "sharpes"))
