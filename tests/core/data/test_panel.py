"""Panel invariants: a malformed Panel raises DataError when it is built."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.panel import Panel, Split
from core.errors import DataError


def _parts(n_dates: int = 5, tickers=("A", "B")):
    dates = pd.bdate_range("2020-01-01", periods=n_dates, name="date")
    returns = pd.DataFrame(np.full((n_dates, len(tickers)), 0.01), index=dates, columns=list(tickers))
    meta = pd.DataFrame({"name": list(tickers), "sector": "S", "industry": "I"}, index=list(tickers))
    return returns, meta


def test_valid_panel_and_accessors():
    r, m = _parts()
    r.iloc[0, 1] = np.nan
    p = Panel(returns=r, meta=m, benchmark=r["A"].rename("B0"), split=Split(r.index[2], r.index[3]))
    assert p.n_tickers == 2 and p.tickers == ["A", "B"]
    assert list(p.split_dates("train")) == list(r.index[:3]) and list(p.split_dates("test")) == [r.index[4]]
    assert p.date_position(r.index[3]) == 3
    sub = p.select(["B"], end=r.index[1])
    assert sub.returns.shape == (2, 1) and len(sub.benchmark) == 2


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda r, m, kw: kw.update(returns=r.iloc[::-1]), "sorted and unique"),
        (lambda r, m, kw: kw.update(returns=pd.concat([r, r.iloc[[-1]]])), "sorted and unique"),
        (lambda r, m, kw: kw.update(returns=r.set_axis(["A", "A"], axis=1), meta=m.set_axis(["A", "A"])), "duplicate tickers"),
        (lambda r, m, kw: kw.update(returns=r.replace(0.01, np.inf)), "inf"),
        (lambda r, m, kw: kw.update(returns=r.reset_index(drop=True)), "DatetimeIndex"),
        (lambda r, m, kw: kw.update(meta=m.iloc[::-1]), "same tickers"),
        (lambda r, m, kw: kw.update(meta=m.drop(columns="sector")), "lacks columns"),
        (lambda r, m, kw: kw.update(features={"v": r.iloc[:-1]}), "not aligned"),
        (lambda r, m, kw: kw.update(features={"v": r * np.inf}), "contains inf"),
        (lambda r, m, kw: kw.update(benchmark=r["A"].iloc[1:]), "benchmark must have exactly the dates"),
        (lambda r, m, kw: kw.update(factors=r.iloc[:, :1].shift(1, freq="D")), "factors must have exactly the dates"),
        (lambda r, m, kw: kw.update(frequency="hourly"), "frequency"),
    ],
)
def test_invariants_raise_data_error(mutate, message):
    r, m = _parts()
    kw = {"returns": r, "meta": m}
    mutate(r, m, kw)
    with pytest.raises(DataError, match=message):
        Panel(**kw)


def test_errors_for_unknown_dates_tickers_and_missing_split():
    r, m = _parts()
    p = Panel(returns=r, meta=m)
    with pytest.raises(DataError, match="no train/valid/test split"):
        p.split_dates("train")
    with pytest.raises(DataError, match="not a trading date"):
        p.date_position("1999-01-01")
    with pytest.raises(DataError, match="unknown tickers"):
        p.select(["ZZZ"])
