{#- The routing value of one column ('sequence_id' or 'interview_type_id') for a candidate row:
    the segment's route where routing_by_segment has one, else the project default; null means
    the environment default (HINDSIGHT_SEQUENCE_ID / HINDSIGHT_INTERVIEW_TYPE_ID). A segment's
    route replaces the default whole: a route that names only interview_type_id has a null
    sequence_id (the environment's). Values are quoted with sql_string. -#}
{% macro routing_value(column, segment_column='segment') -%}
    {%- set by_segment = var('routing_by_segment', {}) or {} -%}
    {%- if by_segment is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "dbt var routing_by_segment must map a segment to {sequence_id: ..., interview_type_id: ...}") }}
    {%- endif -%}
    {%- set default_sql = sql_string(var('routing_default_' ~ column, none) or none) -%}
    {%- if by_segment | length == 0 -%}
        cast({{ default_sql }} as varchar)
    {%- else -%}
        cast(case
        {%- for segment, route in by_segment.items() %}
            {%- set route = route or {} %}
            when {{ segment_column }} = {{ sql_string(segment) }} then {{ sql_string(route.get(column) or none) }}
        {%- endfor %}
            else {{ default_sql }}
        end as varchar)
    {%- endif -%}
{%- endmacro %}
