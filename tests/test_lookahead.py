"""The look-ahead helpers themselves (tests/lookahead.py): the shift a planted leak makes, and a check that can
neither pass on a leak nor pass when the change reaches nothing."""
import numpy as np
import pandas as pd
import pytest

from tests.lookahead import applied_early, assert_no_lookahead, changed_pits, grid_cuts, one_day_ahead, reading_ahead


def _cumulative(x: np.ndarray) -> dict[str, np.ndarray]:
    """A schedule right by construction: row t is the sum of the data rows <= t (row t holds day t)."""
    return {"sum": np.cumsum(x, axis=0)}


def test_one_day_ahead_moves_rows_up_and_keeps_the_last():
    a = np.arange(4.0)
    assert np.array_equal(one_day_ahead(a), [1.0, 2.0, 3.0, 3.0])
    frame = pd.DataFrame({"x": a}, index=pd.bdate_range("2020-01-01", periods=4))
    assert one_day_ahead(frame)["x"].tolist() == [1.0, 2.0, 3.0, 3.0] and one_day_ahead(frame).index.equals(frame.index)
    assert np.array_equal(one_day_ahead((a, {"b": a}))[1]["b"], [1.0, 2.0, 3.0, 3.0])


def test_grid_cuts_are_before_on_and_off_the_second_refit():
    assert grid_cuts(40, 7) == {"before": 46, "on": 47, "off": 50}
    assert grid_cuts(40, 7, "maps") == {"maps before": 46, "maps on": 47, "maps off": 50}


def test_the_check_passes_on_the_past_fails_on_a_leak_and_on_a_dead_change():
    x = np.random.default_rng(0).uniform(size=(30, 2))
    cuts = {"a": 5, "b": 20}
    assert_no_lookahead(_cumulative, x, lambda d, t: changed_pits(d, t + 1), cuts)  # rows > t hold days after t
    with pytest.raises(AssertionError, match="look-ahead: sum at row 5"):
        assert_no_lookahead(reading_ahead(_cumulative), x, lambda d, t: changed_pits(d, t + 1), cuts)
    with pytest.raises(AssertionError, match="look-ahead: sum at row 5"):
        assert_no_lookahead(applied_early(_cumulative), x, lambda d, t: changed_pits(d, t + 1), cuts)
    with pytest.raises(AssertionError, match="dead check"):
        assert_no_lookahead(_cumulative, x, lambda d, t: d, cuts)
