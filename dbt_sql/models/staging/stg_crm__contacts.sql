-- One row per live contact. Deleted contacts do not exist for the pipeline.
-- The CRM sync may deliver a contact more than once, and the copies may disagree (one copy
-- deleted or opted out, another not). De-duplication is conservative: a contact with any
-- deleted copy is deleted, and any opted-out copy means opted out, so a stale copy can never
-- bring back a contact the CRM removed or a buyer who asked not to be emailed. The other
-- columns come from one copy, chosen deterministically.
select
    contact_id,
    account_id,
    email,
    first_name,
    last_name,
    title,
    max(case when email_opt_out then 1 else 0 end) over (partition by contact_id) = 1
        as email_opt_out
from {{ source('crm', 'contacts') }}
where contact_id is not null
-- the chosen copy, of a contact none of whose copies is deleted
qualify row_number() over (
        partition by contact_id
        order by email nulls last, account_id nulls last, first_name nulls last,
            last_name nulls last, title nulls last
    ) = 1
    and max(case when is_deleted then 1 else 0 end) over (partition by contact_id) = 0
