"""Asset keys for dbt nodes: a source table under ``<source>/<table>``, models under their schema.

The ``crm`` source gives the keys of the raw CRM tables (``crm/*``); the ``hindsight`` source
(the results table the marts read) gives ``hindsight/interview_requests``, the key of the send
asset that writes it, so the lineage reads send asset -> marts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

CRM_SOURCE = "crm"


class HindsightDbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        # The lineage in the UI reads crm/* -> crm_staging/* -> hindsight_prep/* ->
        # hindsight/interview_requests -> hindsight_marts/*, whatever the CRM source's schema
        # is called in a given warehouse.
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        schema = dbt_resource_props.get("config", {}).get("schema") or "main"
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return str(dbt_resource_props["source_name"])
        return dbt_resource_props.get("config", {}).get("schema") or "dbt"
