{{ config(materialized='table') }}
-- A table, not a view: three marts and four data tests read it (a view recomputes it for each).
-- Customer x segment type grain: each purchasing customer's segment under every segmentation the
-- engagement and retention marts break down by (overall, membership, rfm_segment, loyalty_tier,
-- spending_quadrant), one row per type. Segments are those at the as-of date.
with

customers as (

    select customer_id, membership, rfm_segment, loyalty_tier, spending_quadrant
    from {{ ref('dim_customer_360') }}
    where is_purchaser

),

catalogue as (

    select segment_type, segment, sort_order from {{ ref('segment_catalog') }}

),

unpivoted as (

    select customer_id, 'overall' as segment_type, 'All customers' as segment from customers
    union all
    select customer_id, 'membership' as segment_type, membership as segment from customers
    union all
    select customer_id, 'rfm_segment' as segment_type, rfm_segment as segment from customers
    union all
    select customer_id, 'loyalty_tier' as segment_type, loyalty_tier as segment from customers
    union all
    select customer_id, 'spending_quadrant' as segment_type, spending_quadrant as segment from customers

),

final as (

    select
        cast(unpivoted.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(unpivoted.segment_type as {{ dbt.type_string() }}) as segment_type,
        cast(unpivoted.segment as {{ dbt.type_string() }}) as segment,
        cast(coalesce(catalogue.sort_order, 99) as {{ dbt.type_bigint() }}) as segment_sort_order
    from unpivoted
    left join catalogue
        on
            unpivoted.segment_type = catalogue.segment_type
            and unpivoted.segment = catalogue.segment

)

select * from final
