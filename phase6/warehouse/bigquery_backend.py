"""The production warehouse: BigQuery with typed parameters, job labels, a bytes-billed cap and a timeout.

Retries are the client library's own policies (API calls and failed jobs), cut to the adapter's timeout: their
defaults (600 s, 2400 s) would outlast the function's 540 s budget. A job still running at the timeout is
cancelled. Every failure is a WarehouseError naming the query. tests/test_bigquery_emulator.py runs this adapter
against a BigQuery API emulator (BIGQUERY_EMULATOR_HOST, which needs no credentials)."""
from __future__ import annotations

import concurrent.futures
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping, Sequence

from .base import ArrayParam, Rows, WarehouseError, plain_rows
from .slices import Extract, TableSlice, extract_by_query

log = logging.getLogger("phase6.warehouse.bigquery")

_SCALAR_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "BOOL"),  # before int: bool is an int
    (int, "INT64"),
    (float, "FLOAT64"),
    (datetime, "TIMESTAMP"),  # before date: datetime is a date
    (date, "DATE"),
    (str, "STRING"),
)


def scalar_type(value: Any) -> str:
    for python_type, bigquery_type in _SCALAR_TYPES:
        if isinstance(value, python_type):
            return bigquery_type
    raise WarehouseError(f"no BigQuery type for parameter value {value!r} ({type(value).__name__})")


def parameter_type(value: Any) -> str:
    """The GoogleSQL type a parameter value is sent with: a scalar type name or ARRAY<scalar>."""
    if isinstance(value, ArrayParam):
        return f"ARRAY<{value.element_type}>"
    if isinstance(value, (list, tuple)):
        return f"ARRAY<{scalar_type(value[0]) if value else 'STRING'}>"
    return scalar_type(value) if value is not None else "STRING"


def query_parameters(params: Mapping[str, Any]) -> list[Any]:
    from google.cloud import bigquery

    built: list[Any] = []
    for name, value in params.items():
        kind = parameter_type(value)
        if kind.startswith("ARRAY<"):
            values = value.values if isinstance(value, ArrayParam) else value
            built.append(bigquery.ArrayQueryParameter(name, kind[len("ARRAY<"):-1], list(values)))
        else:
            built.append(bigquery.ScalarQueryParameter(name, kind, value))
    return built


COLUMNS_SQL = """
SELECT table_name, column_name, data_type
FROM {dataset}.INFORMATION_SCHEMA.COLUMNS
WHERE table_name IN UNNEST(@tables)
"""


def columns_statements(tables: Sequence[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(label, SQL, parameters) of the schema preflight's reads: one per dataset of `tables` (dataset.table)."""
    by_dataset: dict[str, list[str]] = {}
    for table in tables:
        dataset, name = table.split(".", 1)
        by_dataset.setdefault(dataset, []).append(name)
    return [(f"preflight.{dataset}", COLUMNS_SQL.format(dataset=dataset), {"tables": ArrayParam("STRING", names)})
            for dataset, names in sorted(by_dataset.items())]


# Result column types whose values are used as fetched; the others (NUMERIC and BIGNUMERIC come back as Decimal,
# and the records that may hold one) and every array go through plain_value.
PLAIN_TYPES = frozenset({"STRING", "INTEGER", "INT64", "FLOAT", "FLOAT64", "BOOLEAN", "BOOL", "DATE", "DATETIME", "TIME",
                         "TIMESTAMP", "BYTES", "JSON", "GEOGRAPHY", "INTERVAL"})


class BigQueryWarehouse:
    # Queries at once: a run's whole wave (about 40 jobs of a second each) in one or two rounds, well inside the
    # project's limit on concurrent interactive queries.
    concurrency = 32

    def __init__(self, project: str, *, max_bytes_billed: int, timeout_seconds: float, labels: Mapping[str, str] | None = None):
        from google.cloud import bigquery
        from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY, DEFAULT_RETRY

        self._bigquery = bigquery
        self._client = bigquery.Client(project=project, **_emulator_credentials())
        self._retry = DEFAULT_RETRY.with_timeout(timeout_seconds)
        self._job_retry = DEFAULT_JOB_RETRY.with_timeout(timeout_seconds)
        self._max_bytes_billed = max_bytes_billed
        self._timeout = timeout_seconds
        self._labels = dict(labels or {"app": "phase6-publisher"})

    def query(self, sql: str, params: Mapping[str, Any] | None = None, *, label: str = "") -> Rows:
        labels = dict(self._labels)
        if label:
            labels["query"] = _label_value(label)
        config = self._bigquery.QueryJobConfig(
            query_parameters=query_parameters(params or {}),
            labels=labels,
            maximum_bytes_billed=self._max_bytes_billed,
            use_legacy_sql=False,
        )
        name, job = label or "(unnamed)", None
        try:
            # job_retry=None here: with a job retry, client.query wraps jobs.insert in the library's own 600 s retry,
            # which no argument cuts. The job retry, cut to the timeout, is applied by result() instead.
            job = self._client.query(sql, job_config=config, timeout=self._timeout, retry=self._retry, job_retry=None)
            result = job.result(timeout=self._timeout, retry=self._retry, job_retry=self._job_retry)
            names = [field.name for field in result.schema]
            converted = [field.name for field in result.schema
                         if field.field_type not in PLAIN_TYPES or field.mode == "REPEATED"]
            return plain_rows(names, (row.values() for row in result), converted)  # fetches pages
        except concurrent.futures.TimeoutError as error:
            self._cancel(job)
            raise WarehouseError(f"query {name} failed: no result within {self._timeout:g} s; job cancelled") from error
        except Exception as error:  # the client raises many types; the runner needs one
            raise WarehouseError(f"query {name} failed: {error}") from error

    def _cancel(self, job: Any) -> None:
        """A job still running after the timeout would go on (and bill) without anyone reading it."""
        try:
            self._client.cancel_job(job.job_id, location=job.location, timeout=self._timeout, retry=self._retry)
        except Exception as error:  # best effort: the query has already failed for the caller
            log.warning("could not cancel BigQuery job %s: %s", getattr(job, "job_id", None), error)

    def insert_rows(self, table: str, rows: Rows) -> None:
        if not rows:
            return
        try:
            errors = self._client.insert_rows_json(table, [_json_row(row) for row in rows], timeout=self._timeout,
                                                   retry=self._retry)
        except Exception as error:
            raise WarehouseError(f"insert into {table} failed: {error}") from error
        if errors:
            raise WarehouseError(f"insert into {table} failed: {errors[:3]}")

    def extract(self, table_slice: TableSlice, folder: Path) -> Extract:
        return extract_by_query(self, table_slice, folder)

    def columns(self, tables: Sequence[str]) -> dict[str, dict[str, str]]:
        """One INFORMATION_SCHEMA.COLUMNS query per dataset, run concurrently (each job is a round trip)."""
        statements = columns_statements(tables)
        with ThreadPoolExecutor(max_workers=max(1, len(statements)), thread_name_prefix="preflight") as pool:
            results = list(pool.map(lambda item: self.query(item[1], item[2], label=item[0]), statements))
        present: dict[str, dict[str, str]] = {}
        for (label, _, _), rows in zip(statements, results):
            dataset = label.split(".", 1)[1]
            for row in rows:
                present.setdefault(f"{dataset}.{row['table_name']}", {})[row["column_name"]] = row["data_type"]
        return present

    def close(self) -> None:
        self._client.close()


def _emulator_credentials() -> dict[str, Any]:
    """Against a BigQuery emulator (BIGQUERY_EMULATOR_HOST, which the client library follows) no credentials are
    needed, as with the other Google clients' emulators; otherwise the client finds the default ones."""
    if not os.environ.get("BIGQUERY_EMULATOR_HOST"):
        return {}
    from google.auth.credentials import AnonymousCredentials

    return {"credentials": AnonymousCredentials()}


def _label_value(text: str) -> str:
    """BigQuery label values: lowercase letters, digits, '_' and '-', at most 63 characters."""
    cleaned = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in text.lower())
    return cleaned[:63]


def _json_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, (date, datetime)) else value for key, value in row.items()}
