"""The dashboard benchmark's table (the browser measurement itself runs in `make bench-dashboard`)."""

from __future__ import annotations

from customer_intelligence.tools.dashboard_bench import format_table


def test_format_table_has_one_row_per_scale_and_page():
    scales = [{"orders": 100_000, "customers": 9_820, "pages": [
        {"page": "overview", "navigate_s": 0.84, "open_cold_s": 2.96, "filter_change_s": 0.55, "marks": 121,
         "canvas_charts": 0},
        {"page": "segments", "navigate_s": 1.04, "open_cold_s": 3.0, "filter_change_s": 1.26, "marks": 48,
         "canvas_charts": 1}]}]
    assert format_table(scales).splitlines() == [
        "| orders | customers | page | navigate (s) | filter change (s) | open, new session (s) | SVG marks "
        "| canvas charts |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
        "| 100,000 | 9,820 | overview | 0.8 | 0.6 | 3.0 | 121 | 0 |",
        "| 100,000 | 9,820 | segments | 1.0 | 1.3 | 3.0 | 48 | 1 |",
    ]
