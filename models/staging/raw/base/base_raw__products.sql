-- One row per raw products row: typed, with a reject reason or a dedup rank.
with

{{ raw_import_ctes('products') }}

typed as (

    select
        _raw_file,
        _raw_row_number,
        {{ clean_key('product_id') }} as product_id,
        {{ clean_text('product_name') }} as product_name,
        {{ clean_text('category') }} as category_raw,
        {{ clean_text('unit_cost') }} as unit_cost_raw,
        {{ safe_number('unit_cost') }} as unit_cost_parsed
    from source

),

checked as (

    select
        _raw_file,
        _raw_row_number,
        product_id,
        product_name,
        coalesce(
            upper(substr(category_raw, 1, 1)) || lower(substr(category_raw, 2)),
            'Unknown'
        ) as category,
        case when unit_cost_parsed >= 0 then unit_cost_parsed end as unit_cost,
        case
            when (unit_cost_raw is not null and unit_cost_parsed is null) or unit_cost_parsed < 0
                then 'invalid_unit_cost'
        end as dq_flags,
        case when product_id is null then 'null_key' end as reject_reason
    from typed

),

ranked as (

    select
        *,
        case
            when reject_reason is null
                then row_number() over (partition by product_id order by {{ raw_row_order('desc') }})
        end as dedup_rank
    from checked

)

select
    _raw_file,
    _raw_row_number,
    product_id,
    product_id as record_key,
    product_name,
    category,
    unit_cost,
    dq_flags,
    reject_reason,
    case when dedup_rank > 1 then 'duplicate' end as drop_reason,
    dedup_rank
from ranked
