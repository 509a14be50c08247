"""Raw data that arrives (issue 15.1): a raw table as a folder of files, loaded incrementally with a load log.

Three `dbt run`s of the raw layer and the order facts, on the shared generated dataset (``built``):
1. the orders file split into a folder of three files (Parquet, CSV, Parquet), a full run: the raw rows,
   the row rules' outcome and the order facts equal the single-file build of the same rows (``built``);
2. an incremental run after a file is added (new orders, later versions of orders of the first file, exact
   copies of rows of the first file), one is re-sent changed and one is removed: the unchanged file is
   not read again, the changed one is reprocessed, the removed one's rows are gone, the log says so;
3. a full run with the folder's files concatenated into one file (in file-name order): the incremental
   result of run 2 equals it, row rules and order facts alike (deduplication across files = one file).
"""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest
from dbt_project_runner import run_dbt

SELECT = ["--select", "+fct_orders", "+fct_order_lines", "base_raw__load_log", "dq_raw_row_accounting"]
FACTS = {"fct_orders": "order_id", "fct_order_lines": "order_line_id"}
# what the row rules decided about each raw row, compared without its position (file, row number)
OUTCOME = ["order_id", "customer_id", "order_ts", "status", "updated_at", "reject_reason", "drop_reason",
           "dedup_rank"]


def frame(warehouse, sql: str) -> pd.DataFrame:
    """A query's result, read-only."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).df()


def facts(warehouse, table: str) -> pd.DataFrame:
    """A whole order fact, sorted by its key."""
    return frame(warehouse, f"select * from marts.{table}").sort_values(FACTS[table]).reset_index(drop=True)


def outcomes(warehouse) -> pd.DataFrame:
    """base_raw__orders' decision on every raw row, as a sorted multiset."""
    rows = frame(warehouse, f"select {', '.join(OUTCOME)} from staging.base_raw__orders")
    return rows.sort_values(OUTCOME, na_position="first").reset_index(drop=True)


def split_folder(raw_src, raw_dst, orders: pd.DataFrame) -> None:
    """The raw folder with orders as orders/ of three files; the other tables as single files."""
    raw_dst.mkdir(parents=True)
    for table in ("customers", "order_lines", "products"):
        shutil.copyfile(raw_src / f"{table}.parquet", raw_dst / f"{table}.parquet")
    folder = raw_dst / "orders"
    folder.mkdir()
    third = len(orders) // 3
    orders.iloc[:third].to_parquet(folder / "2024-01.parquet", index=False)
    orders.iloc[third:2 * third].to_csv(folder / "2024-02.csv", index=False)
    orders.iloc[2 * third:].to_parquet(folder / "2024-03.parquet", index=False)
    (folder / "_SUCCESS").write_text("")  # a marker file: listed as not read


@pytest.fixture(scope="module")
def arrivals(built, tmp_path_factory):
    root = tmp_path_factory.mktemp("arrivals")
    orders = pd.read_parquet(built.raw_dir / "orders.parquet")
    raw = root / "raw"
    split_folder(built.raw_dir, raw, orders)
    warehouse = root / "warehouse.duckdb"
    shutil.copyfile(built.warehouse, warehouse)  # seeds and reference tables; every selected model is rebuilt
    first = run_dbt(["run", *SELECT, "--full-refresh"], raw, root / "first", warehouse=warehouse)
    assert first.ok, first.output[-5000:]
    state = {"first_facts": {t: facts(warehouse, t) for t in FACTS}, "first_outcomes": outcomes(warehouse),
             "first_landed": frame(warehouse, "select _raw_file, min(_raw_loaded_at) as loaded_at, count(*) as n "
                                              "from staging.base_raw__orders_landed group by _raw_file")}

    # arrivals: a new file; the second file re-sent with rows changed and some gone; the third removed
    folder = raw / "orders"
    first_file = pd.read_parquet(folder / "2024-01.parquet")
    # rows of the first file that are the only row of their order and were staged by the shared build
    staged = set(frame(built.warehouse,
                       "select order_id from staging.base_raw__orders where dedup_rank = 1")["order_id"])
    single_rows = first_file[~first_file["order_id"].duplicated(keep=False) & first_file["order_id"].isin(staged)
                             & ~first_file["order_id"].isin(orders["order_id"].iloc[len(first_file):])]
    later = single_rows.iloc[:5].copy()
    later["updated_at"] = later["updated_at"] + pd.Timedelta(days=1)
    later["status"] = "returned"  # later versions of five orders of the first file: they win (R7)
    copies = single_rows.iloc[10:13]  # identical to rows of the first file: one of each pair is dropped (R1)
    new = single_rows.iloc[20:24].copy()
    new["order_id"] = "NEW-" + new["order_id"].astype(str)
    pd.concat([later, copies, new]).to_parquet(folder / "2024-04.parquet", index=False)
    second = pd.read_csv(folder / "2024-02.csv", dtype=str)
    second = second.iloc[:-10].copy()
    second.loc[second.index[:3], "channel"] = "web"
    second.to_csv(folder / "2024-02.csv", index=False)
    (folder / "2024-03.parquet").unlink()
    incremental = run_dbt(["run", *SELECT], raw, root / "incremental", warehouse=warehouse)
    assert incremental.ok, incremental.output[-5000:]

    # the same rows as one file, in file-name order (the order ties are broken in)
    single = root / "single"
    single.mkdir()
    for table in ("customers", "order_lines", "products"):
        shutil.copyfile(raw / f"{table}.parquet", single / f"{table}.parquet")
    as_text = [pd.read_parquet(folder / "2024-01.parquet"), second, pd.read_parquet(folder / "2024-04.parquet")]
    pd.concat([part.astype(str).where(part.notna()) for part in as_text]).to_csv(single / "orders.csv", index=False)
    single_warehouse = root / "single.duckdb"
    shutil.copyfile(built.warehouse, single_warehouse)
    one_file = run_dbt(["run", *SELECT, "--full-refresh"], single, root / "one_file", warehouse=single_warehouse)
    assert one_file.ok, one_file.output[-5000:]
    return {**state, "later": set(later["order_id"]), "copies": set(copies["order_id"]), "warehouse": warehouse,
            "single_warehouse": single_warehouse, "first_build": first, "incremental_build": incremental,
            "orders": orders,
            "files": {"2024-01.parquet": len(first_file), "2024-02.csv": len(second), "2024-04.parquet": 12}}


def test_a_folder_gives_what_one_file_gives(arrivals, built):
    """The first run: orders as three files of two formats = the shared build's single orders file."""
    pd.testing.assert_frame_equal(arrivals["first_outcomes"], outcomes(built.warehouse))
    for table in FACTS:
        pd.testing.assert_frame_equal(arrivals["first_facts"][table], facts(built.warehouse, table))
    landed = arrivals["first_landed"].set_index("_raw_file")["n"].to_dict()
    assert landed == {"orders/2024-01.parquet": len(arrivals["orders"]) // 3,
                      "orders/2024-02.csv": len(arrivals["orders"]) // 3,
                      "orders/2024-03.parquet": len(arrivals["orders"]) - 2 * (len(arrivals["orders"]) // 3)}
    assert "orders/_SUCCESS" in arrivals["first_build"].output  # listed as not read


def test_only_new_and_changed_files_are_read(arrivals):
    """The unchanged file keeps the rows of its first load; the added and the re-sent file are loaded
    once (one load time each, exactly their rows); the removed file's rows are gone."""
    landed = frame(arrivals["warehouse"], "select _raw_file, min(_raw_loaded_at) as first_load, "
                                          "max(_raw_loaded_at) as last_load, count(*) as n "
                                          "from staging.base_raw__orders_landed group by _raw_file")
    landed = landed.set_index("_raw_file")
    assert landed["n"].to_dict() == {f"orders/{name}": n for name, n in arrivals["files"].items()}
    before = arrivals["first_landed"].set_index("_raw_file")["loaded_at"]
    assert landed.loc["orders/2024-01.parquet", "last_load"] == before["orders/2024-01.parquet"]
    for name in ("orders/2024-02.csv", "orders/2024-04.parquet"):
        assert landed.loc[name, "first_load"] == landed.loc[name, "last_load"] > before["orders/2024-01.parquet"]
    assert "raw orders: folder of 3 files, 2 new or changed to load" in arrivals["incremental_build"].output


def test_the_load_log_records_each_arrival(arrivals):
    log = frame(arrivals["warehouse"], "select * from staging.base_raw__load_log where source_table = 'orders'")
    events = sorted(zip(log["file_name"], log["status"], log["row_count"], strict=True))
    third = len(arrivals["orders"]) // 3
    assert events == sorted([
        ("orders/2024-01.parquet", "loaded", third),
        ("orders/2024-02.csv", "loaded", third),
        ("orders/2024-03.parquet", "loaded", len(arrivals["orders"]) - 2 * third),
        ("orders/2024-02.csv", "reloaded", third - 10),
        ("orders/2024-03.parquet", "removed", len(arrivals["orders"]) - 2 * third),
        ("orders/2024-04.parquet", "loaded", 12),
    ])
    assert log.groupby("invocation_id").size().sort_values().tolist() == [3, 3]


def test_incremental_arrivals_equal_one_file_of_the_same_rows(arrivals):
    """Dedup across files (R1 copies, R7 later versions in another file) = the rows as one file."""
    pd.testing.assert_frame_equal(outcomes(arrivals["warehouse"]), outcomes(arrivals["single_warehouse"]))
    for table in FACTS:
        pd.testing.assert_frame_equal(facts(arrivals["warehouse"], table),
                                      facts(arrivals["single_warehouse"], table))
    decided = frame(arrivals["warehouse"], "select _raw_file, order_id, status, drop_reason, dedup_rank "
                                           "from staging.base_raw__orders")
    kept = decided[decided["dedup_rank"] == 1].set_index("order_id")
    assert (kept.loc[sorted(arrivals["later"]), "_raw_file"] == "orders/2024-04.parquet").all()
    assert (kept.loc[sorted(arrivals["later"]), "status"] == "returned").all()
    copied = decided[decided["order_id"].isin(arrivals["copies"])]
    assert len(copied) == 6
    assert copied.groupby("order_id")["drop_reason"].apply(lambda d: sorted(d.fillna("kept"))).tolist() == [
        ["duplicate", "kept"]] * 3


def test_row_accounting_counts_every_row_of_the_files_present(arrivals):
    accounting = frame(arrivals["warehouse"], "select * from marts.dq_raw_row_accounting "
                                              "where source_table = 'orders'").iloc[0]
    assert accounting["raw_rows"] == sum(arrivals["files"].values())
    assert accounting["raw_rows"] == (accounting["staged_rows"] + accounting["rejected_rows"]
                                      + accounting["duplicate_rows"] + accounting["superseded_rows"])
