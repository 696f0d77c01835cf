"""benchmarks/page_profile.py: the table of each page's CPU seconds (the measuring itself runs the whole app in
AppTest, in fresh processes: `python -m benchmarks page_profile`)."""
from benchmarks.page_profile import table


def test_each_page_reads_its_cold_start_first_and_second_visit():
    rows = [{"page": "Overview", "visit": "cold start", "cpu_s": 3.3}, {"page": "Overview", "visit": "second",
                                                                        "cpu_s": 0.06},
            {"page": "VaR", "visit": "cold start", "cpu_s": 3.4}, {"page": "VaR", "visit": "first", "cpu_s": 4.49},
            {"page": "VaR", "visit": "second", "cpu_s": 0.36}]
    lines = table(rows)
    assert lines[2] == "| Overview | 3.30 | (the cold start) | 0.06 |"
    assert lines[3] == "| VaR | 3.40 | 4.49 | 0.36 |" and len(lines) == 4
