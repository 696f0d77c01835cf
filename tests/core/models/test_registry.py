"""The registry answers capability questions from the classes; every class answers them."""
from pathlib import Path

from core.models.catalogue import CATALOGUE
from core.models.registry import check_names, label, model_class, model_names, models_where

CAPABILITIES = ("learned", "step_trained", "zero_shot", "quick_fit", "joint", "has_factors")


def test_every_model_declares_its_capabilities_and_build_settings(tmp_path):
    for name in model_names():
        cls = model_class(name)
        assert cls.name == name and cls.description and label(name)
        assert all(isinstance(getattr(cls, c), bool) for c in CAPABILITIES), name
        assert isinstance(cls.build_settings(None, "cpu", Path(tmp_path)), dict), name


def test_capability_queries_replace_name_lists():
    assert models_where(zero_shot=True) == ["neuralfactors", "factorvae"]
    assert set(models_where(learned=True)) == {"neuralfactors", "factorvae", "ca0", "ca1", "ca2", "ca3"}
    assert models_where(joint=False) == ["garch"]
    assert {"sample", "ledoit-wolf", "ewma", "garch"} == set(models_where(has_factors=False))
    assert list(CATALOGUE) == model_names() and check_names(["ppca"]) == ["ppca"]


def test_capability_flags_derive_from_the_declared_bases():
    import pandas as pd
    import pytest

    from core.models.protocol import Calibration, PosteriorFactorModel, RiskModel

    class Posterior(PosteriorFactorModel):
        has_factors = False  # a flag set by hand is overridden by the base it derives from
        calibration = Calibration(half_life=10.0)

        def fit(self, panel, train_dates, valid_dates): return self
        def forecast(self, panel, date): ...
        def save(self, path): ...
        @classmethod
        def load(cls, path): ...
        def factor_names(self): return ["f1"]
        def factor_returns(self, panel, dates): return pd.DataFrame()

    assert Posterior.has_factors and Posterior.posterior_factors and Posterior.calibratable
    assert not (Posterior.step_trained or Posterior.r2_scored)

    class Incomplete(RiskModel):
        def fit(self, panel, train_dates, valid_dates): return self

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()


def test_the_calibrated_variants_are_declared_by_the_classes():
    import math

    assert models_where(calibratable=True) == [m for m in model_names() if m != "garch"]  # every joint model
    halves = {m: model_class(m).calibration.half_life for m in models_where(calibratable=True)}
    assert halves["neuralfactors"] == halves["ppca"] == 252.0 and halves["ewma"] == math.inf  # the layer rule's
    assert halves["ledoit-wolf"] is None and halves["factorvae"] is None  # maps only
    assert models_where(posterior_factors=True) == ["neuralfactors", "factorvae"]
    assert models_where(r2_scored=True) == ["ca0", "ca1", "ca2", "ca3"]
    assert models_where(step_trained=True) == ["neuralfactors"]


def test_every_build_setting_is_a_run_setting(tmp_path):
    from core.models.training_run import build_model, build_run

    for name in model_names():
        s = build_run(name, 5, "cpu", tmp_path / name)
        assert s.model == name and s.out == tmp_path / name
        build_model(s)  # settings checked as the CLI's are: a wrong field or value fails here
