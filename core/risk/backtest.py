"""VaR backtests (spec section 4). Loss convention: VaR is a positive loss; day t is an
exceedance when the realised loss -r_t is LARGER than VaR_t.

Kupiec POF:   LR_uc = -2 ln[(1-p)^(n-x) p^x / ((1-x/n)^(n-x) (x/n)^x)] ~ chi2(1), p = 1 - level.
Christoffersen: transition counts n_ij = #{t: I_{t-1} = i, I_t = j} (so n01 = a quiet day
followed by an exceedance); pi01 = n01/(n00+n01), pi11 = n11/(n10+n11), pi = (n01+n11)/(n-1);
LR_ind = -2 ln[L(pi) / L(pi01, pi11)] ~ chi2(1); LR_cc = LR_uc + LR_ind ~ chi2(2).
Basel traffic light: exceedances of the 99% VaR in the last 250 days: green <= 4, yellow 5-9, red >= 10.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.special import chdtrc, xlogy

from core.errors import ModelError

BASEL_WINDOW = 250


def exceedances(returns, var) -> np.ndarray:
    """Boolean (T,) series: realised loss -r_t > VaR_t (VaR positive). NaN days are dropped first by the caller."""
    r, v = np.asarray(returns, dtype=np.float64), np.asarray(var, dtype=np.float64)
    if r.shape != v.shape:
        raise ModelError(f"returns {r.shape} and VaR {v.shape} series differ in length; align them by date")
    return -r > v


def kupiec(n_exc: int, n: int, level: float) -> tuple[float, float]:
    """(LR_uc, p-value) of the proportion-of-failures test for x = n_exc exceedances in n days."""
    if n <= 0:
        return float("nan"), float("nan")
    p, x = 1.0 - level, float(n_exc)
    phat = x / n
    ll_null = xlogy(n - x, 1 - p) + xlogy(x, p)
    ll_alt = xlogy(n - x, 1 - phat) + xlogy(x, phat)
    lr = max(-2.0 * (ll_null - ll_alt), 0.0)
    return float(lr), float(chdtrc(1, lr))


def transition_counts(exc) -> tuple[int, int, int, int]:
    """(n00, n01, n10, n11): n_ij counts days with I_{t-1} = i and I_t = j."""
    e = np.asarray(exc, dtype=bool)
    prev, cur = e[:-1], e[1:]
    return (int(np.sum(~prev & ~cur)), int(np.sum(~prev & cur)), int(np.sum(prev & ~cur)), int(np.sum(prev & cur)))


def christoffersen(exc, level: float) -> tuple[float, float, float, float]:
    """(LR_ind, p_ind, LR_cc, p_cc) for the exceedance series exc (T,)."""
    n00, n01, n10, n11 = transition_counts(exc)
    pi01 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / max(n00 + n01 + n10 + n11, 1)
    ll_null = xlogy(n00 + n10, 1 - pi) + xlogy(n01 + n11, pi)
    ll_alt = xlogy(n00, 1 - pi01) + xlogy(n01, pi01) + xlogy(n10, 1 - pi11) + xlogy(n11, pi11)
    lr_ind = max(-2.0 * (ll_null - ll_alt), 0.0)
    e = np.asarray(exc, dtype=bool)
    lr_cc = kupiec(int(e.sum()), e.size, level)[0] + lr_ind
    return float(lr_ind), float(chdtrc(1, lr_ind)), float(lr_cc), float(chdtrc(2, lr_cc))


def traffic_light(exc, window: int = BASEL_WINDOW) -> tuple[str, int]:
    """(zone, count) for the last `window` days of a 99% VaR exceedance series."""
    count = int(np.sum(np.asarray(exc, dtype=bool)[-window:]))
    return ("green" if count <= 4 else "yellow" if count <= 9 else "red"), count


@dataclass
class VaRBacktest:
    level: float
    n_days: int
    n_exceedances: int
    rate: float
    kupiec_lr: float
    kupiec_p: float
    christoffersen_ind_lr: float
    christoffersen_ind_p: float
    christoffersen_cc_lr: float
    christoffersen_cc_p: float
    traffic_light: str | None
    traffic_light_count: int | None

    def to_dict(self) -> dict:
        return asdict(self)


def var_backtest(returns, var, level: float) -> VaRBacktest:
    """All backtests of one VaR series. returns, var: (T,) aligned by date (NaN pairs dropped).
    The traffic light is reported for the 99% level only (None otherwise)."""
    r, v = np.asarray(returns, dtype=np.float64), np.asarray(var, dtype=np.float64)
    ok = np.isfinite(r) & np.isfinite(v)
    exc = exceedances(r[ok], v[ok])
    n, x = exc.size, int(exc.sum())
    lr_uc, p_uc = kupiec(x, n, level)
    lr_ind, p_ind, lr_cc, p_cc = christoffersen(exc, level) if n > 1 else (float("nan"),) * 4
    zone, count = traffic_light(exc) if abs(level - 0.99) < 1e-9 else (None, None)
    return VaRBacktest(level, n, x, x / n if n else float("nan"), lr_uc, p_uc, lr_ind, p_ind, lr_cc, p_cc, zone, count)


# --- plain-language verdicts ---------------------------------------------------------------
# ONE rule for every verdict (the VaR page, the report, the model comparison, `evaluate`): a breach rate is
# plausible inside `plausible_range`; a row is "good" (green) only when its test passes AND the breach rate of its
# VaR level is plausible; a test on a window shorter than its definition says so and is not judged.
ALPHA = 0.05  # significance level of every verdict
#: a breach rate inside [1/PLAUSIBLE, PLAUSIBLE] x the expected rate is plausible (so is any count inside the
#: central 1 - ALPHA binomial interval, which is wider on short windows)
PLAUSIBLE = 2.0
TRAFFIC_NA = f"n/a: needs {BASEL_WINDOW} days"
CHECKS = {
    "breach rate": "share of {unit} whose loss was larger than the VaR; a good model breaches on about {exp} of "
                   "{unit}",
    "Kupiec": "are there as many breaches as the VaR level promises (unconditional coverage, chi-squared 1 dof)?",
    "Christoffersen independence": "do breaches come one at a time, not in clusters on consecutive {unit}?",
    "Christoffersen conditional coverage": "both at once: the right number of breaches and no clustering "
                                           "(chi-squared 2 dof)",
    "Basel traffic light": "99% VaR breaches in the last 250 days: green zone 0-4, yellow 5-9, red 10 or more "
                           "(defined on 250 days only)",
}


def format_p(p: float | None) -> str:
    """A p-value for people: "< 0.0001" below 1e-4, else 4 significant digits; "n/a" when undefined."""
    if p is None or not np.isfinite(p):
        return "n/a"
    return "< 0.0001" if p < 1e-4 else f"{p:.4g}"


def plausible_range(n_days: int, level: float) -> tuple[float, float]:
    """(low, high) plausible breach RATES of a `level` VaR over `n_days`: the wider of the factor-PLAUSIBLE band
    around the expected rate 1 - level and the central 1 - ALPHA binomial interval of the count."""
    expected = 1.0 - level
    if n_days <= 0:
        return 0.0, 1.0
    from scipy import stats  # imported on use: scipy.stats takes most of a second (chi2.sf above is scipy.special's)

    lo = stats.binom.ppf(ALPHA / 2, n_days, expected) / n_days
    hi = stats.binom.isf(ALPHA / 2, n_days, expected) / n_days
    return float(min(expected / PLAUSIBLE, lo)), float(max(expected * PLAUSIBLE, hi))


def plausible(bt: VaRBacktest) -> bool:
    """The breach rate lies inside `plausible_range` (False on an empty backtest)."""
    lo, hi = plausible_range(bt.n_days, bt.level)
    return bt.n_days > 0 and lo <= bt.rate <= hi


def rate_tone(rate: float, n_days: int, level: float) -> str:
    """The tone of a bare breach rate (a model comparison's column): "good" inside `plausible_range`, "bad"
    outside, "" when undefined."""
    if not np.isfinite(rate) or n_days <= 0:
        return ""
    lo, hi = plausible_range(n_days, level)
    return "good" if lo <= rate <= hi else "bad"


def tone(verdict: str, rate_plausible: bool) -> str:
    """The tone of a verdict ("good", "warn", "bad" or ""; the presentation colours it): "good" only for a pass /
    plausible / green zone while the breach rate of the same VaR level is plausible; "bad" for a rejection, an
    implausible rate or the red zone; "warn" for the yellow zone and for a pass beside an implausible rate; "" for
    n/a."""
    v = str(verdict)
    if v.startswith(("reject", "implausible", "red")):
        return "bad"
    if v in ("pass", "green zone") or v.startswith("plausible"):
        return "good" if rate_plausible else "warn"
    return "warn" if v.startswith("yellow") else ""


def verdicts(bt: VaRBacktest, unit: str = "days") -> list[dict]:
    """One row per test of a VaR backtest: test, window, result, p-value (formatted), verdict
    ("pass" / "reject at 5%", the traffic-light zone, or "n/a: needs 250 days"), tone (`tone`) and what the
    test checks. unit: what bt.n_days counts ("days"; "10-day windows" for a multi-day VaR's backtest)."""
    lv = f"{int(round(bt.level * 100))}%"
    exp = f"{100 * (1 - bt.level):.0f}%"
    span = f"all {bt.n_days} {unit}"
    ok_rate = plausible(bt)
    lo, hi = plausible_range(bt.n_days, bt.level)

    def row(name, window, result, p, verdict, checks):
        return {"VaR": lv, "test": name, "window": window, "result": result, "p-value": p, "verdict": verdict,
                "tone": tone(verdict, ok_rate), "what it checks": checks}

    def test(name, p):
        verdict = ("pass" if p >= ALPHA else "reject at 5%") if np.isfinite(p) else "n/a"
        return row(name, span, f"LR = {_lr(bt, name):.2f}", format_p(p), verdict, CHECKS[name].format(unit=unit))

    band = f"{100 * lo:.2f}%-{100 * hi:.2f}%"
    rows = [row("breach rate", span, f"{bt.n_exceedances} breaches = {100 * bt.rate:.2f}% (expected {exp})", "",
                f"plausible ({band})" if ok_rate else f"implausible (outside {band})",
                CHECKS["breach rate"].format(exp=exp, unit=unit)),
            test("Kupiec", bt.kupiec_p), test("Christoffersen independence", bt.christoffersen_ind_p),
            test("Christoffersen conditional coverage", bt.christoffersen_cc_p)]
    if bt.traffic_light is not None:
        short = bt.n_days < BASEL_WINDOW
        rows.append(row("Basel traffic light", f"all {bt.n_days} days" if short else f"last {BASEL_WINDOW} days",
                        f"{bt.traffic_light_count} breaches", "",
                        TRAFFIC_NA if short else f"{bt.traffic_light} zone", CHECKS["Basel traffic light"]))
    return rows


def _lr(bt: VaRBacktest, name: str) -> float:
    return {"Kupiec": bt.kupiec_lr, "Christoffersen independence": bt.christoffersen_ind_lr,
            "Christoffersen conditional coverage": bt.christoffersen_cc_lr}[name]
