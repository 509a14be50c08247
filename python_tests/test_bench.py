"""The pure parts of the benchmark: parsing dbt artefacts and /usr/bin/time, DAG order, ratios, report."""

from __future__ import annotations

import duckdb
import pytest

from customer_intelligence.tools import bench


def test_parse_orders_accepts_plain_numbers_and_suffixes():
    assert bench.parse_orders("100000,1000000,10000000") == [100_000, 1_000_000, 10_000_000]
    assert bench.parse_orders("100k, 1M,2.5m,1_000") == [100_000, 1_000_000, 2_500_000, 1_000]


@pytest.mark.parametrize("text", ["", "ten", "99", "1.5k5", "0.0001k", "-100"])
def test_parse_orders_rejects_bad_scales(text):
    with pytest.raises(ValueError):
        bench.parse_orders(text)


RUN_RESULTS = {
    "results": [
        {"unique_id": "model.proj.fct_orders", "execution_time": 3.5, "status": "success"},
        {"unique_id": "model.proj.base_raw__orders", "execution_time": 7.25, "status": "success"},
        {"unique_id": "test.proj.unique_fct_orders_order_id.abc123", "execution_time": 9.0, "status": "pass"},
        {"unique_id": "seed.proj.channels", "execution_time": 0.5, "status": "success"},
        {"unique_id": "model.proj.dim_date", "execution_time": 0.25, "status": "success"},
        {"unique_id": "model.proj.dim_channels", "execution_time": 0.25, "status": "success"},
    ]
}


def test_parse_run_results_reads_name_type_and_time():
    nodes = bench.parse_run_results(RUN_RESULTS)
    assert len(nodes) == 6
    test_node = nodes[2]
    assert (test_node.name, test_node.resource_type, test_node.seconds, test_node.status) == (
        "unique_fct_orders_order_id", "test", 9.0, "pass")


def test_slowest_keeps_models_only_slowest_first_ties_by_name():
    nodes = bench.parse_run_results(RUN_RESULTS)
    assert [n.name for n in bench.slowest(nodes, 3)] == ["base_raw__orders", "fct_orders", "dim_channels"]
    assert [n.name for n in bench.slowest(nodes, 10, ("test", "seed"))] == ["unique_fct_orders_order_id", "channels"]


def test_ratio_and_median():
    assert bench.ratio(30.0, 12.0) == 2.5
    assert bench.ratio(1.0, 0.0) is None
    assert bench.ratio(None, 2.0) is None
    assert bench.median([3.0, None, 1.0, 2.0]) == 2.0
    assert bench.median([4.0, 1.0]) == 2.5
    assert bench.median([None]) is None


GNU_TIME_OUTPUT = """\
\tCommand being timed: "dbt build"
\tUser time (seconds): 40.12
\tMaximum resident set size (kbytes): 723324
\tExit status: 0
"""


def test_parse_max_rss_from_gnu_time_and_from_the_fallback_wrapper():
    assert bench.parse_max_rss_kb(GNU_TIME_OUTPUT) == 723_324
    assert bench.parse_max_rss_kb(f"noise\n{bench.RSS_MARKER} 51200\n") == 51_200
    assert bench.parse_max_rss_kb("nothing here") is None


def test_fallback_wrapper_measures_a_child(monkeypatch):
    """Without /usr/bin/time the wrapper reports the child's peak RSS through getrusage."""
    monkeypatch.setattr(bench, "GNU_TIME", bench.Path("/nonexistent/time"))
    timed = bench.run_timed([bench.sys.executable, "-c", "x = bytearray(60 * 2**20); print('ok')"])
    assert timed.returncode == 0 and timed.stdout.strip() == "ok"
    assert timed.max_rss_bytes >= 60 * 2**20


def manifest(edges: dict[str, list[str]]) -> dict:
    return {"nodes": {uid: {"depends_on": {"nodes": parents}} for uid, parents in edges.items()}}


def test_dag_order_puts_parents_first_and_is_deterministic():
    edges = {
        "model.p.d": ["model.p.b", "model.p.c"],
        "model.p.b": ["model.p.a", "source.p.raw.orders"],
        "model.p.c": ["model.p.a"],
        "model.p.a": ["seed.p.s"],
        "seed.p.s": [],
        "test.p.t_b": ["model.p.b"],
    }
    order = bench.dag_order(manifest(edges), edges)
    assert order == ["seed.p.s", "model.p.a", "model.p.b", "model.p.c", "model.p.d", "test.p.t_b"]


def test_dag_order_ignores_nodes_not_run_and_rejects_cycles():
    edges = {"model.p.a": ["model.p.b"], "model.p.b": ["model.p.a"], "model.p.c": ["model.p.a"]}
    assert bench.dag_order(manifest(edges), ["model.p.c", "model.p.a"]) == ["model.p.a", "model.p.c"]
    with pytest.raises(ValueError, match="cycle"):
        bench.dag_order(manifest(edges), list(edges))
    with pytest.raises(KeyError):
        bench.dag_order(manifest(edges), ["model.p.missing"])


def test_final_relation_sql_renames_dbt_staging_relations_only():
    sql = ('create table "wh"."marts"."fct_orders__dbt_tmp" (order_id varchar);\n'
           'insert into "wh"."marts"."fct_orders__dbt_tmp" select \'a__dbt_tmp\' as x')
    assert bench.final_relation_sql(sql) == (
        'create table "wh"."marts"."fct_orders" (order_id varchar);\n'
        'insert into "wh"."marts"."fct_orders" select \'a__dbt_tmp\' as x')


def test_summarise_rounds_takes_medians_of_figures_and_of_per_round_ratios():
    rounds = [
        {"full_build_s": 10.0, "floor_s": 2.0, "compiled_sql_s": 8.0, "peer_s": 30.0,
         "incremental_build_s": 2.0, "incremental_again_build_s": 2.0, "incremental_mean_build_s": 2.0,
         "full_refresh_build_s": 10.0, "incremental_equals_full": True, "peer_matches_project": True},
        {"full_build_s": 20.0, "floor_s": 2.0, "compiled_sql_s": 10.0, "peer_s": 20.0,
         "incremental_build_s": 3.0, "incremental_again_build_s": 3.0, "incremental_mean_build_s": 3.0,
         "full_refresh_build_s": 20.0, "incremental_equals_full": True, "peer_matches_project": True},
        {"full_build_s": 12.0, "floor_s": 4.0, "compiled_sql_s": 12.0, "peer_s": 60.0,
         "incremental_build_s": 4.0, "incremental_again_build_s": 8.0, "incremental_mean_build_s": 6.0,
         "full_refresh_build_s": 12.0, "incremental_equals_full": False, "peer_matches_project": True},
    ]
    summary = bench.summarise_rounds(rounds)
    assert summary["full_build_s"] == 12.0
    assert summary["build_over_floor"] == 5.0  # per round 5, 10, 3
    assert summary["build_over_compiled_sql"] == 1.25  # 1.25, 2, 1
    assert summary["peer_over_project"] == 3.0  # 3, 1, 5
    assert summary["incremental_over_full"] == 0.2  # the mean of the two incrementals: 0.2, 0.15, 0.5
    assert summary["incremental_again_over_first"] == 1.0  # 1, 1, 2
    assert summary["incremental_build_s"] == 3.0  # the first incremental's median: 2, 3, 4
    assert summary["incremental_equals_full"] is False
    assert summary["peer_matches_project"] is True
    assert summary["rounds"] == 3
    assert summary["compiled_sql_models_s"] is None


def test_the_incremental_timings_around_the_full_build_cancel_a_steady_drift():
    # A machine that slows down by 2 s per build: A = 10, B (full) = 102 at the midpoint, A' = 14.
    # The first timing alone reads 10 / 102; the mean of A and A' is the incremental at B's moment.
    assert bench.mean_of_present(10.0, 14.0) == 12.0
    assert bench.mean_of_present(10.0, None) == 10.0  # only one incremental ran
    assert bench.mean_of_present(None, None) is None
    assert bench.ratio(bench.mean_of_present(10.0, 14.0), 102.0) == 12.0 / 102.0


def test_format_table_has_one_column_per_scale_and_readable_cells():
    scales = [
        {"orders": 100_000, "customers_raw_rows": 10_049,
         "summary": {"full_build_s": 9.56, "full_build_max_rss_bytes": 3 * 2**30, "build_over_floor": 114.567,
                     "incremental_equals_full": True, "warehouse_bytes": 40 * 2**20}},
        {"orders": 1_000_000, "customers_raw_rows": 100_485, "summary": {"full_build_s": 44.0}},
    ]
    table = bench.format_table(scales).splitlines()
    assert table[0] == "| orders | 100,000 | 1,000,000 |"
    rows = {line.split(" | ")[0].lstrip("| "): line for line in table[2:]}
    assert rows["customers (raw rows)"] == "| customers (raw rows) | 10,049 | 100,485 |"
    assert rows["dbt build, full"] == "| dbt build, full | 9.6 s | 44.0 s |"
    assert rows["peak RSS of dbt build"] == "| peak RSS of dbt build | 3.00 GiB | - |"
    assert rows["warehouse file"] == "| warehouse file | 40 MiB | - |"
    assert rows["build / floor"] == "| build / floor | 114.57 | - |"
    assert rows["incremental equals full rebuild (order facts)"] == (
        "| incremental equals full rebuild (order facts) | yes | - |")


def test_sql_tables_to_compare_leaves_out_python_models_and_their_descendants():
    def node(name, language="sql", materialized="table", parents=()):
        return {"resource_type": "model", "name": name, "schema": "marts", "language": language,
                "config": {"materialized": materialized}, "depends_on": {"nodes": [f"model.p.{p}" for p in parents]}}
    manifest = {"nodes": {f"model.p.{n['name']}": n for n in (
        node("fct_orders", materialized="incremental"),
        node("stg_orders", materialized="view"),
        node("ml_scores", language="python", parents=["fct_orders"]),
        node("ml_360", parents=["ml_scores", "fct_orders"]),
        node("dim_360", parents=["fct_orders", "stg_orders"]),
        node("base_raw__load_log", materialized="incremental"),
    )}}
    assert bench.sql_tables_to_compare(manifest) == [("marts", "dim_360"), ("marts", "fct_orders")]
    # the order facts are compared exactly by facts_equal, the rest by tables_equal: each table once
    assert bench.split_fact_tables(bench.sql_tables_to_compare(manifest)) == (
        [("marts", "dim_360")], [("marts", "fct_orders")])


def test_tables_equal_counts_rows_either_side_and_ignores_last_bit_float_noise(tmp_path):
    paths = {}
    for name, rows in (("a", "(1, 0.1 + 0.2, 'x'), (2, 1e9 / 3, 'y'), (2, 1e9 / 3, 'y')"),
                       ("b", "(1, 0.3, 'x'), (2, 333333333.3333333, 'y'), (3, 0.0, 'z')")):
        paths[name] = tmp_path / f"{name}.duckdb"
        with duckdb.connect(str(paths[name])) as con:
            con.execute("create schema marts")
            con.execute(f"create table marts.t as select * from (values {rows}) as v (k, x, s)")
            con.execute("create table marts.same as select 1 as k")
    result = bench.tables_equal(paths["a"], paths["b"], [("marts", "same"), ("marts", "t"), ("marts", "gone")])
    # a holds (2, y) twice and b once, b holds (3, z): two differing rows; 0.1 + 0.2 equals 0.3 to 1e-9
    assert result["differing_rows"] == {"marts.same": 0, "marts.t": 2, "marts.gone": -1}
    assert result["equal"] is False
    assert bench.tables_equal(paths["a"], paths["a"], [("marts", "t")]) == {
        "equal": True, "differing_rows": {"marts.t": 0}}


def test_tables_equal_takes_floats_on_either_side_of_a_rounding_boundary_as_equal(tmp_path):
    """Seen at 10 M orders: one revenue summed in two thread orders; rounding both to 9 significant digits
    gave 12627377.3 and 12627377.4. Beyond the relative 1e-9 a float differs (two rows, one per side); nulls
    and NaNs pair with their own kind; a table without floats is compared exactly."""
    paths = {}
    for name, rows, ints in (
        ("a", "('JP', 12627377.349999994), ('US', 100.0), ('DE', null), ('FR', 'nan'::double), ('GB', 5.0)",
         "(1), (2), (2)"),
        ("b", "('JP', 12627377.350000005), ('US', 100.000001), ('DE', null), ('FR', 'nan'::double), ('GB', null)",
         "(1), (2), (3)"),
    ):
        paths[name] = tmp_path / f"{name}.duckdb"
        with duckdb.connect(str(paths[name])) as con:
            con.execute("create schema marts")
            con.execute(f"create table marts.t as select * from (values {rows}) as v (country, revenue)")
            con.execute(f"create table marts.ints as select * from (values {ints}) as v (k)")
    result = bench.tables_equal(paths["a"], paths["b"], [("marts", "t"), ("marts", "ints")])
    # US differs by 1e-8 relative (2 rows), GB is 5.0 against null (2 rows); JP, DE and FR are equal
    assert result["differing_rows"] == {"marts.t": 4, "marts.ints": 2}
    one_side = tmp_path / "c.duckdb"
    with duckdb.connect(str(one_side)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.t as select * from (values ('JP', 12627377.350000005::double)) "
                    "as v (country, revenue)")
    assert bench.tables_equal(paths["a"], one_side, [("marts", "t")])["differing_rows"] == {"marts.t": 4}


def test_peer_matches_needs_same_counts_and_revenue():
    project = {"customers": 10, "orders": 100, "revenue": 12345.67, "all_orders": 110}
    peer = {"kpis": {"customers": 10, "orders": 100, "revenue": 12345.67}, "all_orders": 110}
    assert bench.peer_matches(peer, project)
    assert not bench.peer_matches({**peer, "all_orders": 109}, project)
    assert not bench.peer_matches({**peer, "kpis": {**peer["kpis"], "revenue": 12345.70}}, project)


def test_ancestors_and_models_named():
    edges = {
        "model.p.kpi": ["model.p.customers"],
        "model.p.customers": ["model.p.orders", "seed.p.codes", "source.p.raw.orders"],
        "model.p.orders": [],
        "model.p.other": ["model.p.orders"],
        "seed.p.codes": [],
        "test.p.t": ["model.p.kpi"],
    }
    m = manifest(edges)
    for uid, node in m["nodes"].items():
        node.update(resource_type=uid.split(".")[0], name=uid.split(".")[-1])
    assert bench.ancestors(m, ["model.p.kpi"]) == {"model.p.kpi", "model.p.customers", "model.p.orders",
                                                   "seed.p.codes"}
    assert bench.ancestors(m, ["model.p.missing"]) == set()
    assert bench.models_named(m, ["kpi", "other", "codes", "absent"]) == ["model.p.kpi", "model.p.other"]


def test_nodes_running_at_a_moment():
    results = {"results": [
        {"unique_id": "model.p.big", "timing": [
            {"name": "compile", "started_at": "2026-01-01T10:00:00Z", "completed_at": "2026-01-01T10:00:01Z"},
            {"name": "execute", "started_at": "2026-01-01T10:00:01Z", "completed_at": "2026-01-01T10:00:30Z"}]},
        {"unique_id": "test.p.unique_x.abc", "timing": [
            {"name": "execute", "started_at": "2026-01-01T10:00:20Z", "completed_at": "2026-01-01T10:00:40Z"}]},
        {"unique_id": "seed.p.codes", "timing": []},
    ]}
    at = bench.dt.datetime(2026, 1, 1, 10, 0, 25, tzinfo=bench.dt.UTC)
    assert bench.nodes_running_at(results, at) == ["big", "unique_x"]
    assert bench.nodes_running_at(results, at.replace(second=35)) == ["unique_x"]
    assert bench.nodes_running_at(results, None) == []


def test_rss_timeline_sees_a_child_process():
    code = "import time; x = bytearray(80 * 2**20); time.sleep(1.5)"
    proc = bench.subprocess.Popen([bench.sys.executable, "-c", code])
    timeline = bench.RssTimeline(proc.pid, interval=0.1).start()
    proc.wait()
    timeline.stop()
    assert timeline.peak_bytes >= 80 * 2**20 and timeline.peak_at is not None


def test_vmrss_of_a_live_process_and_of_a_zombie():
    live = "Name:\tdbt\nState:\tS (sleeping)\nVmPeak:\t  900000 kB\nVmRSS:\t  123456 kB\nThreads:\t4\n"
    zombie = "Name:\tdbt\nState:\tZ (zombie)\nThreads:\t1\n"  # an exiting process has no Vm* lines
    assert bench.parse_vmrss_bytes(live) == 123456 * 1024
    assert bench.parse_vmrss_bytes(zombie) == 0


def test_rss_timeline_survives_a_child_that_exits_unwaited():
    # the child exits while the timeline samples it and stays a zombie until waited for
    code = "import time; x = bytearray(40 * 2**20); time.sleep(0.3)"
    proc = bench.subprocess.Popen([bench.sys.executable, "-c", code])
    timeline = bench.RssTimeline(proc.pid, interval=0.05).start()
    bench.time.sleep(1.5)
    assert timeline._thread.is_alive()  # sampling a zombie did not kill the sampler
    proc.wait()
    timeline.stop()
    assert timeline.peak_bytes > 0


def test_stage_breakdown_sums_node_time_by_stage():
    def node(uid: str, name: str, kind: str, seconds: float):
        return bench.NodeTime(uid, name, kind, seconds, "success")

    manifest = {"nodes": {
        "model.p.base_raw__orders": {"original_file_path": "models/staging/raw/base/base_raw__orders.sql"},
        "model.p.fct_orders": {"original_file_path": "models/core/fct_orders.sql"},
        "model.p.int_x": {"original_file_path": "models/customer/int_x.sql"},
        "model.p.kpi": {"original_file_path": "models/marts/customers/kpi.sql"},
        "model.p.hist": {"original_file_path": "models/marts/history/hist.sql"},
        "model.p.ml": {"original_file_path": "models/marts/ml/ml.py", "language": "python"},
    }}
    nodes = [node("model.p.base_raw__orders", "base_raw__orders", "model", 2.0),
             node("model.p.fct_orders", "fct_orders", "model", 1.5), node("model.p.int_x", "int_x", "model", 0.5),
             node("model.p.kpi", "kpi", "model", 0.25), node("model.p.hist", "hist", "model", 0.75),
             node("model.p.ml", "ml", "model", 4.0), node("test.p.t1", "t1", "test", 0.1),
             node("test.p.t2", "t2", "test", 0.2), node("unit_test.p.u", "u", "unit_test", 1.0),
             node("seed.p.s", "s", "seed", 0.3)]
    assert bench.stage_breakdown(nodes, manifest, "incremental") == {
        "incremental_seeds_s": 0.3, "incremental_base_staging_s": 2.0, "incremental_order_facts_s": 1.5,
        "incremental_intermediate_s": 0.5, "incremental_sql_marts_s": 0.25, "incremental_history_s": 0.75,
        "incremental_python_models_s": 4.0, "incremental_data_tests_s": 0.3, "incremental_unit_tests_s": 1.0}


def test_write_report_commits_a_summary_and_gzips_every_node_timing(tmp_path):
    import gzip
    import json

    nodes = [{"name": f"m{i}", "seconds": float(i)} for i in range(3)]
    report = {"started_at": "t", "scales": [{"orders": 10, "slowest_models": nodes[:1], "node_times": nodes}]}
    out = bench.write_report(report, tmp_path / "results", "bench_x")
    summary = json.loads(out.read_text())
    assert out.name == "bench_x.json"
    assert summary["scales"] == [{"orders": 10, "slowest_models": nodes[:1]}]
    with gzip.open(tmp_path / "results" / "bench_x.full.json.gz", "rt") as full:
        assert json.load(full) == report


def test_files_created_counts_files_deleted_before_any_sample(tmp_path):
    from customer_intelligence.tools.bench import FilesCreated

    spill = tmp_path / "spill"
    with FilesCreated(spill) as created:
        for i in range(3):  # written and deleted at once, as a short DuckDB spill
            (spill / f"block_{i}.tmp").write_bytes(b"x")
            (spill / f"block_{i}.tmp").unlink()
    with FilesCreated(spill) as none:
        pass
    assert (created.count, none.count) == (3, 0)
