"""Deterministic demo CRM data for the `crm` schema (DESIGN.md, "Input: raw CRM tables")."""

from hindsight_pipeline.demo_data.config import DemoDataConfig, DirtRates
from hindsight_pipeline.demo_data.frames import CrmFrames, crm_pandas_dtypes, crm_table_ddl
from hindsight_pipeline.demo_data.generator import generate_crm
from hindsight_pipeline.demo_data.hindsight import hindsight_deals

__all__ = [
    "CrmFrames",
    "DemoDataConfig",
    "DirtRates",
    "crm_pandas_dtypes",
    "crm_table_ddl",
    "generate_crm",
    "hindsight_deals",
]
