{#- Rows where a boolean SQL expression is false (or null): an invariant of a model's rows,
    without dbt_utils (packages cannot be downloaded here). -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not coalesce({{ expression }}, false)
{% endtest %}
