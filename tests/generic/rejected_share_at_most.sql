{#- Row gate (row rule R10): fails (or warns, by severity) when the share of rejected raw rows of a
    base_raw__* model is above the number in var `threshold_var` (rejected_share_warn,
    rejected_share_error). The test is declared on the stg_raw__* model (so a failing gate stops the
    marts) and reads the base model given as raw_model (so the quarantine stg_raw__rejected_rows,
    which reads only base models, is always built). With judge_small_tables false (the error gate),
    tables with fewer raw rows than var rejected_share_min_rows are not judged; the warn gate judges
    every table. When over the threshold it prints, before dbt's "Got N results", the table, the
    share, each reason with its count, three example raw rows (as read from the file) and the
    setting that would change the outcome; it returns one row per reason. -#}
{% test rejected_share_at_most(model, threshold_var, raw_model=none, judge_small_tables=false) %}
    {%- set raw_model = raw_model if raw_model is not none else model -%}
    {%- set min_rows = '1' if judge_small_tables else number_var('rejected_share_min_rows') %}
    {%- if execute -%}
        {%- do rejected_share_explain(raw_model, threshold_var, 1 if judge_small_tables else var('rejected_share_min_rows') | string | trim | float) -%}
    {%- endif %}
    with

    raw_rows as (

        select
            count(*) as raw_rows,
            sum(case when reject_reason is not null then 1 else 0 end) as rejected_rows
        from {{ raw_model }}

    ),

    judged as (

        select
            raw_rows,
            rejected_rows,
            1.0 * rejected_rows / raw_rows as rejected_share
        from raw_rows
        where
            raw_rows >= {{ min_rows }}
            and 1.0 * rejected_rows / raw_rows > {{ number_var(threshold_var) }}

    ),

    reasons as (

        select
            reject_reason,
            count(*) as reason_rows
        from {{ raw_model }}
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
