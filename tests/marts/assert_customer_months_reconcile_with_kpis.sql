-- The BI grain gives the KPIs back over all its rows: distinct active customers = purchasing
-- customers, first-purchase months = purchasing customers (one each), and the last day of the
-- rolling active-customer series = kpi_overview.active_customers.
with

customer_months as (

    select
        count(distinct case when is_active then customer_id end) as active_customers,
        sum(case when is_first_purchase_month then 1 else 0 end) as first_purchase_months
    from {{ ref('fct_customer_months') }}

),

last_day as (

    select active_customers
    from {{ ref('fct_active_customers_daily') }}
    where
        segment_type = 'overall'
        and date_day = (select max(date_day) from {{ ref('fct_active_customers_daily') }})

),

kpis as (

    select as_of_date, total_customers, active_customers from {{ ref('kpi_overview') }}

)

select
    kpis.total_customers,
    customer_months.active_customers as distinct_active_customers,
    customer_months.first_purchase_months,
    kpis.active_customers as kpi_active_customers,
    last_day.active_customers as last_day_active_customers
from kpis
cross join customer_months
left join last_day
    on 1 = 1
where
    customer_months.active_customers <> kpis.total_customers
    or customer_months.first_purchase_months <> kpis.total_customers
    or coalesce(last_day.active_customers, 0) <> kpis.active_customers
