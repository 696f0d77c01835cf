"""Factor exposures: mean beta by sector with a drill-down to a sector's stocks (top-N, search), what the
factors are (correlations with the market, sectors and style ETFs over the validation window, suggested names,
each checked on the date shown; factors that rotate from one fit to the next, PCA's and PPCA's, named on that date
only: core.workbench.name_check), and in an expander that runs once opened the portfolio's exposures over time,
factor vs specific risk and the realised factor returns.
A covariance-only model has no factors: the page shows the principal components of its forecast covariance
instead (sign-fixed over time), labelled as such, without factor share, factor returns or names.
Readable at any universe size: the heatmaps have one row per sector or per shown stock."""
import pandas as pd
import streamlit as st

from core.workbench.capabilities import has_factors
from core.workbench.components import component_exposures_over_time, component_loadings, component_summary
from core.workbench.exposures import exposures_table
from core.workbench.factor_names import baskets_on, baskets_over_time, in_reference_units, returns_in_reference_units
from core.workbench.keys import model_label
from core.workbench.name_check import CHECK_DAYS
from dashboard import figures, services, state, ui
from dashboard import figures_universe as fu

ALL = "all sectors"
MAX_LINES = 12  # factor lines per time-series chart (the sp500-20 NeuralFactors has 4 + 7 sector factors)


def _lines_note(n_factors: int) -> None:
    """Say when a chart shows only the first MAX_LINES factors."""
    if n_factors > MAX_LINES:
        st.caption(f"The first {MAX_LINES} of {n_factors} factors are drawn.")


def _over_time(weights: pd.Series, series, named, factor_share: float) -> None:
    """The portfolio's exposures over time beside its factor vs specific risk, then the realised factor returns; in
    reference units where the factors are named on validation (`named`)."""
    left, right = st.columns([2, 1])
    with left:
        y = services.exposures_over_time(sel.dataset, sel.model, sel.part, weights)
        y = y if named is None else in_reference_units(y, named, baskets_over_time(p, series, y.index, named))
        ui.plot(figures.time_series(y.iloc[:, :MAX_LINES], f"{sel.portfolio.capitalize()} portfolio exposures over "
                                    "time", "model units" if named is None else "beta to the factor's reference",
                                    date=sel.date), "portfolio_exposures")
        _lines_note(y.shape[1])
    with right:
        ui.plot(figures.risk_split(factor_share, 1.0 - factor_share, "Factor vs specific risk"), "risk_split")
    with ui.guard():
        fr = services.factor_returns(sel.dataset, sel.model, sel.part)
        fr = fr if named is None else returns_in_reference_units(fr, named)
        ui.plot(figures.factor_returns_chart(fr.iloc[:, :MAX_LINES], date=sel.date), "factor_returns")
        _lines_note(fr.shape[1])


sel = state.selection()
st.title("Factor exposures")
with ui.guard():
    p = services.panel(sel.dataset)
    weights = services.portfolio_weights(sel.dataset, sel.model, sel.date, sel.portfolio, sel.custom)
    series = services.forecasts(sel.dataset, sel.model).series
    factors = has_factors(series)
    named, dated, why, why_dated = None, None, "", ""  # names fitted on validation; the names that hold on the date
    if factors:
        beta = exposures_table(services.forecast_at(sel.dataset, sel.model, sel.date))
        r = services.risk(sel.dataset, sel.model, sel.date, weights)
        names = services.dated_names(sel.dataset, sel.model, sel.date)
        named, dated, why, why_dated = names.fitted, names.dated, names.why_fitted, names.why_dated
        unit, axis, what = "beta", "factor", "Exposures (beta)"
        if dated is not None:  # betas against each factor's named reference, sign fixed
            basket = baskets_on(p, services.forecast_at(sel.dataset, sel.model, sel.date), dated)
            beta = in_reference_units(beta, dated, basket)
            unit, what = "beta to the reference", "Exposures (beta to each factor's reference)"
        y_now = r.exposures if dated is None else in_reference_units(r.exposures, dated, basket)
        market = [c for c in y_now.index if str(c).startswith("market")]
        m1, m2 = st.columns(2)
        if market:
            m1.metric("Market beta", f"{y_now[market[0]]:.2f}",
                      help="the portfolio's beta to the market through the market factor: the market itself has 1")
        m2.metric("Factor share", ui.pct(r.factor_share, 1),
                  help="share of the portfolio's forecast variance that comes from the factors")
    else:  # a univariate model stops here, saying why in one line (NotAvailable)
        pcs = services.components(sel.dataset, sel.model, sel.part)
        beta = 100 * component_loadings(pcs, sel.date)  # % per day
        st.info(f"{model_label(sel.model)} is a covariance-only model: it has no factors, so none are "
                f"shown. Shown instead: the {beta.shape[1]} largest principal components of its forecast "
                "covariance (statistical directions ranked by variance, not factors), each one's sign kept from "
                "one date to the next.")
        unit, axis, what = "loading (% per day)", "principal component", "Principal-component loadings"
    full = beta
    if beta.shape[1] > 40:
        st.caption(f"{beta.shape[1]} factors: the 40 largest are shown.")
        beta = beta[beta.abs().sum().sort_values(ascending=False).index[:40]]
    names = p.meta["name"]

    means = fu.sector_means(beta, p.sectors)
    ui.plot(fu.sector_heatmap(means, f"{what}: mean by sector on {sel.date}, {len(beta)} stocks", unit, axis),
            "sector_exposures")

    st.subheader("Stocks")
    c1, c2, c3 = st.columns([2, 2, 1])
    options = [ALL] + list(means.index)
    if st.session_state.get("exp_sector") not in options:  # another dataset: its own sectors
        st.session_state["exp_sector"] = ALL
    sector = c1.selectbox("Sector", options, key="exp_sector", help="drill down to one sector's stocks")
    search = c2.text_input("Find tickers or names", key="exp_search", placeholder="e.g. AAPL, Harbor")
    top_n = c3.number_input("Top N", 1, 1000, fu.TOP_N, key="exp_top",
                            help="stocks with the largest total absolute exposure")
    rows = fu.pick_rows(beta, p.sectors, names, None if sector == ALL else sector, search, int(top_n))
    if not rows:
        st.info(f"no stock matches {search!r}" + ("" if sector == ALL else f" in {sector}"))
    else:
        where = "" if sector == ALL else f" in {sector}"
        found = f" matching {search!r}" if fu.search_terms(search) else ""
        ui.plot(fu.stock_heatmap(beta.loc[rows], p.sectors,
                                 f"{what} on {sel.date}: top {len(rows)} stocks{where}{found}", unit, axis),
                "exposure_heatmap")
        table = beta.loc[rows].copy()
        table.insert(0, "sector", p.sectors.reindex(rows).fillna("Unknown"))
        table.insert(0, "name", names.reindex(rows).fillna(""))
        st.dataframe(table.round(4), width="stretch", height=min(38 + 35 * len(rows), 400))
    if not factors:
        ui.csv_download(full, f"Download all {len(full)} stocks' loadings (CSV, % per day)",
                        f"component_loadings_{sel.date}.csv")
        st.subheader("The components")
        st.caption(f"On {sel.date}: each component's share of the stocks' summed forecast variance, the "
                   f"{sel.portfolio} portfolio's loading (its return for a one-standard-deviation move along the "
                   "component) and its share of the portfolio's forecast variance. A principal component is not a "
                   "factor: it has no realised returns and no name.")
        summary = component_summary(pcs, services.forecast_at(sel.dataset, sel.model, sel.date), weights)
        st.dataframe(summary, width="stretch", column_config={c: st.column_config.NumberColumn(format="percent")
                                                              for c in summary.columns})
        y = component_exposures_over_time(pcs, weights)
        ui.plot(figures.time_series(y, f"{sel.portfolio.capitalize()} portfolio loadings on the principal "
                                    "components over time", "loading (% per day)", percent=True, date=sel.date),
                "portfolio_exposures")
    else:
        if dated is None:
            ui.csv_download(full, f"Download all {len(full)} stocks' exposures (CSV, model units)",
                            f"exposures_{sel.date}.csv")
        else:
            unit_row = dated.set_index("label")["unit"].reindex(full.columns).fillna("model units")
            ui.csv_download(pd.concat([unit_row.to_frame("unit").T, full]),
                            f"Download all {len(full)} stocks' exposures (CSV, betas; first row: the unit of each)",
                            f"exposures_{sel.date}.csv")

        st.subheader("What the factors are")
        if dated is None:
            st.info(" ".join(x for x in (why, why_dated) if x))
        else:
            info = ["suggested name", "best match", "correlation", "sign", "scale", "unit", "basket beta", "label",
                    "n_dates", "window", "on the date", "check"]
            refs = [c for c in dated.columns if c not in info]
            market = "" if "market" in refs else " (no benchmark: the equal-weighted mean return of the universe)"
            if named is None:
                st.info(f"{why}. So no name is fitted on the validation split: a model that refits its factors on "
                        "every date (PCA, PPCA) rotates them from one fit to the next, and a name would not hold on "
                        f"another date. The factors are named on {sel.date} only, from their returns in that date's "
                        f"coordinates over the {dated['window'].iloc[0]} (without realised factor returns of the "
                        "model's own: the stocks' returns projected on its exposures); the charts over time keep the "
                        "raw factor names.")
            unused = "nothing after the date" if named is None else "the test split is not used"
            st.caption(f"Correlation of each factor's realised returns with the market{market}"
                       f", each sector's average return and the style ETFs (where they exist), over the "
                       f"{dated['window'].iloc[0]} ({int(dated['n_dates'].iloc[0])} days; {unused}). Each factor "
                       "takes the best match no other factor took (sector factors their sector; the market wins a "
                       "near tie), when |corr| >= 0.3. Its sign is turned to move WITH that reference, and exposures "
                       "are shown as betas to it: each factor's exposure divided by that of its reference basket on "
                       "the same date (all stocks for the market, the sector's stocks for a sector), so the market "
                       "has a beta of 1 on every date (with a benchmark: the equal-weighted universe's historical "
                       "beta to it); a style factor by its historical slope.")
            if named is not None:
                st.caption(f"Checked on {sel.date}: each name holds on the date shown only while its factor still "
                           f"follows its reference over the {CHECK_DAYS} trading days to it (column 'on the date', "
                           "data known at its close); below 0.3 the name is dropped for that date, said in the "
                           "factor's label, and its exposures are shown per 1 sd of the factor.")
            ui.plot(figures.factor_correlations(dated[refs].iloc[:40], dated["suggested name"]), "factor_names")
            st.dataframe(dated[["suggested name", "best match", "correlation", "on the date", "check", "unit"]]
                         .round(3), width="stretch")

        # run only while open (a rerun when opened): the first view draws the date's exposures and names, not the
        # three charts of the history behind them (the warm-up of an upload has their series ready)
        with st.expander("Over time: the portfolio's exposures, its factor vs specific risk and the realised factor "
                         "returns", key="exp_over_time", on_change="rerun") as box:
            if box.open:
                _over_time(weights, series, named, r.factor_share)
