"""core.workbench.keys: the one grammar of dataset and model keys."""
import pytest

from core.errors import ModelError
from core.workbench.keys import (DatasetKey, ModelKey, dataset_label, model_label, parse_dataset, parse_model,
                                 resplit_key, run_key, upload_key)


def test_dataset_keys_round_trip():
    for key in ("sp500-20", "synthetic", "upload:3f2a9c01bd", "upload:3f2a9c01bd@2015-12-31,2018-12-31"):
        assert str(parse_dataset(key)) == key
    k = parse_dataset("upload:3f2a9c01bd@2015-12-31,2018-12-31")
    assert k == DatasetKey(upload="3f2a9c01bd", split=("2015-12-31", "2018-12-31"))
    assert k.is_upload and k.base == "upload:3f2a9c01bd"
    assert not parse_dataset("sp500-20").is_upload and parse_dataset("sp500-20").base == "sp500-20"


def test_upload_and_resplit_keys():
    key = upload_key("ab" * 32)  # a stored file's id (SHA-256 hex of owner and bytes)
    assert key == "upload:" + "ab" * 8 and key != upload_key("cd" * 32)
    again = resplit_key(f"{key}@2001-01-01,2002-01-01", "2015-12-31 00:00", "2018-12-31")
    assert again == f"{key}@2015-12-31,2018-12-31"


def test_a_malformed_split_names_the_fix():
    with pytest.raises(ModelError, match="<train end>,<valid end>"):
        parse_dataset("upload:abc@2015-12-31")


def test_dataset_labels():
    assert dataset_label("synthetic") == "synthetic (SYNTHETIC data)"
    assert dataset_label("sp500-20") == "sp500-20"
    assert dataset_label("upload:abc@2015-12-31,2018-12-31", "prices.csv") == \
        "uploaded: prices.csv (split 2015-12-31,2018-12-31)"
    assert dataset_label("upload:abc") == "uploaded: upload:abc"


def test_model_keys():
    assert parse_model("run:20240101-abc") == ModelKey(run="20240101-abc")
    assert run_key("20240101-abc") == "run:20240101-abc"
    assert str(parse_model("run:x")) == "run:x" and str(parse_model("ppca")) == "ppca"
    assert parse_model("ppca").registered
    assert not parse_model("truth").registered and not parse_model("run:x").registered
    assert model_label("truth") == "truth (synthetic ground truth)" and model_label("run:x") == "run:x"
    assert model_label("ledoit-wolf") != "ledoit-wolf"  # the registry's label


def test_calibrated_keys_round_trip_and_keep_their_base():
    from core.workbench.keys import check_model_keys, model_label, parse_model

    for key, base in [("neuralfactors+cal", "neuralfactors"), ("run:20240101-abc+cal", "run:20240101-abc")]:
        parsed = parse_model(key)
        assert parsed.calibrated and parsed.base == base and str(parsed) == key
    assert not parse_model("ppca").calibrated
    assert model_label("ppca+cal").endswith("+ calibration layer")
    assert check_model_keys(["ppca+cal", "run:x+cal"]) == ["ppca+cal", "run:x+cal"]
    with pytest.raises(ModelError, match="unknown model"):
        check_model_keys(["nosuch+cal"])
