"""The findings report: finding functions on hand-made frames, and the report on generated data stating the
facts recomputed independently (pandas, from the raw files minus the recorded dirt)."""

from __future__ import annotations

import math
from html.parser import HTMLParser

import duckdb
import pandas as pd
import pytest
from expected_marts import customer_metrics, default_as_of
from planted_truth import clean_table, expected_figures

from customer_intelligence.reporting import insights
from customer_intelligence.reporting.insights import (
    CATEGORIES,
    Finding,
    Report,
    _band_label,
    age_group_findings,
    children_findings,
    concentration_finding,
    core_age_band_finding,
    count,
    inactivity_finding,
    leading_country_findings,
    loyalty_findings,
    money,
    one_time_buyer_finding,
    order_findings,
    pct,
    prime_findings,
    render_html,
    render_markdown,
    repeat_rate_finding,
    retention_priority_finding,
    segment_value_findings,
    times,
    underperformers_finding,
)

# ---------------------------------------------------------------- formats


def test_formats():
    assert pct(0.5986) == "59.9%" and pct(0.71) == "71.0%" and pct(1) == "100.0%"
    assert money(78_091_857.11) == "$78.09M" and money(7952.33) == "$7,952" and money(171_559.98) == "$171,560"
    assert count(9820) == "9,820" and count(3.0) == "3"
    assert times(4.755) == "4.8x"


# ---------------------------------------------------------------- demographics


def groups(rows: list[tuple], key: str) -> pd.DataFrame:
    """(group, sort_order, customers, net_revenue) -> a frame with shares over all rows, like the agg marts."""
    frame = pd.DataFrame(rows, columns=[key, "sort_order", "customers", "net_revenue"])
    frame["customer_share"] = frame["customers"] / frame["customers"].sum()
    frame["revenue_share"] = frame["net_revenue"] / frame["net_revenue"].sum()
    frame["revenue_per_customer"] = frame["net_revenue"] / frame["customers"].where(frame["customers"] > 0)
    return frame


AGE_GROUPS = groups(
    [
        ("under 18", 1, 0, 0.0),
        ("18-30", 2, 10, 100.0),
        ("31-40", 3, 30, 500.0),
        ("41-50", 4, 20, 250.0),
        ("51-60", 5, 20, 100.0),
        ("61-70", 6, 15, 30.0),
        ("71+", 7, 0, 0.0),
        ("unknown", 8, 5, 20.0),
    ],
    "age_group",
)  # revenue 1,000 in all; customers 100


def test_age_groups_most_and_least_revenue():
    most, least = age_group_findings(AGE_GROUPS)
    assert (most.key, most.category) == ("age_group_most_revenue", "strengths")
    assert most.sentence == (
        "Age group 31-40 generated the most revenue: $500, 50.0% of revenue, from 30.0% of customers."
    )
    # unknown (20) and the empty groups are never the least: 61-70 (30) is
    assert (least.key, least.category, least.figures["age_group"]) == ("age_group_least_revenue", "weaknesses", "61-70")
    assert "3.0% of revenue, from 15.0% of customers" in least.sentence
    assert most.importance == pytest.approx(0.5) and least.importance == pytest.approx(0.03)


def test_core_age_band_is_the_best_three_adjacent_groups():
    (band,) = core_age_band_finding(AGE_GROUPS)
    # 18-30..41-50 and 31-40..51-60 both sum to 850: the tie goes to the younger band
    assert band.figures["age_groups"] == ["18-30", "31-40", "41-50"]
    assert band.figures["band"] == "18-50"
    assert band.sentence.startswith("Customers aged 18-50 are the core of the business: 85.0% of revenue ($850)")
    shifted = AGE_GROUPS.assign(net_revenue=AGE_GROUPS["net_revenue"].where(AGE_GROUPS["age_group"] != "18-30", 50.0))
    assert core_age_band_finding(shifted)[0].figures["band"] == "31-60"


def test_band_labels():
    assert _band_label("31-40", "51-60") == "31-60"
    assert _band_label("61-70", "71+") == "61+"
    assert _band_label("under 18", "31-40") == "under 41"


def test_children_larger_share_is_a_strength_smaller_a_weakness():
    children = groups(
        [("With children", 1, 60, 710.0), ("Without children", 2, 40, 290.0), ("Unknown", 3, 0, 0.0)],
        "children_status",
    )
    larger, smaller = children_findings(children)
    assert (larger.category, smaller.category) == ("strengths", "weaknesses")
    assert larger.sentence == (
        "Customers with children generated 71.0% of revenue ($710) from 60.0% of customers ($12 per customer)."
    )
    assert smaller.sentence.startswith("Customers without children generated 29.0% of revenue ($290)")


def test_leading_country_per_children_status_with_gender_split():
    frame = pd.DataFrame(
        [
            ("With children", "US", "United States", "Male", 3, 300.0),
            ("With children", "US", "United States", "Female", 1, 100.0),
            ("With children", "AU", "Australia", "Male", 2, 900.0),
            ("Without children", "AU", "Australia", "Female", 2, 50.0),
            ("Without children", "DE", "Germany", "Other", 2, 60.0),  # tie on customers: more revenue wins
            ("Without children", "US", "United States", "Male", 1, 10.0),
            ("Unknown", "US", "United States", "Male", 50, 10.0),
        ],
        columns=["children_status", "country_code", "country_name", "gender", "customers", "net_revenue"],
    )
    with_children, without_children = leading_country_findings(frame, total_revenue=2000.0)
    assert with_children.sentence == (
        "United States leads among customers with children: 66.7% of them, 4 customers generating $400 "
        "(75.0% male, 25.0% female)."
    )
    assert without_children.figures["country"] == "Germany"
    assert "40.0% of them" in without_children.sentence and "(0.0% male, 0.0% female)" in without_children.sentence
    assert with_children.importance == pytest.approx(0.2)


# ---------------------------------------------------------------- value, loyalty, membership


def test_segment_value_strengths_and_weaknesses():
    segments = pd.DataFrame(
        [("A", 10, 800.0), ("B", 30, 150.0), ("C", 60, 50.0)], columns=["segment", "customers", "net_revenue"]
    )
    strength, weakness = segment_value_findings(segments)
    assert strength.sentence == "A customers are 10.0% of customers and generate 80.0% of revenue (8.0x their weight)."
    # B brings half its weight (0.5): neither; C brings 5% / 60% = 0.083 < 0.25: a weakness
    assert weakness.figures["segments"] == ["C"]
    assert weakness.sentence == "C customers are 60.0% of customers (60) but bring only 5.0% of revenue."


LOYALTY = groups(
    [("VIP", 1, 10, 600.0), ("Loyal", 2, 30, 300.0), ("Periodic", 3, 40, 80.0), ("One-time", 4, 20, 20.0)],
    "loyalty_tier",
)


def test_loyalty_findings():
    base, limited, conversion = loyalty_findings(LOYALTY)
    assert (base.key, base.category) == ("loyal_base", "strengths")
    assert base.sentence == (
        "40.0% of customers are in the Loyal or VIP tier and bring 90.0% of revenue (40.0% Periodic, 20.0% One-time)."
    )
    assert (limited.key, limited.category) == ("limited_vips", "weaknesses")
    assert (conversion.key, conversion.category) == ("vip_conversion", "opportunities")
    assert "30 Loyal customers (30.0%)" in conversion.sentence and "$60 on average, a Loyal customer $10" in (
        conversion.sentence
    )
    # more VIPs than Loyal customers: no "limited VIPs" weakness
    many_vips = LOYALTY.assign(customers=[40, 30, 20, 10])
    assert "limited_vips" not in [f.key for f in loyalty_findings(many_vips)]


def test_one_time_buyers_and_repeat_rate():
    bands = groups([("1 order", 1, 25, 10.0), ("2-3 orders", 2, 75, 90.0)], "frequency_band")
    bands["min_orders"], bands["max_orders"] = [1, 2], [1, 3]
    (one_time,) = one_time_buyer_finding(bands)
    assert one_time.sentence == "25.0% of customers (25) bought only once; they brought 10.0% of revenue."
    kpis = pd.Series({"repeat_purchase_rate": 0.35, "repeat_rate_target": 0.4, "repeat_customers": 35,
                      "total_customers": 100})
    (below,) = repeat_rate_finding(kpis)
    assert (below.key, below.category) == ("repeat_rate_below_target", "weaknesses")
    assert below.sentence.startswith("The repeat purchase rate is 35.0%, below the 40.0% target")
    (above,) = repeat_rate_finding(kpis.copy().replace({0.35: 0.4}))
    assert above.category == "strengths"  # at the target counts as on target


def test_prime_value_and_headroom():
    memberships = groups([("Prime", 1, 40, 800.0), ("Non-Prime", 2, 60, 200.0)], "membership")
    membership_country = pd.DataFrame(
        [
            ("Prime", "US", "United States", 30, 600.0),
            ("Non-Prime", "US", "United States", 30, 100.0),
            ("Prime", "CA", "Canada", 10, 200.0),
            ("Non-Prime", "CA", "Canada", 30, 100.0),
        ],
        columns=["membership", "country_code", "country_name", "customers", "net_revenue"],
    )
    value, headroom = prime_findings(memberships, membership_country)
    # Prime $20 per customer against Non-Prime $3.33: 6.0x
    assert value.sentence == (
        "Prime members are 40.0% of customers but generate 80.0% of revenue: a Prime member is worth 6.0x a "
        "Non-Prime customer ($20 against $3)."
    )
    # Canada 25% against 40% overall: (0.40 - 0.25) x 40 = 6 more members
    assert headroom.sentence == (
        "Prime penetration is lowest in Canada: 25.0% of customers against 40.0% overall; reaching the average "
        "there means 6 more Prime members."
    )
    assert headroom.category == "opportunities"


def test_underperformers_is_an_opportunity_with_the_quadrant_action():
    quadrants = groups([("VIPs", 1, 50, 900.0), ("Underperformers", 2, 50, 100.0)], "spending_quadrant").assign(
        average_annual_income=[90_000.0, 85_000.0], recommended_action=["Keep them.", "Target with promotions."]
    )
    (finding,) = underperformers_finding(quadrants)
    assert finding.sentence == (
        "Underperformers (high income, low spending score) are 50.0% of customers (50, average income $85,000) "
        "but bring 10.0% of revenue: target with promotions."
    )


# ---------------------------------------------------------------- risk


def risk_customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:02d}" for i in range(10)],
            "segment": ["Loyal"] * 4 + ["New"] * 2 + ["Dormant"] * 4,
            "revenue_at_risk": [10.0, 10, 10, 10, 30, 30, 1, 1, 1, 1],
            "recommended_action": ["Cross-sell."] * 4 + ["Onboard them."] * 2 + ["Win back."] * 4,
            "net_revenue": [910.0] + [10.0] * 9,
            "churn_risk_tier": ["low"] * 4 + ["high"] * 2 + ["high"] * 4,
        }
    )


def test_retention_priority_is_the_segment_with_most_revenue_at_risk():
    (finding,) = retention_priority_finding(risk_customers())
    # New: 60 of 104 at risk, 30 per customer; Loyal has 40
    assert finding.figures["segment"] == "New"
    assert finding.sentence == (
        "The New segment holds the largest revenue at risk, so retention pays most there: $60 of predicted 12-month "
        "value (57.7% of all revenue at risk, $30 per customer); action: onboard them."
    )


def test_concentration_is_a_threat_only_above_half():
    (finding,) = concentration_finding(risk_customers())
    assert finding.category == "threats"
    assert finding.sentence.startswith("Revenue is concentrated: the top 10.0% of customers (1) generate 91.0% of it")
    flat = risk_customers().assign(net_revenue=10.0)
    assert concentration_finding(flat) == []


def test_inactivity_sentence_takes_the_thresholds_from_the_data():
    status = pd.DataFrame(
        [("overall", "All customers", 100, 30, 5, 0.30, 0.05, 1234.0, 60, 120)],
        columns=["segment_type", "segment", "customers", "churned_customers", "at_risk_customers", "churn_rate",
                 "at_risk_rate", "at_risk_net_revenue", "at_risk_inactivity_days", "churn_inactivity_days"],
    )
    (finding,) = inactivity_finding(status)
    assert finding.sentence == (
        "30 customers (30.0%) have not ordered for more than 120 days and 5 more (5.0%) for 60 to 120 days; "
        "the at-risk ones brought $1,234 to date."
    )


# ---------------------------------------------------------------- assembling


def test_findings_are_grouped_then_ordered_by_importance():
    findings = [
        Finding("one_time_buyers", "weaknesses", 0.2, "w"),
        Finding("inactivity", "threats", 0.9, "t"),
        Finding("prime_value", "strengths", 0.1, "s-low"),
        Finding("loyal_base", "strengths", 0.7, "s-high"),
        Finding("underperformers", "opportunities", 0.3, "o"),
    ]
    assert [f.sentence for f in order_findings(findings)] == ["s-high", "s-low", "w", "o", "t"]
    with pytest.raises(ValueError):
        Finding("loyal_base", "neutral", 0.1, "x")


def test_every_finding_function_has_a_documented_rule():
    for function, _ in insights.FINDING_FUNCTIONS:
        assert function.__doc__, function.__name__
    assert set(insights.RULES) >= {"age_group_most_revenue", "high_value_at_risk", "largest_revenue_at_risk"}


class _Checker(HTMLParser):
    """Collects tags and attributes to check that the page is self-contained."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.sources += [value for name, value in attrs if name in ("src", "href")]


def test_renderings_escape_and_are_self_contained():
    report = Report(
        "2025-01-01",
        [("Net revenue", "$1.00M")],
        [Finding("loyal_base", "strengths", 0.5, "Tom & Jerry <b>bought</b> 50.0%.")],
    )
    page = render_html(report)
    assert "Tom &amp; Jerry &lt;b&gt;bought&lt;/b&gt; 50.0%." in page
    checker = _Checker()
    checker.feed(page)
    assert checker.sources == []
    markdown = render_markdown(report)
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert headings == ["## Headline KPIs", "## Strengths", "## Weaknesses", "## Opportunities", "## Threats",
                        "## How findings are grouped"]
    assert "1. Tom & Jerry <b>bought</b> 50.0%." in markdown and "_None under the current rules._" in markdown


# ---------------------------------------------------------------- end to end: planted facts


AGE_BANDS = [(18, "under 18"), (31, "18-30"), (41, "31-40"), (51, "41-50"), (61, "51-60"), (71, "61-70")]


def age_group(age: float) -> str:
    """The documented age bands (macros/utils/as_of_date.sql), written again."""
    if pd.isna(age):
        return "unknown"
    for upper, label in AGE_BANDS:
        if age < upper:
            return label
    return "71+"


@pytest.fixture(scope="module")
def planted(generated_data) -> dict:
    """Revenue by age group and by children status, recomputed from the raw files minus the recorded dirt."""
    figures = expected_figures(generated_data["raw"], generated_data["truth"])
    manifest = pd.read_parquet(generated_data["truth"] / "dirt_manifest.parquet")
    customers = clean_table(generated_data["raw"], manifest, "customers").set_index("customer_id")
    as_of = default_as_of(figures["clean_orders"])
    metrics = customer_metrics(figures["clean_orders"], as_of)
    birth = pd.to_datetime(customers["birth_date"], errors="coerce")
    birth = birth.where((birth >= pd.Timestamp("1900-01-01")) & (birth <= pd.Timestamp.today().normalize()))
    age_years = ((as_of - birth).dt.days // 365.25).reindex(metrics.index)
    revenue = metrics["net_revenue"]
    by_age = revenue.groupby(age_years.map(age_group)).sum()
    known = by_age.drop("unknown", errors="ignore")
    with_children = customers["num_children"].reindex(metrics.index) > 0
    total = revenue.sum()
    return {
        "most_age_group": known.idxmax(),
        "most_age_share": known.max() / total,
        "least_age_group": known.idxmin(),
        "children_share": revenue[with_children].sum() / total,
        "children_customer_share": with_children.mean(),
        "one_time_share": (metrics["completed_orders"] == 1).mean(),
        "customers": len(metrics),
    }


@pytest.fixture(scope="module")
def report_on_build(built, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("reports")
    assert insights.main(["--database", str(built.warehouse), "--out-dir", str(out_dir)]) == 0
    with duckdb.connect(str(built.warehouse), read_only=True) as con:
        report = insights.build_report(insights.load_frames(con))
    return report, out_dir


def sentence(report: Report, key: str, containing: str = "") -> Finding:
    matches = [f for f in report.findings if f.key == key and containing in f.sentence]
    assert len(matches) == 1, (key, containing, [f.sentence for f in report.findings])
    return matches[0]


def test_report_states_the_planted_age_group_facts(report_on_build, planted):
    report, _ = report_on_build
    most = sentence(report, "age_group_most_revenue")
    assert most.category == "strengths"
    assert f"Age group {planted['most_age_group']} generated the most revenue" in most.sentence
    assert f"{pct(planted['most_age_share'])} of revenue" in most.sentence
    least = sentence(report, "age_group_least_revenue")
    assert f"Age group {planted['least_age_group']} generated the least revenue" in least.sentence


def test_report_states_the_planted_children_share(report_on_build, planted):
    report, _ = report_on_build
    with_children = [f for f in report.findings if f.key.startswith("children_") and "with children" in f.sentence]
    assert len(with_children) == 1
    finding = with_children[0]
    assert f"Customers with children generated {pct(planted['children_share'])} of revenue" in finding.sentence
    assert f"from {pct(planted['children_customer_share'])} of customers" in finding.sentence
    assert finding.category == ("strengths" if planted["children_share"] > 0.5 else "weaknesses")


def test_report_states_the_one_time_buyers_and_kpis(report_on_build, planted):
    report, out_dir = report_on_build
    one_time = sentence(report, "one_time_buyers")
    assert one_time.sentence.startswith(f"{pct(planted['one_time_share'])} of customers")
    assert ("Customers (with a completed order)", count(planted["customers"])) in report.kpis
    markdown = (out_dir / "insights.md").read_text()
    page = (out_dir / "insights.html").read_text()
    for finding in report.findings:
        assert finding.sentence in markdown
    assert markdown.index("## Strengths") < markdown.index("## Weaknesses") < markdown.index("## Threats")
    assert page.startswith("<!DOCTYPE html>") and "Headline KPIs" in page
    assert {f.category for f in report.findings} == set(CATEGORIES)
    assert all(0 <= f.importance <= 1 and not math.isnan(f.importance) for f in report.findings)


def orders_only_frames() -> dict:
    """The frames of an orders-only export: every demographic Unknown, membership unknown; 3 customers, $300."""
    unknown_groups = groups([("unknown", 8, 3, 300.0)], "age_group")
    kpis = pd.Series(
        {"as_of_date": pd.Timestamp("2025-01-01"), "total_customers": 3, "total_orders": 5, "net_revenue": 300.0,
         "average_order_value": 60.0, "lifetime_value": 100.0, "repeat_purchase_rate": 2 / 3,
         "repeat_rate_target": 0.4, "repeat_customers": 2, "prime_share": float("nan"),
         "average_annual_income": float("nan"), "average_spending_score": 50.0, "active_window_days": 30,
         "active_customers": 1, "at_risk_rate": 0.0, "churn_rate": 1 / 3}
    )
    frames = {
        "kpis": kpis,
        "total_revenue": 300.0,
        "age_groups": unknown_groups,
        "children": groups([("Unknown", 3, 3, 300.0)], "children_status"),
        "children_country_gender": pd.DataFrame(
            [("Unknown", "ZZ", "Unknown", "Unknown", 3, 300.0)],
            columns=["children_status", "country_code", "country_name", "gender", "customers", "net_revenue"],
        ),
        "membership_country": pd.DataFrame(
            [("Unknown", "ZZ", "Unknown", 3, 300.0)],
            columns=["membership", "country_code", "country_name", "customers", "net_revenue"],
        ),
        "ml_segments": pd.DataFrame([("New", 3, 300.0)], columns=["segment", "customers", "net_revenue"]),
        "loyalty_tiers": groups([("VIP", 1, 0, 0.0), ("Loyal", 2, 0, 0.0), ("Periodic", 3, 2, 250.0),
                                 ("One-time", 4, 1, 50.0)], "loyalty_tier"),
        "frequency_bands": groups([("1 order", 1, 1, 50.0), ("2-3 orders", 2, 2, 250.0)], "frequency_band").assign(
            min_orders=[1, 2], max_orders=[1, 3]
        ),
        "memberships": groups([("Prime", 1, 0, 0.0), ("Non-Prime", 2, 0, 0.0), ("Unknown", 3, 3, 300.0)],
                              "membership"),
        "quadrants": groups([("Unknown Income", 5, 3, 300.0)], "spending_quadrant").assign(
            average_annual_income=float("nan"), recommended_action=None
        ),
        "status": pd.DataFrame(
            [("overall", "All customers", 3, 1, 0, 1 / 3, 0.0, 0.0, 90, 180)],
            columns=["segment_type", "segment", "customers", "churned_customers", "at_risk_customers", "churn_rate",
                     "at_risk_rate", "at_risk_net_revenue", "at_risk_inactivity_days", "churn_inactivity_days"],
        ),
        "customers": risk_customers().iloc[:3].assign(
            monetary_score=[5, 3, 1], predicted_clv_12m=[10.0, 5.0, 1.0], churn_probability=[0.1, 0.5, 0.9]
        ),
    }
    return frames


def test_orders_only_data_gives_a_report_without_demographic_findings():
    """Orders-only exports: every demographic is Unknown, membership unknown; the report still renders."""
    report = insights.build_report(orders_only_frames())
    keys = {f.key for f in report.findings}
    assert not keys & {"age_group_most_revenue", "core_age_band", "children_larger_share",
                       "leading_country_by_children", "weakest_market", "prime_value", "underperformers"}
    assert {"repeat_rate_on_target", "one_time_buyers", "inactivity"} <= keys
    assert ("Prime share of customers", "n/a") in report.kpis
    assert "## Threats" in render_markdown(report) and render_html(report).endswith("</html>\n")


def without_amounts(frames: dict) -> dict:
    """The same export without amount, quantity or price (row rule R8): every money figure of the marts is null."""
    nan = float("nan")
    money_columns = ("net_revenue", "revenue_share", "revenue_per_customer", "average_order_value",
                     "lifetime_value", "gross_revenue", "returns", "at_risk_net_revenue", "revenue_at_risk",
                     "predicted_clv_12m")
    changed = {}
    for name, frame in frames.items():
        if isinstance(frame, pd.DataFrame):
            changed[name] = frame.assign(**{c: nan for c in money_columns if c in frame.columns})
        elif isinstance(frame, pd.Series):
            changed[name] = frame.copy()
            for column in money_columns:
                changed[name][column] = nan
        else:
            changed[name] = nan
    return changed


def test_data_without_amounts_gives_no_money_cards_or_findings():
    report = insights.build_report(without_amounts(orders_only_frames()))
    # counts only: repeat rate 2 of 3 customers (66.7%) against the 40.0% target, and 1 of 3 churned
    assert {f.key for f in report.findings} == {"repeat_rate_on_target", "inactivity"}
    labels = [label for label, _ in report.kpis]
    assert labels[:2] == ["Customers (with a completed order)", "Completed orders"]
    assert not {"Net revenue", "Average order value", "Revenue per customer (LTV to date)",
                "Average spending score (1-100)"} & set(labels)
    (inactivity,) = [f for f in report.findings if f.key == "inactivity"]
    assert inactivity.sentence.endswith("for 90 to 180 days.")
    markdown, page = render_markdown(report), render_html(report)
    for text in (markdown, page):
        assert "$" not in text and "nan" not in text.lower()
    assert "## Data notes" in markdown and "The data has no amounts" in markdown
    assert "Data notes" in page


def test_outlier_lines_get_a_data_note_only_when_there_are_some():
    with_outliers = insights.build_report({**orders_only_frames(), "outlier_lines": 3})
    assert with_outliers.notes == (
        "3 order lines above the caps were kept and flagged `outlier_*` (see fct_order_lines.is_outlier).",)
    assert "- 3 order lines above the caps were kept" in render_markdown(with_outliers)
    one = insights.build_report({**orders_only_frames(), "outlier_lines": 1})
    assert one.notes == ("1 order line above the caps was kept and flagged `outlier_*` "
                         "(see fct_order_lines.is_outlier).",)
    for frames in (orders_only_frames(), {**orders_only_frames(), "outlier_lines": 0}):
        report = insights.build_report(frames)
        assert report.notes == () and "## Data notes" not in render_markdown(report)
