"""Tests of the synthetic data generator (customer_intelligence.tools.generate)."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from customer_intelligence.tools import generate as gen

ORDERS = 4_000
SEED = 7
DIRT_RATE = 0.1  # high, so that every dirt kind occurs in a small run
SEEDS_DIR = Path(__file__).resolve().parents[1] / "seeds"
RAW_FILES = ("customers", "orders", "order_lines", "products")
ADDED_CUSTOMER_KINDS = {"exact_duplicate", "resent_later", "null_key"}


@dataclass
class Run:
    """One generator run: its directories, the returned counts and the files as data frames."""

    root: Path
    counts: dict[str, int]

    def raw(self, table: str) -> pd.DataFrame:
        return pq.read_table(self.root / "raw" / f"{table}.parquet").to_pandas()

    def truth(self, name: str) -> pd.DataFrame:
        return pq.read_table(self.root / "truth" / f"{name}.parquet").to_pandas()

    def manifest(self, table: str) -> pd.DataFrame:
        m = self.truth("dirt_manifest")
        return m[m["table_name"] == table].set_index("raw_row_number", drop=False)


def run(root: Path, orders: int = ORDERS, seed: int = SEED, dirt_rate: float = DIRT_RATE, **kwargs) -> Run:
    counts = gen.generate(orders, seed, root / "raw", root / "truth", dirt_rate=dirt_rate, **kwargs)
    return Run(root, counts)


def file_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def year(values: pd.Series) -> pd.Series:
    return values.map(lambda d: d.year)


def alias_map(seed_file: str, target: str) -> dict[str, str]:
    with open(SEEDS_DIR / seed_file, newline="") as f:
        return {row["alias"]: row[target] for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run(tmp_path_factory.mktemp("dirty"))


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run(tmp_path_factory.mktemp("clean"), dirt_rate=0.0)


@pytest.fixture(scope="module")
def features(clean: Run) -> pd.DataFrame:
    """Per-customer features of the dirt-free run, with the planted persona."""
    orders, lines, products = clean.raw("orders"), clean.raw("order_lines"), clean.raw("products")
    lines = lines.merge(products[["product_id", "category"]], on="product_id")
    lines["gross"] = lines["quantity"] * lines["unit_price"]
    per_order = lines.groupby("order_id").agg(gross=("gross", "sum"), discount=("discount_amount", "sum"),
                                              categories=("category", lambda c: set(c)))
    orders = orders.merge(per_order, left_on="order_id", right_index=True)
    f = orders.groupby("customer_id").agg(
        n_orders=("order_id", "size"), first_order=("order_ts", "min"), last_order=("order_ts", "max"),
        gross=("gross", "sum"), discount=("discount", "sum"),
        categories=("categories", lambda s: set().union(*s)))
    f["aov"] = (f["gross"] - f["discount"]) / f["n_orders"]
    f["discount_share"] = f["discount"] / f["gross"]
    personas = clean.truth("personas").set_index("customer_id")
    customers = clean.raw("customers").set_index("customer_id")
    return f.join(personas).join(customers[["signup_ts"]])


# ---------------------------------------------------------------- determinism and chunking

def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    run(tmp_path / "a", orders=3_000, seed=11, dirt_rate=0.05)
    run(tmp_path / "b", orders=3_000, seed=11, dirt_rate=0.05)
    a, b = file_hashes(tmp_path / "a"), file_hashes(tmp_path / "b")
    assert sorted(a) == sorted([f"raw/{t}.parquet" for t in RAW_FILES]
                               + ["truth/dirt_manifest.parquet", "truth/personas.parquet"])
    assert a == b


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    run(tmp_path / "a", orders=3_000, seed=11, dirt_rate=0.05)
    run(tmp_path / "b", orders=3_000, seed=12, dirt_rate=0.05)
    a, b = file_hashes(tmp_path / "a"), file_hashes(tmp_path / "b")
    assert all(a[name] != b[name] for name in a)


def test_chunked_output_matches_unchunked(tmp_path: Path) -> None:
    orders = 12_000  # 1,200 customers: three blocks of 500
    whole = run(tmp_path / "whole", orders=orders, dirt_rate=0.05)
    chunked = run(tmp_path / "chunked", orders=orders, dirt_rate=0.05, chunk_customers=1)
    assert whole.counts == chunked.counts
    for path in sorted((tmp_path / "whole").rglob("*.parquet")):
        other = tmp_path / "chunked" / path.relative_to(tmp_path / "whole")
        assert pq.read_table(path).equals(pq.read_table(other)), path.name
    # the chunk size really was different: one row group per chunk
    assert pq.ParquetFile(tmp_path / "whole/raw/customers.parquet").num_row_groups == 1
    assert pq.ParquetFile(tmp_path / "chunked/raw/customers.parquet").num_row_groups == 3

    run(tmp_path / "whole_csv", orders=orders, dirt_rate=0.05, fmt="csv")
    run(tmp_path / "chunked_csv", orders=orders, dirt_rate=0.05, fmt="csv", chunk_customers=1)
    whole_csv, chunked_csv = file_hashes(tmp_path / "whole_csv"), file_hashes(tmp_path / "chunked_csv")
    csv_files = [f"raw/{t}.csv" for t in RAW_FILES]
    assert [whole_csv[f] for f in csv_files] == [chunked_csv[f] for f in csv_files]


def test_clean_data_does_not_depend_on_dirt(dirty: Run, clean: Run) -> None:
    """Removing the dirty rows of a dirty run gives back the dirt-free run."""
    for table in ("orders", "order_lines"):
        rest = dirty.raw(table).drop(index=dirty.manifest(table).index).reset_index(drop=True)
        if table == "order_lines":  # the planted invalid lines' null quantities make the dirty column float
            rest["quantity"] = rest["quantity"].astype("int64")
        pd.testing.assert_frame_equal(rest, clean.raw(table))
    manifest = dirty.manifest("customers")
    added = manifest.index[manifest["dirt_kind"].isin(ADDED_CUSTOMER_KINDS)]
    rest = dirty.raw("customers").drop(index=added).reset_index(drop=True)
    expected = clean.raw("customers")
    changed = {"country_variant": "country", "gender_variant": "gender",
               "impossible_birth_date": "birth_date"}
    for kind, column in changed.items():
        rows = manifest.index[manifest["dirt_kind"] == kind]
        assert (rest.loc[rows, column] != expected.loc[rows, column]).all()
        rest.loc[rows, column] = expected.loc[rows, column]
    pd.testing.assert_frame_equal(rest, expected)


# ---------------------------------------------------------------- row counts

@pytest.mark.parametrize("orders", [100, 1_234, 5_001])
def test_exact_number_of_orders(tmp_path: Path, orders: int) -> None:
    result = run(tmp_path, orders=orders, dirt_rate=0.0)
    frame = result.raw("orders")
    assert len(frame) == orders == result.counts["orders"]
    assert frame["order_id"].is_unique
    assert len(result.raw("customers")) == gen.customer_count(orders)
    assert len(result.truth("dirt_manifest")) == 0


def test_customer_count() -> None:
    assert gen.customer_count(100) == 10
    assert gen.customer_count(1_234) == 123
    assert gen.customer_count(10_000_000) == 1_000_000


def test_returned_counts_match_files(dirty: Run) -> None:
    for table in RAW_FILES:
        assert dirty.counts[table] == len(dirty.raw(table))
    for name in ("personas", "dirt_manifest"):
        assert dirty.counts[name] == len(dirty.truth(name))


def test_raw_rows_are_clean_rows_plus_recorded_dirt(dirty: Run, clean: Run) -> None:
    orders = dirty.raw("orders")
    clean_orders = orders.drop(index=dirty.manifest("orders").index)
    assert clean_orders["order_id"].nunique() == len(clean_orders) == ORDERS
    assert len(orders) == ORDERS + len(dirty.manifest("orders"))
    assert len(dirty.raw("order_lines")) == len(clean.raw("order_lines")) + len(dirty.manifest("order_lines"))
    kinds = dirty.manifest("customers")["dirt_kind"]
    assert len(dirty.raw("customers")) == gen.customer_count(ORDERS) + kinds.isin(ADDED_CUSTOMER_KINDS).sum()


# ---------------------------------------------------------------- dirt manifest

def test_manifest_has_every_kind_with_its_outcome(dirty: Run) -> None:
    manifest = dirty.truth("dirt_manifest")
    assert list(manifest.columns) == ["table_name", "raw_row_number", "record_key", "dirt_kind",
                                      "expected_outcome", "expected_reason"]
    assert set(manifest["dirt_kind"]) == set(gen.OUTCOMES)
    for row in manifest.drop_duplicates("dirt_kind").itertuples():
        outcome, reason = gen.OUTCOMES[row.dirt_kind]
        assert row.expected_outcome == outcome
        assert (pd.isna(row.expected_reason) and reason is None) or row.expected_reason == reason
    assert not manifest.duplicated(["table_name", "raw_row_number"]).any()
    dirty_share = manifest["table_name"].value_counts() / pd.Series(
        {t: len(dirty.raw(t)) for t in ("customers", "orders", "order_lines")})
    assert dirty_share.between(DIRT_RATE * 0.7, DIRT_RATE * 1.3).all()


def test_manifest_record_keys_match_rows(dirty: Run) -> None:
    for table, key in (("customers", "customer_id"), ("orders", "order_id")):
        manifest, raw = dirty.manifest(table), dirty.raw(table)
        expected = raw.loc[manifest.index, key]
        assert (manifest["record_key"].isna() == expected.isna()).all()
        assert (manifest["record_key"].dropna() == expected.dropna()).all()
    manifest, lines = dirty.manifest("order_lines"), dirty.raw("order_lines")
    rows = lines.loc[manifest.index]
    keys = rows["order_id"] + "-" + rows["line_number"].astype(str)
    assert (manifest["record_key"].isna() == rows["order_id"].isna()).all()
    assert (manifest["record_key"].dropna() == keys.dropna()).all()


def kind_rows(run_: Run, table: str, kind: str) -> pd.DataFrame:
    manifest = run_.manifest(table)
    rows = run_.raw(table).loc[manifest.index[manifest["dirt_kind"] == kind]]
    assert len(rows) > 0, f"no {kind} rows in {table}"
    return rows


@pytest.mark.parametrize("table", ["customers", "orders", "order_lines"])
def test_exact_duplicates_repeat_an_earlier_row(dirty: Run, table: str) -> None:
    raw = dirty.raw(table)
    manifest = dirty.manifest(table)
    duplicated = raw.index[raw.duplicated(keep="first")]
    assert sorted(duplicated) == sorted(manifest.index[manifest["dirt_kind"] == "exact_duplicate"])


@pytest.mark.parametrize(("table", "key", "changed"), [
    ("customers", "customer_id", ["membership", "annual_income"]),
    ("orders", "order_id", ["status"]),
])
def test_resent_rows_are_later_and_different(dirty: Run, table: str, key: str, changed: list[str]) -> None:
    raw = dirty.raw(table)
    for position, row in kind_rows(dirty, table, "resent_later").iterrows():
        earlier = raw.loc[: position - 1]
        original = earlier[earlier[key] == row[key]]
        assert len(original) == 1
        original = original.iloc[0]
        assert row["updated_at"] > original["updated_at"]
        assert any(row[c] != original[c] for c in changed)


def test_customer_dirt_in_place(dirty: Run, clean: Run) -> None:
    countries = alias_map("country_codes.csv", "country_code")
    genders = alias_map("gender_codes.csv", "gender")
    expected = clean.raw("customers")
    rows = kind_rows(dirty, "customers", "country_variant")
    assert not rows["country"].isin(gen.COUNTRIES).any()
    normalised = rows["country"].str.strip().str.lower().map(countries)
    assert (normalised == expected.loc[rows.index, "country"]).all()
    rows = kind_rows(dirty, "customers", "gender_variant")
    assert not rows["gender"].isin(gen.GENDERS).any()
    assert (rows["gender"].str.strip().str.lower().map(genders) == expected.loc[rows.index, "gender"]).all()
    years = year(kind_rows(dirty, "customers", "impossible_birth_date")["birth_date"])
    assert ((years >= 2031) | (years < 1900)).all()
    assert kind_rows(dirty, "customers", "null_key")["customer_id"].isna().all()


def test_order_dirt(dirty: Run) -> None:
    lines = dirty.raw("order_lines")
    customers = set(dirty.raw("customers")["customer_id"].dropna())
    assert kind_rows(dirty, "orders", "null_key")["order_id"].isna().all()
    unknown = kind_rows(dirty, "orders", "unknown_customer")
    assert not unknown["customer_id"].isin(customers).any()
    orphans = kind_rows(dirty, "order_lines", "orphan_of_rejected_order")
    assert sorted(orphans["order_id"]) == sorted(unknown["order_id"])
    assert (orphans["line_number"] == 1).all() and (orphans["quantity"] >= 1).all()
    assert (orphans["unit_price"] > 0).all()
    for kind, expected_year in (("future_order_date", 2030), ("order_date_too_old", 1895)):
        rows = kind_rows(dirty, "orders", kind)
        assert (rows["order_ts"].dt.year == expected_year).all()
        assert (rows["updated_at"] >= rows["order_ts"]).all()
        assert not rows["order_id"].isin(lines["order_id"]).any()
    added = pd.concat([unknown] + [kind_rows(dirty, "orders", k)
                                   for k in ("future_order_date", "order_date_too_old")])
    assert added["order_id"].str.startswith("OX").all() and added["order_id"].is_unique


def test_line_dirt(dirty: Run, clean: Run) -> None:
    clean_lines = clean.raw("order_lines")
    last_line = clean_lines.groupby("order_id")["line_number"].max()
    assert kind_rows(dirty, "order_lines", "null_key")["order_id"].isna().all()
    for kind, column in (("invalid_quantity", "quantity"), ("invalid_price", "unit_price")):
        rows = kind_rows(dirty, "order_lines", kind)
        assert rows[column].isna().all()  # missing: zero / negative values are kept by the row rules
        assert (rows["line_number"].to_numpy() == last_line.loc[rows["order_id"]].to_numpy() + 1).all()
    invalid = pd.concat([kind_rows(dirty, "order_lines", k) for k in ("invalid_quantity", "invalid_price")])
    assert not invalid.duplicated(["order_id", "line_number"]).any()


def test_rows_not_in_manifest_are_clean(dirty: Run) -> None:
    customers = dirty.raw("customers").drop(index=dirty.manifest("customers").index)
    orders = dirty.raw("orders").drop(index=dirty.manifest("orders").index)
    lines = dirty.raw("order_lines").drop(index=dirty.manifest("order_lines").index)
    assert customers["customer_id"].notna().all() and customers["customer_id"].is_unique
    assert customers["country"].isin(gen.COUNTRIES).all() and customers["gender"].isin(gen.GENDERS).all()
    assert year(customers["birth_date"]).between(1944, 2006).all()
    assert orders["order_id"].notna().all() and orders["order_id"].is_unique
    assert orders["customer_id"].isin(dirty.raw("customers")["customer_id"]).all()
    assert orders["order_ts"].between(pd.Timestamp("2021-01-01"), pd.Timestamp("2024-12-31 23:59:59")).all()
    assert lines["order_id"].isin(orders["order_id"]).all()
    assert not lines.duplicated(["order_id", "line_number"]).any()
    assert (lines["quantity"] >= 1).all() and (lines["unit_price"] > 0).all()


# ---------------------------------------------------------------- files and columns

def test_parquet_types(dirty: Run) -> None:
    for table in RAW_FILES:
        assert pq.read_schema(dirty.root / "raw" / f"{table}.parquet") == gen.SCHEMAS[table]
    schema = pq.read_schema(dirty.root / "raw" / "customers.parquet")
    assert schema.field("signup_ts").type == pa.timestamp("us")
    assert schema.field("birth_date").type == pa.date32()
    for name in ("personas", "dirt_manifest"):
        assert pq.read_schema(dirty.root / "truth" / f"{name}.parquet") == gen.SCHEMAS[name]


def test_products(clean: Run) -> None:
    products = clean.raw("products")
    lines = clean.raw("order_lines")
    assert len(products) == gen.N_PRODUCTS and products["product_id"].is_unique
    assert products["product_id"].iloc[0] == "P0001"
    assert set(products["category"]) == set(gen.CATEGORIES)
    price = lines.groupby("product_id")["unit_price"].agg(["min", "max"])
    assert (price["min"] == price["max"]).all()  # one list price per product
    cost = products.set_index("product_id").loc[price.index, "unit_cost"]
    assert (cost < price["min"]).all()


def test_customer_attributes(clean: Run, features: pd.DataFrame) -> None:
    c = clean.raw("customers")
    assert c["customer_id"].iloc[0] == "C0000001" and c["customer_id"].str.len().eq(8).all()
    assert c["email"].is_unique and c["customer_name"].str.contains(" ").all()
    assert set(c["gender"]) <= set(gen.GENDERS)
    assert c["gender"].value_counts(normalize=True)[["Male", "Female"]].between(0.4, 0.6).all()
    assert set(c["country"]) == set(gen.COUNTRIES) and c["country"].value_counts().index[0] == "US"
    assert year(c["birth_date"]).between(1944, 2006).all()
    assert c["annual_income"].between(15_000, 250_000).all()
    assert c["num_children"].between(0, 4).all() and 0.5 < (c["num_children"] > 0).mean() < 0.7
    prime = c["membership"] == "Prime"
    assert set(c["membership"]) == {"Prime", "Non-Prime"} and 0.3 < prime.mean() < 0.5
    assert (c["membership_start_date"].isna() == ~prime).all()
    assert (c.loc[prime, "membership_start_date"] >= c.loc[prime, "signup_ts"].dt.date).all()
    assert (c["updated_at"] >= c["signup_ts"]).all()
    assert (features["signup_ts"] <= features["first_order"]).all()


def test_orders_and_lines(clean: Run) -> None:
    orders, lines = clean.raw("orders"), clean.raw("order_lines")
    assert orders["order_id"].iloc[0] == "O00000001"
    assert orders["order_ts"].between(pd.Timestamp("2021-01-01"), pd.Timestamp("2024-12-31 23:59:59")).all()
    assert (orders["updated_at"] >= orders["order_ts"]).all()
    assert set(orders["channel"]) == {"web", "app", "marketplace", "store"}
    assert orders["status"].value_counts(normalize=True)["completed"] == pytest.approx(0.9, abs=0.03)
    per_order = lines.groupby("order_id")["line_number"].agg(["count", "max", "min"])
    assert len(per_order) == len(orders)
    assert per_order["count"].between(1, 5).all() and (per_order["count"] == per_order["max"]).all()
    assert (per_order["min"] == 1).all() and 1.7 < per_order["count"].mean() < 2.7
    assert (lines["quantity"] >= 1).all() and (lines["quantity"] <= 3).mean() > 0.9
    assert (lines["discount_amount"] >= 0).all()
    assert (lines["discount_amount"] <= lines["quantity"] * lines["unit_price"]).all()
    assert (lines["unit_price"] == lines["unit_price"].round(2)).all()


# ---------------------------------------------------------------- personas

def test_persona_shares_and_segments(clean: Run) -> None:
    personas = clean.truth("personas")
    assert len(personas) == gen.customer_count(ORDERS) and personas["customer_id"].is_unique
    shares = personas["persona"].value_counts(normalize=True)
    for persona in gen.PERSONAS:
        assert shares[persona.name] == pytest.approx(persona.share, abs=0.01)
    segments = dict(zip(personas["persona"], personas["segment_truth"], strict=True))
    assert segments == {"vip": "High-Value Active", "loyal": "Loyal Regulars", "periodic": "Loyal Regulars",
                        "discount_driven": "Discount-Driven", "new": "New", "one_time": "At-Risk / Dormant",
                        "dormant": "At-Risk / Dormant"}


def test_persona_shapes(features: pd.DataFrame) -> None:
    by = dict(tuple(features.groupby("persona")))
    assert (by["one_time"]["n_orders"] == 1).all()
    assert (by["one_time"]["last_order"] < pd.Timestamp("2024-07-01")).all()
    assert (by["dormant"]["last_order"] < pd.Timestamp("2023-06-30")).all()
    assert by["dormant"]["n_orders"].min() >= 3
    new = by["new"]
    assert (new["signup_ts"] >= pd.Timestamp("2024-07-01")).all() and new["n_orders"].between(1, 3).all()
    assert (new["first_order"] >= new["signup_ts"]).all()
    assert (by["vip"]["n_orders"] >= 20).all()
    assert (by["vip"]["last_order"] >= pd.Timestamp("2024-12-01")).all()
    assert (by["loyal"]["n_orders"] >= 8).all()
    assert (by["loyal"]["last_order"] >= pd.Timestamp("2024-10-01")).all()
    assert (by["periodic"]["last_order"] >= pd.Timestamp("2024-11-01")).all()
    discount = by["discount_driven"]
    assert (discount["discount_share"] > 0.2).all()
    assert set().union(*discount["categories"]) <= {"Groceries", "Beauty", "Clothing"}
    # well separated on the clustering features
    median = features.groupby("persona")[["aov", "discount_share", "n_orders"]].median()
    assert median.loc["vip", "aov"] > 2 * median.drop("vip")["aov"].max()
    assert median.loc["discount_driven", "discount_share"] > 4 * median.drop("discount_driven")[
        "discount_share"].max()
    orders = median["n_orders"]
    assert orders["vip"] > orders["loyal"] > orders["periodic"]


def test_periodic_orders_are_seasonal(clean: Run) -> None:
    personas = clean.truth("personas")
    orders = clean.raw("orders").merge(personas, on="customer_id")
    months = orders.loc[orders["persona"] == "periodic", "order_ts"].dt.month
    assert months.isin([11, 12]).mean() > 0.8 and months.isin([7, 11, 12]).all()


# ---------------------------------------------------------------- helpers and CLI

def test_plan_blocks_give_each_block_its_exact_share() -> None:
    for orders in (100, 12_345, 10_000_000):
        customers = gen.customer_count(orders)
        blocks = gen.plan_blocks(orders, customers)
        assert sum(b.n_orders for b in blocks) == orders
        assert sum(b.n_customers for b in blocks) == customers
        assert all(b.n_orders >= b.n_customers for b in blocks)


def test_allocate_exact() -> None:
    counts = gen.allocate_exact(10, np.array([0.08, 0.22, 0.15, 0.15, 0.15, 0.15, 0.10]))
    assert counts.sum() == 10 and counts.tolist() == [1, 2, 2, 2, 1, 1, 1]


def test_order_counts_hit_the_block_total() -> None:
    rng = np.random.default_rng(0)
    personas = gen.assign_personas(rng, 500)
    counts = gen.order_counts(rng, personas, 5_003)
    assert counts.sum() == 5_003 and counts.min() >= 1
    assert (counts[personas == gen.ONE_TIME] == 1).all()
    assert np.isin(counts[personas == gen.NEW], [1, 2, 3]).all()


def test_progress_line() -> None:
    assert gen.progress_line(1, 4, width=8) == "[##......] 1/4 chunks (25%)"
    assert gen.progress_line(4, 4, width=8) == "[########] 4/4 chunks (100%)"


def test_cli_writes_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--orders", "500", "--seed", "3", "--out", str(tmp_path / "raw"),
            "--truth-out", str(tmp_path / "truth"), "--format", "csv", "--no-progress"]
    assert gen.main(args) == 0
    assert "orders: 5" in capsys.readouterr().out
    header = (tmp_path / "raw" / "order_lines.csv").read_text().splitlines()[0]
    assert header == '"order_id","line_number","product_id","quantity","unit_price","discount_amount"'
    assert (tmp_path / "truth" / "dirt_manifest.parquet").exists()
    orders = pd.read_csv(tmp_path / "raw" / "orders.csv")
    manifest = pq.read_table(tmp_path / "truth" / "dirt_manifest.parquet").to_pandas()
    assert len(orders) == 500 + (manifest["table_name"] == "orders").sum()


def test_cli_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--out", str(tmp_path / "raw"), "--truth-out", str(tmp_path / "truth"), "--no-progress"]
    assert gen.main(["--orders", "5", *args]) == 2
    assert gen.main(["--orders", "500", "--dirt-rate", "0.9", *args]) == 2
    assert "dirt rate" in capsys.readouterr().err
