"""core.workbench.name_check: validation names checked on the date shown; rotating factors named on the date."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.errors import NotAvailable
from core.workbench import forecasts
from core.workbench.factor_names import MIN_CORR, factor_names, name_factors
from core.workbench.name_check import CHECK_DAYS, names_on, window_returns
from core.workbench.projection import in_today_coordinates
from tests.panels import with_returns


@pytest.fixture(scope="module")
def truth():
    from core.data.synthetic import default_synthetic

    panel = default_synthetic()[0]
    tr = forecasts(panel, "truth")
    return panel, tr, factor_names(panel, tr), panel.split_dates("test")[100]


@pytest.fixture(scope="module")
def ppca():
    from core.data.embedded import load_sp500_20

    panel = load_sp500_20()
    return panel, forecasts(panel, "ppca"), panel.split_dates("test")[300]


def test_a_validation_name_holds_on_the_date_or_is_dropped_with_a_word(truth):
    """The truth's names hold on a test date (its factor returns over the 63 days to it follow the same references);
    a name whose factor no longer follows its reference on the date (its sign turned, or another factor's reference)
    is dropped there: raw name and the date in its label, unnamed units, the check said."""
    panel, tr, named, date = truth
    held = names_on(panel, tr, date, named)
    has = named["best match"].astype(bool)
    assert has.any() and (held.loc[has, "on the date"] >= MIN_CORR).all()
    assert held["label"].equals(named["label"]) and held.loc[has, "check"].str.startswith("holds over the 63").all()
    market = named.index[named["best match"] == "market"][0]
    turned = named.copy()
    turned.loc[market, "sign"] = -turned.loc[market, "sign"]  # a name whose factor now moves against its reference
    out = names_on(panel, tr, date, turned)
    assert out.loc[market, "label"] == f"{market} (not market on {date.date()})"
    assert out.loc[market, "on the date"] < -MIN_CORR and out.loc[market, "best match"] == ""
    assert out.loc[market, "unit"] == "return per 1 sd of the factor" and np.isnan(out.loc[market, "correlation"])
    assert out.loc[market, "check"].startswith(f"dropped: below {MIN_CORR} over the 63 trading days to")
    others = named.index[has & (named.index != market)]
    assert out.loc[others, "label"].equals(named.loc[others, "label"])


def test_the_check_reads_no_day_after_the_date(truth, ppca):
    """Returns after the date replaced by noise: the names on the date are the same (the model's own factor returns
    and the projection of a rotating model alike); a day inside the window changed moves them."""
    for panel, f, date, named in [(truth[0], truth[1], truth[3], truth[2]), (*ppca, None)]:
        want = names_on(panel, f, date, named)
        rng = np.random.default_rng(0)
        later = panel.returns.copy()
        after = later.index > date
        later.loc[after] = rng.normal(0, 0.05, later.loc[after].shape)
        pd.testing.assert_frame_equal(names_on(with_returns(panel, later), f, date, named), want)
        inside = panel.returns.copy()
        inside.loc[date] = rng.normal(0, 0.05, inside.shape[1])
        assert not np.allclose(names_on(with_returns(panel, inside), f, date, named)["on the date"],
                               want["on the date"], equal_nan=True)


def test_a_rotating_model_is_named_on_the_date_in_its_coordinates(ppca):
    """PPCA has no validation names (no realised factor returns in one set of coordinates); on the date its factors
    are named from the stocks' returns over the 63 days to it projected on that date's exposures, so a forecast
    whose factors come in another order and sign carries the same names in that order and sign."""
    panel, f, date = ppca
    with pytest.raises(NotAvailable):
        factor_names(panel, f)
    out = names_on(panel, f, date, None)
    fc = f.series.at(date)
    window = panel.returns.loc[:date].tail(CHECK_DAYS)
    want = name_factors(panel, in_today_coordinates(window, fc))
    pd.testing.assert_frame_equal(out[want.columns.drop("window", errors="ignore")], want)
    assert out["window"].iloc[0] == f"63 trading days to {date.date()}" and out["n_dates"].iloc[0] == 63
    assert out["best match"].astype(bool).sum() >= 3 and out["suggested name"].is_unique
    order = np.arange(fc.n_factors)[::-1]
    flip = np.where(order % 2 == 0, -1.0, 1.0)
    s = f.series
    rotated = replace(f, series=replace(s, exposures=s.exposures[..., order] * flip))
    again = names_on(panel, rotated, date, None)
    names = [str(n) for n in s.factor_names]
    moved = {names[j]: names[k] for j, k in enumerate(order)}  # factor j of the rotated forecast is factor order[j]
    for new, old in moved.items():
        if out.loc[old, "best match"]:
            assert again.loc[new, "suggested name"] == out.loc[old, "suggested name"]
            assert again.loc[new, "on the date"] == pytest.approx(out.loc[old, "on the date"], abs=1e-9)
            assert again.loc[new, "sign"] == out.loc[old, "sign"] * flip[names.index(new)]


def test_too_short_a_history_cannot_be_named_on_its_date(ppca):
    panel, f, _ = ppca
    early = f.series.dates[0]
    returns = panel.returns.copy()
    returns.loc[:panel.dates[panel.dates.get_loc(early) - 5]] = np.nan  # 5 days of returns up to the date
    with pytest.raises(NotAvailable, match="5 days of factor returns up to .*: the factors cannot be named on it"):
        window_returns(with_returns(panel, returns), f, early)
