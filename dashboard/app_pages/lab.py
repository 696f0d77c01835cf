"""Portfolio lab: what-if weights (editor + CSV), live risk, the optimiser with constraints and the
efficient frontier, benchmark-relative risk (active weights, tracking error by factor and sector), backtest
against the benchmark, CSV downloads."""
import hashlib

import pandas as pd
import streamlit as st

from core.errors import PortfolioError
from core.portfolio.weights import check_custom, format_weights, normalise, read_weights_csv, weights_csv
from core.workbench.active import BENCHMARKS, active_risk, benchmark_weights
from core.workbench.capabilities import has_factors, require_joint
from core.workbench.components import component_summary
from core.workbench.exposures import exposures_table
from core.workbench.portfolios import MV_RISK_AVERSION, annualised_point
from dashboard import figures, services, state, ui

sel = state.selection()
st.title("Portfolio lab")
OBJECTIVES = {"min_variance": "minimum variance", "mean_variance": "mean-variance", "max_return": "maximum return"}
PERCENT = ("total return", "annualised return", "annualised volatility", "maximum drawdown", "daily turnover")


def _apply_custom(weights: dict) -> None:
    st.session_state["w"] = format_weights(weights)
    st.session_state["portfolio"] = "custom"
    st.session_state["_rerun_app"] = True


def _uploaded_weights(file) -> dict | None:
    try:
        return read_weights_csv(file.getvalue())
    except PortfolioError as exc:
        st.error(str(exc))
        return None


@st.fragment
def what_if(p, base: pd.Series) -> None:
    """The editable weights and the numbers that follow them (reruns alone on every edit)."""
    if st.session_state.pop("_rerun_app", False):
        st.rerun()
    colours = figures.sector_colours(p.sectors)
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
        for problem in check_custom(raw, base.index.tolist(), long_only):
            st.warning(f"{problem}. Shown meanwhile: unknown tickers dropped, weights rescaled to sum to 1.")
        w = normalise(raw, base.index.tolist())
        st.button("Use as the custom portfolio", on_click=_apply_custom, args=(w.to_dict(),), key="lab_apply")
    with right:
        if w.abs().sum() == 0:
            st.info("all weights are zero: give some stocks a weight")
            return
        r = services.risk(sel.dataset, sel.model, sel.date, w)
        m = st.columns(4 if r.has_factors else 3)
        m[0].metric("Volatility (daily)", ui.pct(r.vol))
        m[1].metric("VaR 99%", ui.pct(r.var[0.99]))
        m[2].metric("CVaR 99%", ui.pct(r.cvar[0.99]))
        if r.has_factors:
            m[3].metric("Factor share", ui.pct(r.factor_share, 1),
                        help="share of the portfolio's forecast variance from the factors")
        st.session_state["lab_vol"] = r.vol
        structure = "Factor exposures" if r.has_factors else "Principal components" if r.joint else None
        tabs = st.tabs(["Risk contributions"] + ([structure] if structure else []))
        with tabs[0]:
            if len(r.contributions):
                ui.plot(figures.bar_by_ticker(r.contributions, p.sectors, colours, "Contribution to daily volatility",
                                              "volatility contribution (% per day)"), "lab_contributions")
            else:
                st.info(r.note)
        if r.has_factors:
            with tabs[1]:
                ui.plot(figures.bar(r.exposures.iloc[:20], "Portfolio factor exposures (w'B)", "factor",
                                    "exposure (beta units)"), "lab_exposures")
        elif r.joint:
            with tabs[1]:
                st.caption("A covariance-only model has no factors: the portfolio's loadings on the principal "
                           "components of its forecast covariance (statistical directions, not factors).")
                pcs = component_summary(services.components(sel.dataset, sel.model, sel.part),
                                        services.forecast_at(sel.dataset, sel.model, sel.date), w)
                ui.plot(figures.bar(100 * pcs["portfolio loading"], "Portfolio loadings on the principal components",
                                    "principal component", "loading (% per day)"), "lab_exposures")
        results = pd.DataFrame({"weight": w, "vol_contribution": r.contributions.reindex(w.index)})
        c1, c2 = st.columns(2)
        with c1:
            st.download_button("Download weights (CSV)", weights_csv(w), file_name="weights.csv",
                               mime="text/csv", key="dl_weights.csv")
        with c2:
            ui.csv_download(results, "Download risk results (CSV)", "risk_results.csv")


with ui.guard():
    p = services.panel(sel.dataset)
    base = services.portfolio_weights(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)
    st.subheader(f"What-if: start from the {sel.portfolio} portfolio of {sel.date}")
    what_if(p, base)

st.subheader("Optimiser")
with ui.guard():
    fc = services.forecast_at(sel.dataset, sel.model, sel.date)
    require_joint(fc, "the optimiser")
    fc_factors = list(exposures_table(fc).columns) if has_factors(fc) else []
    sectors = sorted(p.sectors.unique())
    with st.form("optimiser"):
        c1, c2, c3 = st.columns(3)
        objective = c1.selectbox("Objective", list(OBJECTIVES), key="opt_objective", format_func=OBJECTIVES.get,
                                 help="maximum return needs a target volatility")
        long_only = c1.checkbox("Long-only", value=True, key="opt_long_only")
        max_w = c2.number_input("Max weight per stock (0 = none)", 0.0, 1.0, 0.0, 0.05, key="opt_max_w")
        target = c2.number_input("Target volatility, % per year (0 = none)", 0.0, 100.0, 0.0, 1.0, key="opt_target")
        lam = c3.number_input("Risk aversion lambda (mean-variance)", 0.1, 1000.0, MV_RISK_AVERSION,
                              key="opt_lambda")
        caps = c3.data_editor(pd.DataFrame({"sector": sectors, "cap": [1.0] * len(sectors)}), hide_index=True,
                              disabled=["sector"], key="opt_caps", height=200)
        bounds = pd.DataFrame({"factor": fc_factors[:8], "min": [None] * min(8, len(fc_factors)),
                               "max": [None] * min(8, len(fc_factors))}, dtype=object).astype({"min": float,
                                                                                               "max": float})
        if fc_factors:
            bounds = st.data_editor(bounds, hide_index=True, disabled=["factor"], key="opt_bounds")
        else:
            st.caption("No factor bounds: this model has no factors.")
        go = st.form_submit_button("Optimise")
    if target == 0 and objective == "max_return":
        st.warning("maximum return needs a target volatility: set one above 0")
    elif go or "opt_result" in st.session_state:
        cons = dict(long_only=long_only, max_weight=max_w or None,
                    sector_caps=tuple((s, float(c)) for s, c in zip(caps["sector"], caps["cap"]) if c < 1.0),
                    factor_bounds=tuple((f, float(lo) if lo == lo else -1e9, float(hi) if hi == hi else 1e9)
                                        for f, lo, hi in zip(bounds["factor"], bounds["min"], bounds["max"])
                                        if lo == lo or hi == hi),
                    target_vol=target / 100 / 252 ** 0.5 if target else None)
        w_opt = services.optimise(sel.dataset, sel.model, sel.date, objective, lam, **cons)
        st.session_state["opt_result"] = True
        left, right = st.columns(2)
        with left:
            ui.plot(figures.bar_by_ticker(w_opt, p.sectors, figures.sector_colours(p.sectors),
                                          f"Optimal weights ({OBJECTIVES[objective]})", "weight (%)"),
                    "optimal_weights")
            st.download_button("Download optimal weights (CSV)", weights_csv(w_opt),
                               file_name="optimal_weights.csv", mime="text/csv", key="dl_optimal_weights.csv")
        with right:
            fr = services.frontier(sel.dataset, sel.model, sel.date, **{k: v for k, v in cons.items()
                                                                        if k != "target_vol"})
            marks = pd.DataFrame([annualised_point(fc, w_opt), annualised_point(fc, base)],
                                 index=["optimal", sel.portfolio])
            ui.plot(figures.frontier(fr, marks), "frontier")

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
    else:
        fc = services.forecast_at(sel.dataset, sel.model, sel.date)
        b, notes = benchmark_weights(list(fc.tickers), kind, bench)
        ar = active_risk(fc, base, b, p.sectors)
        for note in notes:
            st.caption(note)
        m = st.columns(3)
        m[0].metric("Tracking error (daily)", ui.pct(ar.te, 3), help="forecast sqrt((w-b)' Sigma (w-b)), factor form")
        m[1].metric("Tracking error (annualised)", ui.pct(ar.te * 252 ** 0.5))
        if ar.has_factors:
            m[2].metric("Factor share", ui.pct(ar.factor / ar.te, 1) if ar.te > 0 else "n/a",
                        help="share of the active (tracking) variance from the factors")
        st.caption(f"The {sel.portfolio} portfolio of {sel.date} against the {BENCHMARKS[kind]} benchmark: "
                   "Euler contributions, which sum to the tracking error."
                   + ("" if ar.has_factors else " No active risk by factor: a covariance-only model has no factors."))
        t = st.tabs(["Active weights"] + (["Active risk by factor"] if ar.has_factors else []) +
                    ["Active risk by sector"])
        with t[0]:
            ui.plot(figures.bar_by_ticker(ar.active, p.sectors, figures.sector_colours(p.sectors),
                                          "Active weights (portfolio minus benchmark)", "active weight (%)"),
                    "active_weights")
        if ar.has_factors:
            with t[1]:
                by_factor = pd.concat([ar.per_factor, pd.Series({"specific": ar.specific})])
                ui.plot(figures.active_risk_bars(by_factor, "Active risk by factor", "factor"), "active_by_factor")
        with t[-1]:
            ui.plot(figures.active_risk_bars(ar.per_sector, "Active risk by sector", "sector"), "active_by_sector")
        ui.csv_download(pd.DataFrame({"weight": base.reindex(fc.tickers).fillna(0.0), "benchmark": b,
                                      "active": ar.active, "te_contribution": ar.per_stock}),
                        "Download active weights and risk (CSV)", "active_risk.csv")

st.subheader("Backtest against the benchmark")
with ui.guard():
    optimised = st.toggle("Include daily re-optimised minimum-variance and mean-variance strategies (slower)",
                          key="bt_optimised")
    bt = services.backtest(sel.dataset, sel.model, sel.part, base, optimised)
    ui.plot(figures.equity_curves(bt["values"], f"Growth of 1 over the {ui.split_name(sel.part)} "
                                  "split, daily rebalancing", date=sel.date), "equity_curves")
    st.dataframe(bt["metrics"], width="stretch", column_config={c: st.column_config.NumberColumn(
        format="percent" if c in PERCENT else "%.2f") for c in bt["metrics"].columns})
    ui.csv_download(bt["values"], "Download equity curves (CSV)", "equity_curves.csv")
    ui.csv_download(bt["metrics"], "Download backtest metrics (CSV)", "backtest_metrics.csv")
