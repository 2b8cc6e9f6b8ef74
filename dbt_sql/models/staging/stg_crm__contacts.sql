-- One row per live contact. Deleted contacts do not exist for the pipeline.
select
    contact_id,
    account_id,
    email,
    first_name,
    last_name,
    title,
    coalesce(email_opt_out, false) as email_opt_out
from {{ source('crm', 'contacts') }}
where contact_id is not null
  and not coalesce(is_deleted, false)
qualify row_number() over (partition by contact_id order by email) = 1
