-- Seed 004 (engagement): how has the number of active customers (rolling window) changed per
-- segment over the last year? One row per segment: active customers on the last day before the
-- as-of date and 364 days earlier (the same weekday).
with

daily as (

    select * from {{ ref('fct_active_customers_daily') }}

),

last_day as (

    select max(date_day) as date_day from daily

),

compared as (

    select
        daily.segment_type,
        daily.segment,
        max(case when daily.date_day = last_day.date_day then daily.active_customers end) as active_customers_now,
        max(
            case when daily.date_day = {{ dbt.dateadd('day', -364, 'last_day.date_day') }} then daily.active_customers end
        ) as active_customers_year_before
    from daily
    cross join last_day
    group by daily.segment_type, daily.segment

),

final as (

    select
        segment_type,
        segment,
        active_customers_now,
        active_customers_year_before,
        active_customers_now - active_customers_year_before as change,
        cast(active_customers_now - active_customers_year_before as {{ type_double() }})
        / nullif(active_customers_year_before, 0) as relative_change
    from compared

)

select * from final
order by segment_type, segment
