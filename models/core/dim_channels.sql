-- One row per sales channel, plus an 'unknown' member.
with

channels as (

    select distinct channel, channel_name, channel_type from {{ ref('channels') }}

),

final as (

    select
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(channel_name as {{ dbt.type_string() }}) as channel_name,
        cast(channel_type as {{ dbt.type_string() }}) as channel_type
    from channels

    union all

    select
        'unknown' as channel,
        'Unknown channel' as channel_name,
        'unknown' as channel_type

)

select * from final
