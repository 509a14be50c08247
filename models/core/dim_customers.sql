-- One row per customer: attributes from the customers file (latest version), or, for customers
-- seen only in orders (when no customers file is supplied), the attributes the orders file carries
-- (row rule R9: country, gender; the latest non-empty value by order timestamp wins, ties to the
-- later raw row), else 'Unknown'. No PII.
with

customers as (

    select * from {{ ref('stg_raw__customers') }}

),

order_customers as (

    select distinct customer_id from {{ ref('stg_raw__orders') }}

),

order_attribute_values as (

    {%- for attribute in ['country_code', 'gender'] %}
    select
        customer_id,
        '{{ attribute }}' as attribute,
        {{ attribute }} as attribute_value,
        row_number() over (
            partition by customer_id
            order by order_ts desc, last_raw_row_number desc
        ) as recency_rank
    from {{ ref('stg_raw__orders') }}
    where {{ attribute }} is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

order_attributes as (

    select
        customer_id,
        max(case when attribute = 'country_code' then attribute_value end) as country_code,
        max(case when attribute = 'gender' then attribute_value end) as gender
    from order_attribute_values
    where recency_rank = 1
    group by customer_id

),

countries as (

    select distinct country_code, country_name, region from {{ ref('country_codes') }}

),

all_customers as (

    select customer_id, true as is_in_customer_file from customers
    union all
    select order_customers.customer_id, false as is_in_customer_file
    from order_customers
    left join customers
        on order_customers.customer_id = customers.customer_id
    where customers.customer_id is null

),

joined as (

    select
        all_customers.customer_id,
        all_customers.is_in_customer_file,
        coalesce(customers.gender, order_attributes.gender, 'Unknown') as gender,
        customers.birth_date,
        floor({{ dbt.datediff('customers.birth_date', as_of_date(), 'day') }} / 365.25) as age_years,
        coalesce(customers.country_code, order_attributes.country_code, 'ZZ') as country_code,
        coalesce(countries.country_name, 'Unknown') as country_name,
        coalesce(countries.region, 'Unknown') as region,
        customers.annual_income,
        customers.num_children,
        coalesce(customers.membership, 'Unknown') as membership,
        customers.membership_start_date,
        cast(customers.signup_ts as date) as signup_date,
        customers.dq_flags
    from all_customers
    left join customers
        on all_customers.customer_id = customers.customer_id
    left join order_attributes
        on all_customers.customer_id = order_attributes.customer_id
    left join countries
        on coalesce(customers.country_code, order_attributes.country_code) = countries.country_code

),

final as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(gender as {{ dbt.type_string() }}) as gender,
        cast(birth_date as date) as birth_date,
        cast(age_years as {{ dbt.type_bigint() }}) as age_years,
        cast({{ age_group('age_years') }} as {{ dbt.type_string() }}) as age_group,
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(country_name as {{ dbt.type_string() }}) as country_name,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(annual_income as {{ type_double() }}) as annual_income,
        cast(num_children as {{ dbt.type_bigint() }}) as num_children,
        cast(
            case
                when num_children is null then 'Unknown'
                when num_children > 0 then 'With children'
                else 'Without children'
            end as {{ dbt.type_string() }}
        ) as children_status,
        cast(membership as {{ dbt.type_string() }}) as membership,
        membership = 'Prime' as is_prime,
        cast(membership_start_date as date) as membership_start_date,
        cast(signup_date as date) as signup_date,
        is_in_customer_file,
        cast(dq_flags as {{ dbt.type_string() }}) as dq_flags
    from joined

)

select * from final
