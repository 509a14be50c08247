"""The dashboard benchmark's table (the browser measurement itself runs in `make bench-dashboard`)."""

from __future__ import annotations

from customer_intelligence.tools.dashboard_bench import format_table


def test_format_table_has_one_row_per_scale_and_page():
    scales = [{"orders": 100_000, "customers": 9_820, "pages": [
        {"page": "overview", "first_load_s": 1.234, "filter_change_s": 0.55, "marks": 121},
        {"page": "segments", "first_load_s": 2.0, "filter_change_s": 1.04, "marks": 5_012}]}]
    assert format_table(scales).splitlines() == [
        "| orders | customers | page | first load (s) | filter change (s) | SVG marks |",
        "| ---: | ---: | --- | ---: | ---: | ---: |",
        "| 100,000 | 9,820 | overview | 1.2 | 0.6 | 121 |",
        "| 100,000 | 9,820 | segments | 2.0 | 1.0 | 5,012 |",
    ]
