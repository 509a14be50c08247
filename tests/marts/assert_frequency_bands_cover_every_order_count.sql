-- The frequency bands (seed frequency_bands) start at 1 order, follow each other without gap or
-- overlap in sort order, and only the last is open-ended: every purchasing customer falls in exactly
-- one band. Returns the bands that break this, with the reason.
with

bands as (

    select frequency_band, sort_order, min_orders, max_orders from {{ ref('frequency_bands') }}

),

ordered as (

    select
        frequency_band,
        min_orders,
        max_orders,
        lag(max_orders) over (order by sort_order) as previous_max_orders,
        row_number() over (order by sort_order) as band_number,
        count(*) over () as band_count
    from bands

),

checked as (

    select
        frequency_band,
        case
            when band_number = 1 and min_orders <> 1 then 'the first band must start at 1 order'
            when band_number > 1 and previous_max_orders is null then 'a band follows an open-ended band'
            when band_number > 1 and min_orders <> previous_max_orders + 1
                then 'gap or overlap with the previous band'
            when max_orders is not null and max_orders < min_orders then 'max_orders below min_orders'
            when band_number = band_count and max_orders is not null then 'the last band must be open-ended'
        end as problem
    from ordered

)

select * from checked
where problem is not null
