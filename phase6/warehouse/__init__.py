"""Warehouse adapters, chosen by URL: `duckdb:///path` (embedded default) or `bigquery://PROJECT`."""
from __future__ import annotations

from ..config import Settings, local_path
from .base import ArrayParam, Rows, Warehouse, WarehouseError, WarehouseInUse

__all__ = ["ArrayParam", "Rows", "Warehouse", "WarehouseError", "WarehouseInUse", "open_warehouse"]


def open_warehouse(settings: Settings) -> Warehouse:
    url = settings.warehouse_url
    if url.startswith("duckdb://"):
        from .duckdb_backend import DuckDBWarehouse

        return DuckDBWarehouse(local_path(url, "duckdb"))
    if url.startswith("bigquery://"):
        from .bigquery_backend import BigQueryWarehouse

        project = url[len("bigquery://"):].strip("/")
        if not project:
            raise ValueError(f"bigquery URL needs a project: {url!r}")
        return BigQueryWarehouse(
            project,
            max_bytes_billed=settings.bigquery_max_bytes_billed,
            timeout_seconds=settings.bigquery_timeout_seconds,
        )
    raise ValueError(f"unsupported warehouse URL {url!r}; expected duckdb:///PATH or bigquery://PROJECT")
