-- Day grain: one row per calendar day of dim_date (first order date to the as-of date), the time spine
-- MetricFlow joins to for cumulative metrics and for filling empty days.
with

dates as (

    select date_day from {{ ref('dim_date') }}

),

final as (

    select cast(date_day as date) as date_day
    from dates

)

select * from final
