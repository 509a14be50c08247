"""Command-line tools: the config-driven build (`cli`), the raw-data inspector (`inspect`), scenario generators."""
