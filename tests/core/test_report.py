"""The presentation report (issue 14): one self-contained offline HTML file, from the CLI and the dashboard."""
import re

import pytest

from core.cli.parser import build_parser
from core.report import build_report
from core.workbench import forecasts
from dashboard import services


@pytest.fixture(scope="module")
def synthetic():
    p = services.panel("synthetic")
    return p, forecasts(p, "truth")


def test_report_is_self_contained_with_every_section(synthetic):
    p, fc = synthetic
    date = fc.series.dates[-40]
    page = build_report(p, fc, date, "equal weight")
    for section in ("Key metrics", "Weights and risk contributions", "Factor exposures", "VaR and backtests",
                    "Covariance", "Equity curve", "Model comparison"):
        assert f"<h2>{section}</h2>" in page
    assert "<script" not in page and not re.search(r'(src|href)="https?://', page)  # readable offline
    assert "reject at 5%" in page or "pass" in page  # verdicts
    assert "Basel traffic light" in page and "last 250 days" in page and "<svg" in page
    assert "(method: " in page and not re.search(r"method: [a-z]+_[a-z]+", page)  # in words, not the key


def test_report_command_writes_the_file(tmp_path, capsys):
    p = services.panel("synthetic")
    date = str(forecasts(p, "truth").series.dates[-40].date())
    out = tmp_path / "report.html"
    args = build_parser().parse_args(["report", "--dataset", "synthetic", "--model", "pca", "--date", date,
                                      "--portfolio", "equal weight", "--out", str(out)])
    assert args.handler(args) == 0
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>") and date in text and "wrote" in capsys.readouterr().out
