-- One row per closed-lost day, outcome and reason: why lost deals got an interview request or
-- not. reason is the skip reason of skipped rows, Hindsight's error code of failed /
-- pending_retry / unconfirmed rows, 'no_primary_contact' for deals without one, and '(none)'
-- where there is none (sent, created, not_yet_processed, sending).
with outcomes as (
    select
        closed_lost_date,
        outcome,
        coalesce(reason, '(none)') as reason,
        deal_id
    from {{ ref('fct_interview_outcomes') }}
),

counted as (
    select
        closed_lost_date,
        outcome,
        reason,
        count(*) as rows_count,
        count(distinct deal_id) as deals
    from outcomes
    group by closed_lost_date, outcome, reason
)

select
    closed_lost_date,
    outcome,
    reason,
    rows_count,
    deals,
    {{ ratio('rows_count', 'sum(rows_count) over (partition by closed_lost_date)') }} as share_of_day
from counted
