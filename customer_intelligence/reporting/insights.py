"""The findings report: the seeds' findings regenerated from the marts at every build.

``python -m customer_intelligence.reporting.insights`` reads the marts (read-only; the warehouse of the build, or any
file with the same ``marts`` schema such as the published copy) and writes ``reports/insights.md`` and
``reports/insights.html``: the headline KPIs, then each finding as a sentence with its figures, grouped
SWOT-style (seed 003) and ordered by importance within each group.

Every number in the report comes from the data: each finding is a pure function taking frames queried from
the marts (:func:`load_frames`) and returning :class:`Finding` objects (or nothing when its rule does not
apply). The thresholds below are parameters of the rules, not figures.

Grouping rules (:data:`RULES`; each finding records the rule that placed it)
--------------------------------------------------------------------------
Strengths
  * the age group, and the three adjacent age groups, with the most revenue;
  * the children status (with / without) with the larger revenue share;
  * the leading country of each children status (most of its customers);
  * segments whose revenue share is above their customer share (value index > 1): behavioural segments,
    the loyal base (Loyal + VIP tiers), Prime members;
  * a repeat purchase rate at or above its target.
Weaknesses
  * the age group with the least revenue (groups with customers, ``unknown`` excluded);
  * the children status with the smaller revenue share;
  * the country with the lowest revenue per customer (among countries with at least
    :data:`MIN_GROUP_CUSTOMER_SHARE` of customers);
  * segments bringing less than :data:`LOW_VALUE_INDEX` of their weight in revenue (value index below it);
  * one-time buyers; a VIP tier smaller than the Loyal tier; a repeat rate below its target.
Opportunities
  * the behavioural segment with the largest revenue at risk (churn probability x predicted 12-month value):
    where retention effort pays most;
  * the Loyal tier as the pool of VIP conversions (when a VIP is worth more than a Loyal customer);
  * the country with the lowest Prime penetration, when Prime members are worth more than Non-Prime ones;
  * Underperformers (high income, low spending score): money customers have but do not spend with us.
Threats
  * high-value customers at high churn risk (the alerts' definition, :mod:`customer_intelligence.reporting.alerts`);
  * customers at high churn risk, and the segment most of them come from;
  * customers lost or at risk under the inactivity rule;
  * revenue concentration: the top :data:`TOP_CUSTOMER_SHARE` of customers holding more than half of revenue.

Importance
----------
``importance`` (0-1) is the share of the business a finding is about: the share of revenue it concerns
(revenue findings), of customers (findings about customer counts), or of revenue at risk (retention). Within
a group, findings are sorted by importance (descending), ties by key.

Number formats: shares ``59.9%`` (:func:`pct`), money ``$78.09M`` / ``$7,952`` (:func:`money`), counts
``9,820`` (:func:`count`), ratios ``4.8x`` (:func:`times`).
"""

from __future__ import annotations

import argparse
import html
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from customer_intelligence.reporting.alert_outcomes import (
    ALERT_PRECISION_RULE,
    MIN_ALERT_PRECISION,
    load_alert_precision,
    overall_alert_precision,
)
from customer_intelligence.reporting.alerts import (
    default_database,
    default_reports_dir,
    flag_high_value_high_risk,
    load_customer_risk,
)
from customer_intelligence.reporting.segment_migrations import MIGRATION_RULE, largest_downgrade, load_migrations

__all__ = [
    "CATEGORIES",
    "Finding",
    "all_findings",
    "build_report",
    "count",
    "load_frames",
    "order_findings",
    "money",
    "pct",
    "render_html",
    "render_markdown",
    "times",
]

CATEGORIES: tuple[str, ...] = ("strengths", "weaknesses", "opportunities", "threats")
CATEGORY_TITLES = {
    "strengths": "Strengths",
    "weaknesses": "Weaknesses",
    "opportunities": "Opportunities",
    "threats": "Threats",
}

#: A segment bringing less than this fraction of its weight in customers as revenue is a weakness.
LOW_VALUE_INDEX = 0.25
#: Countries below this share of customers are too small to be called the weakest market or Prime headroom.
MIN_GROUP_CUSTOMER_SHARE = 0.02
#: The top slice of customers whose revenue share measures concentration.
TOP_CUSTOMER_SHARE = 0.10
#: Concentration is a threat when the top slice holds more than this share of revenue.
CONCENTRATION_THRESHOLD = 0.5
#: Adjacent age groups summed for the core age band.
CORE_BAND_WIDTH = 3

RULES: dict[str, str] = {
    "age_group_most_revenue": "the age group with the most revenue",
    "core_age_band": f"the {CORE_BAND_WIDTH} adjacent age groups with the most revenue",
    "children_larger_share": "the children status with the larger revenue share",
    "children_smaller_share": "the children status with the smaller revenue share",
    "leading_country_by_children": "the country with the most customers of a children status",
    "value_driving_segments": "behavioural segments whose revenue share is above their customer share",
    "loyal_base": "the Loyal and VIP tiers, when their revenue share is above their customer share",
    "prime_value": "Prime members, when their revenue share is above their customer share",
    "repeat_rate_on_target": "a repeat purchase rate at or above its target",
    "age_group_least_revenue": "the age group with the least revenue (unknown and empty groups excluded)",
    "weakest_market": "the country with the lowest revenue per customer "
    f"(countries with at least {MIN_GROUP_CUSTOMER_SHARE:.0%} of customers)",
    "low_value_segments": f"behavioural segments with a value index below {LOW_VALUE_INDEX} "
    "(revenue share ÷ customer share)",
    "one_time_buyers": "customers with a single completed order",
    "limited_vips": "a VIP tier smaller than the Loyal tier",
    "repeat_rate_below_target": "a repeat purchase rate below its target",
    "largest_revenue_at_risk": "the behavioural segment with the most revenue at risk "
    "(churn probability × predicted 12-month value)",
    "vip_conversion": "the Loyal tier, when a VIP is worth more than a Loyal customer",
    "prime_headroom": "the country with the lowest Prime penetration, when Prime members are worth more "
    f"(countries with at least {MIN_GROUP_CUSTOMER_SHARE:.0%} of customers)",
    "underperformers": "the Underperformers quadrant (high income, low spending score)",
    "high_value_at_risk": "high-value customers (top quintile of revenue or predicted value) at high churn risk",
    "high_churn_risk": "customers in churn-risk tier high, and the segment most of them come from",
    "inactivity": "customers Churned or At Risk under the inactivity rule",
    "revenue_concentration": f"the top {TOP_CUSTOMER_SHARE:.0%} of customers holding more than "
    f"{CONCENTRATION_THRESHOLD:.0%} of revenue",
    "segment_downgrade": MIGRATION_RULE,
    "alert_precision": ALERT_PRECISION_RULE,
}


@dataclass(frozen=True)
class Finding:
    """One finding: its SWOT group, importance (0-1), the sentence, and the figures in it."""

    key: str
    category: str
    importance: float
    sentence: str
    figures: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category!r}")

    @property
    def rule(self) -> str:
        """The documented rule that placed the finding in its group."""
        return RULES[self.key]


# ---------------------------------------------------------------- formats


def pct(share: float) -> str:
    """A share as a percentage with one decimal: 0.5986 -> '59.9%'."""
    return f"{share:.1%}"


def money(amount: float) -> str:
    """Dollars: millions with two decimals from $1M ('$78.09M'), whole dollars below ('$7,952')."""
    if abs(amount) >= 1_000_000:
        return f"${amount / 1_000_000:,.2f}M"
    return f"${amount:,.0f}"


def count(number: float) -> str:
    """A whole number with thousands separators: 9820 -> '9,820'."""
    return f"{int(round(number)):,}"


def times(ratio: float) -> str:
    """A ratio: 4.755 -> '4.8x'."""
    return f"{ratio:.1f}x"


def _names(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _share(part: float, whole: float) -> float:
    """part ÷ whole, 0 when whole is 0."""
    return float(part) / float(whole) if whole else 0.0


# ---------------------------------------------------------------- findings: demographics


def _age_group_finding(row: pd.Series, superlative: str, kind: str) -> Finding:
    """The finding "age group X generated the <superlative> revenue" for one row of agg_customers_by_age_group."""
    return Finding(
        f"age_group_{superlative}_revenue",
        kind,
        float(row["revenue_share"]),
        f"Age group {row['age_group']} generated the {superlative} revenue: {money(row['net_revenue'])}, "
        f"{pct(row['revenue_share'])} of revenue, from {pct(row['customer_share'])} of customers.",
        {"age_group": row["age_group"], "net_revenue": float(row["net_revenue"]),
         "revenue_share": float(row["revenue_share"]), "customer_share": float(row["customer_share"])},
    )


def age_group_findings(age_groups: pd.DataFrame) -> list[Finding]:
    """Most and least revenue age group (agg_customers_by_age_group; unknown and empty groups excluded)."""
    known = age_groups[(age_groups["age_group"] != "unknown") & (age_groups["customers"] > 0)]
    if known.empty:
        return []
    ordered = known.sort_values(["net_revenue", "sort_order"], ascending=[False, True], kind="mergesort")
    findings = [_age_group_finding(ordered.iloc[0], "most", "strengths")]
    if len(ordered) > 1:
        findings.append(_age_group_finding(ordered.iloc[-1], "least", "weaknesses"))
    return findings


def _band_label(first: str, last: str) -> str:
    """The label of a run of age groups: ('31-40', '51-60') -> '31-60'; ('61-70', '71+') -> '61+'."""
    low = re.findall(r"\d+", first)
    high = re.findall(r"\d+", last)
    if first.startswith("under"):
        return f"under {int(high[-1]) + 1}" if not last.endswith("+") else "of all ages"
    if last.endswith("+"):
        return f"{low[0]}+"
    return f"{low[0]}-{high[-1]}"


def core_age_band_finding(age_groups: pd.DataFrame, width: int = CORE_BAND_WIDTH) -> list[Finding]:
    """The ``width`` adjacent age groups (by sort order, unknown excluded) with the most revenue together."""
    known = age_groups[age_groups["age_group"] != "unknown"].sort_values("sort_order", kind="mergesort")
    if len(known) < width or known["customers"].sum() == 0:
        return []
    windows = [known.iloc[i : i + width] for i in range(len(known) - width + 1)]
    best = max(windows, key=lambda w: (round(float(w["net_revenue"].sum()), 2), -int(w["sort_order"].iloc[0])))
    revenue_share = float(best["revenue_share"].sum())
    customer_share = float(best["customer_share"].sum())
    label = _band_label(best["age_group"].iloc[0], best["age_group"].iloc[-1])
    return [
        Finding(
            "core_age_band",
            "strengths",
            revenue_share,
            f"Customers aged {label} are the core of the business: {pct(revenue_share)} of revenue "
            f"({money(best['net_revenue'].sum())}) from {pct(customer_share)} of customers.",
            {"band": label, "age_groups": list(best["age_group"]), "revenue_share": revenue_share,
             "customer_share": customer_share},
        )
    ]


def children_findings(children: pd.DataFrame) -> list[Finding]:
    """Revenue share with vs without children (agg_customers_by_children_status; Unknown excluded)."""
    known = children[children["children_status"].isin(["With children", "Without children"])]
    known = known[known["customers"] > 0].sort_values(
        ["revenue_share", "children_status"], ascending=[False, True], kind="mergesort"
    )
    findings = []
    for position, (_, row) in enumerate(known.iterrows()):
        key, category = (
            ("children_larger_share", "strengths") if position == 0 else ("children_smaller_share", "weaknesses")
        )
        findings.append(
            Finding(
                key,
                category,
                float(row["revenue_share"]),
                f"Customers {row['children_status'].lower()} generated {pct(row['revenue_share'])} of revenue "
                f"({money(row['net_revenue'])}) from {pct(row['customer_share'])} of customers "
                f"({money(row['revenue_per_customer'])} per customer).",
                {"children_status": row["children_status"], "revenue_share": float(row["revenue_share"]),
                 "customer_share": float(row["customer_share"]), "net_revenue": float(row["net_revenue"])},
            )
        )
    return findings


def leading_country_findings(children_country_gender: pd.DataFrame, total_revenue: float) -> list[Finding]:
    """For each children status, the country with the most of its customers, with its gender split.

    ``children_country_gender``: purchasing customers grouped by children_status, country_code, country_name,
    gender with ``customers`` and ``net_revenue``. Ties: more revenue, then country code.
    """
    frame = children_country_gender[children_country_gender["children_status"] != "Unknown"]
    findings = []
    for status in sorted(frame["children_status"].unique()):
        mine = frame[frame["children_status"] == status]
        by_country = (
            mine.groupby(["country_code", "country_name"], as_index=False)[["customers", "net_revenue"]].sum()
            .sort_values(["customers", "net_revenue", "country_code"], ascending=[False, False, True],
                         kind="mergesort")
        )
        lead = by_country.iloc[0]
        genders = mine[mine["country_code"] == lead["country_code"]].groupby("gender")["customers"].sum()
        male = _share(genders.get("Male", 0), lead["customers"])
        female = _share(genders.get("Female", 0), lead["customers"])
        share = _share(lead["customers"], mine["customers"].sum())
        findings.append(
            Finding(
                "leading_country_by_children",
                "strengths",
                _share(lead["net_revenue"], total_revenue),
                f"{lead['country_name']} leads among customers {status.lower()}: {pct(share)} of them, "
                f"{count(lead['customers'])} customers generating {money(lead['net_revenue'])} "
                f"({pct(male)} male, {pct(female)} female).",
                {"children_status": status, "country": lead["country_name"], "share_of_status": share,
                 "customers": int(lead["customers"]), "net_revenue": float(lead["net_revenue"]),
                 "male_share": male, "female_share": female},
            )
        )
    return findings


def _countries(membership_country: pd.DataFrame) -> pd.DataFrame:
    """agg_customers_by_membership_country summed per country (known countries), with shares."""
    known = membership_country[membership_country["country_code"] != "ZZ"]
    countries = known.groupby(["country_code", "country_name"], as_index=False)[
        ["customers", "net_revenue"]
    ].sum()
    prime = known[known["membership"] == "Prime"].groupby("country_code")["customers"].sum()
    known_membership = known[known["membership"] != "Unknown"].groupby("country_code")["customers"].sum()
    countries["prime_customers"] = countries["country_code"].map(prime).fillna(0)
    countries["known_membership"] = countries["country_code"].map(known_membership).fillna(0)
    total = membership_country["customers"].sum()
    countries["customer_share"] = countries["customers"] / total if total else 0.0
    countries["revenue_per_customer"] = countries["net_revenue"] / countries["customers"]
    return countries


def weakest_market_finding(membership_country: pd.DataFrame, kpis: pd.Series) -> list[Finding]:
    """The country with the lowest revenue per customer among countries with enough customers."""
    countries = _countries(membership_country)
    eligible = countries[countries["customer_share"] >= MIN_GROUP_CUSTOMER_SHARE]
    if len(eligible) < 2:
        return []
    weakest = eligible.sort_values(["revenue_per_customer", "country_code"], kind="mergesort").iloc[0]
    revenue_share = _share(weakest["net_revenue"], kpis["net_revenue"])
    return [
        Finding(
            "weakest_market",
            "weaknesses",
            float(weakest["customer_share"]),
            f"{weakest['country_name']} has the lowest revenue per customer: "
            f"{money(weakest['revenue_per_customer'])} against {money(kpis['lifetime_value'])} overall "
            f"({pct(weakest['customer_share'])} of customers, {pct(revenue_share)} of revenue).",
            {"country": weakest["country_name"], "revenue_per_customer": float(weakest["revenue_per_customer"]),
             "overall_revenue_per_customer": float(kpis["lifetime_value"])},
        )
    ]


# ---------------------------------------------------------------- findings: value, loyalty, membership


def segment_value_findings(segments: pd.DataFrame) -> list[Finding]:
    """Segments with value index > 1 (strength) and below :data:`LOW_VALUE_INDEX` (weakness).

    ``segments``: one row per behavioural segment with ``segment``, ``customers``, ``net_revenue``.
    """
    frame = segments.groupby("segment", as_index=False)[["customers", "net_revenue"]].sum()
    frame = frame[frame["customers"] > 0]
    total_customers, total_revenue = frame["customers"].sum(), frame["net_revenue"].sum()
    if not total_customers or not total_revenue:
        return []
    frame["customer_share"] = frame["customers"] / total_customers
    frame["revenue_share"] = frame["net_revenue"] / total_revenue
    frame["value_index"] = frame["revenue_share"] / frame["customer_share"]
    frame = frame.sort_values(["net_revenue", "segment"], ascending=[False, True], kind="mergesort")
    findings = []
    high = frame[frame["value_index"] > 1]
    if len(high):
        parts = [
            f"{row['segment']} customers are {pct(row['customer_share'])} of customers and generate "
            f"{pct(row['revenue_share'])} of revenue ({times(row['value_index'])} their weight)"
            for _, row in high.iterrows()
        ]
        findings.append(
            Finding(
                "value_driving_segments",
                "strengths",
                float(high["revenue_share"].sum()),
                "; ".join(parts) + ".",
                {"segments": list(high["segment"]), "revenue_share": float(high["revenue_share"].sum()),
                 "customer_share": float(high["customer_share"].sum())},
            )
        )
    low = frame[frame["value_index"] < LOW_VALUE_INDEX].sort_values(
        ["customers", "segment"], ascending=[False, True], kind="mergesort"
    )
    if len(low):
        customer_share, revenue_share = float(low["customer_share"].sum()), float(low["revenue_share"].sum())
        findings.append(
            Finding(
                "low_value_segments",
                "weaknesses",
                customer_share,
                f"{_names(list(low['segment']))} customers are {pct(customer_share)} of customers "
                f"({count(low['customers'].sum())}) but bring only {pct(revenue_share)} of revenue.",
                {"segments": list(low["segment"]), "customer_share": customer_share, "revenue_share": revenue_share},
            )
        )
    return findings


def loyalty_findings(tiers: pd.DataFrame) -> list[Finding]:
    """Loyal base (strength), limited VIPs (weakness), VIP conversion pool (opportunity).

    ``tiers``: agg_customers_by_loyalty_tier (loyalty_tier, customers, customer_share, net_revenue,
    revenue_share, revenue_per_customer).
    """
    by_tier = tiers.set_index("loyalty_tier")
    if not {"VIP", "Loyal"} <= set(by_tier.index):
        return []
    vip, loyal = by_tier.loc["VIP"], by_tier.loc["Loyal"]
    findings = []
    base_customers = float(vip["customer_share"] + loyal["customer_share"])
    base_revenue = float(vip["revenue_share"] + loyal["revenue_share"])
    others = [t for t in ("Periodic", "One-time") if t in by_tier.index]
    if base_revenue > base_customers:
        rest = ", ".join(f"{pct(by_tier.loc[t, 'customer_share'])} {t}" for t in others)
        findings.append(
            Finding(
                "loyal_base",
                "strengths",
                base_revenue,
                f"{pct(base_customers)} of customers are in the Loyal or VIP tier and bring "
                f"{pct(base_revenue)} of revenue" + (f" ({rest})." if rest else "."),
                {"customer_share": base_customers, "revenue_share": base_revenue},
            )
        )
    if vip["customers"] < loyal["customers"]:
        findings.append(
            Finding(
                "limited_vips",
                "weaknesses",
                float(vip["customer_share"]),
                f"Only {pct(vip['customer_share'])} of customers ({count(vip['customers'])}) are VIPs, "
                f"against {pct(loyal['customer_share'])} Loyal.",
                {"vip_share": float(vip["customer_share"]), "loyal_share": float(loyal["customer_share"])},
            )
        )
    if loyal["customers"] > 0 and vip["customers"] > 0 and vip["revenue_per_customer"] > loyal["revenue_per_customer"]:
        findings.append(
            Finding(
                "vip_conversion",
                "opportunities",
                float(loyal["customer_share"]),
                f"{count(loyal['customers'])} Loyal customers ({pct(loyal['customer_share'])}) are the pool for "
                f"VIP conversion: a VIP brings {money(vip['revenue_per_customer'])} on average, a Loyal customer "
                f"{money(loyal['revenue_per_customer'])}.",
                {"loyal_customers": int(loyal["customers"]), "vip_value": float(vip["revenue_per_customer"]),
                 "loyal_value": float(loyal["revenue_per_customer"])},
            )
        )
    return findings


def one_time_buyer_finding(bands: pd.DataFrame) -> list[Finding]:
    """One-time buyers' share of customers and revenue: the band of exactly one order
    (agg_customers_by_frequency_band; its bounds come from seed frequency_bands)."""
    one = bands[(bands["min_orders"] == 1) & (bands["max_orders"] == 1)]
    if one.empty or one["customers"].iloc[0] == 0:
        return []
    row = one.iloc[0]
    return [
        Finding(
            "one_time_buyers",
            "weaknesses",
            float(row["customer_share"]),
            f"{pct(row['customer_share'])} of customers ({count(row['customers'])}) bought only once; "
            f"they brought {pct(row['revenue_share'])} of revenue.",
            {"customer_share": float(row["customer_share"]), "revenue_share": float(row["revenue_share"])},
        )
    ]


def repeat_rate_finding(kpis: pd.Series) -> list[Finding]:
    """The repeat purchase rate against its target (kpi_overview)."""
    rate, target = kpis["repeat_purchase_rate"], kpis["repeat_rate_target"]
    if pd.isna(rate) or pd.isna(target):
        return []
    on_target = rate >= target
    return [
        Finding(
            "repeat_rate_on_target" if on_target else "repeat_rate_below_target",
            "strengths" if on_target else "weaknesses",
            float(rate),
            f"The repeat purchase rate is {pct(rate)}, {'above' if on_target else 'below'} the "
            f"{pct(target)} target ({count(kpis['repeat_customers'])} of {count(kpis['total_customers'])} "
            "customers bought more than once).",
            {"repeat_purchase_rate": float(rate), "target": float(target)},
        )
    ]


def prime_findings(memberships: pd.DataFrame, membership_country: pd.DataFrame) -> list[Finding]:
    """Prime value (strength) and the country with the lowest Prime penetration (opportunity)."""
    by_membership = memberships.set_index("membership")
    if not {"Prime", "Non-Prime"} <= set(by_membership.index):
        return []
    prime, non_prime = by_membership.loc["Prime"], by_membership.loc["Non-Prime"]
    if prime["customers"] == 0 or non_prime["customers"] == 0:
        return []
    findings = []
    ratio = _share(prime["revenue_per_customer"], non_prime["revenue_per_customer"])
    if prime["revenue_share"] > prime["customer_share"]:
        findings.append(
            Finding(
                "prime_value",
                "strengths",
                float(prime["revenue_share"]),
                f"Prime members are {pct(prime['customer_share'])} of customers but generate "
                f"{pct(prime['revenue_share'])} of revenue: a Prime member is worth {times(ratio)} a Non-Prime "
                f"customer ({money(prime['revenue_per_customer'])} against "
                f"{money(non_prime['revenue_per_customer'])}).",
                {"customer_share": float(prime["customer_share"]), "revenue_share": float(prime["revenue_share"]),
                 "value_ratio": ratio},
            )
        )
    countries = _countries(membership_country)
    eligible = countries[
        (countries["customer_share"] >= MIN_GROUP_CUSTOMER_SHARE) & (countries["known_membership"] > 0)
    ]
    if ratio > 1 and len(eligible) >= 2:
        eligible = eligible.assign(penetration=eligible["prime_customers"] / eligible["known_membership"])
        low = eligible.sort_values(["penetration", "country_code"], kind="mergesort").iloc[0]
        overall = _share(prime["customers"], prime["customers"] + non_prime["customers"])
        gap = max(0, math.ceil(round((overall - low["penetration"]) * low["known_membership"], 6)))
        findings.append(
            Finding(
                "prime_headroom",
                "opportunities",
                float(low["customer_share"]),
                f"Prime penetration is lowest in {low['country_name']}: {pct(low['penetration'])} of customers "
                f"against {pct(overall)} overall; reaching the average there means {count(gap)} more Prime members.",
                {"country": low["country_name"], "penetration": float(low["penetration"]), "overall": overall,
                 "members_to_average": gap},
            )
        )
    return findings


def underperformers_finding(quadrants: pd.DataFrame) -> list[Finding]:
    """The Underperformers quadrant: high income, low spending score (agg_customers_by_spending_quadrant)."""
    rows = quadrants[(quadrants["spending_quadrant"] == "Underperformers") & (quadrants["customers"] > 0)]
    if rows.empty:
        return []
    row = rows.iloc[0]
    action = str(row["recommended_action"]).rstrip(".") if pd.notna(row["recommended_action"]) else ""
    return [
        Finding(
            "underperformers",
            "opportunities",
            float(row["customer_share"]),
            f"Underperformers (high income, low spending score) are {pct(row['customer_share'])} of customers "
            f"({count(row['customers'])}, average income {money(row['average_annual_income'])}) but bring "
            f"{pct(row['revenue_share'])} of revenue" + (f": {action[0].lower() + action[1:]}." if action else "."),
            {"customer_share": float(row["customer_share"]), "revenue_share": float(row["revenue_share"])},
        )
    ]


# ---------------------------------------------------------------- findings: risk


def retention_priority_finding(customers: pd.DataFrame) -> list[Finding]:
    """The behavioural segment with the most revenue at risk (ml_customer_actions per customer)."""
    if customers.empty or customers["revenue_at_risk"].sum() <= 0:
        return []
    by_segment = customers.groupby("segment", as_index=False).agg(
        customers=("customer_id", "size"),
        revenue_at_risk=("revenue_at_risk", "sum"),
        recommended_action=("recommended_action", "min"),
    )
    by_segment = by_segment.sort_values(["revenue_at_risk", "segment"], ascending=[False, True], kind="mergesort")
    top = by_segment.iloc[0]
    share = _share(top["revenue_at_risk"], by_segment["revenue_at_risk"].sum())
    per_customer = _share(top["revenue_at_risk"], top["customers"])
    action = str(top["recommended_action"]).rstrip(".")
    return [
        Finding(
            "largest_revenue_at_risk",
            "opportunities",
            share,
            f"The {top['segment']} segment holds the largest revenue at risk, so retention pays most there: "
            f"{money(top['revenue_at_risk'])} of predicted 12-month value ({pct(share)} of all revenue at risk, "
            f"{money(per_customer)} per customer); action: {action[0].lower() + action[1:]}.",
            {"segment": top["segment"], "revenue_at_risk": float(top["revenue_at_risk"]), "share": share},
        )
    ]


def high_value_at_risk_finding(customers: pd.DataFrame) -> list[Finding]:
    """High-value customers at high churn risk.

    The population is :func:`customer_intelligence.reporting.alerts.flag_high_value_high_risk`'s.
    """
    if customers.empty:
        return []
    flagged = flag_high_value_high_risk(customers)
    if flagged.empty:
        return []
    revenue_share = _share(flagged["net_revenue"].sum(), customers["net_revenue"].sum())
    at_risk_share = _share(flagged["revenue_at_risk"].sum(), customers["revenue_at_risk"].sum())
    return [
        Finding(
            "high_value_at_risk",
            "threats",
            at_risk_share,
            f"{count(len(flagged))} high-value customers (top quintile by revenue or predicted value) are at high "
            f"churn risk: {money(flagged['net_revenue'].sum())} of revenue to date ({pct(revenue_share)}) and "
            f"{money(flagged['revenue_at_risk'].sum())} of predicted value at risk ({pct(at_risk_share)} of all "
            "revenue at risk).",
            {"customers": len(flagged), "net_revenue": float(flagged["net_revenue"].sum()),
             "revenue_at_risk": float(flagged["revenue_at_risk"].sum())},
        )
    ]


def high_churn_risk_finding(customers: pd.DataFrame) -> list[Finding]:
    """Customers in churn-risk tier high, and the segment most of them belong to."""
    high = customers[customers["churn_risk_tier"] == "high"]
    if high.empty:
        return []
    share = _share(len(high), len(customers))
    by_segment = high.groupby("segment").size().reset_index(name="n").sort_values(
        ["n", "segment"], ascending=[False, True], kind="mergesort"
    )
    top = by_segment.iloc[0]
    revenue_share = _share(high["net_revenue"].sum(), customers["net_revenue"].sum())
    return [
        Finding(
            "high_churn_risk",
            "threats",
            share,
            f"{count(len(high))} customers ({pct(share)}) are at high churn risk, "
            f"{pct(_share(top['n'], len(high)))} of them {top['segment']}; they generated {pct(revenue_share)} "
            "of revenue to date.",
            {"customers": len(high), "share": share, "top_segment": top["segment"], "revenue_share": revenue_share},
        )
    ]


def inactivity_finding(status: pd.DataFrame) -> list[Finding]:
    """Churned and At Risk customers under the inactivity rule (agg_customer_status_by_segment, overall row)."""
    overall = status[status["segment_type"] == "overall"]
    if overall.empty or overall["customers"].iloc[0] == 0:
        return []
    row = overall.iloc[0]
    return [
        Finding(
            "inactivity",
            "threats",
            float(row["churn_rate"] + row["at_risk_rate"]),
            f"{count(row['churned_customers'])} customers ({pct(row['churn_rate'])}) have not ordered for more "
            f"than {count(row['churn_inactivity_days'])} days and {count(row['at_risk_customers'])} more "
            f"({pct(row['at_risk_rate'])}) for {count(row['at_risk_inactivity_days'])} to "
            f"{count(row['churn_inactivity_days'])} days"
            + (f"; the at-risk ones brought {money(row['at_risk_net_revenue'])} to date."
               if pd.notna(row.get("at_risk_net_revenue")) else "."),
            {"churn_rate": float(row["churn_rate"]), "at_risk_rate": float(row["at_risk_rate"])},
        )
    ]


def concentration_finding(customers: pd.DataFrame, top_share: float = TOP_CUSTOMER_SHARE) -> list[Finding]:
    """Share of revenue held by the top ``top_share`` of customers by revenue (rounded up; ties by id)."""
    if customers.empty or customers["net_revenue"].sum() <= 0:
        return []
    ranked = customers.sort_values(["net_revenue", "customer_id"], ascending=[False, True], kind="mergesort")
    n = math.ceil(top_share * len(ranked))
    share = _share(ranked["net_revenue"].iloc[:n].sum(), ranked["net_revenue"].sum())
    if share <= CONCENTRATION_THRESHOLD:
        return []
    return [
        Finding(
            "revenue_concentration",
            "threats",
            share,
            f"Revenue is concentrated: the top {pct(top_share)} of customers ({count(n)}) generate {pct(share)} "
            "of it, so losing a few of them would hurt.",
            {"top_share": top_share, "customers": n, "revenue_share": share},
        )
    ]


def segment_downgrade_finding(migrations: pd.DataFrame) -> list[Finding]:
    """Who moved: the largest downgrade of the latest period of agg_segment_migrations (a threat)."""
    move = largest_downgrade(migrations)
    if move is None:
        return []
    return [
        Finding(
            "segment_downgrade",
            "threats",
            _share(move["customers"], move["present_customers"]),
            f"{count(move['customers'])} {move['from_segment']} customers moved to {move['to_segment']} "
            f"between {move['from_date']} and {move['to_date']}; they brought {money(move['net_revenue'])} to date.",
            move,
        )
    ]


def alert_precision_finding(precision: pd.DataFrame) -> list[Finding]:
    """Alert outcomes: the share of judged past alerts that were right (agg_alert_precision)."""
    figures = overall_alert_precision(precision)
    if figures is None:
        return []
    good = figures["precision"] >= MIN_ALERT_PRECISION
    worst = (f"; least right in {figures['worst_segment']} ({pct(figures['worst_precision'])})"
             if figures["worst_segment"] is not None else "")
    return [
        Finding(
            "alert_precision",
            "strengths" if good else "weaknesses",
            figures["precision"] if good else 1 - figures["precision"],
            f"{pct(figures['precision'])} of the {count(figures['judged_alerts'])} churn alerts whose horizon has "
            f"ended were right (no order followed){worst}; {count(figures['alerts'] - figures['judged_alerts'])} "
            "more are pending.",
            figures,
        )
    ]


# ---------------------------------------------------------------- assembling


#: The finding functions and the frames each reads.
FINDING_FUNCTIONS: list[tuple[Callable[..., list[Finding]], tuple[str, ...]]] = [
    (age_group_findings, ("age_groups",)),
    (core_age_band_finding, ("age_groups",)),
    (children_findings, ("children",)),
    (leading_country_findings, ("children_country_gender", "total_revenue")),
    (weakest_market_finding, ("membership_country", "kpis")),
    (segment_value_findings, ("ml_segments",)),
    (loyalty_findings, ("loyalty_tiers",)),
    (one_time_buyer_finding, ("frequency_bands",)),
    (repeat_rate_finding, ("kpis",)),
    (prime_findings, ("memberships", "membership_country")),
    (underperformers_finding, ("quadrants",)),
    (retention_priority_finding, ("customers",)),
    (high_value_at_risk_finding, ("customers",)),
    (high_churn_risk_finding, ("customers",)),
    (inactivity_finding, ("status",)),
    (concentration_finding, ("customers",)),
    (segment_downgrade_finding, ("segment_migrations",)),
    (alert_precision_finding, ("alert_precision",)),
]


#: The finding functions that need no amounts (the others state money or revenue shares): on data without
#: amounts (row rule R8: kpi_overview.net_revenue is null) only these run.
COUNT_FINDING_FUNCTIONS = (repeat_rate_finding, inactivity_finding, alert_precision_finding)


def has_amounts(kpis: pd.Series) -> bool:
    """Whether the data carries amounts: without any (row rule R8) the money KPIs are null."""
    return bool(pd.notna(kpis.get("net_revenue")))


def order_findings(findings: list[Finding]) -> list[Finding]:
    """Grouped in :data:`CATEGORIES` order, by importance (descending) within a group, then key and sentence."""
    return sorted(findings, key=lambda f: (CATEGORIES.index(f.category), -round(f.importance, 12), f.key, f.sentence))


#: Frames of the history marts: absent from older warehouses and hand-made frame sets (then no finding).
OPTIONAL_FRAMES = ("segment_migrations", "alert_precision")


def all_findings(frames: dict[str, Any]) -> list[Finding]:
    """Every finding of :data:`FINDING_FUNCTIONS` on the frames, ordered by :func:`order_findings`."""
    frames = {**{name: pd.DataFrame() for name in OPTIONAL_FRAMES}, **frames}
    functions = [(function, names) for function, names in FINDING_FUNCTIONS
                 if has_amounts(frames["kpis"]) or function in COUNT_FINDING_FUNCTIONS]
    return order_findings([f for function, names in functions for f in function(*(frames[n] for n in names))])


def data_notes(frames: dict[str, Any]) -> list[str]:
    """Lines about the data itself: no amounts (row rule R8), order lines kept above the caps (row rule R4)."""
    notes = []
    if not has_amounts(frames["kpis"]):
        notes.append("The data has no amounts (no amount, quantity or price column): money KPIs and findings "
                     "are omitted.")
    outliers = int(frames.get("outlier_lines") or 0)
    if outliers:
        notes.append(f"{count(outliers)} order line{'s' if outliers != 1 else ''} above the caps "
                     f"{'were' if outliers != 1 else 'was'} kept and flagged `outlier_*` "
                     "(see fct_order_lines.is_outlier).")
    return notes


def headline_kpis(kpis: pd.Series) -> list[tuple[str, str]]:
    """The KPI cards as (label, formatted value) pairs; without amounts (row rule R8) no money cards."""
    money_cards = [
        ("Net revenue", money(kpis["net_revenue"])),
        ("Average order value", money(kpis["average_order_value"])),
        ("Revenue per customer (LTV to date)", money(kpis["lifetime_value"])),
    ] if has_amounts(kpis) else []
    return [
        ("Customers (with a completed order)", count(kpis["total_customers"])),
        ("Completed orders", count(kpis["total_orders"])),
        *money_cards,
        ("Repeat purchase rate (target)", f"{pct(kpis['repeat_purchase_rate'])} ({pct(kpis['repeat_rate_target'])})"),
        ("Prime share of customers", pct(kpis["prime_share"]) if pd.notna(kpis["prime_share"]) else "n/a"),
        ("Average annual income", money(kpis["average_annual_income"])
         if pd.notna(kpis["average_annual_income"]) else "n/a"),
        # the spending score is the customer's revenue percentile: meaningless without amounts
        *([("Average spending score (1-100)", f"{kpis['average_spending_score']:.1f}")] if has_amounts(kpis) else []),
        (f"Active customers (last {count(kpis['active_window_days'])} days)", count(kpis["active_customers"])),
        ("At-risk rate", pct(kpis["at_risk_rate"])),
        ("Churn rate", pct(kpis["churn_rate"])),
    ]


def load_frames(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Query the frames the finding functions read from the marts."""

    def df(sql: str) -> pd.DataFrame:
        return con.execute(sql).df()

    kpis = df("select * from marts.kpi_overview").iloc[0]
    return {
        "kpis": kpis,
        "total_revenue": float(kpis["net_revenue"]),
        "outlier_lines": load_outlier_lines(con),
        "age_groups": df("select * from marts.agg_customers_by_age_group order by sort_order"),
        "children": df("select * from marts.agg_customers_by_children_status order by sort_order"),
        "children_country_gender": df(
            "select children_status, country_code, country_name, gender, count(*) as customers, "
            "sum(net_revenue) as net_revenue from marts.dim_customer_360 where is_purchaser "
            "group by all order by all"
        ),
        "membership_country": df("select * from marts.agg_customers_by_membership_country order by all"),
        "ml_segments": df("select segment, customers, net_revenue from marts.ml_segment_profiles order by all"),
        "loyalty_tiers": df("select * from marts.agg_customers_by_loyalty_tier order by sort_order"),
        "frequency_bands": df("select * from marts.agg_customers_by_frequency_band order by sort_order"),
        "memberships": df("select * from marts.agg_customers_by_membership order by sort_order"),
        "quadrants": df("select * from marts.agg_customers_by_spending_quadrant order by sort_order"),
        "status": df("select * from marts.agg_customer_status_by_segment order by all"),
        "customers": load_customer_risk(con),
        "segment_migrations": load_migrations(con),
        "alert_precision": load_alert_precision(con),
    }


def load_outlier_lines(con: duckdb.DuckDBPyConnection) -> int:
    """Order lines kept above the caps (row rule R4: fct_order_lines.is_outlier); 0 on older warehouses."""
    try:
        return int(con.execute("select count(*) from marts.fct_order_lines where is_outlier").fetchone()[0])
    except duckdb.Error:
        return 0


@dataclass(frozen=True)
class Report:
    """The report's content: as-of date, KPI cards, ordered findings and notes about the data."""

    as_of_date: str
    kpis: list[tuple[str, str]]
    findings: list[Finding]
    notes: tuple[str, ...] = ()


def build_report(frames: dict[str, Any]) -> Report:
    """The report from the frames (:func:`load_frames`)."""
    as_of = str(pd.Timestamp(frames["kpis"]["as_of_date"]).date())
    return Report(as_of, headline_kpis(frames["kpis"]), all_findings(frames), tuple(data_notes(frames)))


def render_markdown(report: Report) -> str:
    """The report as Markdown."""
    lines = [
        "# Customer insights",
        "",
        f"As of **{report.as_of_date}**. Generated from the marts by "
        "`python -m customer_intelligence.reporting.insights` at every build; every figure is computed from the "
        "data. Findings are grouped SWOT-style by the rules at the end and ordered by importance (the share of "
        "revenue, customers or revenue at risk they concern).",
        "",
        "## Headline KPIs",
        "",
        "| KPI | value |",
        "|---|---|",
        *[f"| {label} | {value} |" for label, value in report.kpis],
    ]
    if report.notes:
        lines += ["", "## Data notes", "", *[f"- {note}" for note in report.notes]]
    for category in CATEGORIES:
        mine = [f for f in report.findings if f.category == category]
        lines += ["", f"## {CATEGORY_TITLES[category]}", ""]
        lines += [f"{i}. {f.sentence}" for i, f in enumerate(mine, 1)] or ["_None under the current rules._"]
    lines += ["", "## How findings are grouped", "", "| group | rule | finding |", "|---|---|---|"]
    rules = dict.fromkeys((f.category, f.key) for f in report.findings)
    lines += [f"| {CATEGORY_TITLES[category]} | {RULES[key]} | `{key}` |" for category, key in rules]
    return "\n".join(lines) + "\n"


HTML_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}"
    "section{border-left:4px solid #888;padding-left:1rem;margin:1.5rem 0}"
    ".strengths{border-color:#2a7}.weaknesses{border-color:#c63}.opportunities{border-color:#27c}"
    ".threats{border-color:#c23}.rule{color:#666;font-size:.85em}"
)


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (no external resources)."""
    esc = html.escape
    kpi_rows = "".join(f"<tr><th>{esc(label)}</th><td>{esc(value)}</td></tr>" for label, value in report.kpis)
    notes = ("<h2>Data notes</h2><ul>" + "".join(f"<li>{esc(note)}</li>" for note in report.notes) + "</ul>"
             if report.notes else "")
    sections = []
    for category in CATEGORIES:
        mine = [f for f in report.findings if f.category == category]
        items = "".join(
            f"<li>{esc(f.sentence)}<br><span class=\"rule\">rule: {esc(f.rule)}</span></li>" for f in mine
        ) or "<li><em>None under the current rules.</em></li>"
        sections.append(f'<section class="{category}"><h2>{CATEGORY_TITLES[category]}</h2><ol>{items}</ol></section>')
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Customer insights {esc(report.as_of_date)}</title><style>{HTML_STYLE}</style></head><body>"
        f"<h1>Customer insights</h1><p>As of <strong>{esc(report.as_of_date)}</strong>. Generated from the marts "
        "at every build; every figure is computed from the data. Findings are grouped SWOT-style by documented "
        "rules and ordered by importance.</p>"
        f"<h2>Headline KPIs</h2><table>{kpi_rows}</table>{notes}{''.join(sections)}</body></html>\n"
    )


def write_report(database: Path, out_dir: Path) -> tuple[Path, Path, Report]:
    """Read the marts (read-only) and write insights.md and insights.html into ``out_dir``."""
    with duckdb.connect(str(database), read_only=True) as con:
        report = build_report(load_frames(con))
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path, html_path = out_dir / "insights.md", out_dir / "insights.html"
    md_path.write_text(render_markdown(report))
    html_path.write_text(render_html(report))
    return md_path, html_path, report


def main(argv: list[str] | None = None) -> int:
    """CLI: write the report and print where."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", type=Path, default=default_database(), help="warehouse or published file")
    parser.add_argument("--out-dir", type=Path, default=default_reports_dir())
    args = parser.parse_args(argv)
    if not args.database.exists():
        print(f"no warehouse at {args.database}: run `dbt build` first", file=sys.stderr)
        return 1
    md_path, html_path, report = write_report(args.database, args.out_dir)
    print(f"insights:  {len(report.findings)} findings -> {md_path} and {html_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
