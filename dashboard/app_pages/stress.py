"""Stress tests: the sidebar's weights through past windows (replay of the stocks' own returns beside the factor
replay with its specific band) and through factor or series shocks on the forecast date (core.workbench.stress,
core.workbench.shocks). At 500 stocks: contributions by sector and factor, the largest stocks only."""
import pandas as pd
import streamlit as st

from core.workbench.capabilities import has_factors
from core.workbench.vocabulary import named_forecast
from core.workbench.shocks import (LEVELS, MARKET, available_series, factor_sd, factor_shock, series_shock,
                                   series_weights)
from core.workbench.stress import Window, summary_table, windows_in
from dashboard import figures, figures_risk, services, state, ui, warmup

OWN = "Your own window"
sel = state.selection()
st.title("Stress tests")
p = services.panel(sel.dataset)
weights_of = ui.holdings_phrase(sel.portfolio, sel.date)


def own_window() -> Window:
    """Two date inputs; by default warmup.stress_window (the trading days up to the sidebar's date it prepared)."""
    default = warmup.stress_window(sel)
    lo, hi = p.dates[1].date(), p.dates[-1].date()
    c1, c2 = st.columns(2)
    a = c1.date_input("First date of the window", default.start.date(), lo, hi, key="stress_start",
                      format="YYYY-MM-DD")
    b = c2.date_input("Last date of the window", default.end.date(), lo, hi, key="stress_end", format="YYYY-MM-DD")
    return Window(f"{a}..{b}", pd.Timestamp(a), pd.Timestamp(b))


def readings(s) -> None:
    """The two readings side by side, the path, contributions by sector, factor and stock."""
    rep, fac = s.replay, s.factor_replay
    st.caption(f"{s.window.name}: {s.dates[0].date()}..{s.dates[-1].date()} ({len(s.dates)} trading days; "
               f"{s.window.source}). {weights_of.capitalize()}, bought at the close before the first date and held.")
    left, right = st.columns(2)
    with left:
        st.markdown("**Replay**: the stocks' own returns")
        m = st.columns(3)
        m[0].metric("Replay return", ui.pct(rep.result.total, 1),
                    help=f"buy-and-hold; rebalanced daily it is {ui.pct(rep.rebalanced, 1)}")
        m[1].metric("Worst day", ui.pct(rep.result.worst_day, 1), help=str(rep.result.worst_date.date()))
        m[2].metric("Max drawdown", ui.pct(rep.result.max_drawdown, 1))
        st.caption(f"Worst day {rep.result.worst_date.date()}; rebalanced daily {ui.pct(rep.rebalanced, 1)}.")
    with right:
        st.markdown("**Factor replay**: the window's factor returns through today's exposures")
        if fac is None:
            st.info(" ".join(s.notes) or "no factor replay for this model")
        else:
            m = st.columns(3)
            m[0].metric("Factor replay return", f"{ui.pct(fac.result.total, 1)} ± {ui.pct(fac.band, 1)}",
                        help=f"± {fac.band_z:g} sd of the specific returns over the window (90% band)")
            m[1].metric("Worst day (factor replay)", ui.pct(fac.result.worst_day, 1),
                        help=str(fac.result.worst_date.date()))
            m[2].metric("Max drawdown (factor replay)", ui.pct(fac.result.max_drawdown, 1))
            st.caption(f"Factor returns: {fac.source}; specific band ± {fac.band_z:g} sd (90%).")
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


def shock_inputs(fc) -> tuple[str, dict[str, float]]:
    """The kind of shock and its moves (name -> return), read from the widgets."""
    kinds = (["Factors"] if has_factors(fc) else []) + ["Observable series"]
    kind = st.radio("Move", kinds, horizontal=True, key="shock_kind",
                    help="factors by the model's names, or observable series: the universe's equal-weighted mean "
                         "(market) and sector averages")
    if kind == "Factors":
        sd = factor_sd(fc)
        chosen = st.multiselect("Factors to move", fc.factor_names, default=fc.factor_names[:1], key="shock_factors")
        cols = st.columns(max(len(chosen), 1))
        return kind, {k: cols[i].number_input(f"{k} (in sd of the factor)", -10.0, 10.0, -2.0, 0.5,
                                              key=f"shock_f_{k}") * float(sd[k]) for i, k in enumerate(chosen)}
    chosen = st.multiselect("Series to move", available_series(fc, p.sectors), default=[MARKET], key="shock_series")
    cols = st.columns(max(len(chosen), 1))
    return kind, {k: cols[i].number_input(f"{k}: return on the day (%)", -50.0, 50.0, -3.0, 0.5,
                                          key=f"shock_s_{k}") / 100.0 for i, k in enumerate(chosen)}


def shocks() -> None:
    fc = named_forecast(services.forecast_at(sel.dataset, sel.model, sel.date),
                        services.factor_vocabulary(sel.dataset, sel.model))
    w = services.portfolio_weights(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)
    st.caption(f"The distribution of {weights_of} and of each stock on the day after {sel.date}, given the moves "
               "set below (moves of factors from their forecast mean of 0; series as returns on that day).")
    kind, values = shock_inputs(fc)
    if not values:
        st.info("pick at least one factor or series to move")
        return
    res = (factor_shock(fc, w, values) if kind == "Factors" else
           series_shock(fc, w, {k: series_weights(fc, p.sectors, k) for k in values}, values))
    q = res.quantiles
    m = st.columns(4)
    m[0].metric("Expected P&L", ui.pct(res.pnl_mean), help=f"sd {ui.pct(res.pnl_sd)} given the shock")
    for col, level, name in zip(m[1:], LEVELS, ("5% quantile", "Median", "95% quantile")):
        col.metric(name, ui.pct(q[level]))
    st.caption(f"Method: {res.method}. Conditions: "
               + ", ".join(f"{k} = {100 * v:+.2f}%" for k, v in res.conditions.items()) + ". " + " ".join(res.notes))
    ui.plot(figures_risk.shock_pnl(res.pnl_mean, res.pnl_sd, q), "shock_pnl")
    colours = figures.sector_colours(p.sectors)
    c1, c2 = st.columns(2)
    with c1:
        ui.plot(figures_risk.sector_moves(res.stocks["move"], p.sectors, colours), "shock_by_sector")
    with c2:
        ui.plot(figures_risk.shock_moves(res.stocks["move"], p.sectors, colours), "shock_top_stocks")
    if len(res.factors):
        ui.plot(figures_risk.contributions(res.factors, "Factors given the shock (conditional mean)", "factor",
                                           unit="factor return (x100)"), "shock_factors")
    top = res.stocks.reindex(res.stocks["move"].abs().sort_values(ascending=False).index[:figures_risk.TOP_N])
    st.dataframe((100 * top).round(3).assign(sector=p.sectors.reindex(top.index)).rename(
        columns={"expected": "expected (%)", "move": "move (%)", "sd": "sd (%)"}), width="stretch")
    ui.csv_download(res.stocks.assign(sector=p.sectors.reindex(res.stocks.index)), "Download every stock (CSV)",
                    "shock_stocks.csv")


history_tab, shock_tab = st.tabs(["Historical windows", "Shocks"])
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
        st.info(f"None of the catalogue's windows (1998 LTCM to the 2022 rate shock) lies inside {p.name}'s dates "
                f"({p.dates[0].date()}..{p.dates[-1].date()}); type your own window below.")
    pick = st.selectbox("Window", [w.name for w in catalogue] + [OWN], key="stress_window")
    if pick == OWN:
        stress = services.stress_tests(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom,
                                       (own_window(),))[0]
    else:
        stress = results[[w.name for w in catalogue].index(pick)]
    readings(stress)
with shock_tab, ui.guard():
    shocks()
