"""Command-line tools: backfills, benchmarks, generators, inspectors."""
"""Tooling: data generators, the benchmark, the ML bench and the browser driver; not imported by the models."""
