"""The one grammar of dataset and model keys (the dashboard's sidebar values and a shared link's query).

Dataset keys: an embedded dataset's name ("sp500-20", "synthetic"), or "upload:<sha1>[@<train end>,<valid end>]":
a file uploaded to this server, by the first 10 hex digits of the SHA-1 of its bytes, optionally re-split at two
dates (YYYY-MM-DD). Model keys: a registered model name, "truth" (the synthetic market's ground truth) or
"run:<id>" (a finished training run in the user data folder), either optionally followed by "+cal": the same
model's forecasts through the portfolio calibration layer (core/risk/recalibration.py)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.errors import ModelError
from core.models.registry import check_names, label

UPLOAD, RUN, TRUTH, CALIBRATED = "upload:", "run:", "truth", "+cal"


@dataclass(frozen=True)
class DatasetKey:
    """A parsed dataset key: an embedded `name`, or an `upload` digest with an optional re-split `split`
    ((train end, valid end), YYYY-MM-DD strings)."""

    name: str = ""
    upload: str = ""
    split: tuple[str, str] | None = None

    @property
    def is_upload(self) -> bool:
        return bool(self.upload)

    @property
    def base(self) -> str:
        """The key without its re-split: the upload as first loaded (an embedded name as it is)."""
        return f"{UPLOAD}{self.upload}" if self.upload else self.name

    def __str__(self) -> str:
        return self.base + (f"@{self.split[0]},{self.split[1]}" if self.split else "")


def parse_dataset(key: str) -> DatasetKey:
    """"upload:3f2a9c01bd@2015-12-31,2018-12-31" -> DatasetKey(upload="3f2a9c01bd", split=(...)); "sp500-20" ->
    DatasetKey(name="sp500-20"). ModelError for an upload key whose split is not two dates."""
    if not key.startswith(UPLOAD):
        return DatasetKey(name=key)
    digest, _, split = key[len(UPLOAD):].partition("@")
    if not split:
        return DatasetKey(upload=digest)
    ends = tuple(split.split(","))
    if len(ends) != 2 or not all(ends):
        raise ModelError(f"dataset key {key!r}: the split after '@' must be '<train end>,<valid end>' "
                         "(e.g. @2015-12-31,2018-12-31); upload the file again")
    return DatasetKey(upload=digest, split=ends)


def upload_key(file_id: str) -> str:
    """The dataset key of a user's stored file (core.workspaces.store: its id is SHA-256 of owner and bytes, so two
    users' keys of the same file differ): "upload:<first 16 hex digits of the id>"."""
    return f"{UPLOAD}{file_id[:16]}"


def resplit_key(key: str, train_end, valid_end) -> str:
    """The key of upload `key` re-split at (train_end, valid_end), any previous split replaced."""
    return str(DatasetKey(upload=parse_dataset(key).upload,
                          split=(str(pd.Timestamp(train_end).date()), str(pd.Timestamp(valid_end).date()))))


def dataset_label(key: str, upload_name: str | None = None) -> str:
    """A dataset key in words: "synthetic (SYNTHETIC data)", "uploaded: prices.csv (split 2015-12-31,2018-12-31)"
    (`upload_name`: the uploaded file's name, the key itself when unknown), an embedded name as it is."""
    if key == "synthetic":
        return "synthetic (SYNTHETIC data)"
    parsed = parse_dataset(key)
    if not parsed.is_upload:
        return key
    split = f" (split {parsed.split[0]},{parsed.split[1]})" if parsed.split else ""
    return f"uploaded: {upload_name if upload_name is not None else key}{split}"


@dataclass(frozen=True)
class ModelKey:
    """A parsed model key: a registered model or TRUTH (`name`), or a training run (`run`, its id); `calibrated`
    when its forecasts go through the calibration layer."""

    name: str = ""
    run: str = ""
    calibrated: bool = False

    @property
    def registered(self) -> bool:
        """A model of the registry (not the ground truth, not a run)."""
        return not self.run and self.name != TRUTH

    @property
    def base(self) -> str:
        """The key of the raw model (without the calibration layer)."""
        return f"{RUN}{self.run}" if self.run else self.name

    def __str__(self) -> str:
        return self.base + (CALIBRATED if self.calibrated else "")


def parse_model(key: str) -> ModelKey:
    """"run:20240101-abc" -> ModelKey(run="20240101-abc"); "ppca" -> ModelKey(name="ppca"); "ppca+cal" ->
    ModelKey(name="ppca", calibrated=True)."""
    calibrated = key.endswith(CALIBRATED)
    base = key[: -len(CALIBRATED)] if calibrated else key
    if base.startswith(RUN):
        return ModelKey(run=base[len(RUN):], calibrated=calibrated)
    return ModelKey(name=base, calibrated=calibrated)


def check_model_keys(keys: list[str]) -> list[str]:
    """`keys` unchanged when every registered base name is known (ModelError listing the known names otherwise)."""
    check_names([k.name for k in map(parse_model, keys) if k.registered])
    return keys


def run_key(run_id: str) -> str:
    """The model key of training run `run_id`: "run:<id>"."""
    return str(ModelKey(run=run_id))


def model_label(key: str) -> str:
    """A model key in words: the registry's label, "truth (synthetic ground truth)", a run key as it is; a
    calibrated key adds "+ calibration layer"."""
    parsed = parse_model(key)
    if parsed.calibrated:
        return f"{model_label(parsed.base)} + calibration layer"
    return "truth (synthetic ground truth)" if key == TRUTH else label(key)
