{#- Dates and timestamps are computed in UTC on every target (DESIGN.md: a deal's closed-lost
    date is the UTC date of stage_changed_at). DuckDB's session time zone is UTC (profiles.yml
    sets it); a Snowflake session's is the account's default, so every model sets it first
    (a pre-hook in dbt_project.yml: each dbt thread has its own Snowflake session). -#}
{% macro utc_session_sql() -%}
    {%- if target.type == 'snowflake' -%}
        alter session set timezone = 'UTC'
    {%- endif -%}
{%- endmacro %}

{#- A timestamp column as a UTC timestamp without time zone. A CRM sync may land timestamps
    with a time zone (Snowflake TIMESTAMP_TZ / _LTZ): convert them to UTC explicitly rather
    than rely on the session. -#}
{% macro to_utc_timestamp(expression) -%}
    {{ return(adapter.dispatch('to_utc_timestamp')(expression)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(expression) -%}
    cast({{ expression }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro snowflake__to_utc_timestamp(expression) -%}
    cast(convert_timezone('UTC', {{ expression }}) as timestamp_ntz)
{%- endmacro %}
