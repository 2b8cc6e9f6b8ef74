-- One row per account. The CRM sync may land the same account twice: keep one copy, chosen
-- deterministically (accounts have no deleted flag in the input contract).
select
    account_id,
    account_name,
    industry,
    employee_count,
    annual_revenue,
    billing_country,
    segment
from {{ source('crm', 'accounts') }}
where account_id is not null
qualify row_number() over (
    partition by account_id
    order by account_name nulls last, segment nulls last, industry nulls last
) = 1
