{#- Incremental customer grain (issue 15.2): the per-customer intermediates that scan the order facts
    (int_customer_months, int_customer_activity_spells) recompute only the customers whose orders
    changed; everything population-wide (ranks, quintiles, thresholds, segments, the segment x period
    marts) is recomputed every run from those compact tables.

    Which customers changed: int_customer_order_fingerprints holds, per customer, a fingerprint of the
    order-fact columns the customer grain reads (every order before the as-of date), computed in full
    every run. Each incremental model stores the fingerprint it was computed from on its rows. A run
    first deletes the rows whose customer's fingerprint (or another state column, e.g. the activity
    window) is not the current one, and the customers gone from the fingerprints (pre-hook), then
    computes and appends the customers the table does not hold. So a customer is recomputed when any
    of their orders was added, changed, moved to another customer, deleted or crossed the as-of
    date, and left alone otherwise; no watermark is involved. The docs block incremental_customer_grain
    says so for readers. -#}

{#- SQL for the current fingerprints a model's rows must match: customer_id, orders_fingerprint and, for
    each item of `constants` (name -> SQL value), a column holding that value (state the rows depend on
    besides the orders, e.g. the activity window). `purchasers_only` keeps customers with a completed
    order (a model without rows for the others would otherwise recompute them every run). -#}
{% macro customer_fingerprints(purchasers_only=false, constants={}) -%}
    select
        customer_id,
        orders_fingerprint
        {%- for name, value in constants.items() %},
        {{ value }} as {{ name }}
        {%- endfor %}
    from {{ ref('int_customer_order_fingerprints') }}
    {%- if purchasers_only %}
    where completed_orders > 0
    {%- endif %}
{%- endmacro %}

{#- The join condition "this row of {{ this }} was computed from the current fingerprint". -#}
{% macro _fingerprint_matches(current, loaded, state_columns) -%}
    {%- for column in state_columns %}
    {{ current }}.{{ column }} = {{ loaded }}.{{ column }}{{ ' and' if not loop.last }}
    {%- endfor %}
    and {{ current }}.customer_id = {{ loaded }}.customer_id
{%- endmacro %}

{#- The columns a model's rows must match with the current fingerprints: the fingerprint and the constants. -#}
{% macro _state_columns(constants) -%}
    {{ return(['orders_fingerprint'] + (constants.keys() | list)) }}
{%- endmacro %}

{#- Pre-hook of an incremental run: delete the rows of {{ this }} whose customer changed or is gone
    (no current fingerprint with the same state columns). Renders nothing when the table is (re)built
    from scratch or is not incremental (Spark builds it as a table). -#}
{% macro delete_customers_to_recompute(purchasers_only=false, constants={}) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where not exists (
            select 1 from ({{ customer_fingerprints(purchasers_only, constants) }}) as current_fingerprints
            where {{ _fingerprint_matches('current_fingerprints', this, _state_columns(constants)) }}
        )
    {%- endif -%}
{%- endmacro %}

{#- The customers a run computes, with their fingerprint and constants: all of them in a full build; in an
    incremental run those that {{ this }} does not hold (after the pre-hook: the new and changed ones). -#}
{% macro customers_to_compute(purchasers_only=false, constants={}) -%}
    select current_fingerprints.*
    from ({{ customer_fingerprints(purchasers_only, constants) }}) as current_fingerprints
    {%- if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as loaded
        where {{ _fingerprint_matches('current_fingerprints', 'loaded', _state_columns(constants)) }}
    )
    {%- endif %}
{%- endmacro %}

{#- The config of an incremental customer-grain model, for `config(**customer_grain_config(...))` with the
    same arguments as its customers_to_compute(): incremental append after the pre-hook's delete where the
    engine has incremental models (a table on Spark), rebuilt in full when its columns
    are not the model's. `constants` values are SQL literals (no quotes or braces). -#}
{% macro customer_grain_config(purchasers_only=false, constants={}) %}
    {{ return({
        'materialized': engine_incremental_materialization(),
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
        'meta': {'rebuild_when_columns_change': true},
        'pre_hook': "{{ delete_customers_to_recompute(" ~ (purchasers_only | tojson) ~ ", " ~ (constants | tojson) ~ ") }}"
    }) }}
{% endmacro %}

{#- An order-independent fingerprint of a set of rows (an aggregate): the XOR of a 64-bit hash of each
    row's `columns`. Two different sets get the same fingerprint only by a hash collision. -#}
{% macro row_set_fingerprint(columns) -%}
    {{ return(adapter.dispatch('row_set_fingerprint', 'customer_intelligence')(columns)) }}
{%- endmacro %}

{% macro default__row_set_fingerprint(columns) -%}
    bit_xor(hash({{ columns | join(', ') }}))
{%- endmacro %}

{% macro spark__row_set_fingerprint(columns) -%}
    bit_xor(xxhash64({{ columns | join(', ') }}))
{%- endmacro %}
