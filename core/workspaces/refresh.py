"""The morning refresh of a workspace: take a newer file of the same universe, keep every forecast whose data did
not change (core.workspaces.forecast_store), make only the new or restated days, put the model key's calibration
layer on top, and say what changed since the last refresh: today's VaR and volatility against then, the largest
changes of the portfolio's factor exposures, yesterday's outcome against the VaR published yesterday (stored at
that refresh, never recomputed; a breach is flagged) and the data warnings that are new.

`open_workspace` makes a workspace from a first file and runs its first refresh; `refresh` does every later one.
The CLI (`neuralfactors workspace`, `neuralfactors refresh`) and the dashboard call these two.
"""
from __future__ import annotations

import contextlib
import fcntl
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import pandas as pd

from core import __version__
from core.data.files import load_file
from core.data.splits import resplit
from core.errors import DataError
from core.portfolio.weights import normalise, read_weights_csv
from core.workbench import sources
from core.workbench.keys import check_model_keys, parse_model
from core.workbench.portfolios import portfolio_risk
from core.workspaces import user_runs
from core.workspaces.forecast_store import ForecastStore, chain_keys
from core.workspaces.identity import User
from core.workspaces.store import Store, Workspace

#: a newer file must share at least this share of the workspace's stocks (else it is another universe)
MIN_SHARED = 0.5
#: exposure changes listed in the summary
TOP_EXPOSURES = 5
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Snapshot:
    """The published risk of the workspace's portfolio at the close of `date` for the next date."""

    date: str
    var95: float
    var99: float
    vol: float
    exposures: dict[str, float]


@dataclass
class Outcome:
    """The portfolio's return on `date` against the VaR published at the close of the date before."""

    date: str
    ret: float
    var95: float
    var99: float
    breach95: bool
    breach99: bool


@dataclass
class RefreshResult:
    """What a refresh did and found; `problems` (data warnings new at this refresh) and `breach` drive the CLI's
    exit code."""

    workspace: str
    n: int
    model: str
    last_date: str
    new_days: list[str]
    kept: int
    made: int
    restated_from: str | None
    today: Snapshot
    then: Snapshot | None
    exposure_changes: dict[str, float]
    outcome: Outcome | None
    problems: list[str]
    notes: list[str] = field(default_factory=list)
    seconds: float = float("nan")

    @property
    def breach(self) -> bool:
        return self.outcome is not None and (self.outcome.breach95 or self.outcome.breach99)

    def to_json(self) -> dict:
        return asdict(self) | {"breach": self.breach}


@dataclass
class Refreshed:
    """A refresh's result and what it computed on: the panel, the (calibrated) forecasts, the weights held."""

    result: RefreshResult
    panel: object
    series: object
    weights: pd.Series


def open_workspace(store: Store, user: User, name: str, filename: str, data: bytes, model: str,
                   weights: bytes | None = None, date_format: str | None = None) -> Refreshed:
    """A new workspace `name` of `user` on the file `data` (validated first: nothing is stored when it is refused)
    with model key `model` and optional holdings (a ticker,weight CSV); its split is the file's default one,
    frozen from now on. Returns its first refresh."""
    check_model_keys([model])
    _own_run(store, user, model)
    if any(w.name == name.strip() for w in store.workspaces(user)):
        raise DataError(f"you already have a workspace named {name.strip()!r}; pick another name or refresh that one")
    if weights is not None:
        read_weights_csv(weights)  # a holdings file that cannot be read is refused before anything is stored
    panel = _read(filename, data, date_format)
    stored = store.add_file(user, filename, data)
    held = store.add_file(user, "holdings.csv", weights, "holdings").id if weights is not None else None
    ws = store.new_workspace(user, name, stored.id, model, panel.split.train_end, panel.split.valid_end, held)
    with _locked(store, ws):
        return _run(store, user, ws, panel, first=True)


def refresh(store: Store, user: User, name: str, filename: str, data: bytes, weights: bytes | None = None,
            date_format: str | None = None) -> Refreshed:
    """Refresh `user`'s workspace `name` with a newer file of its universe (and new holdings, when given)."""
    ws = store.workspace_named(user, name)
    started = time.perf_counter()
    if weights is not None:
        read_weights_csv(weights)
    panel = _read(filename, data, date_format, ws)  # validated before anything is stored
    new = store.add_file(user, filename, data)
    held = store.add_file(user, "holdings.csv", weights, "holdings").id if weights is not None else ws.weights_file
    ws = replace(ws, data_file=new.id, weights_file=held)
    with _locked(store, ws):  # one refresh of a workspace at a time (two tabs, the CLI)
        return _run(store, user, ws, panel, first=False, started=started)


def _own_run(store: Store, user: User, model: str) -> Path | None:
    """The folder of the run a model key names, when it names one: `user`'s own (NotYours otherwise)."""
    run = parse_model(model).run
    return user_runs.run_path(store, user, run) if run else None


@contextlib.contextmanager
def _locked(store: Store, ws: Workspace):
    """An exclusive lock on the workspace's forecast folder for the length of a refresh (released on any exit,
    and by the system when the process dies)."""
    folder = store.home / "forecasts" / ws.id
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read(filename: str, data: bytes, date_format: str | None, ws: Workspace | None = None):
    """The Panel of an uploaded file (read from a private temporary copy); on the workspace's frozen split when
    there is one (new days extend the test period)."""
    with tempfile.TemporaryDirectory() as tmp:
        (path := Path(tmp) / Path(filename).name).write_bytes(data)
        panel = load_file(path, date_format=date_format)
    if ws is None:
        return panel
    if panel.dates[-1] <= ws.valid_end:
        raise DataError(f"the file ends {panel.dates[-1].date()}, inside the workspace's validation period (to "
                        f"{ws.valid_end.date()}); refresh with a file that runs to today")
    return resplit(panel, None, ws.train_end, ws.valid_end)


def _run(store: Store, user: User, ws: Workspace, panel, first: bool, started: float | None = None) -> Refreshed:
    started = time.perf_counter() if started is None else started
    last = None if first else store.last_refresh(user, ws.id)
    notes: list[str] = []
    if last is not None:
        shared = len(set(panel.tickers) & set(last["summary"]["tickers"])) / max(len(last["summary"]["tickers"]), 1)
        if shared < MIN_SHARED:
            raise DataError(f"the file shares {shared:.0%} of the workspace's stocks: it is another universe; "
                            "make a new workspace for it (`neuralfactors workspace create`)")
    key = parse_model(ws.model)
    dates = sources.view_dates(panel).union(panel.dates[-1:])
    keys = chain_keys(panel, seed=f"{ws.model} {__version__}", fitted_through=ws.valid_end)
    kept_store = ForecastStore(store.home / "forecasts" / ws.id / key.base.replace(":", "_"))
    plan = kept_store.plan(keys, dates)
    made = sources.forecasts(panel, key.base, plan.to_make, run=_own_run(store, user, ws.model)).series \
        if len(plan.to_make) else None
    series = kept_store.update(plan, made, keys)
    if plan.restated_from is not None:
        notes.append(f"the file restates history from {plan.restated_from.date()}: {len(plan.to_make)} forecasts "
                     "made again from that day on")
    if key.calibrated:
        series = sources.model_layer(panel, series, sources.prior_for(panel, series, "refreshed")).apply(series)
    weights = _weights(store, user, ws, panel)
    previous = None if last is None else last["last_date"]
    held_then = None if last is None else pd.Series(last["summary"]["weights"], dtype=float)
    outcome = None if previous is None else _outcome(store, user, ws, panel, previous, held_then)
    today = _snapshot(panel, series, panel.dates[-1], weights)
    then = None if last is None else Snapshot(**last["summary"]["today"])
    summary = {"today": asdict(today), "tickers": panel.tickers, "warnings": list(panel.warnings),
               "weights": {k: float(v) for k, v in weights.items() if v != 0}}
    problems = list(panel.warnings) if first else [w for w in panel.warnings if w not in last["summary"]["warnings"]]
    if then is not None:
        problems = [w for w in problems if _new_days_only(w, pd.Timestamp(then.date))]
    n = store.record_refresh(user, ws, first, panel.dates[-1], summary,
                             {"var95": today.var95, "var99": today.var99, "vol": today.vol})
    result = RefreshResult(
        workspace=ws.name, n=n, model=ws.model, last_date=str(panel.dates[-1].date()),
        new_days=[] if previous is None else [str(d.date()) for d in panel.dates[panel.dates > previous]],
        kept=len(plan.kept), made=len(plan.to_make),
        restated_from=None if plan.restated_from is None else str(plan.restated_from.date()),
        today=today, then=then, exposure_changes=_exposure_changes(today, then),
        outcome=outcome,
        problems=problems, notes=notes, seconds=round(time.perf_counter() - started, 3))
    return Refreshed(result, panel, series, weights)


def _weights(store: Store, user: User, ws: Workspace, panel) -> pd.Series:
    """The workspace's holdings (core.portfolio.weights.normalise on the panel's stocks), equal weight without one."""
    if ws.weights_file is None:
        return pd.Series(1.0 / panel.n_tickers, index=panel.tickers)
    held = pd.Series(read_weights_csv(store.file(user, ws.weights_file).path.read_bytes()), dtype=float)
    held = held.reindex(panel.tickers).fillna(0.0)
    if held.abs().sum() == 0:
        raise DataError("none of the holdings' tickers is in the file; check the holdings file's tickers")
    return normalise(held.to_dict(), list(panel.tickers))  # a dollar-neutral book: fractions of gross


def _snapshot(panel, series, date: pd.Timestamp, weights: pd.Series) -> Snapshot:
    risk = portfolio_risk(panel, series.at(date), weights)
    return Snapshot(date=str(date.date()), var95=float(risk.var[0.95]), var99=float(risk.var[0.99]),
                    vol=float(risk.vol), exposures={str(k): float(v) for k, v in risk.exposures.items()})


def _exposure_changes(today: Snapshot, then: Snapshot | None) -> dict[str, float]:
    """The TOP_EXPOSURES largest changes of the portfolio's factor exposures since then (factor -> change)."""
    if then is None:
        return {}
    change = pd.Series(today.exposures).sub(pd.Series(then.exposures), fill_value=0.0)
    return {str(k): float(v) for k, v in change.reindex(change.abs().sort_values(ascending=False).index)
            .head(TOP_EXPOSURES).items()}


def _outcome(store: Store, user: User, ws: Workspace, panel, previous: pd.Timestamp, weights) -> Outcome | None:
    """The first new day's return of the portfolio held at `previous` (weights) against the VaR published for it at
    the close of `previous`."""
    published = store.published(user, ws.id, previous)
    later = panel.dates[panel.dates > previous]
    if published is None or not len(later):
        return None
    day = later[0]
    r = panel.returns.loc[day].reindex(weights.index)
    ret = float((weights * r.fillna(0.0)).sum())
    return Outcome(date=str(day.date()), ret=ret, var95=published["var95"], var99=published["var99"],
                   breach95=bool(-ret > published["var95"]), breach99=bool(-ret > published["var99"]))


def _new_days_only(warning: str, previous: pd.Timestamp) -> bool:
    """A warning that names dates is kept when one of them is after `previous`; one that names none is kept."""
    dates = [pd.Timestamp(d) for d in _DATE.findall(warning)]
    return not dates or any(d > previous for d in dates)
