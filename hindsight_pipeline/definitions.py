"""The code location: each area defines its own assets and resources; this assembles them."""

import dagster as dg

from hindsight_pipeline.dbt.definitions import dbt_definitions
from hindsight_pipeline.interview_requests.definitions import interview_requests_definitions
from hindsight_pipeline.rate_limiting.definitions import rate_limiting_definitions
from hindsight_pipeline.warehouse.definitions import warehouse_definitions

defs = dg.Definitions.merge(
    warehouse_definitions(),
    dbt_definitions(),
    rate_limiting_definitions(),
    interview_requests_definitions(),
)
