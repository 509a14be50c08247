-- Cohort month x activity month x membership x country grain: purchasing customers by the month of
-- their first completed order (cohort) and membership x country, and how many of them were active
-- (fct_customer_months.is_active) in each later month. cohort_size repeats the size of the
-- (cohort, membership, country) group on each of its rows. Every count adds up across memberships
-- and countries, so any selection of them, and any period of whole months, is answered exactly.
{%- set columns = [
    'cohort_month',
    'activity_month',
    'membership',
    'country_code',
    'cohort_size',
    'active_customers'
] %}
with

customers as (

    select
        customer_id,
        membership,
        country_code,
        cast({{ dbt.date_trunc('month', 'first_order_date') }} as date) as cohort_month
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

cohort_sizes as (

    select cohort_month, membership, country_code, count(*) as cohort_size
    from customers
    group by cohort_month, membership, country_code

),

activity as (

    select
        customers.cohort_month,
        months.month_start as activity_month,
        customers.membership,
        customers.country_code,
        count(*) as active_customers
    from {{ ref('fct_customer_months') }} as months
    inner join customers
        on months.customer_id = customers.customer_id
    where months.is_active
    group by customers.cohort_month, months.month_start, customers.membership, customers.country_code

),

joined as (

    select activity.*, cohort_sizes.cohort_size
    from activity
    inner join cohort_sizes
        on
            activity.cohort_month = cohort_sizes.cohort_month
            and activity.membership = cohort_sizes.membership
            and activity.country_code = cohort_sizes.country_code

),

final as (

    select
        {{ typed_columns(columns) }}
    from joined

)

select * from final
