{#- How fct_customer_segment_history is materialized: incremental (delete+insert on as_of_date,
    full_refresh false) where the engine has delete+insert; on Spark a table of the current as-of
    date only (see engine_incremental_materialization for why Spark has no equivalent). -#}
{% macro segment_history_materialization() %}
    {{ return(adapter.dispatch('segment_history_materialization', 'customer_intelligence')()) }}
{% endmacro %}

{% macro default__segment_history_materialization() %}
    {{ return('incremental') }}
{% endmacro %}

{% macro spark__segment_history_materialization() %}
    {{ return('table') }}
{% endmacro %}
