"""Alert outcomes in the report (issue 15.5): the precision finding on hand-made agg_alert_precision rows.

The SQL side (ml_alert_outcomes: ordered / no order / pending against the churn horizon) is a dbt unit test
in models/marts/history/_history__unit_tests.yml.
"""

from __future__ import annotations

import pandas as pd
import pytest

from customer_intelligence.reporting.insights import alert_precision_finding

COLUMNS = ["segment", "high_value_basis", "alerts", "judged_alerts", "correct_alerts", "alert_precision"]


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def test_precision_finding_names_the_share_right_and_the_weakest_segment():
    precision = frame([
        ("All", "All", 10, 8, 6, 0.75),
        ("S1", "All", 5, 4, 2, 0.5),
        ("S2", "All", 5, 4, 4, 1.0),
        ("S1", "revenue", 5, 4, 2, 0.5),  # a basis row: not a segment row
    ])
    [finding] = alert_precision_finding(precision)
    assert finding.category == "strengths"
    assert finding.importance == pytest.approx(0.75)
    assert finding.sentence == ("75.0% of the 8 churn alerts whose horizon has ended were right (no order "
                                "followed); least right in S1 (50.0%); 2 more are pending.")


def test_low_precision_is_a_weakness():
    [finding] = alert_precision_finding(frame([("All", "All", 4, 4, 1, 0.25), ("S1", "All", 4, 4, 1, 0.25)]))
    assert finding.category == "weaknesses" and finding.importance == pytest.approx(0.75)


def test_no_finding_while_every_alert_is_pending():
    assert alert_precision_finding(frame([("All", "All", 3, 0, 0, None)])) == []
    assert alert_precision_finding(frame([])) == []


def test_a_frame_set_without_the_history_marts_gives_no_history_finding():
    """Older warehouses and hand-made frame sets have no history marts: the other findings still come."""
    from customer_intelligence.reporting import insights

    assert insights.segment_downgrade_finding(pd.DataFrame()) == []
    assert insights.alert_precision_finding(pd.DataFrame()) == []
    assert set(insights.OPTIONAL_FRAMES) == {"segment_migrations", "alert_precision"}
