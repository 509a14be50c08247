-- One row per calendar day from the first order date to the as-of date.
with

bounds as (

    select
        min(cast(order_ts as date)) as first_day,
        {{ as_of_date() }} as last_day
    from {{ ref('stg_raw__orders') }}

),

spine as (

    {{ date_spine(
        '(select coalesce(first_day, last_day) from bounds)',
        '(select greatest(coalesce(first_day, last_day), last_day) from bounds)'
    ) }}

),

final as (

    select
        cast(date_day as date) as date_day,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        cast(extract(year from date_day) as {{ dbt.type_bigint() }}) as year_number,
        cast(extract(quarter from date_day) as {{ dbt.type_bigint() }}) as quarter_number,
        cast(extract(month from date_day) as {{ dbt.type_bigint() }}) as month_number,
        cast(extract(day from date_day) as {{ dbt.type_bigint() }}) as day_of_month,
        cast({{ iso_day_of_week('date_day') }} as {{ dbt.type_bigint() }}) as iso_day_of_week,
        {{ iso_day_of_week('date_day') }} in (6, 7) as is_weekend
    from spine

)

select * from final
