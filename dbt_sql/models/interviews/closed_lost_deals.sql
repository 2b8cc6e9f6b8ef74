-- One row per closed-lost deal, with its primary contact where it has one.
-- The primary contact is the live contact whose role on the deal is flagged primary; when the
-- CRM flags several, the first by contact_id (a deterministic, documented tie-break).
-- A closed-lost deal with neither stage_changed_at nor close_date has no closed-lost date: it
-- belongs to no daily partition and is left out here (the warn-severity test
-- closed_lost_deals_without_a_date on stg_crm__opportunities counts them).
{%- set roles = as_list(var('interviewed_roles', [])) %}

with primary_roles as (
    select
        r.opportunity_id,
        r.contact_id,
        r.role,
        row_number() over (partition by r.opportunity_id order by r.contact_id) as primary_rank
    from {{ ref('stg_crm__opportunity_contact_roles') }} as r
    inner join {{ ref('stg_crm__contacts') }} as c
        on c.contact_id = r.contact_id
    where r.is_primary
    {%- if roles | length > 0 %}
      and r.role in ({{ sql_string_list(roles) }})
    {%- endif %}
)

select
    o.opportunity_id,
    o.closed_lost_date,
    o.stage_changed_at,
    o.close_date,
    p.contact_id as primary_contact_id,
    p.role as primary_contact_role
from {{ ref('stg_crm__opportunities') }} as o
left join primary_roles as p
    on p.opportunity_id = o.opportunity_id
   and p.primary_rank = 1
where o.is_closed_lost
  and o.closed_lost_date is not null
