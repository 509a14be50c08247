{#- Reconciliation: the column's sum (over the whole model, or over each group of `group_by`)
    must equal the sum of compare_column in compare_model (typically a one-row KPI mart) within
    `tolerance`. An empty model fails unless the expected total is 0. -#}
{% test sums_to(model, column_name, compare_model, compare_column, group_by=none, tolerance=0.01) %}
    with

    totals as (

        select
            {{ group_by if group_by else "'all rows'" }} as group_key,
            sum({{ column_name }}) as actual_total
        from {{ model }}
        {%- if group_by %}
        group by {{ group_by }}
        {%- endif %}

    ),

    expected as (

        select sum({{ compare_column }}) as expected_total
        from {{ compare_model }}

    )

    select
        totals.group_key,
        totals.actual_total,
        expected.expected_total
    from expected
    left join totals
        on 1 = 1
    where abs(coalesce(totals.actual_total, 0) - coalesce(expected.expected_total, 0)) > {{ tolerance }}
{% endtest %}
