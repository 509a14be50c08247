{#- The shared skeleton of the base_raw__* models: their import CTEs (the raw rows and the reference
    seeds raw text is mapped through) and the lookups joined to the raw rows. -#}

{#- The reference lookups: CTE name -> [seed, value column, raw column mapped]. -#}
{% macro raw_lookups() %}
    {{ return({
        'channels': ['channels', 'channel', 'channel'],
        'statuses': ['order_statuses', 'status', 'status'],
        'country_codes': ['country_codes', 'country_code', 'country'],
        'gender_codes': ['gender_codes', 'gender', 'gender'],
    }) }}
{% endmacro %}

{#- Import CTEs of a base model: source (its raw rows, raw_rows) and one CTE per lookup named. -#}
{% macro raw_import_ctes(table_name, lookups=[]) %}
source as (

    {{ raw_rows(table_name) }}

),
{%- for name in lookups %}

{{ name }} as (

    select alias, {{ raw_lookups()[name][1] }} from {{ ref(raw_lookups()[name][0]) }}

),
{%- endfor %}
{%- endmacro %}

{#- The left joins of the raw rows (alias source) to the lookups named, on lookup_key of the raw text. -#}
{% macro raw_lookup_joins(lookups) %}
{%- for name in lookups %}
    left join {{ name }}
        on {{ lookup_key('source.' ~ raw_lookups()[name][2]) }} = {{ name }}.alias
{%- endfor %}
{%- endmacro %}

{#- A raw row the row rules kept: valid (no reject reason) and the one version kept (dedup_rank 1). -#}
{% macro is_staged_row(relation_alias='') -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {{ prefix }}reject_reason is null and {{ prefix }}dedup_rank = 1
{%- endmacro %}
