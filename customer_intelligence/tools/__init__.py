"""Command-line tools: backfills, benchmarks, generators, inspectors."""
"""Tooling: data generators, the benchmark, the ML bench and the browser driver; not imported by the models."""
"""Command-line tools: the config-driven build (`cli`), the raw-data inspector (`inspect`), scenario generators."""
"""Command-line tools: benchmarks, generators, inspectors."""
