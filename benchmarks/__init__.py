"""Speed, memory and scale benchmarks and the dashboard screenshots: tooling run from a checkout,
not shipped in the wheel. Run `python -m benchmarks data|train|risk|scale|dashboard|screenshots
[--out DIR]` from the repository root (see benchmarks/__main__.py).

scale is a quality test bed rather than a speed benchmark: NeuralFactors, PPCA and Ledoit-Wolf
on a SYNTHETIC S&P-like market (500 stocks, 20 years, 11 sectors, GARCH volatility clustering).

Each `benchmarks.<what>` module exposes `run(quick=..., out=..., ...) -> int` and writes its
Markdown to `write(out, what, text)`: <out>/bench_<what>.md, out defaulting to the current directory.
"""
from __future__ import annotations

from pathlib import Path

COMMAND = "python -m benchmarks"


def write(out: str | Path, what: str, text: str) -> Path:
    """Write `text` atomically to <out>/bench_<what>.md (the folder created if missing) and return that path."""
    from core.io import atomic_write_bytes

    path = Path(out) / f"bench_{what}.md"
    atomic_write_bytes(path, text.encode())
    print(f"wrote {path}")
    return path
