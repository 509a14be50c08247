{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
    pre_hook="{{ raw_landed_prune('order_lines') }}") }}
-- Raw-row grain: one row per row of the files of the order_lines folder (<raw dir>/order_lines/), as text, with its
-- file and that file's version; loaded once per file version (macros/raw/raw_landing.sql).
{{ raw_landed('order_lines') }}
