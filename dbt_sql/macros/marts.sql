{#- Helpers of the analysts' marts (models/marts). Plain SQL and dbt's cross-database macros
    only, so the marts build on DuckDB and on Snowflake alike. -#}

{#- The skip reasons the daily funnel has a column for (skipped_<reason>): the SQL exclusions
    and the Python rules. A reason outside this list (a field the API client refused) is
    counted in skipped_other; interview_outcome_reasons_daily has every reason. -#}
{% macro interview_skip_reasons() -%}
    {{ return([
        'opted_out', 'internal_domain', 'below_minimum_amount', 'missing_email',
        'invalid_email', 'duplicate_contact', 'contact_cooldown', 'no_routing', 'deal_too_old',
        'invalid_payload', 'no_longer_a_candidate',
    ]) }}
{%- endmacro %}

{#- The groups of results-table statuses the marts count. They mirror the send asset's
    (hindsight_pipeline/interview_requests/schema.py: Status, ACCEPTED_STATUSES); a test
    (hindsight_pipeline_tests/marts/test_status_groups.py) ties the two together.
    eligible: passed every rule and claimed for sending (every status but skipped);
    attempted: eligible and the request went out or was settled (all but sending);
    accepted: Hindsight accepted it. -#}
{% macro interview_status_groups() -%}
    {{ return({
        'eligible': ['sending', 'sent', 'created', 'failed', 'pending_retry', 'unconfirmed'],
        'attempted': ['sent', 'created', 'failed', 'pending_retry', 'unconfirmed'],
        'accepted': ['sent', 'created'],
    }) }}
{%- endmacro %}

{#- How many rows of the group meet a condition, as a bigint. -#}
{% macro count_if(condition) -%}
    cast(sum(case when {{ condition }} then 1 else 0 end) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- numerator / denominator as a double; null where the denominator is 0. (Not
    dbt.type_float(): that is a 4-byte REAL on DuckDB.) -#}
{% macro ratio(numerator, denominator) -%}
    cast({{ numerator }} as double precision) / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- The funnel counts of every funnel mart, over rows of fct_interview_outcomes. -#}
{% macro interview_outcome_counts() -%}
    cast(count(distinct deal_id) as {{ dbt.type_bigint() }}) as closed_lost_deals,
    {{ count_if("outcome = 'no_primary_contact'") }} as deals_without_primary_contact,
    {{ count_if("outcome <> 'no_primary_contact'") }} as candidates,
    {{ count_if("outcome = 'not_yet_processed'") }} as not_yet_processed,
    {{ count_if("has_request_row") }} as requests_recorded,
    {{ count_if("outcome = 'skipped'") }} as skipped,
    {{ count_if("is_eligible") }} as eligible,
    {{ count_if("outcome = 'sending'") }} as sending,
    {{ count_if("is_attempted") }} as attempted,
    {{ count_if("is_accepted") }} as accepted,
    {{ count_if("outcome = 'sent'") }} as sent,
    {{ count_if("outcome = 'created'") }} as created,
    {{ count_if("outcome = 'failed'") }} as failed,
    {{ count_if("outcome = 'pending_retry'") }} as pending_retry,
    {{ count_if("outcome = 'unconfirmed'") }} as unconfirmed
{%- endmacro %}

{#- The rates, the time to request and the reserved completion columns, over the same rows. -#}
{% macro interview_outcome_rates() -%}
    {{ ratio(count_if("is_accepted"), count_if("has_request_row")) }} as send_rate,
    {{ ratio(count_if("outcome = 'skipped'"), count_if("has_request_row")) }} as skip_rate,
    {{ ratio(count_if("outcome = 'failed'"), count_if("is_attempted")) }} as failure_rate,
    avg(case when is_accepted then hours_to_request end) as avg_hours_to_request,
    percentile_cont(0.5) within group (
        order by case when is_accepted then hours_to_request end
    ) as median_hours_to_request,
    cast(null as {{ dbt.type_bigint() }}) as completed_count,
    cast(null as double precision) as completion_rate
{%- endmacro %}
