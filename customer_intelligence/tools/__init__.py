"""Command-line tools: benchmarks, generators, inspectors."""
