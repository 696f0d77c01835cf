"""core/report/charts.py: one matplotlib builder per chart kind, inline SVG through one `svg` helper; the report's
every chart comes from these builders, and no SVG is written by hand anywhere in core or the dashboard."""
import ast
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from core.report import build_report, charts
from core.workbench import forecasts
from dashboard import services

ROOT = Path(__file__).resolve().parents[3]
BUILDERS = {"line_chart", "bar_chart", "windows_chart", "path_chart"}
#: an SVG element's opening tag
SVG_TAG = re.compile(r"<\s*(svg|polyline|polygon|rect|line|path|circle|ellipse|text|tspan|g)[\s>/]")


def test_svg_is_inline_text_and_shrinks_to_the_page():
    fig = Figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    ax.set_ylabel("return (%)")
    out = charts.svg(fig)
    assert out.startswith('<svg style="max-width:100%;height:auto"') and out.rstrip().endswith("</svg>")
    assert "return (%)" in out and "<?xml" not in out  # text as text, no XML header inside the HTML


def test_line_chart_marks_the_date_and_reads_percent():
    dates = pd.bdate_range("2020-01-01", periods=60)
    frame = pd.DataFrame({"portfolio return": np.linspace(-0.02, 0.03, 60), "-VaR 99%": -0.025}, index=dates)
    out = charts.line_chart(frame, "daily return", percent=True, mark=dates[30])
    assert out.count("<svg") == 1 and "portfolio return" in out and "-VaR 99%" in out  # the legend, as text
    assert str(dates[30].date()) in out and re.search(r">-?\d+%<", out)  # the mark's date; percent ticks
    assert str(dates[30].date()) not in charts.line_chart(frame, "daily return", mark=dates[0] - pd.Timedelta("9D"))
    assert charts.line_chart(frame.iloc[:0], "daily return") == charts.NO_DATA


def test_bar_chart_labels_every_category():
    values = pd.Series([0.1, -0.05, 0.2], index=["Energy", "Utilities", "Health Care"])
    out = charts.bar_chart(values, "weight")
    assert all(name in out for name in values.index) and re.search(r">\d+%<", out)
    assert charts.bar_chart(values.iloc[:0], "weight") == charts.NO_DATA


def _svg_literals(path: Path) -> list[str]:
    """String literals of a module (f-string parts included) holding an SVG tag, outside charts.svg (which trims
    matplotlib's output to its <svg> element)."""
    tree = ast.parse(path.read_text())
    allowed = set()
    if path == ROOT / "core" / "report" / "charts.py":
        helper = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "svg")
        allowed = {id(n) for n in ast.walk(helper)}
    return [f"{path.relative_to(ROOT)}:{n.lineno}: {n.value[:60]!r}" for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and SVG_TAG.search(n.value)
            and id(n) not in allowed]


def test_no_hand_written_svg_in_core_or_the_dashboard():
    assert SVG_TAG.search('f"<polyline fill=\\"none\\"') and SVG_TAG.search("<rect x=") and SVG_TAG.search("<svg>")
    assert not SVG_TAG.search("<linearGradient") and not SVG_TAG.search("<table><tr>")
    found = [hit for top in ("core", "dashboard") for path in sorted((ROOT / top).rglob("*.py"))
             for hit in _svg_literals(path)]
    assert not found, f"hand-written SVG (draw it with a core/report/charts.py builder): {found}"


def test_only_the_chart_builders_draw_with_matplotlib():
    importers = [str(p.relative_to(ROOT)) for top in ("core", "dashboard") for p in (ROOT / top).rglob("*.py")
                 if re.search(r"^\s*(import|from) matplotlib\b", p.read_text(), re.M)]
    assert importers == ["core/report/charts.py"]


def test_every_chart_of_the_report_comes_from_a_builder(monkeypatch):
    """Every <svg> of the page passed through charts.svg, called by one of the builders; every builder is used."""
    drawn, callers, real = [], set(), charts.svg

    def recording(fig):
        callers.add(sys._getframe(1).f_code.co_name)
        drawn.append(real(fig))
        return drawn[-1]

    monkeypatch.setattr(charts, "svg", recording)
    p = services.panel("sp500-20")
    fc = forecasts(p, "neuralfactors")
    page = build_report(p, fc, fc.series.dates[-1], "equal weight")
    assert drawn and page.count("<svg") == len(drawn) and all(chart in page for chart in drawn)
    assert callers == BUILDERS
