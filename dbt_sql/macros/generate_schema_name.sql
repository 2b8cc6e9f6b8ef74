{#- Schemas are named exactly as configured (no "<target schema>_" prefix), so analysts and the
    Python side find `crm_staging` and `hindsight_prep` under those names in every target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
