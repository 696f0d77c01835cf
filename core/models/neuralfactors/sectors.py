"""A file's sector names matched to the sectors a network was trained on.

Vendors spell the same GICS sector differently ("Technology", "Healthcare", "Financial Services",
"Consumer Cyclical" ...). `match_sectors` maps each of a file's sectors to a training sector when it is
the same name (ignoring case, "&"/"and", hyphens and spacing) or a common spelling of it (SPELLINGS);
the rest are new sectors. "Unknown" (no sector given) stays the unknown sector.
"""
from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd

from core.data.panel import Panel

UNKNOWN = "Unknown"

#: GICS sector -> other common spellings of it (Morningstar / Yahoo, Refinitiv, older GICS names)
SPELLINGS: dict[str, tuple[str, ...]] = {
    "Information Technology": ("Technology", "Tech", "IT", "Info Tech"),
    "Health Care": ("Healthcare", "Health"),
    "Financials": ("Financial Services", "Financial", "Finance"),
    "Consumer Discretionary": ("Consumer Cyclical", "Consumer Cyclicals"),
    "Consumer Staples": ("Consumer Defensive", "Consumer Non-Cyclicals", "Consumer Non-Cyclical"),
    "Materials": ("Basic Materials",),
    "Communication Services": ("Telecommunication Services", "Telecommunications", "Telecom", "Communications"),
    "Real Estate": ("Real-Estate",),
    "Utilities": ("Utility",),
    "Energy": (),
    "Industrials": ("Industrial", "Industrial Goods"),
}


def _key(name: str) -> str:
    return re.sub(r"[\s\-_]+", " ", str(name).replace("&", " and ")).strip().lower()


_CANONICAL = {_key(alias): gics for gics, aliases in SPELLINGS.items() for alias in (gics, *aliases)}


def match_sectors(names, known: list[str]) -> tuple[dict[str, str], list[str]]:
    """(aliases {file name: training sector} for names spelled differently from a training sector,
    new: the sorted names that match none); exact matches and UNKNOWN appear in neither."""
    by_key = {_key(k): k for k in known}
    aliases, new = {}, []
    for name in sorted(set(names) - {UNKNOWN}):
        if name in known:
            continue
        target = by_key.get(_key(name)) or by_key.get(_key(_CANONICAL.get(_key(name), "")))
        if target is not None:
            aliases[name] = target
        else:
            new.append(name)
    return aliases, new


def rename_sectors(panel: Panel, aliases: dict[str, str]) -> Panel:
    """The panel with its sector names replaced by `aliases` (same returns, so the same fingerprint)."""
    if not aliases or not panel.sectors.isin(list(aliases)).any():
        return panel
    sector = panel.meta["sector"].map(lambda s: aliases.get(s, s) if isinstance(s, str) else s)
    return replace(panel, meta=panel.meta.assign(sector=pd.Series(sector, index=panel.meta.index)))
