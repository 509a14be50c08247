"""Benchmark of the ML pipeline (segments, churn, CLV, actions) on synthetic frames.

:func:`synthetic_frames` builds the model inputs directly (no raw files, no dbt) for ``n_customers``
customers with about ``orders_per_customer`` orders each, drawn from five behavioural personas, fully
vectorised and seeded. :func:`run_benchmark` times the four entry points as the dbt Python models call
them (each one prepares its own copy of the orders) and reports peak resident memory.

Run: ``python -m customer_intelligence.tools.ml_bench --customers 1000000 --orders-per-customer 10``.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from customer_intelligence.ml.actions import action_table
from customer_intelligence.ml.churn import churn_tables
from customer_intelligence.ml.clv import clv_table
from customer_intelligence.ml.segments import segment_tables

__all__ = [
    "candidate_table",
    "run_benchmark",
    "scenario_inputs",
    "scenario_report",
    "segment_stability",
    "synthetic_frames",
]

_AS_OF = np.datetime64("2025-01-01", "D")
_HISTORY_DAYS = 3 * 365
# persona: share, mean orders over the active window, mean AOV, discount share, active window (days
# before as_of: start range, end range)
_PERSONAS = {
    "High-Value Active": (0.15, 1.5, 160.0, 0.04, (400, 1000), (0, 30)),
    "Loyal Regulars": (0.25, 1.3, 45.0, 0.05, (600, 1090), (0, 40)),
    "Discount-Driven": (0.20, 0.9, 40.0, 0.30, (200, 900), (0, 120)),
    "New": (0.15, 0.15, 50.0, 0.08, (10, 90), (0, 5)),
    "At-Risk / Dormant": (0.25, 0.45, 55.0, 0.08, (500, 1090), (200, 480)),
}


def synthetic_frames(
    n_customers: int, orders_per_customer: float = 10.0, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """``(orders, customer_categories, customers, as_of)`` for ``n_customers`` synthetic customers.

    The persona order rates are scaled so that the expected number of orders per customer is about
    ``orders_per_customer``. About 5% of orders are cancelled. The persona is in ``customers.persona``.
    """
    rng = np.random.default_rng(seed)
    names = list(_PERSONAS)
    shares = np.array([_PERSONAS[p][0] for p in names])
    persona = rng.choice(len(names), size=n_customers, p=shares / shares.sum())
    start_lo = np.array([_PERSONAS[p][4][0] for p in names])[persona]
    start_hi = np.array([_PERSONAS[p][4][1] for p in names])[persona]
    end_lo = np.array([_PERSONAS[p][5][0] for p in names])[persona]
    end_hi = np.array([_PERSONAS[p][5][1] for p in names])[persona]
    start_ago = rng.integers(start_lo, start_hi + 1)
    end_ago = np.minimum(rng.integers(end_lo, end_hi + 1), start_ago - 1)
    window = (start_ago - end_ago).astype(np.float64)
    rate = np.array([_PERSONAS[p][1] for p in names])[persona] / 30.0  # orders per day
    mean_orders = float((rate * window).mean())
    scale = orders_per_customer / max(mean_orders, 1e-9)
    n_orders = 1 + rng.poisson(np.maximum(rate * window * scale - 1, 0.0))
    cust = np.repeat(np.arange(n_customers), n_orders)
    u = rng.random(len(cust))
    ago = end_ago[cust] + np.floor(u * window[cust]).astype(np.int64)
    ago[np.r_[0, np.cumsum(n_orders)[:-1]]] = start_ago  # the first order starts the window
    order_date = (_AS_OF - ago.astype("timedelta64[D]")).astype("datetime64[us]")
    aov = np.array([_PERSONAS[p][2] for p in names])[persona]
    gross = np.round(aov[cust] * rng.lognormal(0.0, 0.35, len(cust)), 2)
    dshare = np.array([_PERSONAS[p][3] for p in names])[persona]
    discount = np.round(gross * np.clip(rng.normal(dshare[cust], 0.03), 0, 0.8), 2)
    ids = np.char.add("C", np.char.zfill(np.arange(n_customers).astype(str), 8)).astype(object)
    orders = pd.DataFrame(
        {
            "order_id": pd.array(np.char.add("O", np.arange(len(cust)).astype(str)).astype(object), dtype="str"),
            "customer_id": pd.array(ids[cust], dtype="str"),
            "order_date": order_date,
            "is_completed": rng.random(len(cust)) > 0.05,
            "gross_revenue": gross,
            "discount_amount": discount,
            "net_revenue": np.round(gross - discount, 2),
            "item_count": rng.integers(1, 6, len(cust)),
        }
    )
    n_cat = rng.integers(1, 6, n_customers)
    cc_cust = np.repeat(np.arange(n_customers), n_cat)
    offset = np.arange(len(cc_cust)) - np.repeat(np.r_[0, np.cumsum(n_cat)[:-1]], n_cat)
    customer_categories = pd.DataFrame(
        {
            "customer_id": pd.array(ids[cc_cust], dtype="str"),
            "category": pd.array(np.char.add("cat", offset.astype(str)).astype(object), dtype="str"),
            "net_revenue": np.round(rng.random(len(cc_cust)) * 100 + 1, 2),
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": pd.array(ids, dtype="str"),
            "signup_date": (_AS_OF - (start_ago + rng.integers(0, 10, n_customers)).astype("timedelta64[D]")).astype(
                "datetime64[us]"
            ),
            "persona": pd.array(np.asarray(names, dtype=object)[persona], dtype="str"),
        }
    )
    return orders, customer_categories, customers, pd.Timestamp(_AS_OF)


def run_benchmark(n_customers: int = 100_000, orders_per_customer: float = 10.0, seed: int = 0) -> dict:
    """Time the four entry points on :func:`synthetic_frames`.

    Returns wall-clock seconds per step (``*_s``), process CPU seconds per step (``*_cpu_s``; on a shared
    machine the wall time can be much larger than the CPU time), peak RSS and headline metrics.
    """
    t0 = time.perf_counter()
    orders, cats, customers, as_of = synthetic_frames(n_customers, orders_per_customer, seed)
    timings: dict = {"n_customers": n_customers, "n_orders": len(orders), "build_s": time.perf_counter() - t0}
    results: dict = {}
    steps = {
        "segments": lambda: segment_tables(orders, cats, customers, as_of),
        "churn": lambda: churn_tables(orders, customers, as_of),
        "clv": lambda: clv_table(orders, as_of),
        "actions": lambda: action_table(results["segments"][0], results["churn"][0], results["clv"][0]),
    }
    for name, step in steps.items():
        t, c = time.perf_counter(), time.process_time()
        results[name] = step()
        timings[f"{name}_s"] = time.perf_counter() - t
        timings[f"{name}_cpu_s"] = time.process_time() - c
    timings["total_models_s"] = sum(timings[f"{k}_s"] for k in steps)
    timings["total_models_cpu_s"] = sum(timings[f"{k}_cpu_s"] for k in steps)
    timings["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    prof, churn_metrics, clv_metrics = results["segments"][1], results["churn"][1], results["clv"][1]
    timings["k"] = int(prof["k"].iloc[0])
    timings["churn_auc"] = float(churn_metrics["roc_auc"].iloc[0])
    timings["baseline_auc"] = float(churn_metrics["baseline_roc_auc"].iloc[0])
    timings["clv_pearson"] = float(clv_metrics["pearson_r"].iloc[0])  # the chosen method, held back
    timings["action_rows"] = len(results["actions"])
    timings["chosen_churn"] = str(churn_metrics.loc[churn_metrics["used_for_scoring"], "method"].iloc[0])
    timings["chosen_clv"] = str(clv_metrics.loc[clv_metrics["chosen"], "method"].iloc[0])
    return timings


def segment_stability(
    orders: pd.DataFrame,
    categories: pd.DataFrame | None,
    customers: pd.DataFrame | None,
    as_of: pd.Timestamp,
    k: int | None = None,
) -> dict:
    """Share of customers whose segment name changes when one day of data is appended, two ways.

    Segments at ``as_of - 1 day`` (orders before it) against segments at ``as_of`` (one more day of
    orders), compared over the customers segmented both times:

    * ``segment_changed_share``: both from scratch (k chosen again unless fixed), what a refit day gives;
    * ``segment_changed_share_registered``: the later day scored with the earlier day's fitted model
      (:func:`~customer_intelligence.ml.fitted.score_segments`), what a daily build within the refit
      cadence gives (the from-scratch figure when nothing was fitted, i.e. rule-based segments, or when a
      stored cluster would be left empty, where a build refits too).
    """
    from customer_intelligence.ml.features import customer_features, has_amounts
    from customer_intelligence.ml.fitted import score_segments, segment_state
    from customer_intelligence.ml.segments import segments_from_features

    as_of = pd.Timestamp(as_of)
    earlier = customer_features(orders, as_of - pd.Timedelta(days=1), categories, customers)
    later = customer_features(orders, as_of, categories, customers)
    before, profiles = segments_from_features(earlier, k, 42, has_amounts(orders))
    after, _ = segments_from_features(later, k, 42, has_amounts(orders))
    state = segment_state(earlier, profiles)
    scored = score_segments(later, state) if state is not None else None
    registered = scored[0] if scored is not None else after

    def changed_share(one: pd.DataFrame, other: pd.DataFrame) -> tuple[float, int]:
        both = one.merge(other, on="customer_id", suffixes=("_before", "_after"))
        changed = both["segment_name_before"] != both["segment_name_after"]
        return (float(changed.mean()) if len(both) else float("nan")), len(both)

    share, compared = changed_share(before, after)
    return {
        "customers_compared": compared,
        "segment_changed_share": share,
        "segment_changed_share_registered": changed_share(before, registered)[0],
        "scored_with_fitted_model": scored is not None,
        "new_customers": len(after) - compared,
    }


def candidate_table(churn_metrics: pd.DataFrame, clv_metrics: pd.DataFrame) -> pd.DataFrame:
    """Every candidate's held-back metrics and the chosen method, churn and CLV, one row per candidate."""
    churn = churn_metrics[churn_metrics["period"] == "held_back"]
    clv = clv_metrics[clv_metrics["period"] == "held_back"]
    rows = [
        {
            "model": "churn",
            "method": r.method,
            "chosen": bool(r.used_for_scoring),
            "roc_auc": r.roc_auc,
            "pr_auc": r.pr_auc,
            "precision_top_decile": r.precision_top_decile,
        }
        for r in churn.itertuples()
    ] + [
        {
            "model": f"clv ({r.metric_basis})",
            "method": r.method,
            "chosen": bool(r.chosen),
            "total_ratio": r.total_ratio,
            "mae": r.mae,
            "spearman_r": r.spearman_r,
            "top_decile_capture": r.top_decile_capture,
        }
        for r in clv.itertuples()
    ]
    return pd.DataFrame(rows)


def _orders_frame(customer, date, net, order_id=None, completed=None) -> pd.DataFrame:
    """The model input frame (the columns of ``int_ml_orders`` the package reads)."""
    n = len(customer)
    return pd.DataFrame(
        {
            "order_id": pd.array(
                np.asarray(order_id if order_id is not None else np.arange(n).astype(str)), dtype="str"
            ),
            "customer_id": pd.array(np.asarray(customer).astype(str), dtype="str"),
            "order_date": pd.to_datetime(date).dt.floor("D").astype("datetime64[us]").to_numpy(),
            "is_completed": np.ones(n, dtype=bool) if completed is None else np.asarray(completed, dtype=bool),
            "gross_revenue": net,
            "discount_amount": None if net is None else np.zeros(n),
            "net_revenue": net,
        }
    )


def scenario_inputs(
    name: str, work_dir, seed: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None]:
    """``(orders, categories, customers, truth)`` of a generator scenario (``customer_intelligence.tools.scenarios``).

    The raw export is mapped to the models' input frame in pandas, with the warehouse's main rules in
    their simplest form (not its row rules R1-R7): one order per order / invoice / receipt id (per row
    where the export has none), net = sum of quantity x price, credit notes (``C...``) kept as negative
    orders (returns net against purchases), adjustment rows (``A...``) and rows without a customer
    dropped, no amounts for the event log. The
    ``default`` scenario is the project's generator at 10,000 orders without dirt, with its planted
    personas as ``truth``.
    """
    from pathlib import Path

    from customer_intelligence.tools.scenarios import write_scenario

    work_dir = Path(work_dir)
    if name == "default":
        from customer_intelligence.tools.generate import generate

        generate(10_000, seed, work_dir / "raw", work_dir / "truth", fmt="parquet", dirt_rate=0.0, progress=False)
        return (*_generator_inputs(work_dir / "raw"), pd.read_parquet(work_dir / "truth" / "personas.parquet"))
    raw = pd.read_csv(write_scenario(name, seed, work_dir / "raw") / "orders.csv")
    if name == "cohort":
        date = pd.to_datetime(raw["Date"].astype(str), format="%Y%m%d")
        return _orders_frame(raw["CustomerID"], date, raw["Amount"].to_numpy(dtype=np.float64)), None, None, None
    if name == "event_log":
        return _orders_frame(raw["CustomerID"], pd.to_datetime(raw["PurchaseDate"]), None), None, None, None
    if name == "gift_shop":
        raw = raw[raw["CustomerID"].notna() & ~raw["InvoiceNo"].astype(str).str.startswith("A")].copy()
        raw["line"] = raw["Quantity"] * raw["UnitPrice"]
        raw["when"] = pd.to_datetime(raw["InvoiceDate"], format="%m/%d/%Y %H:%M")
        keys = ["InvoiceNo", "CustomerID"]
        inv = raw.groupby(keys, as_index=False).agg(net=("line", "sum"), when=("when", "min"))
        # credit notes stay as negative orders of the same customer: a same-day cancellation nets to zero
        customer = inv["CustomerID"].astype("int64").astype(str)
        return (
            _orders_frame(customer, inv["when"], inv["net"].to_numpy(), inv["InvoiceNo"]),
            None,
            None,
            None,
        )
    if name == "grocery":
        raw["line"] = raw["Qty"] * raw["Price"]
        rec = raw.groupby(["ReceiptId", "MemberId"], as_index=False).agg(net=("line", "sum"), when=("Timestamp", "min"))
        frame = _orders_frame(rec["MemberId"], pd.to_datetime(rec["when"]), rec["net"].to_numpy(), rec["ReceiptId"])
        return frame, None, None, None
    raise ValueError(f"unknown scenario {name!r}")


def _generator_inputs(raw) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(orders, categories, customers)`` from the generator's raw parquet files, as the marts define them."""
    orders_raw = pd.read_parquet(raw / "orders.parquet")
    lines = pd.read_parquet(raw / "order_lines.parquet").merge(
        pd.read_parquet(raw / "products.parquet")[["product_id", "category"]], on="product_id", how="left"
    )
    lines["gross"] = lines["quantity"] * lines["unit_price"]
    per_order = lines.groupby("order_id", as_index=False).agg(
        gross=("gross", "sum"), discount=("discount_amount", "sum")
    )
    o = orders_raw.merge(per_order, on="order_id", how="left").fillna({"gross": 0.0, "discount": 0.0})
    orders = _orders_frame(o["customer_id"], o["order_ts"], (o["gross"] - o["discount"]).to_numpy(), o["order_id"])
    orders["is_completed"] = (o["status"] == "completed").to_numpy()
    orders["gross_revenue"] = o["gross"].to_numpy()
    orders["discount_amount"] = o["discount"].to_numpy()
    completed = orders_raw.loc[orders_raw["status"] == "completed", ["order_id"]]
    cl = lines.merge(completed, on="order_id")
    cl = cl.merge(orders_raw[["order_id", "customer_id"]], on="order_id")
    cl["net"] = cl["gross"] - cl["discount_amount"]
    categories = cl.groupby(["customer_id", "category"], as_index=False).agg(net_revenue=("net", "sum"))
    customers_raw = pd.read_parquet(raw / "customers.parquet")
    customers = pd.DataFrame(
        {"customer_id": customers_raw["customer_id"], "signup_date": customers_raw["signup_ts"].dt.floor("D")}
    )
    return orders, categories, customers


def scenario_report(name: str, work_dir, seed: int = 1) -> dict:
    """Run segments, churn and CLV on a scenario; the 14.5 figures and every candidate's held-back metrics."""
    from sklearn.metrics import adjusted_rand_score

    from customer_intelligence.ml.features import customer_features, has_amounts
    from customer_intelligence.ml.naming import load_definitions, meets
    from customer_intelligence.ml.segments import SEGMENT_FEATURES, SEGMENT_NAMES

    orders, categories, customers, truth = scenario_inputs(name, work_dir, seed)
    seg, prof = segment_tables(orders, categories, customers, None)
    churn, churn_metrics = churn_tables(orders, customers, None)
    clv, clv_metrics = clv_table(orders, None)
    feats = customer_features(orders, None, categories, customers)
    defs = load_definitions().set_index("segment")
    centres = pd.DataFrame({c: prof[f"centroid_{c}"].to_numpy() for c in SEGMENT_FEATURES})
    failing = [
        n
        for i, n in enumerate(prof["segment_name"])
        if n in SEGMENT_NAMES and not meets(centres.iloc[[i]], defs.loc[n, "rule"], feats)[0]
    ]
    report = {
        "scenario": name,
        "customers": len(seg),
        "orders": int(orders["is_completed"].sum()),
        "has_amounts": has_amounts(orders),
        "segments": sorted(set(prof["segment_name"])),
        "segments_failing_definition": failing,
        "ari": float("nan"),
        "candidates": candidate_table(churn_metrics, clv_metrics),
        "churn_metrics": churn_metrics,
        "clv_metrics": clv_metrics,
        "clv": clv,
    }
    if truth is not None:
        joined = seg.merge(truth, on="customer_id")
        report["ari"] = float(adjusted_rand_score(joined["segment_truth"], joined["segment_name"]))
    return report


def print_scenarios(names, work_root, seed: int = 1) -> None:  # pragma: no cover - command line output
    """Print each scenario's held-back candidate table, chosen methods and segment figures."""
    from pathlib import Path

    pd.set_option("display.width", 200)
    for name in names:
        r = scenario_report(name, Path(work_root) / name, seed)
        print(f"\n== {name}: {r['customers']} customers, {r['orders']} completed orders, amounts={r['has_amounts']}")
        print(
            f"segments: {', '.join(r['segments'])}; ARI vs planted: {r['ari']:.3f}; "
            f"failing their definition: {r['segments_failing_definition'] or 'none'}"
        )
        print(r["candidates"].round(3).to_string(index=False))
        orders, categories, customers, _ = scenario_inputs(name, Path(work_root) / name, seed)
        as_of = pd.Timestamp(orders["order_date"].max()) + pd.Timedelta(days=1)
        stability = segment_stability(orders, categories, customers, as_of)
        registered = "" if not stability["scored_with_fitted_model"] else " (the fitted model)"
        print(
            f"segment stability: {100 * stability['segment_changed_share']:.2f} % of "
            f"{stability['customers_compared']} customers change segment when the last day is appended and "
            f"segments are fitted again; {100 * stability['segment_changed_share_registered']:.2f} % when the "
            f"day is scored with the earlier day's fit{registered}"
        )


def main() -> None:  # pragma: no cover - command line wrapper
    """Command-line entry: print the benchmark timings."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--orders-per-customer", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scenarios", nargs="*", help="instead: run the models on these generator scenarios")
    ap.add_argument("--work-dir", default="/tmp/ml_bench_scenarios", help="where scenario files are written")
    args = ap.parse_args()
    if args.scenarios is not None:
        from customer_intelligence.tools.scenarios import SCENARIOS

        print_scenarios(args.scenarios or SCENARIOS, args.work_dir, args.seed or 1)
        return
    for k, v in run_benchmark(args.customers, args.orders_per_customer, args.seed).items():
        print(f"{k}: {v:.3f}" if isinstance(v, float) else f"{k}: {v}")


if __name__ == "__main__":  # pragma: no cover
    main()
