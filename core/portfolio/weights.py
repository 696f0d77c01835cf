"""Portfolio weights as users write them: "AAPL:0.5,MSFT:0.5" in a link, checks with the fix, rescaling."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.errors import PortfolioError
from core.io import csv_bytes, from_csv_text


def parse_weights(text: str) -> dict[str, float]:
    """'AAPL:0.5,MSFT:0.5' -> {ticker: weight}; parts that are not TICKER:number are skipped."""
    out = {}
    for part in filter(None, (s.strip() for s in text.split(","))):
        tk, _, w = part.partition(":")
        try:
            out[tk.strip()] = float(w)
        except ValueError:
            continue
    return out


def format_weights(weights: dict[str, float]) -> str:
    return ",".join(f"{k}:{v:.4g}" for k, v in weights.items() if v != 0)


ROUNDING = 1e-3  # a sum this close to 1 is the product's own rounding: rescaled without a word
LEVERAGE = 1.0  # a single weight above this (100%) is leverage, said


def weight_problems(weights: dict[str, float], tickers: list[str], long_only: bool = True) -> list[str]:
    """Problems of user weights {ticker: weight} against the forecast's `tickers`: unknown tickers (dropped), a sum
    away from 1 (rescaled; a dollar-neutral book to a gross of 1), negative weights in a long-only portfolio, a single
    weight above 100% (leverage)."""
    known = set(tickers)
    unknown = [t for t in weights if t not in known]
    kept = {t: w for t, w in weights.items() if t in known}
    out = []
    if unknown:
        out.append(f"{len(unknown)} ticker(s) without a forecast on this date dropped ({', '.join(unknown[:5])}); "
                   "use tickers of this dataset")
    total, gross = sum(kept.values()), sum(abs(w) for w in kept.values())
    if kept and dollar_neutral(kept):
        if abs(gross - 1.0) > ROUNDING:
            out.append(f"a dollar-neutral book (net 0, gross {gross:.4g}): shown rescaled to a gross of 1, its returns "
                       "as percent of gross")
    elif kept and abs(total - 1.0) > ROUNDING:
        out.append(f"weights sum to {total:.4g}, not 1: shown rescaled to sum to 1")
    shorts = [t for t, w in kept.items() if w < 0]
    if long_only and shorts:
        out.append(f"{len(shorts)} negative weight(s) ({', '.join(shorts[:5])}) in a long-only portfolio: set them "
                   "to 0 or untick Long-only")
    big = {t: w for t, w in kept.items() if abs(w) > LEVERAGE}
    if big:
        t, w = max(big.items(), key=lambda kv: abs(kv[1]))
        out.append(f"leverage: {t} has a weight of {100 * w:.0f}% (more than the whole portfolio); check the weight")
    return out


def dollar_neutral(weights: pd.Series | dict) -> bool:
    """True for a long-short book whose net (sum of the weights) is nil next to its gross (sum of |w|): within
    ROUNDING of the gross."""
    w = pd.Series(weights, dtype=float)
    gross = float(w.abs().sum())
    return gross > 0 and abs(float(w.sum())) <= ROUNDING * gross


def normalise(weights: dict[str, float], tickers: list[str]) -> pd.Series:
    """Weights on `tickers` (unknown dropped, missing 0), rescaled to sum to 1 when possible; a dollar-neutral book
    (`dollar_neutral`) to a gross of 1, so what it earns reads as a fraction of gross."""
    w = pd.Series({t: float(weights.get(t, 0.0)) for t in tickers}, dtype=float).fillna(0.0)
    if dollar_neutral(w):
        return w / w.abs().sum()
    total = w.sum()
    return w / total if abs(total) > 1e-12 else w


def basis(weights: pd.Series | dict) -> str:
    """What the returns of `weights` are fractions of, in words: "of gross (a dollar-neutral book)" or "of
    capital"."""
    return "of gross (a dollar-neutral book)" if dollar_neutral(weights) else "of capital"


@dataclass(frozen=True)
class Legs:
    """A book's legs as fractions of what its weights are fractions of (`basis`): gross sum|w|, net sum w, long the
    sum of w > 0, short the sum of w < 0 (<= 0); stocks held long and short."""

    gross: float
    net: float
    long: float
    short: float
    n_long: int
    n_short: int
    basis: str  # "of gross (a dollar-neutral book)" or "of capital"

    def words(self) -> str:
        """The legs in one line: 'Gross 100.0%, net 0.0%: long 50.0% in 10 stocks, short -50.0% in 10 stocks
        (percent of gross, a dollar-neutral book)'."""
        unit = "percent of gross, a dollar-neutral book" if self.basis.startswith("of gross") else "percent of capital"
        pc = [f"{round(100 * x, 1) + 0.0:.1f}%" for x in (self.gross, self.net, self.long, self.short)]  # no -0.0
        stocks = [f"{n} stock{'' if n == 1 else 's'}" for n in (self.n_long, self.n_short)]
        return f"Gross {pc[0]}, net {pc[1]}: long {pc[2]} in {stocks[0]}, short {pc[3]} in {stocks[1]} ({unit})"

    def table(self) -> pd.DataFrame:
        """Rows gross, net, long, short; columns weight (a fraction), stocks, unit (what the weight is a fraction
        of)."""
        return pd.DataFrame({"weight": [self.gross, self.net, self.long, self.short],
                             "stocks": [self.n_long + self.n_short, self.n_long + self.n_short, self.n_long,
                                        self.n_short],
                             "unit": f"fraction {self.basis}"},
                            index=pd.Index(["gross", "net", "long", "short"], name="leg"))


def legs(weights: pd.Series | dict) -> Legs:
    """The `Legs` of weights (by ticker, as shown: a dollar-neutral book normalised to a gross of 1)."""
    w = pd.Series(weights, dtype=float).fillna(0.0)
    return Legs(gross=float(w.abs().sum()), net=float(w.sum()), long=float(w[w > 0].sum()),
                short=float(w[w < 0].sum()), n_long=int((w > 0).sum()), n_short=int((w < 0).sum()),
                basis=basis(w))


WEIGHT_DIGITS = 10  # weights files hold weights rounded to 1e-10


def rounded(weights: pd.Series, digits: int = WEIGHT_DIGITS) -> pd.Series:
    """Weights rounded to 10^-digits whose sum is exactly what it was rounded (the residue goes to
    the largest weight), so 0.04999999999999999 is written 0.05 and the file sums to 1."""
    w = weights.astype(float).round(digits)
    target = round(float(weights.sum()), digits)
    if len(w):
        k = w.abs().idxmax()
        w[k] = round(w[k] + target - float(w.sum()), digits)
    return w + 0.0  # no -0.0


def weights_csv(weights: pd.Series) -> bytes:
    """The weights file the dashboard writes and reads back: columns ticker,weight, rounded weights."""
    w = rounded(weights)
    frame = pd.DataFrame({"ticker": [str(t) for t in w.index], "weight": w.to_numpy()})
    return csv_bytes(frame, index=False, float_format=f"%.{WEIGHT_DIGITS}g")


def read_weights_csv(data) -> dict[str, float]:
    """{ticker: weight} from a weights CSV (bytes, path or file): columns ticker,weight (any case), or
    two columns whose first holds the tickers (a pandas index written without a name). PortfolioError
    with the fix otherwise."""
    import io

    buf = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    try:
        table = pd.read_csv(buf)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise PortfolioError(f"could not read the weights CSV ({exc}); write it with columns ticker,weight")
    cols = {str(c).lower().strip(): c for c in table.columns}
    if "weight" in cols and "ticker" not in cols and table.shape[1] == 2:
        cols["ticker"] = next(c for c in table.columns if c != cols["weight"])  # e.g. "Unnamed: 0"
    if "ticker" not in cols or "weight" not in cols:
        raise PortfolioError(f"the weights CSV has columns {[str(c) for c in table.columns]}; "
                             "it needs columns ticker,weight")
    w = pd.to_numeric(table[cols["weight"]], errors="coerce")
    if w.isna().any():
        bad = table[cols["ticker"]][w.isna()].astype(str).tolist()[:3]
        raise PortfolioError(f"weights of {', '.join(bad)} are not numbers; write them like 0.05")
    tickers = table[cols["ticker"]].astype(str).str.strip().map(from_csv_text)
    if tickers.duplicated().any():
        raise PortfolioError(f"ticker {tickers[tickers.duplicated()].iloc[0]} appears twice; give each ticker one row")
    return dict(zip(tickers, w.astype(float)))
