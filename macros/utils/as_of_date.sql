{#- The as-of date as a scalar subquery over int_as_of_date (one row). -#}
{% macro as_of_date() -%}
    (select as_of_date from {{ ref('int_as_of_date') }})
{%- endmacro %}

{#- Age group label from an age in whole years. -#}
{% macro age_group(age_column) -%}
    case
        when {{ age_column }} is null then 'unknown'
        when {{ age_column }} < 18 then 'under 18'
        when {{ age_column }} <= 30 then '18-30'
        when {{ age_column }} <= 40 then '31-40'
        when {{ age_column }} <= 50 then '41-50'
        when {{ age_column }} <= 60 then '51-60'
        when {{ age_column }} <= 70 then '61-70'
        else '71+'
    end
{%- endmacro %}
