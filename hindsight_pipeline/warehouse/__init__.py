"""The warehouse the pipeline reads candidates from and writes results to."""

from hindsight_pipeline.warehouse.base import Warehouse
from hindsight_pipeline.warehouse.duckdb_warehouse import DuckDBWarehouse
from hindsight_pipeline.warehouse.resources import warehouse_from_env, warehouse_kind
from hindsight_pipeline.warehouse.session import WarehouseSession
from hindsight_pipeline.warehouse.snowflake_warehouse import SnowflakeWarehouse

__all__ = [
    "DuckDBWarehouse",
    "SnowflakeWarehouse",
    "Warehouse",
    "WarehouseSession",
    "warehouse_from_env",
    "warehouse_kind",
]
