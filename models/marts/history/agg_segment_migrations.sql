-- Period x segment type x from-segment x to-segment grain: how the customers present at two
-- consecutive as-of dates of fct_customer_segment_history moved between segments (RFM segment,
-- loyalty tier, customer status, spending quadrant). A period runs from one recorded as-of date to the
-- next; customers present at only one of the two dates are not counted (new or gone customers).
-- A move is a downgrade when the to-segment comes later in the segment catalogue's order (seed
-- segment_catalog: Champions before At Risk, Active before Churned).
with

history as (

    select * from {{ ref('fct_customer_segment_history') }}

),

catalogue as (

    select segment_type, segment, sort_order from {{ ref('segment_catalog') }}

),

snapshot_dates as (

    select distinct as_of_date from history

),

periods as (

    select
        lag(as_of_date) over (order by as_of_date) as from_date,
        as_of_date as to_date
    from snapshot_dates

),

unpivoted as (

    select as_of_date, customer_id, net_revenue, 'rfm_segment' as segment_type, rfm_segment as segment
    from history
    union all
    select as_of_date, customer_id, net_revenue, 'loyalty_tier' as segment_type, loyalty_tier as segment
    from history
    union all
    select as_of_date, customer_id, net_revenue, 'customer_status' as segment_type, customer_status as segment
    from history
    union all
    select as_of_date, customer_id, net_revenue, 'spending_quadrant' as segment_type, spending_quadrant as segment
    from history

),

moves as (

    select
        periods.from_date,
        periods.to_date,
        before_period.segment_type,
        before_period.segment as from_segment,
        after_period.segment as to_segment,
        after_period.customer_id,
        after_period.net_revenue,
        after_period.net_revenue - before_period.net_revenue as period_net_revenue
    from periods
    inner join unpivoted as before_period
        on periods.from_date = before_period.as_of_date
    inner join unpivoted as after_period
        on
            periods.to_date = after_period.as_of_date
            and before_period.customer_id = after_period.customer_id
            and before_period.segment_type = after_period.segment_type

),

grouped as (

    select
        from_date,
        to_date,
        segment_type,
        from_segment,
        to_segment,
        count(*) as customers,
        sum(net_revenue) as net_revenue,
        sum(period_net_revenue) as period_net_revenue
    from moves
    group by from_date, to_date, segment_type, from_segment, to_segment

),

final as (

    select
        cast(grouped.from_date as date) as from_date,
        cast(grouped.to_date as date) as to_date,
        cast(grouped.segment_type as {{ dbt.type_string() }}) as segment_type,
        cast(grouped.from_segment as {{ dbt.type_string() }}) as from_segment,
        cast(grouped.to_segment as {{ dbt.type_string() }}) as to_segment,
        coalesce(grouped.from_segment != grouped.to_segment, false) as is_migration,
        coalesce(to_catalogue.sort_order > from_catalogue.sort_order, false) as is_downgrade,
        cast(grouped.customers as {{ dbt.type_bigint() }}) as customers,
        cast(round(grouped.net_revenue, 2) as {{ type_double() }}) as net_revenue,
        cast(round(grouped.period_net_revenue, 2) as {{ type_double() }}) as period_net_revenue
    from grouped
    left join catalogue as from_catalogue
        on
            grouped.segment_type = from_catalogue.segment_type
            and grouped.from_segment = from_catalogue.segment
    left join catalogue as to_catalogue
        on
            grouped.segment_type = to_catalogue.segment_type
            and grouped.to_segment = to_catalogue.segment

)

select * from final
