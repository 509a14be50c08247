{#- Standalone (this project is the root project): custom schemas are used as-is (staging, intermediate,
    marts, reference), so BI tools see stable names such as marts.dim_customers whatever the target's
    default schema.
    As a dbt package in another project (dbt applies a package's own generate_schema_name to the
    package's nodes): <target schema>_<var package_schema_prefix><custom schema>, e.g. analytics_ciq_marts,
    so the package never writes into the host's own schemas (a host's marts.fct_orders and this
    package's fct_orders cannot collide). See README "Use it in your dbt project". -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif project_name == 'customer_intelligence' -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}_{{ var('package_schema_prefix', 'ciq_') | trim }}{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
