"""Stress tests: the sidebar's weights through past windows (replay of the stocks' own returns beside the factor
replay in today's coordinates with its specific band) and through shocks on the forecast date: a factor's reference
moved in its own units, observable series, the latent factors in an expander (core.workbench.stress,
reference_shocks, shocks). At 500 stocks: contributions by sector and factor, the largest stocks only."""
import pandas as pd
import streamlit as st

from core.portfolio.weights import basis
from core.workbench.capabilities import has_factors
from core.workbench.shocks import (LEVELS, MARKET, available_series, in_sd, series_shock,
                                   series_weights)
from core.workbench.vocabulary import named_forecast
from core.workbench.stress import Window, summary_table, windows_in
from dashboard import figures, figures_risk, services, state, ui, warmup

OWN = "Your own window"
sel = state.selection()
st.title("Stress tests")
p = services.panel(sel.dataset)
weights_of = ui.holdings_phrase(sel.portfolio, sel.date)


def held() -> pd.Series:
    """The sidebar's weights on its date (cached)."""
    return services.portfolio_weights(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)


def own_window() -> Window:
    """Two date inputs; by default warmup.stress_window (the trading days up to the sidebar's date it prepared)."""
    default = warmup.stress_window(sel)
    lo, hi = p.dates[1].date(), p.dates[-1].date()
    c1, c2 = st.columns(2)
    a = c1.date_input("First date of the window", default.start.date(), lo, hi, key="stress_start",
                      persist_state="page", format="YYYY-MM-DD")
    b = c2.date_input("Last date of the window", default.end.date(), lo, hi, key="stress_end", persist_state="page",
                      format="YYYY-MM-DD")
    return Window(f"{a}..{b}", pd.Timestamp(a), pd.Timestamp(b))


def readings(s) -> None:
    """The two readings side by side (short metric labels, the rest in a table), the path, contributions by sector,
    factor and stock."""
    rep, fac = s.replay, s.factor_replay
    st.caption(f"{s.window.name}: {s.dates[0].date()}..{s.dates[-1].date()} ({len(s.dates)} trading days; "
               f"{s.window.source}). {weights_of.capitalize()}, bought at the close before the first date and held; "
               f"returns in percent {basis(held())}.")
    ui.legs(held())
    m = st.columns(4)
    m[0].metric("Replay return", ui.pct(rep.result.total, 1), help="the stocks' own returns, bought and held")
    m[1].metric("Rebalanced daily", ui.pct(rep.rebalanced, 1), help="the stocks' own returns, back to the weights "
                "every day: what the factor replay compounds like")
    if fac is None:
        st.info(" ".join(s.notes) or "no factor replay for this model")
    else:
        m[2].metric("Factor replay return", ui.pct(fac.result.total, 1),
                    help="the window's stock returns projected on today's exposures (factor returns in today's "
                         "coordinates, the same for every model), through today's exposures, compounded daily")
        m[3].metric("Specific band", f"± {ui.pct(fac.band, 1)}",
                    help=f"± {fac.band_z:g} sd of the model's own specific returns over the window (90%)")
    rows = {"replay (buy-and-hold)": rep.result}
    if fac is not None:
        rows["factor replay"] = fac.result
    st.dataframe(pd.DataFrame({name: {"return": ui.pct(r.total, 1), "worst day": ui.pct(r.worst_day, 1),
                                      "worst date": str(r.worst_date.date()),
                                      "max drawdown": ui.pct(r.max_drawdown, 1)} for name, r in rows.items()}).T,
                 width="stretch")
    if fac is not None:
        st.caption(f"Factor replay: {fac.source}; specific band ± {fac.band_z:g} sd (90%).")
    ui.plot(figures_risk.stress_path(rep.result.path, fac.result.path if fac else None, fac.band if fac else 0.0,
                                     f"Path through {s.window.name}"), "stress_path")
    c1, c2 = st.columns(2)
    with c1:
        ui.plot(figures_risk.contributions(rep.by_sector, "Replay: contributions by sector", "sector"),
                "stress_by_sector")
    with c2:
        if fac is not None:
            ui.plot(figures_risk.contributions(fac.by_factor, "Factor replay: contributions by factor", "factor"),
                    "stress_by_factor")
        else:
            ui.plot(figures_risk.contributions(rep.by_stock, "Replay: contributions by stock", "stock"),
                    "stress_by_stock")
    if fac is not None:
        ui.plot(figures_risk.contributions(rep.by_stock, "Replay: contributions by stock", "stock"), "stress_by_stock")
    missing = rep.proxied or rep.uncovered
    if missing:
        how = "proxied through their factor exposures" if rep.proxied else "counted at 0 (no factors to proxy them)"
        listed = ", ".join(f"{t} ({n} days)" for t, n in sorted(missing.items(), key=lambda kv: -kv[1])[:20])
        st.caption(f"{len(missing)} stocks without returns on some days, {how}: {listed}"
                   + (" ..." if len(missing) > 20 else ""))
    for note in s.notes:
        st.caption(note)


def reference_inputs(fc, refs) -> dict[str, float]:
    """The references to move and their returns on the day (latent factors in sds of the factor), from the widgets."""
    default, _ = warmup.shock_defaults(fc, refs)
    chosen = st.multiselect("References to move", refs.names, default=default, key="shock_refs", persist_state="page",
                            format_func=lambda k: f"{k} (latent units)" if k in refs.latent else k)
    for note in refs.notes:  # the factors without a reference, said once
        st.caption(f"{note} (in sds of the factor).")
    cols = st.columns(max(len(chosen), 1))
    returns = {k: cols[i].number_input(f"{k}: return on the day (%)", -50.0, 50.0, 100 * refs.default_fall(fc, k),
                                       0.5, key=f"shock_r_{k}", persist_state="page") / 100.0
               for i, k in enumerate(chosen) if k not in refs.latent}
    latent = {k: cols[i].number_input(f"{k} (sd of the factor)", -10.0, 10.0, warmup.SHOCK_SD, 0.5,
                                      key=f"shock_r_{k}", persist_state="page")
              for i, k in enumerate(chosen) if k in refs.latent}
    return {**returns, **refs.in_sd(fc, latent)}


def shock_result(res, w) -> None:
    """Metrics, the P&L's distribution, the moves by sector and of the largest stocks, the table and its download."""
    q = res.quantiles
    m = st.columns(4)
    m[0].metric("Expected P&L", ui.pct(res.pnl_mean), help=f"sd {ui.pct(res.pnl_sd)} given the shock, percent "
                f"{basis(w)}")
    for col, level, name in zip(m[1:], LEVELS, ("5% quantile", "Median", "95% quantile")):
        col.metric(name, ui.pct(q[level]))
    ui.plot(figures_risk.shock_pnl(res.pnl_mean, res.pnl_sd, q), "shock_pnl")
    colours = figures.sector_colours(p.sectors)
    c1, c2 = st.columns(2)
    with c1:
        ui.plot(figures_risk.sector_moves(res.stocks["move"], p.sectors, colours), "shock_by_sector")
    with c2:
        ui.plot(figures_risk.shock_moves(res.stocks["move"], p.sectors, colours), "shock_top_stocks")
    top = res.stocks.reindex(res.stocks["move"].abs().sort_values(ascending=False).index[:figures_risk.TOP_N])
    st.dataframe((100 * top).round(3).assign(sector=p.sectors.reindex(top.index)).rename(
        columns={"expected": "expected (%)", "move": "move (%)", "sd": "sd (%)"}), width="stretch")
    ui.csv_download(res.stocks.assign(sector=p.sectors.reindex(res.stocks.index)), "Download every stock (CSV)",
                    "shock_stocks.csv")


def latent_shock(fc, w) -> None:
    """The shock in the model's own latent factor units (inside an expander)."""
    chosen = st.multiselect("Factors to move", fc.factor_names, default=fc.factor_names[:1], key="shock_factors",
                            persist_state="page")
    cols = st.columns(max(len(chosen), 1))
    moves = {k: cols[i].number_input(f"{k} (in sd of the factor)", -10.0, 10.0, warmup.SHOCK_SD, 0.5,
                                     key=f"shock_f_{k}", persist_state="page")
             for i, k in enumerate(chosen)}
    if not moves:
        st.info("pick at least one factor to move")
        return
    res = services.shock(sel.dataset, sel.model, sel.date, w, tuple(in_sd(fc, moves).items()), latent=True)
    st.caption(f"Method: {res.method}. Conditions, in latent units: "
               + ", ".join(f"{k} = {moves[k]:+.1f} sd ({v:+.4g})" for k, v in res.conditions.items()) + ". "
               + " ".join(res.notes))
    st.metric("Expected P&L (latent shock)", ui.pct(res.pnl_mean), help=f"sd {ui.pct(res.pnl_sd)}")
    ui.plot(figures_risk.contributions(res.factors, "Factors given the latent shock (conditional mean)", "factor",
                                       unit="factor return (x100)"), "shock_latent_factors")


def shocks() -> None:
    fc = named_forecast(services.forecast_at(sel.dataset, sel.model, sel.date),
                        services.dated_names(sel.dataset, sel.model, sel.date).vocabulary)
    w = held()
    st.caption(f"The distribution of {weights_of} and of each stock on the day after {sel.date}, given the moves "
               f"set below; returns in percent {basis(w)}.")
    kinds = (["Factor references"] if has_factors(fc) else []) + ["Observable series"]
    kind = st.radio("Move", kinds, horizontal=True, key="shock_kind", persist_state="page",
                    help="the reference series each factor is named after (the market, a style ETF, a sector's "
                         "average), set as its return on the day; or observable series of the universe: its "
                         "equal-weighted mean (market) and sector averages")
    if kind == "Observable series":
        chosen = st.multiselect("Series to move", available_series(fc, p.sectors), default=[MARKET],
                                key="shock_series", persist_state="page")
        cols = st.columns(max(len(chosen), 1))
        values = {k: cols[i].number_input(f"{k}: return on the day (%)", -50.0, 50.0, -3.0, 0.5,
                                          key=f"shock_s_{k}", persist_state="page") / 100.0
                  for i, k in enumerate(chosen)}
        if not values:
            st.info("pick at least one series to move")
            return
        res = series_shock(fc, w, {k: series_weights(fc, p.sectors, k) for k in values}, values)
        st.caption(f"Method: {res.method}. Conditions: "
                   + ", ".join(f"{k} = {100 * v:+.2f}%" for k, v in res.conditions.items()) + ". "
                   + " ".join(res.notes))
        shock_result(res, w)
        return
    refs = services.shock_references(sel.dataset, sel.model, sel.date)
    values = reference_inputs(fc, refs)
    if not values:
        st.info("pick at least one reference to move")
        return
    res = services.shock(sel.dataset, sel.model, sel.date, w, tuple(values.items()))
    st.caption("Conditions: " + ", ".join(
        f"{k} = {res.conditions[k]:+.4g} (latent units)" if k in refs.latent else
        f"{k} = {100 * res.conditions[k]:+.2f}% (R-squared {res.r2[k]:.2f} on the model's factors)"
        for k in res.conditions) + f"; regression over {refs.window}. Method: {res.method}.")
    shock_result(res, w)
    if len(res.references):
        ui.plot(figures_risk.contributions(res.references, "Each factor's reference given the shock (expected return)",
                                           "reference", top=max(figures_risk.TOP_N, len(res.references)),
                                           unit="expected return on the day (%)"), "shock_references")
    # run only while open (a rerun when opened): the latent shock draws its own 20,000 scenarios, which the
    # page's first view does not show
    with st.expander("In the model's latent factor units", key="shock_latent", on_change="rerun") as box:
        if box.open:
            ui.plot(figures_risk.contributions(res.factors, "Factors given the shock (conditional mean, latent units)",
                                               "factor", unit="factor return (x100)"), "shock_factors")
            latent_shock(fc, w)


# each tab runs only while it is open (a rerun when another is picked): the first view computes and draws the
# historical windows alone, not the Shocks tab's charts behind it; the tabs' widgets keep their values while their
# tab is closed (persist_state="page")
history_tab, shock_tab = st.tabs(["Historical windows", "Shocks"], key="stress_tab", on_change="rerun")
if history_tab.open:
    with history_tab, ui.guard():
        catalogue = windows_in(p)
        results = services.stress_tests(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom,
                                        tuple(catalogue)) if catalogue else []
        if results:
            table = summary_table(results)
            ui.plot(figures_risk.stress_windows(table, f"Historical windows: {weights_of} replayed"), "stress_windows")
            with st.expander("Every window: dates, sources and readings"):
                st.dataframe(table, width="stretch")
        else:
            st.info(f"None of the catalogue's windows (1998 LTCM to the 2022 rate shock) lies inside {p.name}'s "
                    f"dates ({p.dates[0].date()}..{p.dates[-1].date()}); type your own window below.")
        pick = st.selectbox("Window", [w.name for w in catalogue] + [OWN], key="stress_window", persist_state="page")
        if pick == OWN:
            stress = services.stress_tests(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom,
                                           (own_window(),))[0]
        else:
            stress = results[[w.name for w in catalogue].index(pick)]
        readings(stress)
if shock_tab.open:
    with shock_tab, ui.guard():
        shocks()
