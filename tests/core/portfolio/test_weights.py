"""core.portfolio.weights: custom weights typed as text or uploaded as a CSV."""
import numpy as np
import pandas as pd
import pytest

from core.portfolio.weights import (basis, dollar_neutral, format_weights, legs, normalise, parse_weights, read_weights_csv,
                                    weight_problems, weights_csv)

TICKERS = ["A", "B", "C"]


def test_custom_weights_parse_check_normalise():
    w = parse_weights("A:0.5, B:-0.25,junk,C:x")
    assert w == {"A": 0.5, "B": -0.25}
    n = normalise({"A": 2.0, "Z": 5.0}, ["A", "B"])
    assert list(n.index) == ["A", "B"] and np.isclose(n.sum(), 1.0) and n["B"] == 0
    assert parse_weights(format_weights({"A": 0.25, "B": 0.75})) == {"A": 0.25, "B": 0.75}


def test_weights_file_round_trips():
    """Issue 14: the lab's weights CSV could not be uploaded back ("columns ['Unnamed: 0', 'weight']") and
    held 0.04999999999999999."""
    w = pd.Series(np.full(20, 1 / 20), index=[f"T{i}" for i in range(20)])
    w.iloc[:3] = [0.04999999999999999, 0.05000000000000001, 1 / 3 * 0.15]
    w = w / w.sum()
    data = weights_csv(w)
    assert data.decode().splitlines()[0] == "ticker,weight" and "0.04999999999999999" not in data.decode()
    back = pd.Series(read_weights_csv(data))
    assert list(back.index) == list(w.index)
    assert np.allclose(back.to_numpy(), w.to_numpy(), atol=1e-10) and abs(back.sum() - 1.0) < 1e-12
    assert normalise(back.to_dict(), list(w.index)).round(10).equals(w.round(10))
    old = w.rename("weight").to_frame().to_csv().encode()  # the old download: unnamed index column
    assert read_weights_csv(old).keys() == back.to_dict().keys()


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


def test_legs_of_a_dollar_neutral_and_of_a_long_only_book():
    book = legs(normalise({"A": 3.0, "B": -1.0, "C": -2.0}, TICKERS))
    assert (book.gross, book.net, book.long, book.short) == pytest.approx((1.0, 0.0, 0.5, -0.5), abs=1e-15)
    assert (book.n_long, book.n_short) == (1, 2) and book.basis == "of gross (a dollar-neutral book)"
    assert book.words() == ("Gross 100.0%, net 0.0%: long 50.0% in 1 stock, short -50.0% in 2 stocks (percent of "
                            "gross, a dollar-neutral book)")
    table = book.table()
    assert table["weight"].to_dict() == pytest.approx({"gross": 1.0, "net": 0.0, "long": 0.5, "short": -0.5}, abs=1e-15)
    assert table["stocks"].tolist() == [3, 3, 1, 2]
    assert set(table["unit"]) == {"fraction of gross (a dollar-neutral book)"}
    tilted = legs({"A": 1.3, "B": -0.3, "C": 0.0})  # 130/30: a net of 100% of capital
    assert tilted.gross == pytest.approx(1.6) and tilted.net == pytest.approx(1.0) and tilted.short == -0.3
    assert (tilted.n_long, tilted.n_short) == (1, 1) and "percent of capital" in tilted.words()


def test_a_dollar_neutral_book_is_read_as_fractions_of_gross():
    w = normalise({"A": 1.0, "B": -0.5, "C": -0.5}, TICKERS)
    assert w.to_dict() == {"A": 0.5, "B": -0.25, "C": -0.25} and dollar_neutral(w)
    assert basis(w) == "of gross (a dollar-neutral book)" and basis({"A": 0.6, "B": 0.4}) == "of capital"
    assert weight_problems({"A": 1.0, "B": -0.5, "C": -0.5}, TICKERS, long_only=False) == [
        "a dollar-neutral book (net 0, gross 2): shown rescaled to a gross of 1, its returns as percent of gross"]
    assert weight_problems({"A": 0.5, "B": -0.5}, TICKERS, long_only=False) == []
