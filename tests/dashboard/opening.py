"""What a page runs only once opened (a tab or expander keyed with on_change="rerun"), for the AppTests that visit
every page: `open_all` opens it, so their checks reach it too."""
from streamlit.testing.v1 import AppTest

#: {page stem: {widget key: the value that opens it}}
OPENED = {"exposures": {"exp_over_time": True}, "stress": {"stress_tab": "Shocks"},
          "lab": {"lab_tab": "Sector totals", "act_tab": "Active risk by sector"}}


def open_all(at: AppTest, page: str, timeout: float = 300) -> AppTest:
    """Open, one after the other, what `page` (already run in `at`) runs only once opened; `at` after each run."""
    for key, value in OPENED.get(page, {}).items():
        at.session_state[key] = value
        at.run(timeout=timeout)
    return at
