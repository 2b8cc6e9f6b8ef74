-- One row per closed-lost deal and its primary contact: the interface to the Python side
-- (an enforced contract). Rules SQL decides set exclusion_reason; null means eligible so far.
-- Email validation, de-duplication and the contact cool-down are decided in Python at send time.
{%- set internal_domains = as_list(var('internal_email_domains', [])) %}
{%- set min_deal_amount = var('min_deal_amount', 0) %}

with deals as (
    select * from {{ ref('closed_lost_deals') }}
    where primary_contact_id is not null
),

joined as (
    select
        d.opportunity_id,
        d.primary_contact_id as contact_id,
        d.closed_lost_date,
        d.stage_changed_at,
        o.close_date,
        o.created_date,
        o.opportunity_name,
        o.stage_name,
        o.amount,
        o.currency_code,
        o.opportunity_type,
        o.primary_competitor,
        o.loss_reason,
        o.loss_reason_detail,
        o.product_line,
        o.owner_name,
        o.region,
        o.hindsight_deal_id,
        o.account_id,
        a.account_name,
        a.industry,
        a.employee_count,
        a.annual_revenue,
        a.billing_country,
        a.segment,
        c.email as contact_email,
        c.first_name,
        c.last_name,
        c.title,
        d.primary_contact_role as contact_role,
        c.email_opt_out,
        lower(trim({{ dbt.split_part('c.email', "'@'", 2) }})) as email_domain
    from deals as d
    inner join {{ ref('stg_crm__opportunities') }} as o
        on o.opportunity_id = d.opportunity_id
    inner join {{ ref('stg_crm__contacts') }} as c
        on c.contact_id = d.primary_contact_id
    left join {{ ref('stg_crm__accounts') }} as a
        on a.account_id = o.account_id
)

select
    cast(opportunity_id as varchar) as opportunity_id,
    cast(contact_id as varchar) as contact_id,
    cast(closed_lost_date as date) as closed_lost_date,
    cast(stage_changed_at as timestamp) as stage_changed_at,
    cast(close_date as date) as close_date,
    cast(created_date as date) as created_date,
    cast({{ dbt.datediff('created_date', 'closed_lost_date', 'day') }} as integer) as sales_cycle_days,
    cast(opportunity_name as varchar) as opportunity_name,
    cast(amount as decimal(18, 2)) as amount,
    cast(currency_code as varchar) as currency_code,
    cast(opportunity_type as varchar) as opportunity_type,
    cast(primary_competitor as varchar) as primary_competitor,
    cast(loss_reason as varchar) as loss_reason,
    cast(loss_reason_detail as varchar) as loss_reason_detail,
    cast(product_line as varchar) as product_line,
    cast(owner_name as varchar) as owner_name,
    cast(region as varchar) as region,
    cast(hindsight_deal_id as varchar) as hindsight_deal_id,
    cast(account_id as varchar) as account_id,
    cast(account_name as varchar) as account_name,
    cast(industry as varchar) as industry,
    cast(employee_count as integer) as employee_count,
    cast(annual_revenue as decimal(18, 2)) as annual_revenue,
    cast(billing_country as varchar) as billing_country,
    cast(segment as varchar) as segment,
    cast(contact_email as varchar) as contact_email,
    cast(first_name as varchar) as first_name,
    cast(last_name as varchar) as last_name,
    cast(title as varchar) as title,
    cast(contact_role as varchar) as contact_role,
    {{ routing_value('sequence_id') }} as sequence_id,
    {{ routing_value('interview_type_id') }} as interview_type_id,
    cast(
        case
            when email_opt_out then 'opted_out'
            {%- if internal_domains | length > 0 %}
            when email_domain in ({{ sql_string_list(internal_domains, transform='lower') }}) then 'internal_domain'
            {%- endif %}
            {%- if min_deal_amount is not none %}
            when amount is not null and amount < {{ sql_number(min_deal_amount, 'min_deal_amount') }} then 'below_minimum_amount'
            {%- endif %}
        end as varchar
    ) as exclusion_reason
from joined
