{#- Custom schemas are used as-is (staging, intermediate, marts, reference), so BI tools
    see stable names such as marts.dim_customers whatever the target's default schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
