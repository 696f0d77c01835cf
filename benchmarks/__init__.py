"""Speed and memory benchmarks (`neuralfactors bench data|train|risk|scale|dashboard`).

scale is a quality test bed rather than a speed benchmark: NeuralFactors, PPCA and Ledoit-Wolf
on a SYNTHETIC S&P-like market (500 stocks, 20 years, 11 sectors, GARCH volatility clustering).

Each `core.bench.<what>` module exposes `run(quick=..., out=..., ...) -> int` and writes Markdown
to `out` (default docs/bench_<what>.md). The dashboard benchmark lives with the dashboard and runs
as `python -m dashboard.bench` in a subprocess (core never imports the dashboard).
"""
