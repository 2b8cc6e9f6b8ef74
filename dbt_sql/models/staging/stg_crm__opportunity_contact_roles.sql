-- One row per (opportunity, contact); a role repeated by the sync counts once, primary if any copy is.
select
    opportunity_id,
    contact_id,
    min(role) as role,
    max(case when is_primary then 1 else 0 end) = 1 as is_primary
from {{ source('crm', 'opportunity_contact_roles') }}
where opportunity_id is not null
  and contact_id is not null
group by opportunity_id, contact_id
