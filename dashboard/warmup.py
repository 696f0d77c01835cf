"""Compute what the pages show by default once, when a dataset or model is taken into use on Your data, so that each
page's first visit, and the tab or expander it runs once opened (Factor exposures' history, the Shocks tab), reads
dashboard/services.py's caches: the same cached calls, with the same arguments, as the pages
make for the sidebar's selection (portfolio, date and split; the pages' default windows and horizon)."""
from __future__ import annotations

import threading
from typing import Callable, NamedTuple

import pandas as pd

from core.errors import NeuralFactorsError
from core.portfolio.weights import normalise
from core.workbench.capabilities import has_factors
from core.workbench.covariance import COV_HORIZON
from core.workbench.stress import Window, windows_in
from core.workbench.vocabulary import named_forecast
from dashboard import services
from dashboard.state import Selection

_PREFETCHED: set[str] = set()  # model names whose module a background thread imports or imported (this server)
STRESS_DAYS = 21  # Stress tests: the own window's default length (trading days up to the date)
SHOCK_SD = -2.0  # Stress tests' Shocks tab: a latent factor's default move (sds of the factor)
ATTRIBUTION_DAYS = 63  # Attribution: the default period (trading days up to the date)


class Step(NamedTuple):
    what: str  # the page and view it prepares, in words
    run: Callable[[], object]


def stress_window(sel: Selection) -> Window:
    """Stress tests' own window by default: the STRESS_DAYS trading days up to the selection's date."""
    dates = services.panel(sel.dataset).dates
    end = dates[dates.searchsorted(pd.Timestamp(sel.date), "right") - 1]
    start = dates[max(dates.get_loc(end) - (STRESS_DAYS - 1), 1)]
    return Window(f"{start.date()}..{end.date()}", pd.Timestamp(start.date()), pd.Timestamp(end.date()))


def shock_defaults(fc, refs) -> tuple[list[str], dict[str, float]]:
    """Stress tests' Shocks tab by default, for the named forecast `fc` and its References `refs`: the references
    moved (the market's, else the first) and the moves as the tab's inputs give them (a reference's default fall,
    entered in percent; a latent factor SHOCK_SD sds, in latent units), references first."""
    chosen = ["market"] if "market" in refs.names else refs.names[:1]
    moves = {k: 100 * refs.default_fall(fc, k) / 100.0 for k in chosen if k not in refs.latent}
    return chosen, {**moves, **refs.in_sd(fc, {k: SHOCK_SD for k in chosen if k in refs.latent})}


def attribution_period(sel: Selection) -> tuple[str, str]:
    """Attribution's default period: (first, last) forecast dates, YYYY-MM-DD, ATTRIBUTION_DAYS up to the date."""
    dates = pd.DatetimeIndex(services.forecast_dates(sel.dataset, sel.model))
    end = pd.Timestamp(sel.date)
    start = dates[max(dates.get_loc(end) - (ATTRIBUTION_DAYS - 1), min(1, len(dates) - 1))]
    return str(start.date()), str(end.date())


def steps(sel: Selection) -> list[Step]:
    """The cached calls behind every page's default view of `sel` (what it shows first and what it runs once a tab
    or expander is opened), in page order."""
    d, m, date, part = sel.dataset, sel.model, sel.date, sel.part

    def weights() -> pd.Series:
        return services.portfolio_weights(d, m, date, sel.portfolio, sel.custom)

    def lab() -> tuple:  # the lab's weights: the portfolio's, as its weight editor reads them back
        w = normalise({str(t): float(v) for t, v in weights().items()}, weights().index.tolist())
        return services.risk(d, m, date, w), services.backtest(d, m, part, w, False)

    def stress() -> list:
        catalogue = tuple(windows_in(services.panel(d)))
        return services.stress_tests(d, m, date, sel.portfolio, sel.custom, catalogue or (stress_window(sel),))

    def shock() -> tuple:  # the Shocks tab's default reference shock (the latent one runs when its expander opens)
        fc = named_forecast(services.forecast_at(d, m, date), services.dated_names(d, m, date).vocabulary)
        if not has_factors(fc):
            return ()
        _, moves = shock_defaults(fc, services.shock_references(d, m, date))
        return (services.shock(d, m, date, weights(), tuple(moves.items())),)

    return [
        Step("Overview: the portfolio's risk", lambda: services.risk(d, m, date, weights())),
        Step("Factor exposures: naming the factors", lambda: services.factor_names(d, m)),
        Step("Factor exposures: exposures over time", lambda: services.exposures_over_time(d, m, part, weights())),
        Step("Factor exposures: factor returns", lambda: services.factor_returns(d, m, part)),
        Step("Sector clusters: the t-SNE map", lambda: services.embedding(d, m, date)),
        Step("Sector clusters: sector accuracy", lambda: (services.sector_scores(d, m, date),
                                                          services.split_sector_scores(d, m, part))),
        Step("Covariance: forecast vs realised", lambda: services.covariance_view(d, m, date, COV_HORIZON)),
        Step("Covariance: scores over time", lambda: services.covariance_scores(d, m, part, COV_HORIZON)),
        Step("VaR: VaR over time", lambda: services.var_series(d, m, part, weights())),
        Step("Portfolio lab: risk and backtest of the edited weights", lab),
        Step("Scenarios: Monte Carlo draws", lambda: services.scenarios(d, m, date, weights())),
        Step("Stress tests: historical windows", stress),
        Step("Stress tests: the default shock", shock),
        Step("Attribution: the default period",
             lambda: services.attribution(d, m, date, sel.portfolio, sel.custom, *attribution_period(sel), None)),
    ]


def warm_up(sel: Selection, report: Callable[[float, str], None]) -> dict[str, str]:
    """Run `steps(sel)`, calling report(fraction done, what comes next) before each and report(1.0, "") at the end;
    {what: message} of the steps this model cannot serve (the page says so itself)."""
    todo, skipped = steps(sel), {}
    for i, step in enumerate(todo):
        report(i / len(todo), step.what)
        try:
            step.run()
        except NeuralFactorsError as exc:  # NotAvailable and the like: the page shows the message
            skipped[step.what] = str(exc)
    report(1.0, "")
    return skipped


def prefetch(model: str = "neuralfactors") -> None:
    """Import the module of `model` (registered name; the zero-shot network: torch) in a background thread, once per
    server, while the user reads an upload's checks: "Use this dataset" then starts with it loaded (2-4 s of
    imports on a 2-core machine)."""
    from core.models.registry import model_class

    if model not in _PREFETCHED:
        _PREFETCHED.add(model)
        threading.Thread(target=model_class, args=(model,), daemon=True, name=f"prefetch-{model}").start()
