"""`python -m benchmarks load`: its place among the benchmarks, its sizes and its Markdown from session records (no
heavy run here: the full one is run for docs/bench_load.md)."""
import pytest

from benchmarks import load
from benchmarks.__main__ import build_parser, main


def test_load_is_a_benchmark_taking_quick_and_out_only(capsys):
    args = build_parser().parse_args(["load", "--quick", "--out", "x"])
    assert (args.what, args.quick, args.out) == ("load", True, "x")
    with pytest.raises(SystemExit) as exc:
        main(["load", "--query", "?model=truth"])
    assert exc.value.code == 2 and "--query applies to" in capsys.readouterr().err


def test_25_sessions_of_5_users_and_a_quick_run_of_4():
    users, per_user, pages = load.sizes(False)
    assert (users * per_user, users, pages) == (25, 5, 2)
    assert load.sizes(True) == (2, 2, 1)
    assert len(set(load.PAGES)) >= per_user  # the sessions of a user open different pages at once


def test_the_markdown_counts_errors_and_sessions_that_saw_another_users_data():
    sessions = [{"n": 0, "who": "user1", "visits": ["overview"], "times": [3.0], "errors": 0, "notes": [], "own": True},
                {"n": 1, "who": "user2", "visits": ["var"], "times": [5.0], "errors": 1, "notes": ["waited 900 s"],
                 "own": False}]
    text = load._markdown(False, sessions, 10.0, 20.0, "finished after 30 s", 60.0)
    assert "`python -m benchmarks load`" in text and "**errors: 1**" in text
    assert "**own data only: 1 of 2 sessions**" in text and "median 4.0 s, max 5.0 s over 2 page visits" in text
    assert "| 2 | user2 | var | 5.0 | 1 | NO |" in text and "- session 2: waited 900 s" in text
