"""A PM's own 500-stock universe in the dashboard (issue 13): the vendor-style file of
benchmarks/userfiles.py uploaded through uploads.add_upload, used in every page on the pretrained
NeuralFactors (zero-shot) and a quick-fit classical model, re-split on Your data; the large-universe
figure builders; the background-training progress on Your data (core.runs itself: tests/core/test_runs.py)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import runs
from core.errors import NeuralFactorsError
from core.workbench.covariance import COV_HORIZON
from core.workspaces import jobs
from core.workspaces.identity import local_user
from core.workspaces.store import Store
from dashboard import figures_universe as fu
from dashboard import ownership, pages, services, uploads
from tests.dashboard.opening import open_all

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGES = [page.stem for page in pages.PAGES]
TIMEOUT = 900  # the first run scores 500 stocks zero-shot (about a minute on 2 busy cores)

PROGRESS = {"step": 26, "total": 40, "elapsed": 9.2, "eta": 5.1, "train_loss": 1.0982, "valid": 1.1272}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("nfhome")
    mp.setenv("NEURALFACTORS_HOME", str(path))
    yield path
    mp.undo()


@pytest.fixture(scope="module")
def upload(tmp_path_factory, home):
    from benchmarks.userfiles import write_vendor_csv

    vf = write_vendor_csv(tmp_path_factory.mktemp("vendor") / "vendor500.csv")
    return uploads.add_upload("vendor500.csv", vf.path.read_bytes()), vf


def _status(run: str) -> dict:
    return jobs.status(Store(runs.home()), local_user(), run)


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# --- training progress ---------------------------------------------------------------------------
def test_your_data_shows_training_progress(home):
    from core.training import progress

    progress.append(runs.runs_dir() / "r2" / progress.FILE, PROGRESS)
    store = Store(home)  # a job of the queue whose process (a stand-in) runs, as a training would
    store.submit_job(local_user(), "r2", [sys.executable, "-c", "import time; time.sleep(120)",
                                           str(runs.runs_dir() / "r2")], 40, None)
    jobs.pump(store)
    try:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.query_params.update(dataset="synthetic", model="truth")
        at.session_state["train_run"] = "r2"
        at.run()
        at.switch_page("app_pages/your_data.py").run()
        _clean(at)
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Step"] == "26 / 40" and metrics["Loss"] == "1.0982" and metrics["Validation NLL"] == "1.1272"
        assert at.get("progress")[0].value == 65  # percent
    finally:
        assert jobs.cancel(store, local_user(), "r2")


# --- figures for large universes ---------------------------------------------------------------
def _beta(n=500, f=4, seed=0):
    rng = np.random.default_rng(seed)
    tickers = [f"S{i:04d}" for i in range(n)]
    sectors = pd.Series(rng.choice(["Tech", "Energy", "Health", "Unknown"], n), index=tickers)
    return pd.DataFrame(rng.standard_normal((n, f)), index=tickers, columns=[f"f{k + 1}" for k in range(f)]), sectors


def test_sector_view_and_drill_down_stay_readable_at_500_stocks():
    beta, sectors = _beta()
    names = pd.Series([f"Harbor {i}" if i % 50 == 0 else f"Co {i}" for i in range(500)], index=beta.index)
    means = fu.sector_means(beta, sectors)
    assert means["n"].sum() == 500 and list(means.columns[1:]) == list(beta.columns)
    np.testing.assert_allclose(means.loc["Tech", "f1"], beta["f1"][sectors == "Tech"].mean())
    assert fu.sector_heatmap(means, "t").layout.height <= 600
    rows = fu.pick_rows(beta, sectors, names, "Energy", "", 30)
    assert len(rows) == 30 and set(sectors[rows]) == {"Energy"}
    size = beta.loc[rows].abs().sum(axis=1)
    assert size.is_monotonic_decreasing and size.min() >= beta.abs().sum(axis=1)[sectors == "Energy"].nlargest(30).min()
    assert fu.pick_rows(beta, sectors, names, None, "harbor", 100) and \
        set(fu.pick_rows(beta, sectors, names, None, "harbor", 100)) == set(names.index[names.str.startswith("Harbor")])
    assert fu.pick_rows(beta, sectors, names, None, "s0007, S0123", 5) == sorted(
        ["S0007", "S0123"], key=lambda t: -beta.loc[t].abs().sum())
    fig = fu.stock_heatmap(beta.loc[rows], sectors, "t")
    assert fig.layout.height <= 18 * 30 + 200 and fig.data[0].y[0].endswith("Energy")


def test_embedding_map_labels_only_what_is_asked():
    beta, sectors = _beta()
    pts = pd.DataFrame({"x": beta["f1"], "y": beta["f2"], "ticker": beta.index, "name": "", "sector": sectors})
    fig = fu.embedding_map(pts.reset_index(drop=True), {}, "t", ["S0001", "S0002"])
    assert all(tr.text is None for tr in fig.data[:-1]) and list(fig.data[-1].text) == ["S0001", "S0002"]
    near = fu.nearest(pts.reset_index(drop=True), ["S0001"], k=5)
    assert len(near) == 5 and "S0001" not in set(near["neighbour"]) and near["distance"].is_monotonic_increasing


# --- the dashboard on an uploaded 500-stock file ------------------------------------------------
#: the computations behind dashboard/services.py's wrappers (core.workbench module: functions; some reached through
#: core.workbench.precomputed.serve) that the warm-up of Your data does once, so that no page's first visit repeats
#: them, nor the views a page runs once opened (tests/dashboard/opening.py); factor_shock: nothing computes it before the Stress tests'
#: latent expander is opened
WARMED = {"exposures": ("exposures_over_time", "factor_returns"), "factor_names": ("factor_names",),
          "var": ("var_series",), "clusters": ("embedding",), "covariance": ("covariance_view", "covariance_scores"),
          "scenarios": ("scenarios",), "stress": ("stress_tests",), "attribution": ("attribution",),
          "backtests": ("backtest",), "reference_shocks": ("model_references", "reference_shock"),
          "shocks": ("factor_shock",)}


def _count_calls(monkeypatch) -> dict[str, int]:
    """Count the calls of WARMED's functions from now on: {function name: calls}."""
    import importlib

    calls = {}
    for module, functions in WARMED.items():
        for name in functions:
            real = getattr(importlib.import_module(f"core.workbench.{module}"), name)

            def counted(*args, _real=real, _name=name, **kwargs):
                calls[_name] = calls.get(_name, 0) + 1
                return _real(*args, **kwargs)

            monkeypatch.setattr(importlib.import_module(f"core.workbench.{module}"), name, counted)
    return calls


@pytest.mark.slow
def test_upload_used_in_every_page(upload, monkeypatch):
    key, vf = upload
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["dataset"] = "sp500-20"
    at.session_state["upload_key"] = key  # as after an upload on Your data (AppTest has no file uploader)
    at.run()
    at.switch_page("app_pages/your_data.py").run()
    _clean(at)
    assert at.session_state["dataset"] == "sp500-20"
    warning = " ".join(w.value for w in at.warning)
    summaries = [w.value for w in at.warning if "data warnings" in w.value]
    assert "unadjusted split" in warning and len(summaries) == 1  # one summary box, not one per warning
    blank = int((vf.sectors == "Unknown").sum())
    assert f"{blank} of 500 stocks have no sector" in warning  # issue 23: blank sectors said, not silently Unknown
    at.button(key="use_upload").click().run()
    _clean(at)
    sel = at.session_state["selection"]
    assert (sel.dataset, sel.model) == (key, "neuralfactors+cal")  # the sp500-20 default, also offered here
    assert at.query_params["dataset"] in ([key], key)
    dates = services.forecast_dates(key, sel.model)
    assert sel.date == dates[len(dates) - 1 - COV_HORIZON]  # its own default date, not sp500-20's
    notes = " ".join(e.label + " " + " ".join(m.value for m in e.markdown) for e in at.sidebar.expander)
    assert "zero-shot" in notes and "equal-weighted mean return" in notes
    assert any("Every page is ready" in m.value for m in at.success)  # the warm-up ran with "Use this dataset"
    calls = _count_calls(monkeypatch)
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()
        _clean(at)
        assert at.title and at.title[0].value, page
        if page == "covariance":  # 500 x 500 heatmaps are not drawn by default: sector averages
            show = at.radio(key="cov_show")
            assert show.value == "Sector averages" and show.options[1] == "The 60 largest holdings"
            show.set_value(show.options[1]).run()
            _clean(at)
        _clean(open_all(at, page))  # what the page runs once opened, warmed as well
    assert calls == {}, f"first visits after the warm-up computed {calls} again (dashboard/warmup.py's arguments " \
                        "differ from the page's)"
    at.selectbox(key="model").set_value("ppca").run()
    assert not at.exception, [e.value for e in at.exception]
    for page in ("overview", "exposures", "clusters"):
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])


@pytest.mark.slow
def test_split_control_resplits_the_upload(upload):
    key, vf = upload
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["upload_key"] = key
    at.query_params["dataset"] = "synthetic"
    at.query_params["model"] = "truth"
    at.run()
    at.switch_page("app_pages/your_data.py").run()
    _clean(at)
    at.number_input(key="split_train").set_value(0.5)
    at.number_input(key="split_valid").set_value(0.25)
    at.button[[b.label for b in at.button].index("Apply this split")].click().run()
    _clean(at)
    new = at.session_state["upload_key"]
    assert new.startswith(key + "@")
    p = services.panel(new)
    assert len(p.split_dates("train")) == len(p.dates) // 2
    assert services.panel(key).split != p.split  # the original upload keeps its split
    assert at.session_state["dataset"] == "synthetic"  # not in use: the sidebar is unchanged
    at.radio(key="split_how").set_value("end dates")  # a form: its values go with the submit
    at.date_input(key="split_train_end").set_value(p.dates[60].date())
    at.date_input(key="split_valid_end").set_value(p.dates[10].date())  # before the train end: refused
    at.button[[b.label for b in at.button].index("Apply this split")].click().run()
    assert len(at.error) == 1 and "train end < valid end" in at.error[0].value
    assert at.session_state["upload_key"] == new


def test_failed_upload_keeps_the_dataset_and_says_why():
    with pytest.raises(NeuralFactorsError):
        uploads.add_upload("bad.csv", b"this,is\nnot;a,,panel\n\x00\x01")
    assert all(not k.startswith("upload:") or services.panel(k) is not None for k in uploads.dataset_options())


@pytest.mark.slow
def test_train_the_upload_from_your_data(upload):
    """Start a short real training run from the page, follow its progress, find the run in the sidebar."""
    key, vf = upload
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(dataset="synthetic", model="truth")
    for k, v in {"upload_key": key, "upload_file": ("vendor500.csv", vf.path.stat().st_size)}.items():
        at.session_state[k] = v
    at.run()
    at.switch_page("app_pages/your_data.py").run()
    at.number_input(key="train_steps").set_value(10)
    at.button(key="train_go").click().run()
    _clean(at)
    run = at.session_state["train_run"]
    deadline = time.monotonic() + 300
    while _status(run)["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(2)
    status = _status(run)
    assert status["state"] == "finished", status["log"]
    assert status["step"] == 10 and status["total"] == 10 and "best" in status  # no validation yet at 10 steps
    assert f"--train-end {services.panel(key).split.train_end.date()}" in " ".join(
        Store(runs.home()).job(local_user(), run).command)
    at.run()
    _clean(at)
    assert f"run:{run}" in ownership.model_keys(services.panel(key))
    assert any(f"run:{run}" in s.value for s in at.success)


@pytest.mark.slow
def test_cancel_training_from_your_data(upload):
    key, vf = upload
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(dataset="synthetic", model="truth")
    for k, v in {"upload_key": key, "upload_file": ("vendor500.csv", vf.path.stat().st_size)}.items():
        at.session_state[k] = v
    at.run()
    at.switch_page("app_pages/your_data.py").run()
    at.selectbox(key="train_preset").set_value("sp500-20")  # 3,000 steps: still running when cancelled
    at.button(key="train_go").click().run()
    run = at.session_state["train_run"]
    deadline = time.monotonic() + 180
    while _status(run)["step"] < 2 and time.monotonic() < deadline:
        time.sleep(1)
    at.run()
    step = {m.label: m.value for m in at.metric}["Step"]
    assert step.endswith(f"/ {_status(run)['total']}") and not step.startswith("0 ")
    at.button(key="train_cancel").click().run()
    _clean(at)
    assert _status(run)["state"] == "cancelled"
    assert any("cancelled" in i.value for i in at.info)


def test_your_data_shows_which_step_the_adaptation_kept(home, tmp_path):
    """After an adaptation (a short real fine-tune of the shipped network, run by the CLI into the user data
    folder): the kept step (or "no adaptation") from the run's record, validation nll_joint AND calib_port of
    zero-shot, adapted, adapted through the layer and PPCA, and the adapted model served through the layer."""
    from core.cli import main
    from benchmarks.userfiles import write_vendor_csv

    vf = write_vendor_csv(tmp_path / "small.csv", n_stocks=20, n_dates=200, splits={})
    key = uploads.add_upload("small.csv", vf.path.read_bytes())
    assert main(["train", "--model", "neuralfactors", "--data", str(vf.path), "--init", "shipped", "--max-steps", "4",
                 "--set", "valid_every=2", "--set", "days_per_step=1", "--out", str(runs.runs_dir() / "adapted")]) == 0
    chosen = runs.training_record("adapted")["selection"]
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(dataset="synthetic", model="truth")
    for k, v in {"train_run": "adapted", "train_adapt": True, "train_dataset": key}.items():
        at.session_state[k] = v
    at.run()
    at.switch_page("app_pages/your_data.py").run()
    _clean(at)
    said = [m.value for m in [*at.success, *at.warning]]
    expected = f"kept step {chosen['step']}" if chosen["kept"] else "no adaptation improved both"
    assert any(expected in s and "zero-shot (step 0)" in s for s in said), said
    table = at.table[0].value
    assert list(table.columns) == ["validation nll_joint", "validation calib_port"]
    assert "Adapted, through the calibration layer (run:adapted+cal, served)" in table.index
    at.button(key="adapt_use").click().run()
    assert at.session_state["model"] == "run:adapted+cal" and at.session_state["dataset"] == key
