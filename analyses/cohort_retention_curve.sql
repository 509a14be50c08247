-- Seed 001 (churn and retention metrics): what share of a monthly cohort buys again 1, 2, 3, 6 and
-- 12 months after its first order? One row per month offset, averaged over the cohorts old enough
-- to have it (weighted by cohort size).
with

cohorts as (

    select * from {{ ref('fct_cohort_retention') }}

),

final as (

    select
        months_since_first_order,
        count(*) as cohorts,
        cast(sum(cohort_size) as {{ dbt.type_bigint() }}) as cohort_customers,
        cast(sum(active_customers) as {{ dbt.type_bigint() }}) as active_customers,
        cast(sum(active_customers) as {{ type_double() }}) / nullif(sum(cohort_size), 0) as retention_rate
    from cohorts
    where months_since_first_order in (1, 2, 3, 6, 12)
    group by months_since_first_order

)

select * from final
order by months_since_first_order
