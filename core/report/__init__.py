"""The offline HTML report of a (data, model, date, portfolio) view: page.py assembles the page from its SECTIONS,
risk_sections.py holds the stress-test and attribution sections, charts.py one matplotlib builder per chart kind
(inline SVG), palette.py the colours the report and the dashboard share."""
from core.report.page import PERCENT_METRICS, RATE_METRICS, build_report, comparison_days, for_view

__all__ = ["PERCENT_METRICS", "RATE_METRICS", "build_report", "comparison_days", "for_view"]
