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
