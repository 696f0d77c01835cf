"""Speed and memory benchmarks (`neuralfactors bench data|train|risk|dashboard`).

Each `core.bench.<what>` module exposes `run(quick=..., out=..., ...) -> int` and writes Markdown
to `out` (default docs/bench_<what>.md). The dashboard benchmark lives with the dashboard and runs
as `python -m dashboard.bench` in a subprocess (core never imports the dashboard).
"""
