"""core.workbench.precomputed: the default view's calls computed once (core.build.write_views), served as stored only
while their fingerprint (data, model key, forecasts as served, layer settings, code, version) matches, refused and
recomputed otherwise. On a small synthetic panel whose "shipped outputs" are written into a temporary folder."""
from __future__ import annotations

import io
from dataclasses import fields, is_dataclass, replace

import numpy as np
import pandas as pd
import pytest

from core import __version__, build
from core.data.synthetic import make_market
from core.models.registry import create_model
from core.workbench import precomputed as pc, provenance
from core.workbench.realised import regression_factor_returns
from core.workbench.sources import forecasts, view_dates
from tests.panels import with_returns

MODEL = "pca"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """(panel, root): a 12-stock panel over 2007-06..2008-12 (the 2008 GFC stress window inside) and, under root,
    a PCA model's forecasts and realised factor returns written as the pretrained build writes them."""
    root = tmp_path_factory.mktemp("pretrained")
    panel = replace(make_market(n_stocks=12, n_dates=400, n_factors=2, start="2007-06-01", seed=5)[0], name="tiny")
    model = create_model(MODEL).fit(panel, panel.split_dates("train"), panel.split_dates("valid"))
    series = model.forecast_series(panel, view_dates(panel))
    mdir = root / "tiny" / MODEL
    model.save(mdir)
    series.save(mdir, {"fingerprint": panel.fingerprint(), "version": __version__})
    realised = panel.dates[panel.dates.get_indexer(series.dates[1:])]
    regression_factor_returns(panel, series, realised).to_parquet(mdir / "factor_returns.parquet")
    keys = [MODEL, f"{MODEL}+cal"]
    log = io.StringIO()
    assert build.write_views(panel, root, models=keys, log=log) == keys, log.getvalue()  # the build's step
    refused = [line for line in log.getvalue().splitlines() if "not stored" in line]
    assert refused and all("sector_scores" in line for line in refused), log.getvalue()  # NeuralFactors' ablation only
    return panel, root


def _same(a, b) -> None:
    """a == b for the views' results: frames, series, arrays, dicts, lists and the stress dataclasses."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b)
    elif isinstance(a, pd.Index):
        pd.testing.assert_index_equal(a, b)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif is_dataclass(a):
        assert type(a) is type(b)
        for f in fields(a):
            _same(getattr(a, f.name), getattr(b, f.name))
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_every_default_call_is_stored_and_served_as_computed(shipped, monkeypatch):
    panel, root = shipped
    f = forecasts(panel, MODEL, root=root)
    assert f.source == "shipped"
    views = pc.load(panel, f, root)
    calls = pc.default_calls(panel, f, root)
    kinds = {view for view, _, _ in calls}
    assert {"factor_names", "var_series", "stress_tests", "exposures_over_time", "factor_returns",
            "covariance_scores", "sector_input", "split_sector_scores"} <= kinds
    served = [(view, args) for view, args, _ in calls if "sector_scores" not in view]  # the ablation is NeuralFactors'
    assert set(views.entries) == {pc.call_key(view, **args) for view, args in served} and views.note == ""
    for view, args in served:
        _same(views.get(view, **args), pc.VIEWS[view](panel, f, root, **args))
    stress = [args for view, args, _ in calls if view == "stress_tests"]
    assert stress and stress[0]["windows"][0].name == "2008 GFC"

    def refuse(*args, **kwargs):
        raise AssertionError("computed although stored")

    monkeypatch.setitem(pc.VIEWS, "var_series", refuse)
    view, args, _ = next(c for c in calls if c[0] == "var_series")
    assert pc.serve(views, panel, f, view, root, **args) is not pc.MISSING  # from the store, not computed


def test_a_call_not_stored_is_computed(shipped):
    panel, root = shipped
    f = forecasts(panel, MODEL, root=root)
    views = pc.load(panel, f, root)
    w = pd.Series(0.0, index=f.series.tickers).astype(float)
    w.iloc[:3] = 1.0 / 3
    assert views.get("var_series", part="test", weights=w) is pc.MISSING
    _same(pc.serve(views, panel, f, "var_series", root, part="test", weights=w),
          pc.VIEWS["var_series"](panel, f, root, part="test", weights=w))


def test_the_key_is_the_exact_call():
    w = pd.Series([0.5, 0.5], index=["A", "B"])
    assert pc.call_key("var_series", part="test", weights=w) == pc.call_key("var_series", weights=w.copy(),
                                                                           part="test")
    nudged = w.copy()
    nudged.iloc[0] = np.nextafter(0.5, 1.0)
    others = [nudged, w[::-1], w.rename({"A": "C"})]
    assert len({pc.call_key("var_series", part="test", weights=x) for x in [w, *others]}) == 4
    assert pc.call_key("var_series", part="test", weights=w) != pc.call_key("var_series", part="valid", weights=w)
    assert pc.call_key("stress_tests", names={"f1": "market"}) != pc.call_key("stress_tests", names={"f1": "f1"})


@pytest.mark.parametrize("change, part", [
    ("data", "data"), ("forecasts", "forecasts"), ("code", "code"), ("version", "version"), ("layer", "layer"),
    ("arrays", "arrays file"),
])
def test_a_stale_store_is_refused_said_and_recomputed(shipped, monkeypatch, tmp_path, change, part):
    import shutil

    panel, root = shipped
    shutil.copytree(root / "tiny", tmp_path / "tiny")
    key = f"{MODEL}+cal" if change == "layer" else MODEL
    f = forecasts(panel, key, root=tmp_path)
    assert pc.load(panel, f, tmp_path).entries  # fresh: served
    if change == "data":
        panel = with_returns(panel, panel.returns * 1.001)
    elif change == "forecasts":
        f = replace(f, series=replace(f.series, idio_var=f.series.idio_var * 1.001))
    elif change == "code":
        monkeypatch.setattr(provenance, "code_digest", lambda: "0" * 16)
    elif change == "version":
        monkeypatch.setattr(provenance, "__version__", "9.9.9")
    elif change == "layer":  # another setting of the layer behind the same key: the covariance update's half-life
        monkeypatch.setattr(provenance, "half_life_of", lambda name: 63.0)
    else:
        arrays = tmp_path / "tiny" / "precomputed" / f"{MODEL}.safetensors"
        arrays.write_bytes(arrays.read_bytes()[:-8] + b"\0" * 8)
    log = io.StringIO()
    views = pc.load(panel, f, tmp_path, log=log)
    assert views.entries == {} and f"{part} changed" in views.note
    assert "neuralfactors pretrained build --reuse --keep-metrics" in log.getvalue()
    view, args, _ = next(c for c in pc.default_calls(panel, f, tmp_path) if c[0] == "covariance_scores")
    _same(pc.serve(views, panel, f, view, tmp_path, **args), pc.VIEWS[view](panel, f, tmp_path, **args))


def test_the_layer_settings_are_in_the_fingerprint(shipped, monkeypatch):
    panel, root = shipped
    raw = provenance.fingerprint(panel, forecasts(panel, MODEL, root=root), root)
    calibrated = forecasts(panel, f"{MODEL}+cal", root=root)
    a = provenance.fingerprint(panel, calibrated, root)
    monkeypatch.setattr(provenance, "half_life_of", lambda name: 63.0)
    b = provenance.fingerprint(panel, calibrated, root)
    assert len({raw["layer"], a["layer"], b["layer"]}) == 3
    assert {k for k in raw if raw[k] != a[k]} <= {"model", "layer", "forecasts"}


def test_no_store_is_said_without_a_message(shipped):
    panel, root = shipped
    log = io.StringIO()
    views = pc.load(replace(panel, name="elsewhere"), forecasts(panel, MODEL, root=root), root, log=log)
    assert views.entries == {} and "no precomputed views" in views.note and log.getvalue() == ""


def test_the_code_digest_reads_the_views_and_what_they_run():
    names = {str(p).split("core/", 1)[1] for p in provenance._closure(provenance.VIEWS_MODULE)}
    assert {"workbench/precomputed.py", "workbench/provenance.py", "workbench/ablation.py", "workbench/var.py", "workbench/stress.py", "workbench/sources.py",
            "forecast/distributions.py", "forecast/recalibrated.py", "risk/recalibration.py", "data/panel.py",
            "__init__.py", "workbench/__init__.py"} <= names
    assert not any(n.startswith(("cli/", "report/", "models/neuralfactors")) for n in names)


def _ast_imported(source: str) -> list[str]:
    """Every import of `source` from its syntax tree: the reference provenance's regular expression must agree with."""
    import ast

    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return out


def test_the_imports_read_for_the_code_digest_are_the_syntax_trees():
    """provenance reads imports with a regular expression (parsing every module took most of a second of a cold
    start): on every core module, and on the forms it must read (a continuation line, parentheses with comments, an
    import in a function, aliases), it finds the core imports the syntax tree has."""
    from pathlib import Path

    forms = (
        "from core.a import b, \\\n    c as d\n"
        "from core.e import (  # the views\n    f,  # one\n    g as h,\n)\n"
        "def k():\n    import core.m.n as o, core.p\n    from core import q\n"
        "x = '#'  # from core.r import s\n"
    )
    sources = [forms] + [p.read_text() for p in sorted(Path(provenance.__file__).parents[1].rglob("*.py"))]
    for source in sources:
        want = {n for n in _ast_imported(source) if n.split(".")[0] == "core"}
        assert {n for n in provenance._imported(source) if n.split(".")[0] == "core"} == want, source[:200]



def test_the_shipped_views_are_current():
    """pretrained/sp500-20's views of the default model match this commit's data, forecasts, layer and code: a commit
    that changes a module the views run (the fingerprint's code digest) must rebuild them (`neuralfactors pretrained
    build --dataset sp500-20 --out pretrained --reuse --keep-metrics`), or every visitor's first pages are slow."""
    from core.data.embedded import load_dataset
    from core.workbench.sources import available

    panel = load_dataset("sp500-20")
    key = available(panel)[0]
    log = io.StringIO()
    views = pc.load(panel, forecasts(panel, key), log=log)
    assert views.entries and not views.note, log.getvalue()
