"""Model inputs built from a Panel without look-ahead.

Row t of every array uses only data up to the close of date t. Scaling statistics come
from the training dates only (`FeatureScaler.fit`) and are then frozen, so the same
scaler applied to a panel whose returns after t were changed gives identical rows <= t.

Stock channels (T, N, C_s): ret (return / training std of all returns), vol21 (trailing
21-day volatility), rev21 (trailing 21-day return), mom252 (return from t-251 to t-21),
logvol (log volume, when the Panel has "volume") and any other numeric per-stock feature; on request, peers
(the equal-weighted mean return of the other stocks of the stock's sector that day; NaN without one) and pc1..pcK
(the stock's exposures to the universe's top K principal components, `pc_exposures`).
Market channels (T, C_m): the benchmark's and the pre-defined factors' returns, each only
when it covers at least half of the training dates (a series that starts after training,
like the factor ETFs of sp500-20 in 2014, would feed the network inputs it never saw).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data.panel import Panel
from core.errors import DataError

VOL_WINDOW, REV_WINDOW, MOM_LONG, MOM_SKIP = 21, 21, 252, 21
PEERS = "peers"
#: the principal-component channels: named PC_PREFIX + 1..K, over a trailing PC_WINDOW days, for stocks with at least
#: PC_MIN_DAYS returns in it
PC_PREFIX, PC_WINDOW, PC_MIN_DAYS = "pc", 252, 63


def peer_returns(panel: Panel) -> pd.DataFrame:
    """T x N: each stock's sector peers' equal-weighted mean return of the day (the stock itself left out); NaN
    where the sector is unknown or no peer traded."""
    r = panel.returns
    labels = panel.sectors.reindex(r.columns)
    known = labels.notna() & (labels.astype(str) != "") & (labels.astype(str) != "Unknown")
    onehot = pd.get_dummies(labels.where(known)).reindex(r.columns).fillna(0).astype(float)  # N x G
    values, present = r.fillna(0.0).to_numpy(), r.notna().to_numpy(dtype=float)
    own = onehot.to_numpy()
    total = (values @ own) @ own.T - values  # (T, N): the sector's sum without the stock
    count = (present @ own) @ own.T - present
    out = np.divide(total, count, out=np.full_like(total, np.nan), where=count > 0)
    out[:, ~known.to_numpy()] = np.nan
    return pd.DataFrame(out, index=r.index, columns=r.columns)


def pc_names(k: int) -> list[str]:
    """The channel names of k principal-component exposures."""
    return [f"{PC_PREFIX}{j + 1}" for j in range(k)]


def pc_exposures(panel: Panel, k: int, window: int = PC_WINDOW) -> dict[str, pd.DataFrame]:
    """k T x N frames: on each day t, each stock's exposure to the top-k principal components of the universe's
    return covariance over the trailing `window` days (rows t-window+1..t: known at the close of t), eigenvector x
    sqrt(eigenvalue), i.e. the stock's covariance with the component's unit-variance return. The covariance is
    pairwise over the days both stocks traded (0 for a pair that shared fewer than 2), of the stocks with at least
    PC_MIN_DAYS returns in the window (NaN for the others, and on days with no more than k of them); the first
    window - 1 days use the days there are (rows max(0, t - window + 1)..t). Signs: each day on its own, a component's
    sum of cubed exposures is made positive (the sign of the stocks that dominate it; for a market-like component, a
    positive sum), so a date's exposures do not depend on where the panel starts; a component whose cubes nearly
    cancel, and two components whose eigenvalues cross, may flip or swap from one day to the next. Written by hand:
    a rolling PCA with a per-day sign rule is in no library this project uses."""
    r = panel.returns.to_numpy(dtype=np.float64)
    present = np.isfinite(r)
    x = np.where(present, r, 0.0)
    out = np.full((k, *r.shape), np.nan)
    for t in range(r.shape[0]):
        lo = max(0, t - window + 1)
        ok = present[lo: t + 1].sum(axis=0) >= PC_MIN_DAYS
        if ok.sum() <= k:
            continue
        p, v = present[lo: t + 1][:, ok].astype(np.float64), x[lo: t + 1][:, ok]
        n = np.maximum(p.T @ p, 1.0)                                    # (M, M) days both traded
        mean_i = (v.T @ p) / n                                          # stock i's mean on the days it shares with j
        cov = (v.T @ v - mean_i * mean_i.T * n) / np.maximum(n - 1.0, 1.0)
        vals, vecs = np.linalg.eigh(cov)
        top = vecs[:, ::-1][:, :k] * np.sqrt(np.clip(vals[::-1][:k], 0.0, None))   # (M, k)
        top *= np.where((top ** 3).sum(axis=0) < 0, -1.0, 1.0)
        out[:, t, ok] = top.T
    return {name: pd.DataFrame(out[j], index=panel.returns.index, columns=panel.returns.columns)
            for j, name in enumerate(pc_names(k))}


def stock_channels(panel: Panel, peers: bool = False, pcs: int = 0) -> dict[str, pd.DataFrame]:
    """Raw (unscaled) per-stock channels, each a T x N frame; row t uses data <= t only. `peers` adds the
    sector peers' mean return (peer_returns); `pcs` > 0 that many principal-component exposures (pc_exposures)."""
    r = panel.returns
    logr = np.log1p(r)
    out = {
        "ret": r,
        "vol21": r.rolling(VOL_WINDOW, min_periods=10).std(),
        "rev21": logr.rolling(REV_WINDOW, min_periods=10).sum(),
        "mom252": logr.rolling(MOM_LONG - MOM_SKIP, min_periods=60).sum().shift(MOM_SKIP),
    }
    for name, frame in panel.features.items():
        out["logvol" if name == "volume" else name] = np.log1p(frame.clip(lower=0)) if name == "volume" else frame
    if peers:
        out[PEERS] = peer_returns(panel)
    if pcs:
        clash = sorted(set(out) & set(pc_names(pcs)))
        if clash:
            raise DataError(f"the data has per-stock columns named {clash}, which are also the names of the model's "
                            "principal-component inputs; rename those columns")
        out |= pc_exposures(panel, pcs)
    return out


def market_channels(panel: Panel, train_dates: pd.DatetimeIndex) -> dict[str, pd.Series]:
    """Benchmark and factor return series that cover at least half of the training dates."""
    series: dict[str, pd.Series] = {}
    if panel.benchmark is not None:
        series[f"bench:{panel.benchmark.name or 'benchmark'}"] = panel.benchmark
    if panel.factors is not None:
        for col in panel.factors.columns:
            series[f"factor:{col}"] = panel.factors[col]
    return {k: s for k, s in series.items() if s.reindex(train_dates).notna().mean() >= 0.5}


@dataclass
class FeatureScaler:
    """Per-channel mean and std from the training dates; frozen after `fit`."""

    return_scale: float
    stock_names: list[str]
    stock_mean: np.ndarray
    stock_std: np.ndarray
    market_names: list[str]
    market_mean: np.ndarray
    market_std: np.ndarray
    sectors: list[str]
    pcs: int = 0  # principal-component exposures among the stock channels (their names: pc_names(pcs))

    @classmethod
    def fit(cls, panel: Panel, train_dates: pd.DatetimeIndex, peers: bool = False, pcs: int = 0) -> "FeatureScaler":
        """Channel statistics on the training dates (`peers`: with the sector peers' return channel; `pcs`: with
        that many principal-component exposures)."""
        if len(train_dates) < 2:
            raise DataError("need at least 2 training dates to fit the feature scaling")
        chans = stock_channels(panel, peers, pcs)
        mk = market_channels(panel, train_dates)
        train = panel.returns.reindex(train_dates)
        scale = float(np.nanstd(train.to_numpy()))
        if not np.isfinite(scale) or scale <= 0:
            raise DataError("training returns have no variation; check the data and the split")

        def stats(frame) -> tuple[float, float]:
            v = np.asarray(frame.reindex(train_dates), dtype=np.float64)
            m, s = np.nanmean(v), np.nanstd(v)
            return (0.0 if not np.isfinite(m) else m), (1.0 if not np.isfinite(s) or s <= 0 else s)

        s_stats = [stats(c) for c in chans.values()]
        m_stats = [stats(s) for s in mk.values()]
        # returns themselves are only divided by the scale (no centring), as in the paper
        s_stats[0] = (0.0, scale)
        return cls(
            return_scale=scale, stock_names=list(chans), stock_mean=np.array([a for a, _ in s_stats]),
            stock_std=np.array([b for _, b in s_stats]), market_names=list(mk),
            market_mean=np.array([a for a, _ in m_stats]), market_std=np.array([b for _, b in m_stats]),
            sectors=sorted(panel.sectors.unique()), pcs=pcs,
        )

    def to_json(self) -> dict:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, d: dict) -> "FeatureScaler":
        arrays = {"stock_mean", "stock_std", "market_mean", "market_std"}
        return cls(**{k: (np.asarray(v, dtype=np.float64) if k in arrays else v) for k, v in d.items()})


@dataclass
class Features:
    """Scaled model inputs. stock: (T, N, C_s) float32 with NaN -> 0; present: (T, N) bool
    (return observed at t); market: (T, C_m) float32; sector: (N,) int64 index into
    scaler.sectors (len(sectors) = unknown sector); returns: (T, N) float32 scaled returns
    with NaN where absent (the targets)."""

    dates: pd.DatetimeIndex
    tickers: list[str]
    stock: np.ndarray
    present: np.ndarray
    market: np.ndarray
    sector: np.ndarray
    returns: np.ndarray
    scaler: FeatureScaler
    notes: tuple[str, ...] = ()  # how the panel's inputs were adapted to the scaler (adapt_inputs)

    @property
    def n_channels(self) -> int:
        return self.stock.shape[2] + self.market.shape[1]

    def window(self, t: int, lookback: int) -> np.ndarray:
        """Inputs for a forecast at the close of date index t: (N, lookback, C_s + C_m), rows
        t-lookback+1..t (zero-padded before the first date)."""
        lo = t - lookback + 1
        pad = max(0, -lo)
        s = self.stock[max(lo, 0): t + 1].transpose(1, 0, 2)
        m = np.broadcast_to(self.market[max(lo, 0): t + 1][None], (s.shape[0],) + self.market[max(lo, 0): t + 1].shape)
        x = np.concatenate([s, m], axis=2)
        if pad:
            x = np.concatenate([np.zeros((x.shape[0], pad, x.shape[2]), dtype=x.dtype), x], axis=1)
        return x

    def history(self, t: int, lookback: int) -> np.ndarray:
        """(N,) number of observed returns in the lookback window ending at t."""
        lo = max(0, t - lookback + 1)
        return self.present[lo: t + 1].sum(axis=0)


def pc_start(scaler: FeatureScaler) -> int | None:
    """The channel index of the first principal-component exposure in a window (stock channels come first); None
    without them."""
    return scaler.stock_names.index(pc_names(1)[0]) if scaler.pcs else None


#: name of the market series built from the universe when a data set lacks the benchmark
UNIVERSE_MEAN = "equal-weighted mean return of this universe"


def adapt_inputs(panel: Panel, scaler: FeatureScaler) -> tuple[dict, dict, list[str]]:
    """The channels a fitted scaler expects, taken from `panel` (raw, unscaled), and one note per adaptation.

    Per-stock channels the model was not trained on are ignored; the return-derived ones (ret,
    vol21, rev21, mom252) always exist; another missing channel (e.g. logvol without a volume column)
    is a DataError naming it. A missing benchmark series is replaced by the universe's equal-weighted
    mean return of each date (known at its close); a missing factor series is a DataError. Sectors the
    model never saw go to its unknown-sector embedding. Returns (stock {name: T x N}, market {name: T},
    notes)."""
    chans = stock_channels(panel, PEERS in scaler.stock_names, scaler.pcs)
    notes = []
    extra = [c for c in chans if c not in scaler.stock_names]
    if extra:
        notes.append(f"per-stock channels {extra} are ignored (the model was trained without them)")
    missing = [c for c in scaler.stock_names if c not in chans]
    if missing:
        raise DataError(f"the model needs the per-stock channels {missing}, which this data cannot provide; "
                        "add the matching columns (e.g. volume for logvol) or train a model on this data")
    mk = {}
    if panel.benchmark is not None:
        mk[f"bench:{panel.benchmark.name or 'benchmark'}"] = panel.benchmark
    if panel.factors is not None:
        mk |= {f"factor:{c}": panel.factors[c] for c in panel.factors.columns}
    for name in [m for m in scaler.market_names if m not in mk]:
        if not name.startswith("bench:"):
            raise DataError(f"this data lacks the market series {name!r} the model was trained with; add it as "
                            "a factor column or train a model on this data")
        mk[name] = panel.returns.mean(axis=1, skipna=True)
        notes.append(f"no benchmark column: the market input {name} is the {UNIVERSE_MEAN} ({panel.n_tickers} stocks)")
    unseen = sorted(set(panel.sectors) - set(scaler.sectors))
    if unseen:
        count = int(panel.sectors.isin(unseen).sum())
        notes.append(f"{count} stocks in sectors the model never saw ({', '.join(unseen[:5])}"
                     f"{', ...' if len(unseen) > 5 else ''}) use its unknown-sector embedding (and load on no sector factor)")
    return {c: chans[c] for c in scaler.stock_names}, {m: mk[m] for m in scaler.market_names}, notes


def build_features(panel: Panel, scaler: FeatureScaler) -> Features:
    """Apply a fitted scaler to a panel, adapting its inputs (`adapt_inputs`; notes in Features.notes)."""
    chans, mk, notes = adapt_inputs(panel, scaler)
    stock = np.stack([np.asarray(c, dtype=np.float64) for c in chans.values()], axis=2)
    stock = (stock - scaler.stock_mean) / scaler.stock_std
    stock = np.nan_to_num(stock, nan=0.0).astype(np.float32)
    if scaler.market_names:
        market = np.stack([np.asarray(mk[m], dtype=np.float64) for m in scaler.market_names], axis=1)
        market = np.nan_to_num((market - scaler.market_mean) / scaler.market_std, nan=0.0).astype(np.float32)
    else:
        market = np.zeros((len(panel.dates), 0), dtype=np.float32)
    lookup = {s: i for i, s in enumerate(scaler.sectors)}
    sector = np.array([lookup.get(s, len(scaler.sectors)) for s in panel.sectors], dtype=np.int64)
    r = panel.returns.to_numpy(dtype=np.float64)
    return Features(
        dates=panel.dates, tickers=panel.tickers, stock=stock, present=np.isfinite(r), market=market,
        sector=sector, returns=(r / scaler.return_scale).astype(np.float32), scaler=scaler, notes=tuple(notes),
    )
