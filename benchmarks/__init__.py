"""Benchmarks: one module per figure, each printing JSON lines.

Run one with ``python -m benchmarks.<name>`` (``--quick`` for a short run), all with ``make bench``.
"""
