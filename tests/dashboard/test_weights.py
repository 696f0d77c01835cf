"""dashboard.weights: what to tell a user about weights, only what is true of them (issue 23)."""
from dashboard.weights import weight_problems

TICKERS = ["A", "B", "C"]


def test_the_products_own_rounding_is_no_problem():
    assert weight_problems({"A": 0.3333, "B": 0.3333, "C": 0.3333}, TICKERS) == []


def test_each_problem_only_when_true():
    assert weight_problems({"A": 0.5, "B": 0.5, "Z": 0.2}, TICKERS) == [
        "1 ticker(s) without a forecast on this date dropped (Z); use tickers of this dataset"]
    (sum_,) = weight_problems({"A": 0.5, "B": 0.2}, TICKERS)
    assert "sum to 0.7" in sum_ and "dropped" not in sum_
    said = " ".join(weight_problems({"A": 5.0, "B": -4.0}, TICKERS))
    assert "leverage: A has a weight of 500%" in said and "negative" in said and "dropped" not in said
    assert not any("negative" in m for m in weight_problems({"A": 1.5, "B": -0.5}, TICKERS, long_only=False))
