"""The raw-data inspector's detectors on tiny hand-made frames (no build)."""

from __future__ import annotations

import pandas as pd
import yaml

from customer_intelligence.tools import inspect as inspector


def test_column_roles_by_name_synonyms():
    assert inspector.role_by_name("InvoiceNo") == "order_id"
    assert inspector.role_by_name("Stock Code") == "product_id"
    assert inspector.role_by_name("customer_id") == "customer_id"
    assert inspector.role_by_name("MemberId") == "customer_id"
    assert inspector.role_by_name("Qty") == "quantity"
    assert inspector.role_by_name("Revenue") == "amount"
    assert inspector.role_by_name("Notes") is None
    # a synonym of a column the table does not carry is not claimed
    assert inspector.role_by_name("InvoiceNo", "customers") is None


def test_column_roles_by_content():
    assert inspector.role_by_content(pd.Series(["19970101", "19971231"])) == "timestamp"
    assert inspector.role_by_content(pd.Series(["1", "12", "3"])) == "integer"
    assert inspector.role_by_content(pd.Series(["2.55", "3.39", "10"])) == "money"
    assert inspector.role_by_content(pd.Series(["C536379", "536380", "A563185"])) == "id"
    assert inspector.role_by_content(pd.Series(["WHITE LANTERN", "POSTAGE"])) == "text"


def test_date_format_yyyymmdd_integers():
    found = inspector.detect_date_format(pd.Series(["19970101", "19980630"]))
    assert found.format == "%Y%m%d"
    assert "YYYYMMDD" in found.evidence


def test_date_format_day_first_and_month_first_with_evidence():
    day_first = inspector.detect_date_format(pd.Series(["03/04/2024", "25/04/2024"]))
    assert day_first.format == "%d/%m/%Y"
    assert "25/04/2024" in day_first.evidence
    month_first = inspector.detect_date_format(pd.Series(["12/1/2010 8:26", "12/13/2010 9:01"]))
    assert month_first.format == "%m/%d/%Y %H:%M"
    assert "12/13/2010 9:01" in month_first.evidence
    ambiguous = inspector.detect_date_format(pd.Series(["03/04/2024", "01/02/2024"]))
    assert ambiguous.format == "%m/%d/%Y" and "ambiguous" in ambiguous.evidence
    mixed = inspector.detect_date_format(pd.Series(["13/01/2024", "01/13/2024"]))
    assert mixed.format is None


def test_date_format_epoch_iso_and_offsets():
    assert inspector.detect_date_format(pd.Series(["1700000000", "1700086400"])).format == "epoch_seconds"
    local = inspector.detect_date_format(pd.Series(["2023-05-04 18:22:10"]))
    assert (local.format, local.has_offset) == ("iso", False)
    assert "local time" in local.evidence
    offset = inspector.detect_date_format(pd.Series(["2023-05-04T18:22:10+02:00", "2023-05-04T09:00:00Z"]))
    assert (offset.format, offset.has_offset) == ("iso", True)
    parsed = inspector.parse_dates(pd.Series(["2023-05-04T18:22:10+02:00"]), offset)
    assert parsed.iloc[0] == pd.Timestamp("2023-05-04 16:22:10")


def test_grain_and_credit_note_prefix():
    ids = pd.Series(["1", "1", "2", "C3", "C4"])
    products = pd.Series(["A", "B", "A", "A", "B"])
    assert inspector.grain(ids, products).startswith("line (1 ")
    assert inspector.grain(pd.Series(["1", "2"]), None).startswith("order")
    assert inspector.grain(None, None).startswith("order (no order id")
    negative = pd.Series([False, False, False, True, True])
    assert inspector.credit_note_prefix(ids, negative) == "C"
    assert inspector.credit_note_prefix(pd.Series(["X1", "X2"]), pd.Series([False, True])) is None


def test_profile_counts_what_the_build_would_do(tmp_path):
    """Hand-worked: 6 rows; one exact duplicate line, one without customer, one zero quantity, one credit
    note line, one quantity above the 10,000 cap."""
    frame = pd.DataFrame({
        "InvoiceNo": ["1", "1", "1", "2", "C3", "4"],
        "StockCode": ["A", "B", "B", "A", "A", "A"],
        "Quantity": ["2", "1", "1", "0", "-2", "20000"],
        "InvoiceDate": ["12/1/2010 8:26", "12/1/2010 8:26", "12/1/2010 8:26", "12/13/2010 9:00",
                        "12/14/2010 9:00", "12/14/2010 9:05"],
        "UnitPrice": ["2.5", "1.0", "1.0", "3.0", "2.5", "0.1"],
        "CustomerID": ["17850", "17850", "17850", None, "17850", "12"],
    })
    report = inspector.profile("orders", tmp_path / "orders.csv", frame, has_order_lines=False)
    text = "\n".join(report.lines)
    assert report.column_map == {"order_id": "InvoiceNo", "product_id": "StockCode", "order_ts": "InvoiceDate"}
    assert "        1  dropped: exact duplicate rows" in text
    assert "        1  rejected null_customer_id" in text
    assert "        1  kept, flagged zero_quantity" in text
    assert "        1  kept, flagged outlier_quantity" in text
    assert "        1  kept, credit note: order id starts with 'C'" in text
    assert "date span: 2010-12-01 .. 2010-12-14" in text
    # 1 of 6 rows rejected (16.7 %) is above the 5 % gate: the proposed config raises it
    assert report.vars["rejected_share_error"] == 0.22


def test_proposed_config_is_valid_yaml_the_cli_accepts(tmp_path):
    from customer_intelligence.tools.config import load_config

    raw = tmp_path / "raw"
    raw.mkdir()
    pd.DataFrame({"CustomerID": ["A", "A"], "Date": ["19970101", "19970102"], "Amount": ["1.5", "2"]}).to_csv(
        raw / "orders.csv", index=False)
    config = tmp_path / "ciq.yml"
    assert inspector.main(["--raw-dir", str(raw), "--write", str(config)]) == 0
    data = yaml.safe_load(config.read_text())
    assert data["column_map"] == {"orders": {"order_ts": "Date"}}
    assert data["timestamp_formats"][0] == "%Y%m%d"
    loaded = load_config(config)
    assert loaded.vars["raw_column_map"] == {"orders": {"order_ts": "Date"}}
    assert loaded.paths["raw_dir"] == str(raw.resolve())
