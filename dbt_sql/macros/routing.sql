{#- The routing value of one column ('sequence_id' or 'interview_type_id') for a candidate row:
    the segment's route where routing_by_segment has one, else the project default; null means
    the environment default (HINDSIGHT_SEQUENCE_ID / HINDSIGHT_INTERVIEW_TYPE_ID). -#}
{% macro routing_value(column, segment_column='segment') -%}
    {%- set by_segment = var('routing_by_segment', {}) -%}
    {%- set default = var('routing_default_' ~ column, none) -%}
    {%- set default_sql = ("'" ~ default ~ "'") if default else 'null' -%}
    {%- if by_segment | length == 0 -%}
        cast({{ default_sql }} as varchar)
    {%- else -%}
        cast(case
        {%- for segment, route in by_segment.items() %}
            when {{ segment_column }} = '{{ segment }}' then {{ ("'" ~ route.get(column) ~ "'") if route.get(column) else 'null' }}
        {%- endfor %}
            else {{ default_sql }}
        end as varchar)
    {%- endif -%}
{%- endmacro %}
