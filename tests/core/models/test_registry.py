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


def test_what_the_catalogue_declares_is_what_each_class_declares():
    """catalogue.DECLARED answers the questions asked to offer the models without importing them; it must say what
    the classes say (change the entry named below when a class changes)."""
    from core.models.catalogue import DECLARED
    from core.models.registry import declared

    assert set(DECLARED) == set(CATALOGUE)
    for name, entry in DECLARED.items():
        cls = model_class(name)
        for attribute, value in entry.items():
            want = (None if cls.calibration is None else cls.calibration.half_life) if attribute == "half_life" \
                else getattr(cls, attribute)
            assert value == want, f"catalogue.DECLARED[{name!r}][{attribute!r}] is {value!r}, the class says {want!r}"
            assert declared(name, attribute) == want
    assert declared("ppca", "description") == model_class("ppca").description  # not declared: from the class


def test_offering_the_models_imports_none_of_them():
    """The dashboard's first page lists every model and reads shipped forecasts: no model module (torch, arch) is
    imported for it; the model behind shipped forecasts is loaded when a view asks for it."""
    import subprocess
    import sys

    code = ("import sys; from core.data.embedded import load_dataset; from core.workbench.keys import model_label; "
            "from core.workbench.sources import model_keys, forecasts; p = load_dataset('sp500-20'); "
            "keys = model_keys(p); [model_label(k) for k in keys]; f = forecasts(p, keys[0]); "
            "assert f.loaded is None and not [m for m in sys.modules if m.startswith('core.models.') "
            "and m.split('.')[2] not in ('catalogue', 'registry', 'protocol')], sorted(sys.modules); "
            "assert 'torch' not in sys.modules and 'arch' not in sys.modules; "
            "assert type(f.model).__name__ == 'NeuralFactorsModel' and f.loaded is f.model")
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
