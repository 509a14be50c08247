"""The before/after mart comparison (tools/mart_parity): hand-made frames, one difference each."""

from __future__ import annotations

import duckdb
import pandas as pd

from customer_intelligence.tools import mart_parity

BEFORE = pd.DataFrame({"band": ["a", "b"], "customers": [2, 3], "revenue": [10.0, 0.1 + 0.2]})


def test_row_order_and_float_noise_are_not_differences():
    after = pd.DataFrame({"band": ["b", "a"], "customers": [3, 2], "revenue": [0.3, 10.0]})
    assert mart_parity.compare_frames(BEFORE, after) == []


def test_a_changed_cell_a_lost_column_and_a_lost_row_are_reported():
    changed = BEFORE.assign(customers=[2, 4])
    assert mart_parity.compare_frames(BEFORE, changed) == [
        "customers: 1 cells differ (e.g. row 1: np.int64(3) -> np.int64(4))"
    ]
    assert mart_parity.compare_frames(BEFORE, BEFORE.drop(columns="revenue")) == ["columns removed: ['revenue']"]
    assert mart_parity.compare_frames(BEFORE, BEFORE.head(1)) == ["row count 2 -> 1"]


def test_added_columns_are_a_note_and_exports_compare_by_table(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.t as select * from (values ('a', 1), ('b', 2)) as v(k, n)")
    before = tmp_path / "before"
    assert mart_parity.export_marts(warehouse, before) == ["t"]
    after = tmp_path / "after"
    after.mkdir()
    pd.DataFrame({"k": ["a", "b"], "n": [1, 2], "extra": [0, 0]}).to_parquet(after / "t.parquet")
    report = mart_parity.compare_exports(before, after)
    assert report == {"t": [f"{mart_parity.ADDED} ['extra']"]}
    assert mart_parity.main(["compare", str(before), str(after)]) == 0
    pd.DataFrame({"k": ["a", "b"], "n": [1, 5]}).to_parquet(after / "t.parquet")
    assert mart_parity.main(["compare", str(before), str(after)]) == 1


def test_every_schema_and_the_analyses_are_exported(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create schema staging")
        con.execute("create table marts.t as select 1 as n")
        con.execute("create table staging.s as select 'x' as k, 2 as n")
        con.execute("create view marts.v as select * from marts.t")
    analyses = tmp_path / "analyses"
    analyses.mkdir()
    (analyses / "a.sql").write_text("select n + 1 as m from marts.t")
    out = tmp_path / "out"
    assert mart_parity.export_all_schemas(warehouse, out) == ["marts.t", "marts.v", "staging.s"]
    assert mart_parity.export_queries(warehouse, analyses, out) == ["a"]
    assert pd.read_parquet(out / "analysis.a.parquet")["m"].tolist() == [2]
    assert mart_parity.cell_count(out) == 1 + 1 + 2 + 1
