"""The benchmark's polars peer (issue 15.7) computes the pandas peer's figures exactly, on the shared
generated data (with its dirt: duplicates, bad keys, re-sent orders), and its building blocks on
hand-made values."""

from __future__ import annotations

import polars as pl
import pytest

from customer_intelligence.tools.bench import peer_worker
from customer_intelligence.tools.polars_peer import band_of, polars_peer_worker, quintile


def test_bands_and_quintiles_on_hand_made_values():
    frame = pl.DataFrame({"f": [1, 2, 3, 4, 5, 6, 9, 10, 11, 12]})
    out = frame.with_columns(band=band_of(pl.col("f")), q=quintile(pl.col("f")))
    assert out["band"].to_list() == ["1", "2-3", "2-3", "4-5", "4-5", "6+", "6+", "6+", "6+", "6+"]
    assert out["q"].to_list() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]  # 10 values: two per quintile


def test_polars_peer_equals_the_pandas_peer(generated_data):
    pandas_result = peer_worker(str(generated_data["raw"]))
    polars_result = polars_peer_worker(str(generated_data["raw"]))
    assert polars_result["all_orders"] == pandas_result["all_orders"]
    assert polars_result["bands"] == {k.removesuffix(" orders"): v for k, v in pandas_result["bands"].items()}
    for key, value in pandas_result["kpis"].items():
        assert polars_result["kpis"][key] == pytest.approx(value, rel=1e-12), key
