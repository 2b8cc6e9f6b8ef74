-- One row per closed-lost day: closed-lost deals -> candidates -> eligible -> accepted (sent /
-- created) or failed / pending_retry / unconfirmed, with the skips by reason, the rates and the
-- time from closed-lost to request. completed_count / completion_rate are reserved (null).
{%- set reasons = interview_skip_reasons() %}

select
    closed_lost_date,
    {{ interview_outcome_counts() }},
    {%- for reason in reasons %}
    {{ count_if("outcome = 'skipped' and reason = '" ~ reason ~ "'") }} as skipped_{{ reason }},
    {%- endfor %}
    {{ count_if("outcome = 'skipped' and coalesce(reason, '') not in ('" ~ reasons | join("', '") ~ "')") }} as skipped_other,
    {{ interview_outcome_rates() }}
from {{ ref('fct_interview_outcomes') }}
group by closed_lost_date
