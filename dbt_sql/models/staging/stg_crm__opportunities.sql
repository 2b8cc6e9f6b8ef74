-- One row per live opportunity, with its closed-lost date where it is closed and not won.
-- A real Salesforce sync derives stage_changed_at from opportunity history: edit it here.
--
-- The CRM sync may deliver an opportunity more than once, and the copies may disagree. An
-- opportunity with any deleted copy is deleted (a live copy never resurrects a deal the CRM
-- removed); the other columns come from the copy that entered its stage last.
with copies as (
    select
        *,
        {{ to_utc_timestamp('stage_changed_at') }} as stage_changed_at_utc,
        max(case when is_deleted then 1 else 0 end) over (partition by opportunity_id) = 1
            as any_copy_deleted,
        row_number() over (
            partition by opportunity_id
            order by stage_changed_at desc nulls last, close_date desc nulls last,
                stage_name nulls last, amount nulls last
        ) as copy_rank
    from {{ source('crm', 'opportunities') }}
    where opportunity_id is not null
),

live as (
    select * from copies
    where copy_rank = 1
      and not any_copy_deleted
)

select
    opportunity_id,
    account_id,
    opportunity_name,
    stage_name,
    coalesce(is_closed, false) as is_closed,
    coalesce(is_won, false) as is_won,
    coalesce(is_closed, false) and not coalesce(is_won, false) as is_closed_lost,
    cast(close_date as date) as close_date,
    stage_changed_at_utc as stage_changed_at,
    case
        when coalesce(is_closed, false) and not coalesce(is_won, false)
            then coalesce(cast(stage_changed_at_utc as date), cast(close_date as date))
    end as closed_lost_date,
    amount,
    currency_code,
    opportunity_type,
    primary_competitor,
    loss_reason,
    loss_reason_detail,
    product_line,
    owner_name,
    region,
    cast(created_date as date) as created_date,
    hindsight_deal_id
from live
