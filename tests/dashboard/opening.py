"""What a page runs only once opened (a tab or expander keyed with on_change="rerun"), for the AppTests that visit
every page: `open_all` opens it, so their checks reach it too."""
from streamlit.testing.v1 import AppTest

#: {page stem: {widget key: the values that open its parts, one after the other}}; a tab a model does not offer
#: (a covariance-only model has "Principal components", not "Factor exposures") leaves its group on the first tab
OPENED = {"exposures": {"exp_over_time": (True,)}, "stress": {"stress_tab": ("Shocks",)},
          "lab": {"lab_tab": ("Sector totals", "Factor exposures", "Principal components"),
                  "act_tab": ("Active risk by factor", "Active risk by sector")}}


def open_all(at: AppTest, page: str, timeout: float = 300) -> AppTest:
    """Open, one after the other, what `page` (already run in `at`) runs only once opened; `at` after each run."""
    for key, values in OPENED.get(page, {}).items():
        for value in values:
            at.session_state[key] = value
            at.run(timeout=timeout)
    return at
