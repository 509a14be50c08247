{#- Warns on days whose value (e.g. revenue, order count) falls outside a band around its trailing
    average: more than var anomaly_stddevs standard deviations from the average of the previous
    var anomaly_trailing_days days AND below (1 - anomaly_max_drop) x or above (1 + anomaly_max_rise) x
    that average. Days run from the model's first to its last date, so a day without any row counts
    as 0; days whose trailing average is under var anomaly_min_daily_orders rows a day are not
    judged (too few to tell noise from a problem). Returns one row per flagged day. -#}
{% test daily_values_within_band(model, date_column, value_expression) %}
    {%- set days_text = var('anomaly_trailing_days') | string | trim -%}
    {%- if not modules.re.match('^[0-9]+$', days_text) or days_text | int < 2 -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error("var anomaly_trailing_days must be a whole number >= 2, got: '" ~ days_text ~ "'") }}
        {%- endif -%}
        {%- set days_text = '2' -%}
    {%- endif -%}
    {%- set preceding = days_text | int -%}

    with

    daily_values as (

        select
            cast({{ date_column }} as date) as value_date,
            {{ value_expression }} as day_value,
            count(*) as day_rows
        from {{ model }}
        where {{ date_column }} is not null
        group by cast({{ date_column }} as date)

    ),

    bounds as (

        select
            min(value_date) as first_day,
            max(value_date) as last_day
        from daily_values

    ),

    spine as (

        {{ date_spine('(select first_day from bounds)', '(select last_day from bounds)') }}

    ),

    daily as (

        select
            spine.date_day,
            coalesce(daily_values.day_value, 0) as day_value,
            coalesce(daily_values.day_rows, 0) as day_rows
        from spine
        left join daily_values
            on spine.date_day = daily_values.value_date

    ),

    windowed as (

        select
            date_day,
            day_value,
            avg(day_value) over trailing_window as trailing_avg,
            stddev_samp(day_value) over trailing_window as trailing_stddev,
            avg(day_rows) over trailing_window as trailing_rows,
            count(*) over trailing_window as trailing_day_count
        from daily
        window trailing_window as (order by date_day rows between {{ preceding }} preceding and 1 preceding)

    ),

    flagged as (

        select
            date_day,
            day_value,
            trailing_avg,
            trailing_stddev,
            case
                when
                    day_value < trailing_avg - {{ number_var('anomaly_stddevs') }} * trailing_stddev
                    and day_value < (1 - {{ number_var('anomaly_max_drop') }}) * trailing_avg
                    then 'below band'
                when
                    day_value > trailing_avg + {{ number_var('anomaly_stddevs') }} * trailing_stddev
                    and day_value > (1 + {{ number_var('anomaly_max_rise') }}) * trailing_avg
                    then 'above band'
            end as anomaly
        from windowed
        where
            trailing_day_count = {{ preceding }}
            and trailing_rows >= {{ number_var('anomaly_min_daily_orders') }}

    )

    select * from flagged
    where anomaly is not null
{% endtest %}
