"""Portfolio lab: what-if weights (editor + CSV) whose every edit reaches the risk figures (before / after), the
sector totals, the benchmark-relative risk and the backtest at once; the optimiser, whose result is a portfolio
(its risk, tracking error, exposures, "use as custom", download); CSV downloads."""
import hashlib

import pandas as pd
import streamlit as st

from core.errors import PortfolioError
from core.portfolio.weights import format_weights, normalise, read_weights_csv, weight_problems, weights_csv
from core.report import PERCENT_METRICS
from core.workbench.active import BENCHMARKS, active_risk, benchmark_weights
from core.workbench.capabilities import has_factors, require_joint
from core.workbench.components import component_summary
from core.workbench.exposures import exposures_table
from core.workbench.factor_names import baskets_on, bounds_in_model_units, in_reference_units
from core.workbench.portfolios import ANNUAL, MV_RISK_AVERSION, annualised_point
from dashboard import downloads, figures, services, state, ui

sel = state.selection()
st.title("Portfolio lab")
OBJECTIVES = {"min_variance": "minimum variance", "mean_variance": "mean-variance", "max_return": "maximum return"}


def _apply_custom(weights: pd.Series) -> None:
    st.session_state["w"] = format_weights(weights.to_dict())  # 4 significant digits: within dashboard.weights.ROUNDING
    st.session_state["portfolio"] = "custom"
    st.session_state["_rerun_app"] = True


def _uploaded_weights(file) -> dict | None:
    try:
        return read_weights_csv(file.getvalue())
    except PortfolioError as exc:
        st.error(str(exc))
        return None


def _names():
    """The factors' names and reference scales that hold on the sidebar's date (core.workbench.name_check: fitted on
    validation and checked on the date, or named on it where the factors rotate), None when they have none."""
    return services.dated_names(sel.dataset, sel.model, sel.date).dated


def _figures(r) -> dict[str, str]:
    """The risk figures of a portfolio at the sidebar's horizon (and in money with a portfolio value)."""
    out = {"Volatility": ui.risk(r.vol, sel.horizon), "VaR 95%": ui.risk(r.var[0.95], sel.horizon, sel.value),
           "VaR 99%": ui.risk(r.var[0.99], sel.horizon, sel.value),
           "CVaR 99%": ui.risk(r.cvar[0.99], sel.horizon, sel.value)}
    if r.has_factors:
        out["Factor share"] = ui.pct(r.factor_share, 1)
    return out


def before_after(before, after) -> None:
    """Every risk figure of the starting portfolio beside the edited one's, with the change."""
    cols = st.columns(5 if after.has_factors else 4)
    b, a = _figures(before), _figures(after)
    raw = {"Volatility": (before.vol, after.vol), "VaR 95%": (before.var[0.95], after.var[0.95]),
           "VaR 99%": (before.var[0.99], after.var[0.99]), "CVaR 99%": (before.cvar[0.99], after.cvar[0.99]),
           "Factor share": (before.factor_share, after.factor_share)}
    for col, name in zip(cols, a):
        x0, x1 = raw[name]
        scale = 1.0 if name == "Factor share" else ui.HORIZONS[sel.horizon] ** 0.5
        delta = f"{100 * (x1 - x0) * scale:+.2f} pp" if abs(x1 - x0) > 1e-12 else None
        col.metric(f"{name} ({sel.horizon})" if name != "Factor share" else name, a[name], delta,
                   delta_color="inverse", help=f"before the edit: {b[name]}")


def sector_totals(p, before: pd.Series, after: pd.Series) -> pd.DataFrame:
    sectors = p.sectors.reindex(after.index).fillna("Unknown")
    table = pd.DataFrame({"before": before.reindex(after.index).fillna(0.0).groupby(sectors).sum(),
                          "after": after.groupby(sectors).sum()})
    table["change"] = table["after"] - table["before"]
    return table.sort_values("after", ascending=False)


def exposures_chart(p, r, named, title: str, name: str) -> None:
    fc = services.forecast_at(sel.dataset, sel.model, sel.date)
    y = r.exposures if named is None else in_reference_units(r.exposures, named, baskets_on(p, fc, named))
    unit = "exposure (model units)" if named is None else "beta to the factor's reference"
    ui.plot(figures.bar(y.iloc[:20], title, "factor", unit), name)


@st.fragment
def what_if(p, base: pd.Series) -> None:
    """The editable weights and every number that follows them (reruns alone on every edit)."""
    if st.session_state.pop("_rerun_app", False):
        st.rerun()
    colours = figures.sector_colours(p.sectors)
    named = _names()
    left, right = st.columns([1, 2])
    with left:
        long_only = st.checkbox("Long-only", value=True, key="lab_long_only")
        upload = st.file_uploader("Weights CSV (ticker,weight)", type=["csv"], key="lab_csv")
        start = base.to_dict()
        if upload is not None:
            start = _uploaded_weights(upload) or start
        frame = pd.DataFrame({"ticker": list(start), "weight": [float(v) for v in start.values()]})
        frame["sector"] = frame["ticker"].map(p.sectors).fillna("unknown ticker")
        digest = hashlib.sha1(frame.to_csv().encode()).hexdigest()[:8]
        edited = st.data_editor(
            frame, key=f"lab_editor_{digest}", hide_index=True, width="stretch", height=360,
            disabled=["sector"], num_rows="dynamic",
            column_config={"weight": st.column_config.NumberColumn("weight", format="%.4f", step=0.0001)})
        raw = {str(t): float(w) for t, w in zip(edited["ticker"], edited["weight"].fillna(0.0)) if t}
        for problem in weight_problems(raw, base.index.tolist(), long_only):
            st.warning(problem)
        w = normalise(raw, base.index.tolist())
        st.session_state["lab_weights"] = w
        ui.legs(w)
        st.button("Use as the custom portfolio", on_click=_apply_custom, args=(w,), key="lab_apply",
                  help="make these weights the sidebar's custom portfolio, on every page")
    with right:
        if w.abs().sum() == 0:
            st.info("all weights are zero: give some stocks a weight")
            return
        before = services.risk(sel.dataset, sel.model, sel.date, base)
        r = services.risk(sel.dataset, sel.model, sel.date, w)
        st.caption(f"Edited portfolio; the change against the {sel.portfolio} portfolio you started from in "
                   "percentage points (pp). " + ui.horizon_note(sel.horizon))
        before_after(before, r)
        st.session_state["lab_vol"] = r.vol
        structure = "Factor exposures" if r.has_factors else "Principal components" if r.components else None
        # each tab runs only while it is open (a rerun when another is picked): the hidden ones draw nothing
        tabs = st.tabs(["Risk contributions", "Sector totals"] + ([structure] if structure else []), key="lab_tab",
                       on_change="rerun")
        if tabs[0].open:
            with tabs[0]:
                if len(r.contributions):
                    ui.plot(figures.bar_by_ticker(r.contributions[w.abs() > 0], p.sectors, colours,
                                                  "Contribution to daily volatility (held stocks)",
                                                  "volatility contribution (% per day)"), "lab_contributions")
                else:
                    st.info(r.note)
        if tabs[1].open:
            with tabs[1]:
                st.dataframe(sector_totals(p, base, w), width="stretch", column_config={
                    c: st.column_config.NumberColumn(format="percent") for c in ("before", "after", "change")})
        if structure and tabs[2].open:
            with tabs[2]:
                if r.has_factors:
                    exposures_chart(p, r, named, "Portfolio factor exposures", "lab_exposures")
                else:
                    st.caption("A covariance-only model has no factors: the portfolio's loadings on the principal "
                               "components of its forecast covariance (statistical directions, not factors).")
                    pcs = component_summary(services.components(sel.dataset, sel.model, sel.part),
                                            services.forecast_at(sel.dataset, sel.model, sel.date), w)
                    ui.plot(figures.bar(100 * pcs["portfolio loading"], "Portfolio loadings on the principal "
                                        "components", "principal component", "loading (% per day)"), "lab_exposures")
        results = pd.DataFrame({"weight": w, "vol_contribution": r.contributions.reindex(w.index)})
        c1, c2 = st.columns(2)
        with c1:
            downloads.offer("Download weights (CSV)", weights_csv(w), file_name="weights.csv", mime="text/csv",
                            key="dl_weights.csv")
        with c2:
            ui.csv_download(results, "Download risk results (CSV)", "risk_results.csv")
    benchmark_relative(p, w)
    backtest(w)


def benchmark_relative(p, w: pd.Series) -> None:
    st.subheader("Benchmark-relative risk")
    with ui.guard():
        c1, c2 = st.columns([1, 2])
        kind = c1.radio("Benchmark", list(BENCHMARKS), format_func=BENCHMARKS.get, key="act_benchmark",
                        help="the weights the portfolio is measured against")
        file = c2.file_uploader("Benchmark weights CSV (ticker,weight)", type=["csv"], key="act_csv") \
            if kind == "uploaded" else None
        bench = _uploaded_weights(file) if file is not None else None
        if kind == "uploaded" and not bench:
            st.info("upload a benchmark weights CSV (columns ticker,weight) to measure the portfolio against it")
            return
        fc = services.forecast_at(sel.dataset, sel.model, sel.date)
        b, notes = benchmark_weights(list(fc.tickers), kind, bench)
        ar = active_risk(fc, w, b, p.sectors)
        for note in notes:
            st.caption(note)
        m = st.columns(3)
        m[0].metric("Tracking error (daily)", ui.pct(ar.te, 3), help="forecast sqrt((w-b)' Sigma (w-b)), factor form")
        m[1].metric("Tracking error (annualised)", ui.pct(ar.te * ANNUAL ** 0.5))
        if ar.has_factors:
            m[2].metric("Factor share", ui.pct(ar.factor / ar.te, 1) if ar.te > 0 else "n/a",
                        help="share of the active (tracking) variance from the factors")
        st.caption(f"The edited portfolio of {sel.date} against the {BENCHMARKS[kind]} benchmark: "
                   "Euler contributions, which sum to the tracking error."
                   + ("" if ar.has_factors else " No active risk by factor: a covariance-only model has no factors."))
        t = st.tabs(["Active weights"] + (["Active risk by factor"] if ar.has_factors else []) +
                    ["Active risk by sector"], key="act_tab", on_change="rerun")  # each runs only while open
        if t[0].open:
            with t[0]:
                active = ar.active[ar.active.abs() > 1e-12]
                ui.plot(figures.bar_by_ticker(active, p.sectors, figures.sector_colours(p.sectors),
                                              "Active weights (portfolio minus benchmark)", "active weight (%)"),
                        "active_weights")
        if ar.has_factors and t[1].open:
            with t[1]:
                named = _names()
                per_factor = ar.per_factor if named is None else ar.per_factor.rename(index=named["label"].to_dict())
                by_factor = pd.concat([per_factor, pd.Series({"specific": ar.specific})])
                ui.plot(figures.active_risk_bars(by_factor, "Active risk by factor", "factor"), "active_by_factor")
        if t[-1].open:
            with t[-1]:
                ui.plot(figures.active_risk_bars(ar.per_sector, "Active risk by sector", "sector"),
                        "active_by_sector")
        ui.csv_download(pd.DataFrame({"weight": w.reindex(fc.tickers).fillna(0.0), "benchmark": b,
                                      "active": ar.active, "te_contribution": ar.per_stock}),
                        "Download active weights and risk (CSV)", "active_risk.csv")


def backtest(w: pd.Series) -> None:
    st.subheader("Backtest against the benchmark")
    with ui.guard():
        optimised = st.toggle("Include daily re-optimised minimum-variance and mean-variance strategies (slower)",
                              key="bt_optimised")
        bt = services.backtest(sel.dataset, sel.model, sel.part, w, optimised)
        ui.plot(figures.equity_curves(bt["values"], f"Growth of 1 over the {ui.split_name(sel.part)} "
                                      "split, daily rebalancing to the edited weights", date=sel.date), "equity_curves")
        st.dataframe(bt["metrics"], width="stretch", column_config={c: st.column_config.NumberColumn(
            format="percent" if c in PERCENT_METRICS else "%.2f") for c in bt["metrics"].columns})
        ui.csv_download(bt["values"], "Download equity curves (CSV)", "equity_curves.csv")
        ui.csv_download(bt["metrics"], "Download backtest metrics (CSV)", "backtest_metrics.csv")


def optimum(p, fc, w_opt: pd.Series, base: pd.Series, named, objective: str) -> None:
    """The optimiser's result as a portfolio: its risk, forecast return (the model's), tracking error, exposures,
    weights, "use as custom" and download."""
    r = services.risk(sel.dataset, sel.model, sel.date, w_opt)
    held = w_opt[w_opt.abs() > 1e-6]
    ar = active_risk(fc, w_opt, benchmark_weights(list(fc.tickers))[0], p.sectors)
    figs = _figures(r)
    m = st.columns(len(figs) + 1)
    for col, (name, text) in zip(m, figs.items()):
        col.metric(f"{name} ({sel.horizon})" if name != "Factor share" else name, text)
    m[-1].metric("Tracking error vs equal weight (annualised)", ui.pct(ar.te * ANNUAL ** 0.5))
    point = annualised_point(fc, w_opt)
    st.caption(f"{len(held)} stocks held. The model's forecast return: {ui.pct(point['ret'], 1)} a year, with a "
               f"forecast volatility of {ui.pct(point['vol'], 1)} a year around it: a model forecast from one day's "
               "expected returns scaled to a year, not a promise; the optimiser leans on it (mean-variance and "
               "maximum return), so treat high numbers with care. " + ui.horizon_note(sel.horizon))
    left, right = st.columns(2)
    with left:
        ui.plot(figures.bar_by_ticker(held, p.sectors, figures.sector_colours(p.sectors),
                                      f"Optimal weights ({OBJECTIVES[objective]}, held stocks)", "weight (%)"),
                "optimal_weights")
        ui.legs(w_opt)
        c1, c2 = st.columns(2)
        c1.button("Use as the custom portfolio", on_click=_apply_custom, args=(w_opt,), key="opt_apply",
                  help="make the optimum the sidebar's custom portfolio (and the Lab's starting weights)")
        downloads.offer("Download optimal weights (CSV)", weights_csv(w_opt), c2, file_name="optimal_weights.csv",
                        mime="text/csv", key="dl_optimal_weights.csv")
    with right:
        if r.has_factors:
            exposures_chart(p, r, named, "Exposures of the optimum", "optimal_exposures")
        st.dataframe(sector_totals(p, base, w_opt).rename(columns={"before": sel.portfolio, "after": "optimum"}),
                     width="stretch", column_config={c: st.column_config.NumberColumn(format="percent")
                                                     for c in (sel.portfolio, "optimum", "change")})


def optimiser(p, base: pd.Series) -> None:
    st.subheader("Optimiser")
    with ui.guard():
        fc = services.forecast_at(sel.dataset, sel.model, sel.date)
        require_joint(fc, "the optimiser")
        named = _names()
        factors = list(exposures_table(fc).columns) if has_factors(fc) else []
        labels = {f: f if named is None or f not in named.index else named.loc[f, "label"] for f in factors}
        sectors = sorted(p.sectors.unique())
        with st.form("optimiser"):
            c1, c2, c3 = st.columns(3)
            objective = c1.selectbox("Objective", list(OBJECTIVES), key="opt_objective", format_func=OBJECTIVES.get,
                                     help="maximum return needs a target volatility")
            long_only = c1.checkbox("Long-only", value=True, key="opt_long_only")
            max_w = c2.number_input("Max weight per stock (0 = none)", 0.0, 1.0, 0.0, 0.05, key="opt_max_w")
            target = c2.number_input("Target volatility, % per year (0 = none)", 0.0, 100.0, 0.0, 1.0,
                                     key="opt_target")
            lam = c3.number_input("Risk aversion lambda (mean-variance)", 0.1, 1000.0, MV_RISK_AVERSION,
                                  key="opt_lambda")
            caps = c3.data_editor(pd.DataFrame({"sector": sectors, "cap": [1.0] * len(sectors)}), hide_index=True,
                                  disabled=["sector"], key="opt_caps", height=200)
            bounds = pd.DataFrame({"factor": [labels[f] for f in factors], "min": [None] * len(factors),
                                   "max": [None] * len(factors)}, dtype=object).astype({"min": float, "max": float})
            if factors:
                st.caption("Factor bounds on the portfolio's exposures, as betas to each factor's reference "
                           "(the market's own market beta is 1); empty = no bound." if named is not None else
                           "Factor bounds on the portfolio's exposures (model units); empty = no bound.")
                bounds = st.data_editor(bounds, hide_index=True, disabled=["factor"], key="opt_bounds",
                                        height=min(38 + 35 * len(factors), 420))
            else:
                st.caption("No factor bounds: this model has no factors.")
            go = st.form_submit_button("Optimise")
        if target == 0 and objective == "max_return":
            st.warning("maximum return needs a target volatility: set one above 0")
            return
        if not (go or "opt_result" in st.session_state):
            return
        by_label = {v: k for k, v in labels.items()}
        given = [(by_label[f], float(lo) if lo == lo else -1e9, float(hi) if hi == hi else 1e9)
                 for f, lo, hi in zip(bounds["factor"], bounds["min"], bounds["max"]) if lo == lo or hi == hi]
        cons = dict(long_only=long_only, max_weight=max_w or None,
                    sector_caps=tuple((s, float(c)) for s, c in zip(caps["sector"], caps["cap"]) if c < 1.0),
                    factor_bounds=bounds_in_model_units(given, named, None if named is None else
                                                        baskets_on(p, fc, named)),
                    target_vol=target / 100 / ANNUAL ** 0.5 if target else None)
        w_opt = services.optimise(sel.dataset, sel.model, sel.date, objective, lam, **cons)
        st.session_state["opt_result"] = True
        optimum(p, fc, w_opt, base, named, objective)
        fr = services.frontier(sel.dataset, sel.model, sel.date,
                               **{k: v for k, v in cons.items() if k != "target_vol"})
        marks = pd.DataFrame([annualised_point(fc, w_opt), annualised_point(fc, base)],
                             index=["optimal", sel.portfolio])
        ui.plot(figures.frontier(fr, marks, "Efficient frontier (the model's forecast returns)"), "frontier")


with ui.guard():
    panel = services.panel(sel.dataset)
    start = services.portfolio_weights(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)
    st.subheader(f"What-if: start from the {sel.portfolio} portfolio of {sel.date}")
    st.caption("Every edit below reaches the risk figures, the sector totals, the benchmark-relative risk and the "
               "backtest at once; 'Use as the custom portfolio' carries it to the other pages.")
    what_if(panel, start)
    optimiser(panel, start)
