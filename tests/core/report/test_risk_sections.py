"""core/report/risk_sections.py: the report's stress-test and attribution sections (issue 24): charts inline (no
scripts, text as text, readable percent axes), both readings, the specific and compounding lines; covariance-only
models say why there is no attribution; `neuralfactors report` carries both sections, and a 500-stock report stays
small."""
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core.cli.parser import build_parser
from core.data.embedded import load_dataset
from core.data.synthetic import make_market
from core.errors import NotAvailable
from core.report.risk_sections import attribution_section, stress_section
from core.workbench import forecasts


@pytest.fixture(scope="module")
def sp():
    p = load_dataset("sp500-20")
    return p, pd.Series(1.0 / p.n_tickers, index=p.tickers)


def _view(panel, fc, weights, date=None) -> SimpleNamespace:
    """What the sections read of core.report.page.View."""
    return SimpleNamespace(panel=panel, forecasts=fc, date=date or fc.series.dates[-1], weights=weights, named=None,
                           memo={})


def _offline(html: str) -> None:
    assert "<script" not in html and not re.search(r'(src|href)="https?://', html)


def test_stress_section_has_both_readings_and_every_window(sp):
    p, w = sp
    nf = forecasts(p, "neuralfactors")
    html = stress_section(_view(p, nf, w))
    _offline(html)
    for name in ("1998 LTCM", "2008 GFC", "2020 COVID crash", "2022 rate shock"):
        assert name in html
    assert "factor replay (%)" in html and "specific band (%)" in html and "Worst window: 2008 GFC" in html
    assert html.count("<svg") == 2 and re.search(r">-?\d+%<", html)  # percent ticks, round
    assert "Contributions by sector" in html and "Contributions by factor" in html and "compounding" in html


def test_stress_section_of_a_covariance_only_model_replays_only(sp):
    p, w = sp
    lw = forecasts(p, "ledoit-wolf")
    html = stress_section(_view(p, lw, w))
    assert "no factors" in html and "Contributions by factor" not in html and html.count("<svg") == 2


def test_attribution_section_shows_specific_and_compounding(sp):
    p, w = sp
    nf = forecasts(p, "neuralfactors")
    html = attribution_section(_view(p, nf, w))
    _offline(html)
    assert "(63 days)" in html and html.count("<svg") == 1
    for line in ("specific", "compounding", "sum of the daily parts", "total"):
        assert f"<td>{line}</td>" in html
    with pytest.raises(NotAvailable, match="covariance-only"):
        attribution_section(_view(p, forecasts(p, "ledoit-wolf"), w))


@pytest.mark.slow
def test_report_command_contains_both_sections(tmp_path):
    out = tmp_path / "report.html"
    args = build_parser().parse_args(["report", "--dataset", "sp500-20", "--model", "neuralfactors", "--out",
                                      str(out)])
    assert args.handler(args) == 0
    text = out.read_text()
    assert text.count("<h2>Stress tests</h2>") == 1 and text.count("<h2>Attribution</h2>") == 1
    assert len(text.encode()) < 2_000_000


def test_sections_hold_at_500_stocks():
    p, _ = make_market(n_stocks=500, n_dates=300, n_factors=4, seed=3)
    pca = forecasts(p, "pca")  # fitted now; factor returns by cross-sectional regression
    w = pd.Series(np.full(500, 1 / 500), index=p.tickers)
    html = stress_section(_view(p, pca, w)) + attribution_section(_view(p, pca, w))
    assert len(html.encode()) < 200_000  # tables are top-N or by sector, never one row per stock
    assert html.count("<tr>") < 80
