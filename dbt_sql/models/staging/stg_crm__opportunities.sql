-- One row per live opportunity, with its closed-lost date where it is closed and not won.
-- A real Salesforce sync derives stage_changed_at from opportunity history: edit it here.
select
    opportunity_id,
    account_id,
    opportunity_name,
    stage_name,
    coalesce(is_closed, false) as is_closed,
    coalesce(is_won, false) as is_won,
    coalesce(is_closed, false) and not coalesce(is_won, false) as is_closed_lost,
    cast(close_date as date) as close_date,
    stage_changed_at,
    case
        when coalesce(is_closed, false) and not coalesce(is_won, false)
            then coalesce(cast(stage_changed_at as date), cast(close_date as date))
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
    created_date,
    hindsight_deal_id
from {{ source('crm', 'opportunities') }}
where opportunity_id is not null
  and not coalesce(is_deleted, false)
qualify row_number() over (partition by opportunity_id order by stage_changed_at desc nulls last) = 1
