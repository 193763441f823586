"""Benchmarks: `python -m bench [--quick] [--json FILE] [--only NAME ...]`.

Each module here runs alone (`python bench/NAME.py`, its own flags) and, for
the collected run, exposes `figures(quick: bool) -> list[dict]` (dicts made by
bench.figures.figure). BENCHMARKS.md records the figures and how to read them.
"""
