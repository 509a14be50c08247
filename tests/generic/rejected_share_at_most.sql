{#- Fails (or warns, by severity) when the share of rejected raw rows of a base_raw__* model is above
    the number in var `threshold_var` (e.g. rejected_share_warn, rejected_share_error). Tables with
    fewer raw rows than var rejected_share_min_rows are not judged. Returns one row per reason of a
    table over the threshold, so the failure says what was rejected and how often. -#}
{% test rejected_share_at_most(model, threshold_var) %}
    with

    raw_rows as (

        select
            count(*) as raw_rows,
            sum(case when reject_reason is not null then 1 else 0 end) as rejected_rows
        from {{ model }}

    ),

    judged as (

        select
            raw_rows,
            rejected_rows,
            1.0 * rejected_rows / raw_rows as rejected_share
        from raw_rows
        where
            raw_rows >= {{ number_var('rejected_share_min_rows') }}
            and 1.0 * rejected_rows / raw_rows > {{ number_var(threshold_var) }}

    ),

    reasons as (

        select
            reject_reason,
            count(*) as reason_rows
        from {{ model }}
        where reject_reason is not null
        group by reject_reason

    )

    select
        reasons.reject_reason,
        reasons.reason_rows,
        judged.raw_rows,
        judged.rejected_share,
        {{ number_var(threshold_var) }} as threshold
    from judged
    cross join reasons
{% endtest %}
