"""The dashboard's pages, in navigation order, defined once: app.py builds st.navigation from them and the tests
visit them. The first is the default page (its URL path is empty)."""
from __future__ import annotations

from typing import NamedTuple


class Page(NamedTuple):
    stem: str  # dashboard/app_pages/<stem>.py, also its URL path
    title: str
    icon: str


PAGES = (
    Page("overview", "Overview", ":material/dashboard:"),
    Page("exposures", "Factor exposures", ":material/grid_on:"),
    Page("clusters", "Sector clusters", ":material/bubble_chart:"),
    Page("covariance", "Covariance", ":material/blur_on:"),
    Page("var", "VaR", ":material/warning:"),
    Page("lab", "Portfolio lab", ":material/tune:"),
    Page("comparison", "Model comparison", ":material/table_chart:"),
    Page("scenarios", "Scenarios", ":material/scatter_plot:"),
    Page("stress", "Stress tests", ":material/thunderstorm:"),
    Page("attribution", "Attribution", ":material/stacked_bar_chart:"),
    Page("your_data", "Your data", ":material/upload_file:"),
    Page("workspaces", "Workspaces", ":material/folder_special:"),
)
#: the pages that need no model's forecasts (shown even when the sidebar's model has none on its dataset)
NO_FORECASTS = ("your_data", "workspaces")


def url_path(page: Page) -> str:
    """The page's path in the app's URL: "" for the default (first) page, else its stem."""
    return "" if page == PAGES[0] else page.stem
