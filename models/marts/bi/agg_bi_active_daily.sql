-- Day x membership x country x segment type x segment grain: customers active on a rolling window
-- (var active_window_days) on each day before the as-of date, per segment of int_customer_segments
-- and customers' membership and country; only rows with an active customer are kept (a missing row
-- is 0). A customer has one membership, country and segment per type, so the counts of a day add up
-- across them: the dashboard's rolling-active chart sums rows for any selection and any days.
-- Each activity spell of int_customer_activity_spells counts +1 on its first day and -1 on the first
-- day after it, and a running sum over the days gives the active count.
{%- set partition = 'segment_type, segment, membership, country_code' %}
{%- set columns = [
    'date_day',
    'segment_type',
    'segment',
    'membership',
    'country_code',
    'active_customers'
] %}
with

spells as (

    select customer_id, active_from, active_until
    from {{ ref('int_customer_activity_spells') }}

),

customer_partitions as (

    select segments.customer_id, segments.segment_type, segments.segment, customers.membership, customers.country_code
    from {{ ref('int_customer_segments') }} as segments
    inner join {{ ref('dim_customer_360') }} as customers
        on segments.customer_id = customers.customer_id

),

changes as (

    select active_from as date_day, customer_id, 1 as delta from spells
    union all
    select active_until as date_day, customer_id, -1 as delta from spells

),

partition_changes as (

    select
        customer_partitions.segment_type,
        customer_partitions.segment,
        customer_partitions.membership,
        customer_partitions.country_code,
        changes.date_day,
        sum(changes.delta) as delta
    from changes
    inner join customer_partitions
        on changes.customer_id = customer_partitions.customer_id
    group by
        customer_partitions.segment_type,
        customer_partitions.segment,
        customer_partitions.membership,
        customer_partitions.country_code,
        changes.date_day

),

partitions as (

    select distinct {{ partition }} from customer_partitions

),

spine as (

    select partitions.*, dates.date_day
    from partitions
    cross join {{ ref('dim_date') }} as dates
    where dates.date_day < {{ as_of_date() }}

),

running as (

    select
        spine.date_day,
        spine.segment_type,
        spine.segment,
        spine.membership,
        spine.country_code,
        sum(coalesce(partition_changes.delta, 0)) over (
            partition by spine.segment_type, spine.segment, spine.membership, spine.country_code
            order by spine.date_day
            rows between unbounded preceding and current row
        ) as active_customers
    from spine
    left join partition_changes
        on
            spine.segment_type = partition_changes.segment_type
            and spine.segment = partition_changes.segment
            and spine.membership = partition_changes.membership
            and spine.country_code = partition_changes.country_code
            and spine.date_day = partition_changes.date_day

),

active as (

    select * from running
    where active_customers > 0

),

final as (

    select
        {{ typed_columns(columns) }}
    from active

)

select * from final
