"""core/report/page.py, the presentation report (issue 14): one self-contained offline HTML file, from the CLI and
the dashboard."""
import re

import pytest

from core.cli.parser import build_parser
from core.report import build_report
from core.report.page import SECTIONS, Section
from core.workbench import forecasts
from dashboard import services


@pytest.fixture(scope="module")
def synthetic():
    p = services.panel("synthetic")
    return p, forecasts(p, "truth")


def test_report_is_self_contained_with_every_section(synthetic, monkeypatch):
    """The page with its workbook, as the dashboard's button makes them (core.report.bundle): every section, and each
    table both show computed once for the two (a VaR series, multi-day paths, replays: the call counts)."""
    import io
    from collections import Counter

    import pandas as pd

    from core.report import tables
    from core.report.bundle import page_and_workbook

    calls = Counter()

    def counted(name, real):
        def call(*args, **kw):
            calls[name] += 1
            return real(*args, **kw)
        return call

    for name in ("var_series", "horizon_table", "horizon_series", "stress_tests", "attribute"):
        monkeypatch.setattr(tables, name, counted(name, getattr(tables, name)))
    p, fc = synthetic
    date = fc.series.dates[-40]
    page, book = page_and_workbook(p, fc, date, "equal weight")
    assert calls == dict.fromkeys(("var_series", "horizon_table", "horizon_series", "stress_tests", "attribute"), 1)
    sheets = pd.read_excel(io.BytesIO(book), sheet_name=None)
    assert {"VaR backtest", "VaR verdicts", "Multi-day VaR", "Multi-day backtest", "Stress",
            "Attribution"} <= set(sheets)
    assert "not available" not in sheets["Multi-day backtest"].columns  # the sheet of a table that could not be made
    for section in ("Key metrics", "Holdings and risk contributions", "Factor exposures", "VaR and backtests",
                    "Multi-day VaR", "Covariance", "Equity curve", "Model comparison"):
        assert f"<h2>{section}</h2>" in page
    multi = page[page.index("<h2>Multi-day VaR</h2>"):page.index("<h2>Covariance</h2>")]
    assert "<h3>10-day VaR over the test split</h3>" in multi and "<h3>21-day VaR over the test split</h3>" in multi
    assert re.search(r"Backtest on \d+ non-overlapping 10-day windows", multi) and "not tested: dependent" in multi
    assert "simulated paths of i.i.d. days" in multi and "1-day VaR 99% x sqrt(h)" in multi
    assert "<script" not in page and not re.search(r'(src|href)="https?://', page)  # readable offline
    assert "reject at 5%" in page or "pass" in page  # verdicts
    assert "Basel traffic light" in page and "last 250 days" in page and "<svg" in page
    assert "VaR method: " in page and not re.search(r"method: [a-z]+_[a-z]+", page)  # in words, not the key


def test_report_command_writes_the_file(tmp_path, capsys):
    p = services.panel("synthetic")
    date = str(forecasts(p, "truth").series.dates[-40].date())
    out = tmp_path / "report.html"
    args = build_parser().parse_args(["report", "--dataset", "synthetic", "--model", "pca", "--date", date,
                                      "--portfolio", "equal weight", "--value", "250000", "--out", str(out)])
    assert args.handler(args) == 0
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>") and date in text and "wrote" in capsys.readouterr().out


def _widest_table(page: str) -> int:
    """The most cells in one row of any table of the page."""
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
    return max(len(re.findall(r"<t[dh][ >]", row)) for row in rows)


def test_report_of_a_500_stock_portfolio_is_small_and_no_wider_than_the_page(tmp_path):
    """At 524 stocks the report was 21.6 MB with two ~450 x 450 correlation tables and a 497-row weights table."""
    from benchmarks.userfiles import write_vendor_csv

    from core.data.files import load_file

    panel = load_file(write_vendor_csv(tmp_path / "prices.csv").path)
    fc = forecasts(panel, "ledoit-wolf")
    date = fc.series.dates[-30]
    page = build_report(panel, fc, date, "minimum variance", value=1_000_000)
    assert len(page.encode()) < 2_000_000
    assert _widest_table(page) <= 12
    assert "By sector" in page and "<h2>Covariance</h2>" in page and "stocks held" in page
    assert re.search(r"VaR 99%<b>\d+\.\d\d% \([\d,]+\)</b>", page)  # in money beside the percentage


def test_percentages_words_and_the_model_comparison(synthetic):
    import pandas as pd

    p, fc = synthetic
    comparison = pd.DataFrame({"nll_joint": [0.5, 0.6], "box_m": [2.0, 3.0], "var99_rate": [0.011, 0.03]},
                              index=["truth", "pca"])
    comparison.attrs["dates"] = [str(p.dates[-500].date()), str(p.dates[-1].date())]
    page = build_report(p, fc, fc.series.dates[-40], "equal weight", comparison=comparison,
                        sections=["Equity curve", "Model comparison"])  # the sections these checks read
    assert "total return" in page and not re.search(r"total return</td><td[^>]*>-?\d\.\d{3}", page)
    assert re.search(r"total return</td><td[^>]*>-?\d+\.\d\d%", page)  # a percentage, not 1.301
    assert "Box&#x27;s M: distance" in page and "1.10%<" in page  # words beside the metric; the rate in percent
    assert "3.00% (implausible)" in page  # the one verdict rule on a bare breach rate
    assert "@media print" in page


def test_a_section_is_one_line_and_sections_are_optional(synthetic, monkeypatch):
    p, fc = synthetic
    monkeypatch.setattr("core.report.page.SECTIONS", [*SECTIONS, Section("Extra", lambda v: "<p>extra section</p>")])
    page = build_report(p, fc, fc.series.dates[-40], "equal weight", sections=["Key metrics", "Extra"])
    assert "<h2>Extra</h2><p>extra section</p>" in page and "<h2>Covariance</h2>" not in page
