{#- As a dbt package in another project: a ref() of a package model must resolve to the package's own
    node. Without the host flag require_ref_searches_node_package_before_root, dbt looks in the host project
    first, so a host model named like a package model (fct_orders, dim_customers, a seed such as channels)
    would silently feed the package's models. Returns one message per such ref (empty standalone). -#}
{% macro package_ref_problems() %}
    {%- set problems = [] -%}
    {%- if not execute or project_name == 'customer_intelligence' -%}{{ return(problems) }}{%- endif -%}
    {%- for node in graph.nodes.values() if node.package_name == 'customer_intelligence' -%}
        {%- for dependency in node.depends_on.nodes -%}
            {%- set parts = dependency.split('.') -%}
            {%- if parts[0] in ('model', 'seed', 'snapshot') and parts[1] != 'customer_intelligence' -%}
                {%- do problems.append("customer_intelligence's " ~ node.resource_type ~ " " ~ node.name ~ " refers to '"
                    ~ parts[-1] ~ "', which resolved to your project's " ~ dependency ~ " instead of the package's own node."
                    ~ " Set flags: {require_ref_searches_node_package_before_root: true} in your dbt_project.yml, or rename your " ~ parts[0]) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(problems) }}
{% endmacro %}
