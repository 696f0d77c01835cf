"""core.workbench.topn: the largest few of a breakdown, the rest summed into one row."""
import pandas as pd
import pytest

from core.workbench.topn import largest


def test_largest_keeps_the_top_and_sums_the_rest():
    v = pd.Series({"a": 0.1, "b": -0.3, "c": 0.02, "d": 0.05})
    out = largest(v, top=2)
    assert list(out.index) == ["b", "a", "other (2)"]
    assert out["other (2)"] == pytest.approx(0.07) and out.sum() == pytest.approx(v.sum())
    assert list(largest(v, top=10).index) == ["b", "a", "d", "c"]


def test_largest_sums_the_rest():
    v = pd.Series({"a": 0.1, "b": -0.3, "c": 0.02})
    out = largest(v, top=1)
    assert list(out.index) == ["b", "other (2)"] and out.sum() == pytest.approx(v.sum())
