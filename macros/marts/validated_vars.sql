{#- Validated vars of the customer marts: each renders a SQL literal or stops the build with a
    message naming the var. (number_var, in macros/utils, validates plain numbers.) -#}

{#- A whole number, at least min_value (and at most max_value when given). -#}
{% macro integer_var(var_name, min_value=0, max_value=none) -%}
    {%- set text = var(var_name) | string | trim -%}
    {%- if not modules.re.match('^-?[0-9]+$', text) -%}
        {{ exceptions.raise_compiler_error("var " ~ var_name ~ " must be a whole number, got: '" ~ text ~ "'") }}
    {%- endif -%}
    {%- set value = text | int -%}
    {%- if value < min_value or (max_value is not none and value > max_value) -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ var_name ~ " must be between " ~ min_value ~ " and " ~ (max_value if max_value is not none else 'any larger number')
            ~ ", got: " ~ value) }}
    {%- endif -%}
    {{ value }}
{%- endmacro %}

{#- A share between 0 and 1, as a double literal. -#}
{% macro share_var(var_name) -%}
    {%- set text = var(var_name) | string | trim -%}
    {%- if not modules.re.match('^[0-9]+(\.[0-9]+)?$', text) or (text | float) > 1 -%}
        {{ exceptions.raise_compiler_error("var " ~ var_name ~ " must be a share between 0 and 1, got: '" ~ text ~ "'") }}
    {%- endif -%}
    cast({{ text }} as {{ type_double() }})
{%- endmacro %}

{#- A number var that may be left empty: the validated literal, or the SQL expression `default` when empty. -#}
{% macro number_var_or(var_name, default) -%}
    {%- if var(var_name) | string | trim -%}
        {{ number_var(var_name) }}
    {%- else -%}
        {{ default }}
    {%- endif -%}
{%- endmacro %}

{#- The inactivity rule's two thresholds in days, checked together (churn must come after at-risk). -#}
{% macro inactivity_days(kind) -%}
    {%- set at_risk = integer_var('at_risk_inactivity_days', 1) | trim | int -%}
    {%- set churn = integer_var('churn_inactivity_days', 1) | trim | int -%}
    {%- if churn <= at_risk -%}
        {{ exceptions.raise_compiler_error(
            "var churn_inactivity_days (" ~ churn ~ ") must be greater than var at_risk_inactivity_days (" ~ at_risk ~ ")") }}
    {%- endif -%}
    {{ at_risk if kind == 'at_risk' else churn }}
{%- endmacro %}
