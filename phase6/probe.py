"""Is the infrastructure there? One trivial query of the warehouse and one small write to the bucket.

Used before a delivery starts any export (a fault raises for redelivery) and after an export fails (a fault is the
infrastructure's, not the export's, and does not count toward its breaker). The write proves what a read cannot:
that the bucket accepts writes. The probe object lies outside the API prefix (`v1/`), beside the run reports, so
it is never part of the published API. The two checks are independent and run at once; when both fail, the
warehouse's fault is the one reported.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from .formats import ts
from .jsonio import dumps
from .storage import Bucket, StorageError
from .warehouse import Warehouse, WarehouseError

PROBE_OBJECT = "probes/writable.json"
PROBE_SQL = "SELECT 1 AS ok"


def infrastructure_fault(warehouse: Warehouse, bucket: Bucket, now: datetime) -> str | None:
    """None when the warehouse answers and the bucket takes a write; else what failed."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="probe") as side:
        bucket_fault = side.submit(_bucket_fault, bucket, now)
        return _warehouse_fault(warehouse) or bucket_fault.result()


def _warehouse_fault(warehouse: Warehouse) -> str | None:
    try:
        warehouse.query(PROBE_SQL, label="preflight")
    except WarehouseError as error:
        return f"warehouse unreachable: {error}"
    return None


def _bucket_fault(bucket: Bucket, now: datetime) -> str | None:
    try:
        bucket.write(PROBE_OBJECT, dumps({"written_at": ts(now)}), cache_control="no-store")
    except StorageError as error:
        return f"bucket does not accept writes: {error}"
    return None
