-- One row per raw customers row: typed, normalised, with a reject reason or a dedup rank.
{#- typed Parquet columns skip text parsing (macros/raw/typed_raw.sql) -#}
{%- set raw_types = raw_column_types('customers') %}
with

{{ raw_import_ctes('customers', ['country_codes', 'gender_codes']) }}

typed as (

    select
        source._raw_file,
        source._raw_row_number,
        {{ clean_key('source.customer_id') }} as customer_id,
        {{ dbt.hash(lookup_key('source.email')) }} as email_hash,
        {{ clean_text('source.gender') }} as gender_raw,
        {{ clean_text('source.country') }} as country_raw,
        gender_codes.gender,
        country_codes.country_code,
        {{ typed_raw_text('source.birth_date', raw_types.get('birth_date')) }} as birth_date_raw,
        cast({{ typed_timestamp('source.birth_date', raw_types.get('birth_date')) }} as date) as birth_date_parsed,
        {{ typed_raw_text('source.annual_income', raw_types.get('annual_income')) }} as annual_income_raw,
        {{ typed_raw_text('source.num_children', raw_types.get('num_children')) }} as num_children_raw,
        {{ typed_number('source.annual_income', 'double', raw_types.get('annual_income')) }} as annual_income_parsed,
        {{ typed_number('source.num_children', 'double', raw_types.get('num_children')) }} as num_children_parsed,
        {{ clean_text('source.membership') }} as membership_raw,
        cast({{ typed_timestamp('source.membership_start_date', raw_types.get('membership_start_date')) }} as date) as membership_start_date,
        {{ typed_timestamp('source.signup_ts', raw_types.get('signup_ts')) }} as signup_ts,
        {{ typed_timestamp('source.updated_at', raw_types.get('updated_at')) }} as updated_at
    from source
    {{- raw_lookup_joins(['country_codes', 'gender_codes']) }}

),

checked as (

    select
        _raw_file,
        _raw_row_number,
        customer_id,
        email_hash,
        coalesce(gender, 'Unknown') as gender,
        coalesce(country_code, 'ZZ') as country_code,
        case
            when birth_date_parsed < cast('1900-01-01' as date) then null
            when birth_date_parsed > {{ max_order_date() }} then null
            else birth_date_parsed
        end as birth_date,
        case when annual_income_parsed >= 0 then annual_income_parsed end as annual_income,
        case
            when num_children_parsed between 0 and 30
                then cast(num_children_parsed as {{ dbt.type_bigint() }})
        end as num_children,
        case
            when lower(membership_raw) in ('prime', 'member', 'yes', 'true', '1') then 'Prime'
            when membership_raw is null then 'Unknown'
            else 'Non-Prime'
        end as membership,
        membership_start_date,
        signup_ts,
        updated_at,
        concat_ws(
            ',',
            case when gender_raw is not null and gender is null then 'unmapped_gender' end,
            case when country_raw is not null and country_code is null then 'unmapped_country' end,
            case
                when
                    (birth_date_raw is not null and birth_date_parsed is null)
                    or birth_date_parsed < cast('1900-01-01' as date)
                    or birth_date_parsed > {{ max_order_date() }}
                    then 'invalid_birth_date'
            end,
            case
                when
                    (annual_income_raw is not null and annual_income_parsed is null)
                    or annual_income_parsed < 0
                    then 'invalid_annual_income'
            end,
            case
                when
                    (num_children_raw is not null and num_children_parsed is null)
                    or num_children_parsed not between 0 and 30
                    then 'invalid_num_children'
            end
        ) as dq_flags,
        case when customer_id is null then 'null_key' end as reject_reason
    from typed

),

ranked as (

    select
        *,
        case
            when reject_reason is null
                then row_number() over (
                        partition by customer_id, reject_reason
                        order by updated_at desc nulls last, {{ raw_row_order('desc') }}
                    )
        end as dedup_rank
    from checked

)

select
    _raw_file,
    _raw_row_number,
    customer_id,
    customer_id as record_key,
    email_hash,
    gender,
    country_code,
    birth_date,
    annual_income,
    num_children,
    membership,
    membership_start_date,
    signup_ts,
    updated_at,
    nullif(dq_flags, '') as dq_flags,
    reject_reason,
    case when dedup_rank > 1 then 'duplicate' end as drop_reason,
    dedup_rank
from ranked
