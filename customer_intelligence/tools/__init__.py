"""Command-line tools: backfills, benchmarks, generators, inspectors."""
