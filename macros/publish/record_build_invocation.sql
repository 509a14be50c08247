{#- on-run-start: record which dbt invocation is writing the warehouse (dbt_meta.build_invocation). The
    publisher (customer_intelligence.publish) only publishes a warehouse whose recorded invocation is the
    one of the run_results.json it checked, so a later build that failed or was interrupted before writing
    its own run_results.json can never be published with an older, green run_results.json. -#}
{% macro record_build_invocation() -%}
    {#- standalone only: the publisher is this project's; as a package in another project nothing is written -#}
    {%- if project_name != 'customer_intelligence' -%}{{ return('') }}{%- endif -%}
    {#- one statement per query: Spark runs no multi-statement SQL -#}
    {%- if execute -%}
        {%- do run_query('create schema if not exists dbt_meta') -%}
        {%- do run_query('drop table if exists dbt_meta.build_invocation') -%}
    {%- endif %}
    create table dbt_meta.build_invocation as
    select
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as invocation_id,
        cast('{{ flags.WHICH }}' as {{ dbt.type_string() }}) as command,
        {{ dbt.current_timestamp() }} as started_at
{%- endmacro %}
