-- Publication guard: fails when fct_orders holds fewer completed orders than var
-- publish_min_completed_orders (default 1), so a truncated or empty export never replaces what BI reads.
with

completed_orders as (

    select count(*) as completed_order_count
    from {{ ref('fct_orders') }}
    where is_completed

),

final as (

    select
        completed_order_count,
        {{ number_var('publish_min_completed_orders') }} as min_completed_orders
    from completed_orders
    where completed_order_count < {{ number_var('publish_min_completed_orders') }}

)

select * from final
