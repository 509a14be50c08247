"""Command-line tools, generators, inspectors and engine helpers."""
