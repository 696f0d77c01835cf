"""core.workbench.codec: views' results written as JSON plus arrays and read back equal, pickle-free."""
import json

import numpy as np
import pandas as pd
import pytest

from core.errors import CheckpointError
from core.workbench import codec
from core.workbench.stress import Window

CLASSES = {"core.workbench.stress.Window": Window}


def _roundtrip(obj):
    arrays: dict[str, np.ndarray] = {}
    text = json.dumps(codec.encode(obj, arrays), allow_nan=False)  # strict JSON: no NaN literal
    return codec.decode(json.loads(text), arrays, CLASSES), arrays


def test_frames_come_back_equal_with_their_dtypes_and_index():
    dates = pd.bdate_range("2020-01-01", periods=4, name="date")
    frame = pd.DataFrame({"suggested name": ["market", "Energy", None, "f4 (unnamed)"], "corr": [0.9, np.nan, 0.3, 0.0],
                          "n_dates": [250, 250, 250, 250], "named": [True, True, False, False]},
                         index=pd.Index(["f1", "f2", "f3", "f4"], name="factor"))
    back, _ = _roundtrip(frame)
    pd.testing.assert_frame_equal(back, frame)
    series = pd.Series([0.01, -0.02, np.inf, np.nan], index=dates, name="VaR 95%")
    back, _ = _roundtrip(series)
    pd.testing.assert_series_equal(back, series, check_freq=True)
    by_date = pd.DataFrame(np.arange(8.0).reshape(4, 2), index=dates, columns=["VaR 95%", "return"])
    pd.testing.assert_frame_equal(_roundtrip(by_date)[0], by_date)


def test_containers_scalars_and_allowed_dataclasses():
    window = Window("2008 GFC", pd.Timestamp("2008-09-01"), pd.Timestamp("2008-11-20"), "a source")
    obj = {0.95: (1, "x", None, float("nan")), "w": [window, pd.NaT, np.float64(2.5), np.int64(3)],
           "a": np.array([[1.0, 2.0]]), "i": pd.DatetimeIndex(["2020-01-02"])}
    back, _ = _roundtrip(obj)
    assert list(back) == [0.95, "w", "a", "i"] and back[0.95][:3] == (1, "x", None) and np.isnan(back[0.95][3])
    assert back["w"][0] == window and back["w"][1] is pd.NaT and back["w"][2:] == [2.5, 3]
    np.testing.assert_array_equal(back["a"], obj["a"])
    pd.testing.assert_index_equal(back["i"], obj["i"])


def test_the_same_numbers_are_stored_once():
    dates = pd.bdate_range("2020-01-01", periods=50)
    _, arrays = _roundtrip([pd.Series(np.ones(50), index=dates), pd.Series(np.zeros(50), index=dates)])
    assert len(arrays) == 3  # one dates index, two value arrays


def test_a_file_naming_other_code_is_refused():
    value = {"dataclass": "os.system", "fields": {"command": "true"}}
    with pytest.raises(CheckpointError, match="not a stored result type"):
        codec.decode(value, {}, CLASSES)
    with pytest.raises(CheckpointError, match="missing"):
        codec.decode({"array": "a0"}, {}, CLASSES)


def test_what_cannot_be_stored_is_said():
    with pytest.raises(CheckpointError, match="cannot store a object"):
        codec.encode(object(), {})
    with pytest.raises(CheckpointError, match="time-zone"):
        codec.encode(pd.Timestamp("2020-01-01", tz="UTC"), {})
