{#- Incremental loads of the order facts (fct_orders, fct_order_lines).

    An order "changed" when its source_updated_at (the later of the raw updated_at and order_ts) is on or after the watermark of the model being built minus var
    incremental_lookback_days: the watermark is the latest source_updated_at already loaded into
    {{ this }}. The lookback re-reads late-arriving rows whose timestamp is older than the
    watermark. -#}

{#- The lookback in whole days, validated (a malformed var stops the build with a clear message). -#}
{% macro incremental_lookback_days() -%}
    {%- set text = var('incremental_lookback_days', 3) | string | trim -%}
    {%- if not modules.re.match('^[0-9]+$', text) -%}
        {{ exceptions.raise_compiler_error("var incremental_lookback_days must be a whole number of days >= 0, got: '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text | int) }}
{%- endmacro %}

{#- The earliest source_updated_at an incremental run reprocesses, as a scalar subquery.
    A table built before the watermark column existed cannot be loaded incrementally: clear error. -#}
{% macro incremental_orders_cutoff(watermark_column='source_updated_at') -%}
    {%- if execute -%}
        {%- set loaded_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
        {%- if watermark_column not in loaded_columns -%}
            {{ exceptions.raise_compiler_error(this ~ " has no " ~ watermark_column ~ " column (it was built before incremental loads): rebuild it once with `dbt build --full-refresh --select fct_order_lines fct_orders`") }}
        {%- endif -%}
    {%- endif %}
    (
        select
            coalesce(
                {{ dbt.dateadd('day', -1 * incremental_lookback_days(), 'max(' ~ watermark_column ~ ')') }},
                cast('1900-01-01' as {{ dbt.type_timestamp() }})
            )
        from {{ this }}
    )
{%- endmacro %}

{#- When the order last changed in the source: the later of updated_at and order_ts (order_ts alone
    when the source has no updated_at), so that a new order is seen even with a stale updated_at. -#}
{% macro order_source_updated_at(updated_at_column, order_ts_column) -%}
    coalesce(greatest({{ updated_at_column }}, {{ order_ts_column }}), {{ order_ts_column }})
{%- endmacro %}

{#- How the order facts are materialized: incremental (delete+insert) where the engine has that
    strategy. dbt-spark has no delete+insert, and neither insert_overwrite on an unpartitioned table
    (it would keep only the changed orders) nor merge on order_id (fct_order_lines has several rows per
    order) is the same thing, so on Spark the order facts are rebuilt in full as tables. -#}
{% macro order_facts_materialization() %}
    {{ return(adapter.dispatch('order_facts_materialization', 'customer_intelligence')()) }}
{% endmacro %}

{% macro default__order_facts_materialization() %}
    {{ return('incremental') }}
{% endmacro %}

{% macro spark__order_facts_materialization() %}
    {{ return('table') }}
{% endmacro %}
