-- One row per closed-lost deal x contact: every row of the results table, plus each closed-lost
-- deal whose current primary contact has no row there yet (outcome not_yet_processed) or that
-- has no primary contact at all (outcome no_primary_contact, contact_id null). Deal attributes
-- come from the CRM staging models, so every deal can be sliced by competitor, loss reason,
-- segment, region, deal type and owner.
{%- set statuses = interview_status_groups() %}

with requests as (
    select * from {{ source('hindsight', 'interview_requests') }}
),

deals as (
    select * from {{ ref('closed_lost_deals') }}
),

keys as (
    select deal_id, contact_id from requests
    union all
    select d.opportunity_id as deal_id, d.primary_contact_id as contact_id
    from deals as d
    where not exists (
        select 1 from requests as r
        where r.deal_id = d.opportunity_id
          and (d.primary_contact_id is null or r.contact_id = d.primary_contact_id)
    )
),

joined as (
    select
        k.deal_id,
        k.contact_id,
        cast(coalesce(r.closed_lost_date, d.closed_lost_date) as date) as closed_lost_date,
        coalesce(
            cast(d.stage_changed_at as {{ dbt.type_timestamp() }}),
            cast(coalesce(d.closed_lost_date, r.closed_lost_date) as {{ dbt.type_timestamp() }})
        ) as closed_lost_at,
        case
            when r.deal_id is not null then r.status
            when k.contact_id is null then 'no_primary_contact'
            else 'not_yet_processed'
        end as outcome,
        r.deal_id is not null as has_request_row,
        r.status,
        r.error_code,
        r.error_message,
        r.notes,
        r.attempts,
        r.interview_request_id,
        r.survey_url,
        r.sequence_id,
        r.interview_type_id,
        cast(r.first_attempted_at as {{ dbt.type_timestamp() }}) as first_attempted_at,
        cast(r.last_attempted_at as {{ dbt.type_timestamp() }}) as last_attempted_at,
        d.opportunity_id is not null as is_closed_lost_now,
        c.opportunity_id is not null as is_candidate,
        o.opportunity_name,
        o.opportunity_type,
        o.primary_competitor,
        o.loss_reason,
        o.product_line,
        o.owner_name,
        o.region,
        o.amount,
        o.currency_code,
        o.account_id,
        a.account_name,
        a.industry,
        a.segment
    from keys as k
    left join requests as r
        on r.deal_id = k.deal_id
       and r.contact_id = k.contact_id
    left join deals as d
        on d.opportunity_id = k.deal_id
    left join {{ ref('closed_lost_interview_candidates') }} as c
        on c.opportunity_id = k.deal_id
       and c.contact_id = k.contact_id
    left join {{ ref('stg_crm__opportunities') }} as o
        on o.opportunity_id = k.deal_id
    left join {{ ref('stg_crm__accounts') }} as a
        on a.account_id = o.account_id
)

select
    deal_id,
    contact_id,
    closed_lost_date,
    closed_lost_at,
    outcome,
    case when outcome = 'no_primary_contact' then 'no_primary_contact' else error_code end as reason,
    has_request_row,
    coalesce(status in ({{ sql_string_list(statuses.eligible) }}), false) as is_eligible,
    coalesce(status in ({{ sql_string_list(statuses.attempted) }}), false) as is_attempted,
    coalesce(status in ({{ sql_string_list(statuses.accepted) }}), false) as is_accepted,
    status,
    error_code,
    error_message,
    notes,
    attempts,
    interview_request_id,
    survey_url,
    sequence_id,
    interview_type_id,
    first_attempted_at,
    last_attempted_at,
    cast({{ dbt.datediff('closed_lost_at', 'first_attempted_at', 'minute') }} as double precision) / 60 as hours_to_request,
    cast(null as {{ dbt.type_timestamp() }}) as completed_at,
    cast(null as {{ dbt.type_boolean() }}) as is_completed,
    is_closed_lost_now,
    is_candidate,
    opportunity_name,
    opportunity_type,
    primary_competitor,
    loss_reason,
    product_line,
    owner_name,
    region,
    amount,
    currency_code,
    account_id,
    account_name,
    industry,
    segment
from joined
