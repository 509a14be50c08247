-- Month 0 of every cohort: its size and its active customers equal the new customers of that month
-- counted straight from fct_orders (first completed orders before the as-of date).
with

new_customers as (

    select
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as cohort_month,
        count(*) as new_customers
    from {{ ref('fct_orders') }}
    where is_first_completed_order and order_date < {{ as_of_date() }}
    group by {{ dbt.date_trunc('month', 'order_date') }}

),

month_zero as (

    select cohort_month, cohort_size, active_customers
    from {{ ref('fct_cohort_retention') }}
    where months_since_first_order = 0

)

select
    coalesce(month_zero.cohort_month, new_customers.cohort_month) as cohort_month,
    month_zero.cohort_size,
    month_zero.active_customers,
    new_customers.new_customers
from month_zero
full outer join new_customers
    on month_zero.cohort_month = new_customers.cohort_month
where
    month_zero.cohort_size is null
    or new_customers.new_customers is null
    or month_zero.cohort_size <> new_customers.new_customers
    or month_zero.active_customers <> new_customers.new_customers
