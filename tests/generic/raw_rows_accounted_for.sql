{#- Fails on every raw table whose rows are not all accounted for:
    raw_rows must equal staged_rows + rejected_rows + duplicate_rows + superseded_rows. -#}
{% test raw_rows_accounted_for(model) %}
    select
        source_table,
        raw_rows,
        staged_rows,
        rejected_rows,
        duplicate_rows,
        superseded_rows
    from {{ model }}
    where raw_rows <> staged_rows + rejected_rows + duplicate_rows + superseded_rows
{% endtest %}
