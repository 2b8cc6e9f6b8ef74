{#- Turning dbt vars (which a user types, in dbt_project.yml or `--vars`) into SQL values.
    Never paste a var into SQL as is: a value with a quote in it would end the string (or worse). -#}

{#- A string var as a SQL string literal, its quotes escaped; none -> null. -#}
{% macro sql_string(value) -%}
    {%- if value is none -%}
        null
    {%- else -%}
        {{ return(adapter.dispatch('sql_string')(value | string)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}

{#- Snowflake also reads backslash escapes inside '...': double the backslashes first. -#}
{% macro snowflake__sql_string(value) -%}
    '{{ value | replace("\\", "\\\\") | replace("'", "''") }}'
{%- endmacro %}

{#- A list var as a comma-separated list of SQL string literals (for `in (...)`). A single
    string is taken as a list of one; none as an empty list. -#}
{% macro sql_string_list(values, transform=none) -%}
    {%- set items = as_list(values) -%}
    {%- for item in items -%}
        {{ sql_string(item | lower if transform == 'lower' else item) }}{% if not loop.last %}, {% endif %}
    {%- endfor -%}
{%- endmacro %}

{% macro as_list(values) -%}
    {%- if values is none -%}
        {{ return([]) }}
    {%- elif values is string -%}
        {{ return([values]) }}
    {%- else -%}
        {{ return(values | list) }}
    {%- endif -%}
{%- endmacro %}

{#- A numeric var as a SQL number; anything else stops the run with a clear error. -#}
{% macro sql_number(value, var_name) -%}
    {%- if value is number and value is not sameas true and value is not sameas false -%}
        {{ value }}
    {%- elif value is string and modules.re.fullmatch('-?[0-9]+(\\.[0-9]+)?', value | trim) -%}
        {{ value | trim }}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "dbt var " ~ var_name ~ " must be a number, got " ~ (value | string)) }}
    {%- endif -%}
{%- endmacro %}
