-- One row per closed-lost day, dimension and value: the funnel of interview_funnel_daily broken
-- down by each deal attribute an analyst slices by. Missing values are '(none)'. Sum the counts
-- over days for a longer period, and recompute rates from the sums.
{%- set dimensions = {
    'competitor': 'primary_competitor',
    'loss_reason': 'loss_reason',
    'segment': 'segment',
    'region': 'region',
    'deal_type': 'opportunity_type',
    'owner': 'owner_name',
} %}

with sliced as (
    {%- for dimension, column in dimensions.items() %}
    select
        cast('{{ dimension }}' as {{ dbt.type_string() }}) as dimension,
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), '(none)') as dimension_value,
        closed_lost_date,
        deal_id,
        outcome,
        has_request_row,
        is_eligible,
        is_attempted,
        is_accepted,
        hours_to_request
    from {{ ref('fct_interview_outcomes') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    closed_lost_date,
    dimension,
    dimension_value,
    {{ interview_outcome_counts() }},
    {{ interview_outcome_rates() }}
from sliced
group by closed_lost_date, dimension, dimension_value
