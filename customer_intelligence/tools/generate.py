"""Synthetic e-commerce data with planted customer personas and recorded dirt.

Usage::

    python -m customer_intelligence.tools.generate --orders 100000 --seed 42 \\
        --out data/raw --truth-out data/truth [--format parquet|csv] [--dirt-rate 0.01] [--no-progress]

The generator writes the raw files a global e-commerce business would hand over (orders placed
between 2021-01-01 and 2024-12-31), plus, in a separate truth directory that no dbt model reads,
the answers the pipeline should find: which persona each customer was generated from, and every
dirty raw row with what staging is expected to do with it.

Output
------
``<out>/`` (Parquet, or CSV with a header when ``--format csv``):

- ``customers``: customer_id ('C0000001'), customer_name, email, gender, birth_date, country (ISO-2),
  annual_income, num_children, membership ('Prime'/'Non-Prime'), membership_start_date (null for
  Non-Prime), signup_ts, updated_at.
- ``orders``: order_id ('O00000001'), customer_id, order_ts, channel (web/app/marketplace/store),
  status (completed ~90%, cancelled ~5%, returned ~5%), updated_at.
- ``order_lines``: order_id, line_number (1..n, 1-5 lines per order), product_id, quantity,
  unit_price (the product's list price), discount_amount (0 <= discount <= quantity * unit_price).
- ``products``: product_id ('P0001'), product_name, category (Clothing, Groceries, Electronics,
  Home, Beauty, Sports), unit_cost. 200 products, generated from the seed alone.

``<truth-out>/`` (always Parquet):

- ``personas``: customer_id, persona, segment_truth (the segment k-means should recover).
- ``dirt_manifest``: table_name, raw_row_number (0-based position in the raw file), record_key
  (customer_id, order_id or order_id-line_number; null when the key itself was nulled), dirt_kind,
  expected_outcome, expected_reason.

There are ``round(orders / 10)`` customers (at least 10) and exactly ``--orders`` clean orders.

Personas
--------
Each customer is generated from one persona, chosen to be well separated on the per-customer
features used downstream (net revenue, order count, recency, tenure, average order value, discount
share, distinct categories). Order counts are targets: the counts of the scaled personas are
stretched so that the total is exactly ``--orders`` (one_time keeps 1 order, new keeps 1-3); at 10
orders per customer they come out about 1.2 times the targets (vip 24-48 orders, loyal 10-19, ...).
Persona shares are exact in every block of 500 customers.

=================  =====  ===================  ===============================================
persona            share  segment_truth        shape
=================  =====  ===================  ===============================================
vip                8%     High-Value Active    20-40 orders from 2021 to the last month, many
                                               lines of expensive Electronics/Home, few
                                               discounts, mostly Prime
loyal              22%    Loyal Regulars       8-16 orders until the last two months, medium
                                               basket, few discounts
periodic           15%    Loyal Regulars       4-7 orders in the Nov-Dec holidays (some in a
                                               July sale), always one in Nov-Dec 2024,
                                               medium-low basket
discount_driven    15%    Discount-Driven      6-12 orders until the end, 30-50% discount on
                                               most lines, Groceries/Beauty/Clothing only
one_time           15%    At-Risk / Dormant    exactly 1 order before 2024-07-01 (older dates
                                               more likely), small basket
dormant            15%    At-Risk / Dormant    3-8 orders, all before 2023-06-30, small baskets
new                10%    New                  signed up 2024-07-01..2024-12-24, 1-3 orders
                                               after signing up
=================  =====  ===================  ===============================================

Dirt
----
About ``--dirt-rate`` (default 1%, 0 disables it) of the rows of customers, orders and
order_lines are dirty. Every dirty row is listed in the manifest. Dirt is added as extra rows
wherever possible, so that what remains after staging equals the clean, planted data; only the
'normalised' and 'flagged' kinds change a clean row in place.

Each kind, its tables, how it is planted, and the expected outcome (reason):

- ``exact_duplicate`` (all three tables): a byte-for-byte copy of a clean row, later in the file.
  -> deduplicated (null).
- ``resent_later`` (customers, orders): the same key re-sent later in the file with a strictly later
  updated_at and a changed value (orders: status; customers: membership or annual_income); staging
  must keep this newer row. -> kept_latest (null).
- ``country_variant`` (customers, in place): country written ' us ', 'Us', 'US ', 'United States',
  'UNITED STATES', 'USA', 'UK', 'Deutschland', ... (all in seeds/country_codes.csv after
  lower(trim())). -> normalised (null).
- ``gender_variant`` (customers, in place): gender written 'male', 'MALE', 'M', 'f', ' Female ',
  'x', ... (all in seeds/gender_codes.csv after lower(trim())). -> normalised (null).
- ``null_key`` (all three tables): an added copy of a clean row with customer_id / order_id null;
  null-key orders have no lines. -> rejected (null_key).
- ``unknown_customer`` (orders): an added order 'OX<8 digits>' of a customer 'CX<7 digits>' that
  does not exist, with one valid line. -> rejected (unknown_customer).
- ``orphan_of_rejected_order`` (order_lines): the line of an unknown_customer order.
  -> rejected (unknown_order).
- ``invalid_quantity`` (order_lines): an added line (the next line_number of a clean order) with
  a missing (null) quantity. -> rejected (invalid_quantity). (Zero and negative quantities are
  kept by row rules R5 / R6, so they are not planted as invalid.)
- ``invalid_price`` (order_lines): an added line (the next line_number of a clean order) with
  a missing (null) unit_price. -> rejected (invalid_price).
- ``future_order_date`` (orders): an added order 'OX...' dated in 2030, no lines.
  -> rejected (future_order_date).
- ``order_date_too_old`` (orders): an added order 'OX...' dated in 1895 (before the default
  min_order_date 1900-01-01), no lines.
  -> rejected (order_date_too_old).
- ``impossible_birth_date`` (customers, in place): birth_date in 2031 or before 1900; staging keeps
  the customer and nulls the date. -> flagged (invalid_birth_date).

Added rows come after the clean rows of their block, so duplicates and re-sent rows always follow
the row they repeat. No raw row repeats another one unless it is listed as an exact_duplicate.
For resent_later keys the truth after staging is the re-sent version (its status, membership or
income); its updated_at can fall up to a day after 2024-12-31.

Determinism and scale
---------------------
Customers are generated in blocks of 500 (``BLOCK_CUSTOMERS``). Each block gets its exact share of
the orders and its own random streams, derived from (seed, block index) with ``SeedSequence``: one
for the clean data and one for the dirt, so the clean data does not depend on the dirt rate. The
files depend only on (orders, seed, dirt rate, format): same inputs give byte-identical files.
Blocks are buffered into chunks (``chunk_customers``, default 50,000 customers) that are appended
to the files, so memory is bounded by one chunk whatever the number of orders; the chunk size
changes the Parquet row groups but not the data (CSV output is byte-identical). ``--orders`` must be
at least 100 and ``--dirt-rate`` at most 0.2.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

Cols = dict[str, np.ndarray]
"""A table as named, equally long numpy columns. Names starting with '_' are internal (not written)."""

DAY = 86_400
BLOCK_CUSTOMERS = 500
DEFAULT_CHUNK_CUSTOMERS = 50_000
N_PRODUCTS = 200
MIN_ORDERS = 100
MAX_DIRT_RATE = 0.2
NULL_DAY = np.iinfo(np.int64).min  # missing date in the internal int64 day columns

PRODUCT_STREAM, CLEAN_STREAM, DIRT_STREAM = 0, 1, 2


def epoch_seconds(text: str) -> int:
    """Seconds since 1970-01-01 of an ISO date or timestamp ('2021-01-01T00:00:00')."""
    return int(np.datetime64(text, "s").astype(np.int64))


PERIOD_START = epoch_seconds("2021-01-01T00:00:00")
PERIOD_END = epoch_seconds("2024-12-31T23:59:59")
ONE_TIME_BEFORE = epoch_seconds("2024-07-01T00:00:00")
DORMANT_BEFORE = epoch_seconds("2023-06-30T00:00:00")
NEW_SIGNUP_FROM = epoch_seconds("2024-07-01T00:00:00")
NEW_SIGNUP_UNTIL = epoch_seconds("2024-12-24T00:00:00")
BIRTH_FROM_DAY = epoch_seconds("1944-01-01") // DAY  # aged 80 on 2024-12-31
BIRTH_UNTIL_DAY = epoch_seconds("2006-12-31") // DAY  # aged 18 on 2024-12-31
YEARS = np.arange(2021, 2025)
NOVEMBER_FIRST = np.array([epoch_seconds(f"{y}-11-01") for y in YEARS])
JULY_FIRST = np.array([epoch_seconds(f"{y}-07-01") for y in YEARS])

CATEGORIES = ("Clothing", "Groceries", "Electronics", "Home", "Beauty", "Sports")
PRICE_RANGES = ((8.0, 150.0), (2.0, 40.0), (40.0, 1500.0), (15.0, 700.0), (4.0, 90.0), (10.0, 450.0))
PRODUCT_NOUNS = (
    ("T-Shirt", "Jeans", "Jacket", "Sneakers", "Dress", "Hoodie", "Scarf", "Sweater"),
    ("Coffee", "Olive Oil", "Pasta", "Tea", "Granola", "Rice", "Chocolate", "Honey"),
    ("Headphones", "Laptop", "Smartphone", "Monitor", "Camera", "Tablet", "Speaker", "Smartwatch"),
    ("Lamp", "Sofa", "Blender", "Rug", "Cookware Set", "Desk", "Bedding Set", "Vacuum"),
    ("Shampoo", "Face Cream", "Perfume", "Lipstick", "Serum", "Body Lotion", "Sunscreen", "Hair Dryer"),
    ("Yoga Mat", "Running Shoes", "Dumbbells", "Bicycle", "Tennis Racket", "Backpack", "Tent", "Football"),
)
PRODUCT_ADJECTIVES = (
    "Classic", "Urban", "Premium", "Essential", "Eco", "Smart", "Vintage", "Pro",
    "Deluxe", "Basic", "Modern", "Organic", "Compact", "Ultra", "Nordic", "Everyday",
)

COUNTRIES = ("US", "GB", "DE", "FR", "IN", "JP", "BR", "CA", "AU", "MX")
COUNTRY_P = (0.30, 0.10, 0.10, 0.08, 0.12, 0.07, 0.08, 0.06, 0.04, 0.05)
COUNTRY_NAMES = ("United States", "United Kingdom", "Germany", "France", "India",
                 "Japan", "Brazil", "Canada", "Australia", "Mexico")
COUNTRY_ALIASES = ("USA", "UK", "Deutschland", "france", "india", "japan", "Brasil", "canada", "australia",
                   "mexico")
GENDERS = ("Male", "Female", "Other")
GENDER_P = (0.49, 0.49, 0.02)
GENDER_VARIANTS = np.array([
    ["male", "MALE", "M", "m", " Male "],
    ["female", "FEMALE", "F", "f", " Female "],
    ["other", "OTHER", "O", "x", " Other "],
], dtype=object)
CHANNELS = ("web", "app", "marketplace", "store")
CHANNEL_P = (0.42, 0.33, 0.15, 0.10)
STATUSES = ("completed", "cancelled", "returned")
STATUS_P = (0.90, 0.05, 0.05)
QUANTITY_P = (0.62, 0.24, 0.09, 0.03, 0.015, 0.005)  # quantity 1..6
CHILDREN_P = (0.40, 0.22, 0.23, 0.10, 0.05)  # 0..4 children

FIRST_NAMES = {
    "Male": ("James", "Liam", "Noah", "Oliver", "Lucas", "Mateo", "Arjun", "Rohan", "Hiroshi", "Kenji",
             "Lukas", "Jonas", "Louis", "Hugo", "Gabriel", "Rafael", "Diego", "Carlos", "Ethan", "Jack",
             "William", "Thomas", "Daniel", "Samuel", "Aarav", "Vikram", "Felix", "Leon", "Pedro", "Miguel"),
    "Female": ("Olivia", "Emma", "Amelia", "Sophia", "Mia", "Isabella", "Priya", "Ananya", "Yuki", "Sakura",
               "Hannah", "Lena", "Chloe", "Camille", "Ana", "Beatriz", "Valentina", "Lucia", "Charlotte",
               "Grace", "Emily", "Sofia", "Aisha", "Diya", "Marie", "Julia", "Laura", "Maya", "Zoe", "Ella"),
    "Other": ("Alex", "Sam", "Jordan", "Taylor", "Robin", "Kim", "Charlie", "Jamie", "Casey", "Riley"),
}
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Garcia", "Martinez", "Lopez", "Hernandez", "Silva", "Santos",
    "Oliveira", "Souza", "Mueller", "Schmidt", "Schneider", "Fischer", "Martin", "Bernard", "Dubois",
    "Moreau",
    "Sharma", "Patel", "Singh", "Gupta", "Kumar", "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe",
    "Taylor", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Clarke", "Tremblay", "Roy",
    "Gagnon", "Nguyen", "Kelly", "Murphy", "Lee", "Anderson", "Campbell", "Ramirez", "Torres", "Flores",
)
EMAIL_DOMAINS = np.array(["example.com", "example.org", "example.net"], dtype=object)


@dataclass(frozen=True)
class Persona:
    """How customers of one planted persona behave."""

    name: str
    share: float
    segment: str
    min_orders: int
    max_orders: int
    scaled: bool  # order count stretched so that the total hits --orders exactly
    prime_rate: float
    income_factor: float
    line_p: tuple[float, ...]  # P(1..5 lines per order)
    category_w: tuple[float, ...]  # weight of each of CATEGORIES
    price_tilt: float  # > 0 favours the expensive products of a category, < 0 the cheap ones
    discount_p: float  # share of lines with a discount
    discount_range: tuple[float, float]  # discount as a fraction of the line's gross


BALANCED = (0.20, 0.20, 0.15, 0.20, 0.10, 0.15)
PERSONAS = (
    Persona("vip", 0.08, "High-Value Active", 20, 40, True, 0.80, 1.7,
            (0.10, 0.30, 0.30, 0.20, 0.10), (0.10, 0.00, 0.45, 0.30, 0.05, 0.10), 1.0, 0.10, (0.05, 0.15)),
    Persona("loyal", 0.22, "Loyal Regulars", 8, 16, True, 0.60, 1.1,
            (0.35, 0.40, 0.17, 0.06, 0.02), BALANCED, 0.0, 0.15, (0.05, 0.15)),
    Persona("periodic", 0.15, "Loyal Regulars", 4, 7, True, 0.35, 1.0,
            (0.45, 0.35, 0.13, 0.05, 0.02), (0.30, 0.10, 0.05, 0.15, 0.25, 0.15), -0.3, 0.30, (0.10, 0.20)),
    Persona("discount_driven", 0.15, "Discount-Driven", 6, 12, True, 0.30, 0.75,
            (0.40, 0.35, 0.15, 0.07, 0.03), (0.30, 0.40, 0.00, 0.00, 0.30, 0.00), -0.5, 0.90, (0.30, 0.50)),
    Persona("one_time", 0.15, "At-Risk / Dormant", 1, 1, False, 0.15, 0.9,
            (0.55, 0.30, 0.10, 0.04, 0.01), BALANCED, 0.0, 0.25, (0.05, 0.20)),
    Persona("dormant", 0.15, "At-Risk / Dormant", 3, 8, True, 0.30, 1.0,
            (0.55, 0.30, 0.10, 0.04, 0.01), BALANCED, -0.3, 0.20, (0.05, 0.20)),
    Persona("new", 0.10, "New", 1, 3, False, 0.25, 1.0,
            (0.50, 0.30, 0.13, 0.05, 0.02), BALANCED, 0.0, 0.30, (0.05, 0.20)),
)
VIP, LOYAL, PERIODIC, DISCOUNT_DRIVEN, ONE_TIME, DORMANT, NEW = range(len(PERSONAS))

OUTCOMES: dict[str, tuple[str, str | None]] = {
    "exact_duplicate": ("deduplicated", None),
    "resent_later": ("kept_latest", None),
    "country_variant": ("normalised", None),
    "gender_variant": ("normalised", None),
    "null_key": ("rejected", "null_key"),
    "unknown_customer": ("rejected", "unknown_customer"),
    "orphan_of_rejected_order": ("rejected", "unknown_order"),
    "invalid_quantity": ("rejected", "invalid_quantity"),
    "invalid_price": ("rejected", "invalid_price"),
    "future_order_date": ("rejected", "future_order_date"),
    "order_date_too_old": ("rejected", "order_date_too_old"),
    "impossible_birth_date": ("flagged", "invalid_birth_date"),
}
# Share of each table's dirty rows by kind (the orphan lines of unknown_customer orders come on top).
CUSTOMER_DIRT = {"exact_duplicate": 0.20, "resent_later": 0.20, "country_variant": 0.20,
                 "gender_variant": 0.15, "null_key": 0.10, "impossible_birth_date": 0.15}
ORDER_DIRT = {"exact_duplicate": 0.25, "resent_later": 0.25, "null_key": 0.10, "unknown_customer": 0.15,
              "future_order_date": 0.125, "order_date_too_old": 0.125}
LINE_DUPLICATE_DIRT = {"exact_duplicate": 0.40}
LINE_NULL_KEY_SHARE = 0.20
LINE_ORDER_DIRT = {"invalid_quantity": 0.20, "invalid_price": 0.20}  # one added line per chosen order

RAW_TABLES = ("customers", "orders", "order_lines")
SCHEMAS = {
    "customers": pa.schema([
        ("customer_id", pa.string()), ("customer_name", pa.string()), ("email", pa.string()),
        ("gender", pa.string()), ("birth_date", pa.date32()), ("country", pa.string()),
        ("annual_income", pa.float64()), ("num_children", pa.int64()), ("membership", pa.string()),
        ("membership_start_date", pa.date32()), ("signup_ts", pa.timestamp("us")),
        ("updated_at", pa.timestamp("us")),
    ]),
    "orders": pa.schema([
        ("order_id", pa.string()), ("customer_id", pa.string()), ("order_ts", pa.timestamp("us")),
        ("channel", pa.string()), ("status", pa.string()), ("updated_at", pa.timestamp("us")),
    ]),
    "order_lines": pa.schema([
        ("order_id", pa.string()), ("line_number", pa.int64()), ("product_id", pa.string()),
        ("quantity", pa.int64()), ("unit_price", pa.float64()), ("discount_amount", pa.float64()),
    ]),
    "products": pa.schema([
        ("product_id", pa.string()), ("product_name", pa.string()), ("category", pa.string()),
        ("unit_cost", pa.float64()),
    ]),
    "personas": pa.schema([("customer_id", pa.string()), ("persona", pa.string()),
                           ("segment_truth", pa.string())]),
    "dirt_manifest": pa.schema([
        ("table_name", pa.string()), ("raw_row_number", pa.int64()), ("record_key", pa.string()),
        ("dirt_kind", pa.string()), ("expected_outcome", pa.string()), ("expected_reason", pa.string()),
    ]),
}


# --------------------------------------------------------------------------------------------
# Small array helpers
# --------------------------------------------------------------------------------------------

def persona_values(attribute: str) -> np.ndarray:
    """One attribute of every persona, as an array indexed by persona code."""
    return np.array([getattr(p, attribute) for p in PERSONAS])


def objects(values: Sequence[str]) -> np.ndarray:
    """A numpy object array of Python strings (nullable, no fixed width)."""
    return np.array(values, dtype=object)


def format_ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded string ids ('C0000001') of integer numbers, as an object array."""
    return np.array([f"{prefix}{n:0{width}d}" for n in numbers.tolist()], dtype=object)


def n_rows(cols: Cols) -> int:
    """Number of rows of a table."""
    return len(next(iter(cols.values())))


def take(cols: Cols, rows: np.ndarray) -> Cols:
    """Copy of the given rows of a table."""
    return {name: values[rows] for name, values in cols.items()}


def concat(tables: Sequence[Cols]) -> Cols:
    """Tables with the same columns, stacked."""
    return {name: np.concatenate([t[name] for t in tables]) for name in tables[0]}


def allocate_exact(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into non-negative integers proportional to ``weights`` (largest remainder)."""
    raw = total * np.asarray(weights, dtype=np.float64) / np.sum(weights)
    counts = np.floor(raw).astype(np.int64)
    short = int(total - counts.sum())
    counts[np.argsort(counts - raw, kind="stable")[:short]] += 1
    return counts


def draw_by_group(rng: np.random.Generator, group: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """One category index per element, drawn with the probability row ``probs[group]``."""
    cdf = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    cdf[:, -1] = 1.0
    stacked = (cdf + np.arange(len(probs))[:, None]).ravel()  # row g lives in (g, g + 1]
    picked = np.searchsorted(stacked, group + rng.random(len(group)), side="right")
    return np.minimum(picked - group * probs.shape[1], probs.shape[1] - 1)


def uniform_seconds(rng: np.random.Generator, start: np.ndarray | int, span: np.ndarray | int,
                    size: int) -> np.ndarray:
    """Random epoch seconds in [start, start + span)."""
    return np.asarray(start, dtype=np.int64) + (rng.random(size) * span).astype(np.int64)


def block_rng(seed: int, stream: int, block: int = 0) -> np.random.Generator:
    """The random generator of one stream (products, clean data, dirt) of one block."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, block)))


# --------------------------------------------------------------------------------------------
# Clean data
# --------------------------------------------------------------------------------------------

def customer_count(orders: int) -> int:
    """Number of customers for a number of orders: orders / 10, rounded, at least 10."""
    return max(10, round(orders / 10))


@dataclass(frozen=True)
class Block:
    """A group of consecutive customers generated from its own random streams."""

    index: int
    first_customer: int  # 0-based
    n_customers: int
    first_order: int  # 0-based
    n_orders: int


def plan_blocks(orders: int, customers: int) -> list[Block]:
    """Blocks of BLOCK_CUSTOMERS customers, each with its exact share of the orders."""
    blocks = []
    for index, start in enumerate(range(0, customers, BLOCK_CUSTOMERS)):
        end = min(start + BLOCK_CUSTOMERS, customers)
        first, last = orders * start // customers, orders * end // customers
        blocks.append(Block(index, start, end - start, first, last - first))
    return blocks


def make_products(seed: int) -> Cols:
    """The product catalogue (fixed size), from the seed alone."""
    rng = block_rng(seed, PRODUCT_STREAM)
    category = rng.permutation(np.repeat(np.arange(len(CATEGORIES)),
                                         allocate_exact(N_PRODUCTS, np.ones(len(CATEGORIES)))))
    low, high = np.array(PRICE_RANGES).T
    price = np.round(np.exp(rng.uniform(np.log(low[category]), np.log(high[category]))), 2)
    names = np.empty(N_PRODUCTS, dtype=object)
    for c, nouns in enumerate(PRODUCT_NOUNS):  # loop over the six categories only
        mine = np.flatnonzero(category == c)
        combos = rng.choice(len(PRODUCT_ADJECTIVES) * len(nouns), size=len(mine), replace=False)
        names[mine] = [f"{PRODUCT_ADJECTIVES[k // len(nouns)]} {nouns[k % len(nouns)]}" for k in combos]
    return {
        "product_id": format_ids("P", np.arange(1, N_PRODUCTS + 1), 4),
        "product_name": names,
        "category": objects(CATEGORIES)[category],
        "unit_cost": np.round(price * rng.uniform(0.40, 0.75, N_PRODUCTS), 2),
        "_price": price,
        "_category": category,
    }


def product_probabilities(products: Cols) -> np.ndarray:
    """P(product) for a line of each persona: category weight times a within-category price tilt."""
    category, price = products["_category"], products["_price"]
    probs = np.zeros((len(PERSONAS), len(price)))
    for p, persona in enumerate(PERSONAS):
        tilted = price ** persona.price_tilt
        in_category = np.bincount(category, weights=tilted, minlength=len(CATEGORIES))
        probs[p] = np.array(persona.category_w)[category] * tilted / in_category[category]
    return probs


def assign_personas(rng: np.random.Generator, n: int) -> np.ndarray:
    """Persona code of each of n customers: exact shares, random positions."""
    counts = allocate_exact(n, persona_values("share"))
    return rng.permutation(np.repeat(np.arange(len(PERSONAS)), counts))


def order_counts(rng: np.random.Generator, personas: np.ndarray, total: int) -> np.ndarray:
    """Orders per customer: persona targets, the scaled personas stretched to sum to ``total``."""
    target = rng.integers(persona_values("min_orders")[personas], persona_values("max_orders")[personas] + 1)
    scaled = persona_values("scaled")[personas]
    spare = total - target[~scaled].sum() - scaled.sum()  # orders beyond one per scaled customer
    if spare < 0 or (spare > 0 and not scaled.any()):
        raise ValueError(f"cannot place {total} orders on {len(personas)} customers")
    counts = target.copy()
    if scaled.any():
        counts[scaled] = 1 + allocate_exact(spare, target[scaled] - 1)
    return counts


def activity_windows(rng: np.random.Generator, personas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last order time (epoch seconds) of each customer, by persona."""
    n = len(personas)
    u, v = rng.random(n), rng.random(n)

    def after_start(days: float) -> np.ndarray:
        return PERIOD_START + (u * days * DAY).astype(np.int64)

    def before_end(days: float) -> np.ndarray:
        return PERIOD_END - (v * days * DAY).astype(np.int64)

    dormant_first = after_start(540)
    early = 1 - np.sqrt(1 - u)  # density falling linearly to zero at the end: one-timers are mostly old
    one_time = PERIOD_START + (early * (ONE_TIME_BEFORE - 1 - PERIOD_START)).astype(np.int64)
    new_first = NEW_SIGNUP_FROM + (u * (NEW_SIGNUP_UNTIL - NEW_SIGNUP_FROM)).astype(np.int64)
    windows = {  # periodic customers get seasonal dates later; their window is unused
        VIP: (after_start(365), before_end(30)),
        LOYAL: (after_start(730), before_end(60)),
        PERIODIC: (after_start(0), before_end(0)),
        DISCOUNT_DRIVEN: (after_start(900), before_end(90)),
        ONE_TIME: (one_time, one_time),
        DORMANT: (dormant_first,
                  dormant_first + ((0.3 + 0.7 * v) * (DORMANT_BEFORE - 1 - dormant_first)).astype(np.int64)),
        NEW: (new_first, new_first + (v * (PERIOD_END - new_first)).astype(np.int64)),
    }
    conditions = [personas == code for code in windows]
    first = np.select(conditions, [w[0] for w in windows.values()])
    last = np.select(conditions, [w[1] for w in windows.values()])
    return first, last


def seasonal_times(rng: np.random.Generator, rank: np.ndarray, first_year: np.ndarray) -> np.ndarray:
    """Order times of periodic customers: Nov-Dec (85%) or a July sale.

    Each customer's first drawn order (rank 0) is in Nov-Dec 2024, so periodic customers stay active.
    """
    year = np.where(rank == 0, 2024, rng.integers(first_year, 2025))
    holiday = (rank == 0) | (rng.random(len(rank)) < 0.85)
    start = np.where(holiday, NOVEMBER_FIRST[year - 2021], JULY_FIRST[year - 2021])
    return uniform_seconds(rng, start, np.where(holiday, 61 * DAY, 21 * DAY), len(rank))


def order_times(rng: np.random.Generator, personas: np.ndarray,
                counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Owner (customer index) and time of every order, grouped by customer.

    A customer's orders are spread uniformly over its activity window, with the first one at the
    window's start and the second at its end, so windows are met exactly.
    """
    first, last = activity_windows(rng, personas)
    owner = np.repeat(np.arange(len(counts)), counts)
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    u = rng.random(len(owner))
    u[rank == 0], u[rank == 1] = 0.0, 1.0
    times = first[owner] + (u * (last - first)[owner]).astype(np.int64)
    seasonal = personas[owner] == PERIODIC
    first_year = rng.integers(2021, 2024, len(personas))[owner]
    times[seasonal] = seasonal_times(rng, rank[seasonal], first_year[seasonal])
    return owner, times


def make_customers(rng: np.random.Generator, numbers: np.ndarray, personas: np.ndarray,
                   first_order: np.ndarray) -> Cols:
    """Customer rows, consistent with their persona and the time of their first order."""
    n = len(numbers)
    gender = rng.choice(len(GENDERS), size=n, p=GENDER_P)
    first_names = [objects(FIRST_NAMES[g]) for g in GENDERS]
    first = np.choose(gender, [names[rng.integers(0, len(names), n)] for names in first_names])
    last = objects(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)]
    email_user = objects([s.lower() for s in first]) + "." + objects([s.lower() for s in last])
    email = email_user + numbers.astype(str).astype(object) + "@" + EMAIL_DOMAINS[rng.integers(0, 3, n)]

    age_span = BIRTH_UNTIL_DAY - BIRTH_FROM_DAY
    birth_day = BIRTH_UNTIL_DAY - (rng.beta(2.0, 3.5, n) * age_span).astype(np.int64)
    country = rng.choice(len(COUNTRIES), size=n, p=COUNTRY_P)
    income = np.exp(rng.normal(np.log(55_000), 0.5, n)) * persona_values("income_factor")[personas]
    income = np.round(np.clip(income, 15_000, 250_000))
    children = rng.choice(len(CHILDREN_P), size=n, p=CHILDREN_P)

    new = personas == NEW
    lead = np.where(new, np.minimum(3 * DAY, first_order - NEW_SIGNUP_FROM), 400 * DAY)
    signup = first_order - (rng.random(n) * lead).astype(np.int64)
    prime = rng.random(n) < persona_values("prime_rate")[personas]
    signup_day = signup // DAY
    start_span = np.minimum(PERIOD_END // DAY, signup_day + 730) - signup_day + 1
    membership_start = np.where(prime, signup_day + (rng.random(n) * start_span).astype(np.int64), NULL_DAY)
    updated = signup + (rng.random(n) * np.maximum(0, PERIOD_END - 30 * DAY - signup)).astype(np.int64)
    return {
        "customer_id": format_ids("C", numbers, 7),
        "customer_name": first + " " + last,
        "email": email,
        "gender": objects(GENDERS)[gender],
        "birth_date": birth_day,
        "country": objects(COUNTRIES)[country],
        "annual_income": income,
        "num_children": children.astype(np.int64),
        "membership": np.where(prime, "Prime", "Non-Prime").astype(object),
        "membership_start_date": membership_start,
        "signup_ts": signup,
        "updated_at": updated,
        "_number": numbers,
        "_gender": gender,
        "_country": country,
    }


def make_orders(rng: np.random.Generator, numbers: np.ndarray, customers: Cols, owner: np.ndarray,
                personas: np.ndarray, times: np.ndarray) -> Cols:
    """Order rows for the given owners (customer row index) and times."""
    n = len(numbers)
    status = rng.choice(len(STATUSES), size=n, p=STATUS_P)
    delay = np.choose(status, [uniform_seconds(rng, 3600, 3 * DAY, n),  # completed
                               uniform_seconds(rng, 600, DAY, n),  # cancelled
                               uniform_seconds(rng, 7 * DAY, 23 * DAY, n)])  # returned
    return {
        "order_id": format_ids("O", numbers, 8),
        "customer_id": customers["customer_id"][owner],
        "order_ts": times,
        "channel": objects(CHANNELS)[rng.choice(len(CHANNELS), size=n, p=CHANNEL_P)],
        "status": objects(STATUSES)[status],
        "updated_at": np.minimum(times + delay, np.maximum(times, PERIOD_END)),
        "_number": numbers,
        "_customer_number": customers["_number"][owner],
        "_status": status,
        "_persona": personas[owner],
    }


def make_lines(rng: np.random.Generator, orders: Cols, products: Cols,
               product_p: np.ndarray) -> tuple[Cols, np.ndarray]:
    """Order lines of the given orders, and the number of lines of each order."""
    persona = orders["_persona"]
    n_lines = 1 + draw_by_group(rng, persona, persona_values("line_p"))
    order = np.repeat(np.arange(len(n_lines)), n_lines)
    line_persona = persona[order]
    product = draw_by_group(rng, line_persona, product_p)
    quantity = 1 + rng.choice(len(QUANTITY_P), size=len(order), p=QUANTITY_P)
    price = products["_price"][product]
    low, high = persona_values("discount_range")[line_persona].T
    fraction = low + rng.random(len(order)) * (high - low)
    discounted = rng.random(len(order)) < persona_values("discount_p")[line_persona]
    discount = np.where(discounted, np.round(fraction * quantity * price, 2), 0.0)
    lines = {
        "order_id": orders["order_id"][order],
        "line_number": np.arange(len(order)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1,
        "product_id": products["product_id"][product],
        "quantity": quantity.astype(np.int64),
        "unit_price": price,
        "discount_amount": discount,
    }
    return lines, n_lines


# --------------------------------------------------------------------------------------------
# Dirt
# --------------------------------------------------------------------------------------------

def stochastic_round(rng: np.random.Generator, expected: np.ndarray) -> np.ndarray:
    """Integers whose mean is ``expected`` (floor, plus one with probability of the fraction)."""
    return np.floor(expected + rng.random(len(expected))).astype(np.int64)


def dirt_rows(rng: np.random.Generator, n: int, expected: dict[str, float]) -> dict[str, np.ndarray]:
    """Disjoint random row indices (out of n) for each dirt kind; counts are stochastically rounded."""
    counts = stochastic_round(rng, np.array(list(expected.values())))
    bounds = np.minimum(np.concatenate([[0], np.cumsum(counts)]), n)
    shuffled = rng.permutation(n)
    return {kind: np.sort(shuffled[bounds[k]:bounds[k + 1]]) for k, kind in enumerate(expected)}


def scaled_shares(shares: dict[str, float], rows: float) -> dict[str, float]:
    """Expected dirty rows of each kind."""
    return {kind: share * rows for kind, share in shares.items()}


def with_dirt(rng: np.random.Generator, clean: Cols, in_place: dict[str, np.ndarray], added: dict[str, Cols],
              record_key: Callable[[Cols], np.ndarray]) -> tuple[Cols, Cols]:
    """Clean rows (some dirtied in place) followed by the added rows shuffled, and their manifest rows."""
    kinds = np.concatenate([np.full(n_rows(rows), kind, dtype=object) for kind, rows in added.items()])
    shuffle = rng.permutation(len(kinds))
    table = concat([clean, take(concat(list(added.values())), shuffle)])
    positions = np.concatenate([*in_place.values(), n_rows(clean) + np.arange(len(kinds))]).astype(np.int64)
    in_place_kinds = [np.full(len(rows), kind, dtype=object) for kind, rows in in_place.items()]
    manifest = {
        "raw_row_number": positions,
        "record_key": record_key(take(table, positions)),
        "dirt_kind": np.concatenate([*in_place_kinds, kinds[shuffle]]),
    }
    return table, manifest


def line_keys(lines: Cols) -> np.ndarray:
    """Record keys order_id-line_number of order lines (null when order_id is null)."""
    return objects([None if o is None else f"{o}-{n}"
                    for o, n in zip(lines["order_id"], lines["line_number"], strict=True)])


def later_than(rng: np.random.Generator, seconds: np.ndarray) -> np.ndarray:
    """Times strictly after the given ones (by up to a day, or up to the period end if further)."""
    return seconds + 1 + (rng.random(len(seconds)) * np.maximum(PERIOD_END - seconds, DAY)).astype(np.int64)


def country_variants() -> np.ndarray:
    """Non-canonical spellings of each country code (row = code index), all mapped by the seeds."""
    return np.array([[f" {code.lower()} ", code.title(), f"{code} ", name, name.upper(), alias]
                     for code, name, alias in zip(COUNTRIES, COUNTRY_NAMES, COUNTRY_ALIASES, strict=True)],
                    dtype=object)


def dirty_customers(rng: np.random.Generator, customers: Cols, rate: float) -> tuple[Cols, Cols]:
    """Customers with dirt planted, and the manifest rows."""
    rows = dirt_rows(rng, n_rows(customers), scaled_shares(CUSTOMER_DIRT, rate * n_rows(customers)))
    c = {name: values.copy() for name, values in customers.items()}
    i = rows["country_variant"]
    variants = country_variants()
    c["country"][i] = variants[c["_country"][i], rng.integers(0, variants.shape[1], len(i))]
    i = rows["gender_variant"]
    c["gender"][i] = GENDER_VARIANTS[c["_gender"][i], rng.integers(0, GENDER_VARIANTS.shape[1], len(i))]
    i = rows["impossible_birth_date"]
    future = epoch_seconds("2031-01-01") // DAY + rng.integers(0, 365, len(i))
    ancient = epoch_seconds("1850-01-01") // DAY + rng.integers(0, 50 * 365, len(i))
    c["birth_date"][i] = np.where(rng.random(len(i)) < 0.5, future, ancient)

    resent = take(c, rows["resent_later"])
    resent["updated_at"] = later_than(rng, resent["updated_at"])
    flip = rng.random(len(resent["updated_at"])) < 0.5
    to_prime = flip & (resent["membership"] == "Non-Prime")
    resent["membership"] = np.where(flip, np.where(to_prime, "Prime", "Non-Prime"),
                                    resent["membership"]).astype(object)
    resent["membership_start_date"] = np.where(
        flip, np.where(to_prime, resent["updated_at"] // DAY, NULL_DAY), resent["membership_start_date"])
    income, k = resent["annual_income"], len(flip)
    factor = np.where(income > 200_000, rng.uniform(0.70, 0.95, k), rng.uniform(1.05, 1.25, k))
    resent["annual_income"] = np.where(flip, income, np.round(income * factor))
    null_key = take(c, rows["null_key"])
    null_key["customer_id"][:] = None

    in_place = {kind: rows[kind] for kind in ("country_variant", "gender_variant", "impossible_birth_date")}
    added = {"exact_duplicate": take(c, rows["exact_duplicate"]), "resent_later": resent,
             "null_key": null_key}
    return with_dirt(rng, c, in_place, added, lambda t: t["customer_id"])


def dirty_orders(rng: np.random.Generator, orders: Cols, lines: Cols, rate: float) -> tuple[Cols, Cols, Cols]:
    """Orders with dirt planted, the manifest rows, and the lines of the unknown-customer orders."""
    rows = dirt_rows(rng, n_rows(orders), scaled_shares(ORDER_DIRT, rate * n_rows(orders)))

    def added_order(kind: str) -> Cols:
        """Copy of the chosen orders with a new, unique id 'OX<original number>'."""
        copy = take(orders, rows[kind])
        copy["order_id"] = format_ids("OX", copy["_number"], 8)
        return copy

    def dated(copy: Cols, year: int) -> Cols:
        copy["order_ts"] = uniform_seconds(rng, epoch_seconds(f"{year}-01-01"), 364 * DAY, n_rows(copy))
        copy["updated_at"] = copy["order_ts"] + (rng.random(n_rows(copy)) * DAY).astype(np.int64)
        return copy

    resent = take(orders, rows["resent_later"])
    resent["_status"] = (resent["_status"] + rng.integers(1, len(STATUSES), len(resent["_status"]))) % 3
    resent["status"] = objects(STATUSES)[resent["_status"]]
    resent["updated_at"] = later_than(rng, resent["updated_at"])
    null_key = take(orders, rows["null_key"])
    null_key["order_id"][:] = None
    unknown = added_order("unknown_customer")
    unknown["customer_id"] = format_ids("CX", unknown["_customer_number"], 7)
    orphans = take(lines, orders["_first_line"][rows["unknown_customer"]])
    orphans["order_id"] = unknown["order_id"].copy()

    added = {
        "exact_duplicate": take(orders, rows["exact_duplicate"]),
        "resent_later": resent,
        "null_key": null_key,
        "unknown_customer": unknown,
        "future_order_date": dated(added_order("future_order_date"), 2030),
        "order_date_too_old": dated(added_order("order_date_too_old"), 1895),
    }
    table, manifest = with_dirt(rng, orders, {}, added, lambda t: t["order_id"])
    return table, manifest, orphans


def unseen_rows(cols: Cols, candidates: np.ndarray, count: int, seen: set[tuple]) -> np.ndarray:
    """The first ``count`` candidate rows whose values (order_id aside) are not in ``seen``; adds them."""
    columns = [values.tolist() for name, values in cols.items() if name != "order_id"]
    keep: list[int] = []
    for i in candidates.tolist():
        if len(keep) == count:
            break
        values = tuple(column[i] for column in columns)
        if values not in seen:
            seen.add(values)
            keep.append(i)
    return np.array(keep, dtype=np.int64)


def dirty_lines(rng: np.random.Generator, lines: Cols, orders: Cols, orphans: Cols, rate: float,
                seen_null_keys: set[tuple]) -> tuple[Cols, Cols]:
    """Order lines with dirt planted (plus the orphan lines), and the manifest rows.

    Null-key lines are copies of real lines without their order_id, so two of them could be equal:
    ``seen_null_keys`` (shared by all blocks) makes them copy only lines unlike those copied before,
    so that no raw row repeats another unless it is listed as an exact_duplicate.
    """
    n = n_rows(lines)
    rows = dirt_rows(rng, n, scaled_shares(LINE_DUPLICATE_DIRT, rate * n))
    n_null_keys = int(stochastic_round(rng, np.array([LINE_NULL_KEY_SHARE * rate * n]))[0])
    null_key = take(lines, unseen_rows(lines, rng.permutation(n), n_null_keys, seen_null_keys))
    null_key["order_id"][:] = None
    targets = dirt_rows(rng, n_rows(orders), scaled_shares(LINE_ORDER_DIRT, rate * n))

    def extra_line(kind: str) -> Cols:
        """A copy of the last line of each chosen order, numbered as its next line."""
        order = targets[kind]
        copy = take(lines, orders["_first_line"][order] + orders["_n_lines"][order] - 1)
        copy["line_number"] = orders["_n_lines"][order] + 1
        copy["discount_amount"] = np.zeros(len(order))
        return copy

    # Row rules R4-R6 keep zero / negative quantities and prices (flagged, as returns or zero-value
    # lines), so the planted invalid lines carry a MISSING value (null), which staging rejects; the
    # random draws stay, so the rest of the data does not change.
    bad_quantity = extra_line("invalid_quantity")
    rng.integers(-3, 1, n_rows(bad_quantity))
    bad_quantity["quantity"] = np.full(n_rows(bad_quantity), np.nan)
    bad_price = extra_line("invalid_price")
    rng.random(n_rows(bad_price))
    bad_price["unit_price"] = np.full(n_rows(bad_price), np.nan)
    added = {
        "exact_duplicate": take(lines, rows["exact_duplicate"]),
        "null_key": null_key,
        "invalid_quantity": bad_quantity,
        "invalid_price": bad_price,
        "orphan_of_rejected_order": orphans,
    }
    return with_dirt(rng, lines, {}, added, line_keys)


# --------------------------------------------------------------------------------------------
# Blocks, chunks and files
# --------------------------------------------------------------------------------------------

@dataclass
class BlockData:
    """Everything generated for one block: raw tables, personas truth and block-relative manifests."""

    tables: dict[str, Cols]
    personas: Cols
    manifests: dict[str, Cols]


def generate_block(block: Block, seed: int, products: Cols, product_p: np.ndarray, dirt_rate: float,
                   seen_null_keys: set[tuple]) -> BlockData:
    """Generate the customers, orders and lines of one block, then plant its dirt.

    ``seen_null_keys`` carries the null-key order lines of the previous blocks (see dirty_lines).
    """
    rng = block_rng(seed, CLEAN_STREAM, block.index)
    personas = assign_personas(rng, block.n_customers)
    counts = order_counts(rng, personas, block.n_orders)
    owner, times = order_times(rng, personas, counts)
    numbers = block.first_customer + 1 + np.arange(block.n_customers)
    customers = make_customers(rng, numbers, personas, np.minimum.reduceat(times, np.cumsum(counts) - counts))
    chronological = np.lexsort((owner, times))
    owner, times = owner[chronological], times[chronological]
    order_numbers = block.first_order + 1 + np.arange(block.n_orders)
    orders = make_orders(rng, order_numbers, customers, owner, personas, times)
    lines, n_lines = make_lines(rng, orders, products, product_p)
    orders["_n_lines"], orders["_first_line"] = n_lines, np.cumsum(n_lines) - n_lines
    truth = {
        "customer_id": customers["customer_id"],
        "persona": objects([p.name for p in PERSONAS])[personas],
        "segment_truth": objects([p.segment for p in PERSONAS])[personas],
    }
    tables = {"customers": customers, "orders": orders, "order_lines": lines}
    manifests: dict[str, Cols] = {}
    if dirt_rate > 0:
        dirt = block_rng(seed, DIRT_STREAM, block.index)
        tables["customers"], manifests["customers"] = dirty_customers(dirt, customers, dirt_rate)
        tables["orders"], manifests["orders"], orphans = dirty_orders(dirt, orders, lines, dirt_rate)
        tables["order_lines"], manifests["order_lines"] = dirty_lines(
            dirt, lines, orders, orphans, dirt_rate, seen_null_keys)
    return BlockData(tables, truth, manifests)


def to_arrow(cols: Cols, schema: pa.Schema) -> pa.Table:
    """The schema's columns as an Arrow table (int64 epoch seconds/days become timestamps/dates)."""
    arrays = []
    for field in schema:
        values = cols[field.name]
        if pa.types.is_timestamp(field.type):
            arrays.append(pa.array(values.astype("datetime64[s]").astype("datetime64[us]"), type=field.type))
        elif pa.types.is_date(field.type):
            arrays.append(pa.array(values.astype("datetime64[D]"), type=field.type, mask=values == NULL_DAY))
        else:
            # NaN is a missing value (null) in the line amounts (the planted invalid lines)
            arrays.append(pa.array(values, type=field.type, from_pandas=field.name in ("quantity", "unit_price")))
    return pa.Table.from_arrays(arrays, schema=schema)


class TableWriter:
    """Appends chunks of one table to a Parquet or CSV file."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: str) -> None:
        self.schema = schema
        self.rows = 0
        if fmt == "parquet":
            self._writer: pq.ParquetWriter | pacsv.CSVWriter = pq.ParquetWriter(path, schema)
        else:
            self._writer = pacsv.CSVWriter(path, schema)

    def write(self, cols: Cols) -> None:
        """Append rows."""
        table = to_arrow(cols, self.schema)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        """Finish the file."""
        self._writer.close()


def progress_line(done: int, total: int, width: int = 30) -> str:
    """A one-line text progress bar: '[#####.....] 5/10 chunks (50%)'."""
    filled = width * done // total
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} chunks ({100 * done // total}%)"


def finish_manifest(parts: list[Cols]) -> Cols:
    """All manifest rows, in table then raw row order, with the expected outcome of each kind."""
    manifest = concat(parts)
    rank = np.array([RAW_TABLES.index(t) for t in manifest["table_name"]], dtype=np.int64)
    manifest = take(manifest, np.lexsort((manifest["raw_row_number"], rank)))
    manifest["expected_outcome"] = objects([OUTCOMES[k][0] for k in manifest["dirt_kind"]])
    manifest["expected_reason"] = objects([OUTCOMES[k][1] for k in manifest["dirt_kind"]])
    return manifest


def generate(orders: int, seed: int, out_dir: str | Path, truth_dir: str | Path, fmt: str = "parquet",
             dirt_rate: float = 0.01, progress: bool = False,
             chunk_customers: int = DEFAULT_CHUNK_CUSTOMERS) -> dict[str, int]:
    """Write the raw files and the truth files; return the row count of each file (by table name).

    ``chunk_customers`` bounds memory (customers held before appending to the files); it is
    rounded up to whole blocks of BLOCK_CUSTOMERS and does not change the data.
    """
    if orders < MIN_ORDERS:
        raise ValueError(f"orders must be at least {MIN_ORDERS}, got {orders}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"format must be 'parquet' or 'csv', got {fmt!r}")
    if not 0 <= dirt_rate <= MAX_DIRT_RATE:
        raise ValueError(f"dirt rate must be between 0 and {MAX_DIRT_RATE}, got {dirt_rate}")
    out_dir, truth_dir = Path(out_dir), Path(truth_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)

    products = make_products(seed)
    product_p = product_probabilities(products)
    blocks = plan_blocks(orders, customer_count(orders))
    per_chunk = max(1, math.ceil(chunk_customers / BLOCK_CUSTOMERS))
    n_chunks = math.ceil(len(blocks) / per_chunk)
    empty_manifest = {name: np.empty(0, dtype=object) for name in ("table_name", "record_key", "dirt_kind")}
    manifest_parts: list[Cols] = [{**empty_manifest, "raw_row_number": np.empty(0, dtype=np.int64)}]
    offsets = dict.fromkeys(RAW_TABLES, 0)
    seen_null_keys: set[tuple] = set()

    with contextlib.ExitStack() as stack:
        writers = {t: TableWriter(out_dir / f"{t}.{fmt}", SCHEMAS[t], fmt) for t in RAW_TABLES}
        writers["personas"] = TableWriter(truth_dir / "personas.parquet", SCHEMAS["personas"], "parquet")
        for writer in writers.values():
            stack.callback(writer.close)
        for chunk in range(n_chunks):
            buffers: dict[str, list[Cols]] = {name: [] for name in writers}
            for block in blocks[chunk * per_chunk:(chunk + 1) * per_chunk]:
                data = generate_block(block, seed, products, product_p, dirt_rate, seen_null_keys)
                for table, cols in data.tables.items():
                    if table in data.manifests:
                        part = data.manifests[table]
                        part["raw_row_number"] = part["raw_row_number"] + offsets[table]
                        part["table_name"] = np.full(len(part["raw_row_number"]), table, dtype=object)
                        manifest_parts.append(part)
                    offsets[table] += n_rows(cols)
                    buffers[table].append(cols)
                buffers["personas"].append(data.personas)
            for name, writer in writers.items():
                writer.write(concat(buffers[name]))
            del buffers
            if progress:
                bar = progress_line(chunk + 1, n_chunks)
                print(f"\rgenerating {bar}", end="", file=sys.stderr, flush=True)
        if progress:
            print(file=sys.stderr)

    manifest = finish_manifest(manifest_parts)
    for name, cols, directory, file_format in (("products", products, out_dir, fmt),
                                                ("dirt_manifest", manifest, truth_dir, "parquet")):
        writer = TableWriter(directory / f"{name}.{file_format}", SCHEMAS[name], file_format)
        writer.write(cols)
        writer.close()
        writers[name] = writer
    return {name: writer.rows for name, writer in writers.items()}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m customer_intelligence.tools.generate",
        description="Generate synthetic e-commerce raw data with planted personas and recorded dirt.")
    parser.add_argument("--orders", type=int, required=True, help="number of clean orders (exact)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--out", default="data/raw", help="raw files directory (default data/raw)")
    parser.add_argument("--truth-out", default="data/truth",
                        help="truth files directory (default data/truth)")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="raw file format")
    parser.add_argument("--dirt-rate", type=float, default=0.01,
                        help="share of dirty rows per table (default 0.01, 0 disables dirt)")
    parser.add_argument("--chunk-customers", type=int, default=DEFAULT_CHUNK_CUSTOMERS,
                        help="customers per written chunk; bounds memory, does not change the data")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    args = parse_args(argv)
    try:
        counts = generate(args.orders, args.seed, args.out, args.truth_out, fmt=args.format,
                          dirt_rate=args.dirt_rate, progress=not args.no_progress,
                          chunk_customers=args.chunk_customers)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for name, rows in counts.items():
        print(f"{name}: {rows:,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
