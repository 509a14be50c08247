-- One row per customer: the latest valid version of each customer. PII: name dropped, email hashed.
with

base as (

    select * from {{ ref('base_raw__customers') }}

),

final as (

    select
        customer_id,
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
        dq_flags
    from base
    where {{ is_staged_row() }}

)

select * from final
