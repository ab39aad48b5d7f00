"""The production read path, proven like the embedded one: the demo season is loaded into a BigQuery API emulator
with the production table definitions, and the exporters run through BigQueryWarehouse (the real
google-cloud-bigquery client: REST, typed parameters, row conversion, streaming inserts, job labels, the bytes-billed
cap and the timeout). Every file they publish must be the embedded run's, byte for byte apart from build times.

Failures go through the real client too: the emulator rejects a query; a loopback proxy (tests/bigquery_faults.py)
makes jobs run past the timeout or exceed the bytes-billed cap as BigQuery would. Each becomes the adapter's
WarehouseError naming the query, and the export that failed publishes nothing. The schema preflight is run against
a project whose table has drifted from the definitions."""
from __future__ import annotations

import shutil
import warnings
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from exporters import catalog, export_types
from phase6.app import open_app
from phase6.backfill import backfill, dated_export_types
from phase6.config import Settings
from phase6.runner import RunRequest
from phase6.warehouse.schema import DATASETS, SUBSET_PERFORMANCE_VIEW_SQL, TABLES, Table
from tests.bigquery_faults import BILLED_BYTES, FaultProxy
from tests.bigquery_servers import EMULATOR_PROJECT
from tests.conftest import DEMO_NOW, settings_for
from tests.test_backfill_ranges import published

pytestmark = pytest.mark.emulator

DEMO_DAY = date(2026, 3, 4)
DRIFTED_PROJECT = "phase6-drifted"
SIGNALS = "nba_predictions.daily_prediction_signals"


def schema_fields(table: Table, columns=None) -> list:
    """The table's columns as BigQuery schema fields (NUMERIC with its precision and scale; ARRAY as REPEATED)."""
    from google.cloud import bigquery

    fields = []
    for column in table.columns if columns is None else columns:
        type_name, mode = column.bq_type, "REQUIRED" if column.not_null else "NULLABLE"
        if type_name.startswith("ARRAY<"):
            type_name, mode = type_name[len("ARRAY<"):-1], "REPEATED"
        precision = scale = None
        if type_name.startswith("NUMERIC("):
            precision, scale = (int(part) for part in type_name[len("NUMERIC("):-1].split(","))
            type_name = "NUMERIC"
        fields.append(bigquery.SchemaField(column.name, type_name, mode=mode, precision=precision, scale=scale))
    return fields


def create_table(client, table: Table, columns=None) -> None:
    """The table as production declares it: partitioning, clustering (on declared columns) and
    require_partition_filter (set where BigQuery keeps it, and where this emulator reads it)."""
    from google.cloud import bigquery

    created = bigquery.Table(f"{client.project}.{table.name}", schema=schema_fields(table, columns))
    if table.partition_column:
        with warnings.catch_warnings():  # the client deprecates the timePartitioning copy of the flag
            warnings.simplefilter("ignore")
            created.time_partitioning = bigquery.TimePartitioning(
                field=table.partition_column, require_partition_filter=table.require_partition_filter or None)
        created.require_partition_filter = table.require_partition_filter
    created.clustering_fields = [name for name in table.clustering if name in table.column_names] or None
    client.create_table(created)


def load_rows(client, connection, table: Table, folder: Path, select: str = "*") -> None:
    """Copy the demo's rows of one table into the emulator: Parquet out of DuckDB, a load job into BigQuery."""
    from google.cloud import bigquery

    path = folder / f"{table.name}.parquet"
    connection.execute(f"COPY (SELECT {select} FROM {table.name}) TO '{path}' (FORMAT parquet)")
    with path.open("rb") as handle:
        client.load_table_from_file(handle, f"{client.project}.{table.name}",
                                    job_config=bigquery.LoadJobConfig(source_format="PARQUET")).result()


def client_for(project: str):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    return bigquery.Client(project=project, credentials=AnonymousCredentials())


@pytest.fixture(scope="module", autouse=True)
def emulator_host(bigquery_emulator):
    """The client library, and so the adapter, talk to the emulator for this module's tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BIGQUERY_EMULATOR_HOST", bigquery_emulator.url)
        yield bigquery_emulator.url


@pytest.fixture(scope="module")
def emulated(emulator_host, demo_db, tmp_path_factory):
    """The whole demo season in the emulator, with the view created from its BigQuery SQL."""
    client = client_for(EMULATOR_PROJECT)
    folder = tmp_path_factory.mktemp("bigquery-load")
    for dataset in DATASETS:
        client.create_dataset(dataset, exists_ok=True)
    with duckdb.connect(str(demo_db), read_only=True) as connection:
        for table in TABLES.values():
            create_table(client, table)
            load_rows(client, connection, table, folder)
    client.query(SUBSET_PERFORMANCE_VIEW_SQL).result()
    yield client
    client.close()


def bigquery_settings(root: Path, project: str = EMULATOR_PROJECT, **overrides) -> Settings:
    embedded = settings_for(root, root / "unused.duckdb", now=DEMO_NOW)
    return replace(embedded, warehouse_url=f"bigquery://{project}", **overrides)


def embedded_app(demo_db: Path, root: Path):
    root.mkdir(parents=True)
    shutil.copy(demo_db, root / "warehouse.duckdb")
    return open_app(settings_for(root, root / "warehouse.duckdb", now=DEMO_NOW))


def run_all(application, day: date = DEMO_DAY):
    record = application.runner.run(RunRequest(export_types(), day))
    application.close()
    return record


def test_every_export_of_the_demo_day_publishes_the_embedded_files_through_bigquery(emulated, demo_db, tmp_path):
    embedded = run_all(embedded_app(demo_db, tmp_path / "embedded"))
    through_bigquery = run_all(open_app(bigquery_settings(tmp_path / "bigquery")))
    assert {name: result.status for name, result in through_bigquery.exports.items()} == dict.fromkeys(export_types(), "ok"), \
        {name: result.error for name, result in through_bigquery.exports.items() if result.error}
    assert embedded.status == "success"
    files, expected = published(tmp_path / "bigquery"), published(tmp_path / "embedded")
    assert len(files) > 600 and sorted(files) == sorted(expected)
    assert [name for name in files if files[name] != expected[name]] == []


def test_a_three_day_backfill_publishes_the_embedded_files_through_bigquery(emulated, demo_db, tmp_path):
    """Range reads on BigQuery are one query per slice into NDJSON; the snapshot they build answers each day."""
    types = dated_export_types(catalog())
    first, last = date(2026, 3, 1), date(2026, 3, 3)
    summaries = {}
    for name, application in (("embedded", embedded_app(demo_db, tmp_path / "embedded")),
                              ("bigquery", open_app(bigquery_settings(tmp_path / "bigquery")))):
        summaries[name] = backfill(application.runner, first, last, types)
        application.close()
    assert summaries["bigquery"].days == 3 and summaries["bigquery"].failed == []
    assert summaries["bigquery"].warehouse_rows == summaries["embedded"].warehouse_rows > 0
    files, expected = published(tmp_path / "bigquery"), published(tmp_path / "embedded")
    assert len(files) > 300 and sorted(files) == sorted(expected)
    assert [name for name in files if files[name] != expected[name]] == []


# One value of each kind the exporters read, NULLs included, in BigQuery SQL (the embedded adapter transpiles it).
VALUES_SQL = """
SELECT CAST(NULL AS NUMERIC) AS null_numeric, CAST('1.25' AS NUMERIC) AS numeric_value, 0.1 + 0.2 AS float_sum,
       TIMESTAMP '2026-03-04 18:00:00.123456+00' AS instant, DATE '2026-03-04' AS day, @day AS day_parameter,
       [1.5, 2.5] AS floats, ARRAY<FLOAT64>[] AS empty_array, CAST(NULL AS ARRAY<FLOAT64>) AS null_array,
       CAST(NULL AS STRING) AS null_string, 3 AS whole, TRUE AS flag
"""


def test_both_adapters_return_the_same_values(emulated):
    """What reaches an exporter does not depend on the engine: NUMERIC as float, TIMESTAMP as an aware UTC datetime,
    a NULL array as BigQuery returns it (empty), a decimal literal as FLOAT64."""
    from phase6.warehouse.bigquery_backend import BigQueryWarehouse
    from phase6.warehouse.duckdb_backend import DuckDBWarehouse

    params = {"day": DEMO_DAY}
    production = BigQueryWarehouse(EMULATOR_PROJECT, max_bytes_billed=BILLED_BYTES, timeout_seconds=60)
    embedded = DuckDBWarehouse.over(duckdb.connect())
    rows = production.query(VALUES_SQL, params, label="values"), embedded.query(VALUES_SQL, params, label="values")
    production.close()
    embedded.close()
    assert rows[0] == rows[1]
    assert rows[0][0]["null_array"] == [] and rows[0][0]["float_sum"] == 0.1 + 0.2
    assert rows[0][0]["instant"].utcoffset().total_seconds() == 0


@pytest.fixture()
def proxy(emulator_host, monkeypatch):
    """The fault proxy in front of the emulator; the adapter's client goes through it."""
    with FaultProxy(emulator_host) as running:
        monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", running.url)
        yield running


def signals_run(root: Path, runner_catalog=None, **overrides):
    application = open_app(bigquery_settings(root, **overrides))
    if runner_catalog is not None:
        application.runner.catalog = runner_catalog
    record = application.runner.run(RunRequest(("daily-signals",), DEMO_DAY))
    application.close()
    return record.exports["daily-signals"], application.backends.bucket


def test_the_jobs_carry_labels_and_the_bytes_billed_cap(emulated, proxy, tmp_path):
    result, bucket = signals_run(tmp_path, bigquery_max_bytes_billed=BILLED_BYTES)
    assert result.status == "ok" and bucket.read("v1/signals/2026-03-04.json") is not None
    query = [job for job in proxy.inserted if job["labels"].get("query") == "daily-signals_signal"]
    assert len(query) == 1 and query[0]["labels"]["app"] == "phase6-publisher"
    assert query[0]["query"]["maximumBytesBilled"] == str(BILLED_BYTES)
    # the schema preflight's read is labelled too (it runs beside the run's queries, not necessarily first)
    assert [job["labels"]["query"] for job in proxy.inserted].count("preflight_nba_predictions") == 1


def test_a_query_the_warehouse_rejects_fails_its_export_by_name(emulated, proxy, tmp_path):
    spec = catalog()["daily-signals"]
    broken = replace(spec.queries[0], sql=spec.queries[0].sql.replace("skew_category", "skew_categories"))
    result, bucket = signals_run(tmp_path, {**catalog(), "daily-signals": replace(spec, queries=(broken,))})
    assert result.status == "failed"
    assert result.error.startswith("WarehouseError: query daily-signals.signal failed: ")
    assert "skew_categories" in result.error
    assert bucket.read("v1/signals/2026-03-04.json") is None


def test_a_query_past_the_timeout_is_cancelled_and_fails_its_export_by_name(emulated, proxy, tmp_path):
    proxy.mode = "running"
    result, bucket = signals_run(tmp_path, bigquery_timeout_seconds=3.0)
    assert result.status == "failed"
    assert result.error == ("WarehouseError: query daily-signals.signal failed: no result within 3 s; "
                            "job cancelled")
    assert len(proxy.cancelled) == len(proxy.inserted)  # the preflight's query and the export's
    assert bucket.read("v1/signals/2026-03-04.json") is None


def test_an_api_that_does_not_answer_fails_the_export_within_the_timeout(emulated, proxy, tmp_path):
    """The client library retries a job insertion for 600 s unless told otherwise; the function has 540 s."""
    proxy.mode = "stalled"
    result, bucket = signals_run(tmp_path, bigquery_timeout_seconds=2.0)
    assert result.status == "failed"
    assert result.error.startswith("WarehouseError: query daily-signals.signal failed: ")
    assert result.duration_seconds < 3 * 2.0 + 5
    assert bucket.read("v1/signals/2026-03-04.json") is None


def test_a_query_over_the_bytes_billed_cap_fails_its_export_by_name(emulated, proxy, tmp_path):
    proxy.mode = "billing"
    result, bucket = signals_run(tmp_path, bigquery_max_bytes_billed=BILLED_BYTES - 1)
    assert result.status == "failed"
    assert result.error.startswith("WarehouseError: query daily-signals.signal failed: ")
    assert "bytesBilledLimitExceeded" in result.error
    assert bucket.read("v1/signals/2026-03-04.json") is None


@pytest.fixture(scope="module")
def drifted(emulator_host, demo_db, tmp_path_factory):
    """A project whose daily signals table lost skew_category and holds high_edge_picks as STRING."""
    client = client_for(DRIFTED_PROJECT)
    client.create_dataset("nba_predictions")
    folder = tmp_path_factory.mktemp("bigquery-drift")
    signals = TABLES[SIGNALS]
    kept = [column for column in signals.columns if column.name != "skew_category"]
    retyped = [replace(column, bq_type="STRING") if column.name == "high_edge_picks" else column for column in kept]
    with duckdb.connect(str(demo_db), read_only=True) as connection:
        create_table(client, signals, retyped)
        select = ", ".join(f"CAST({c.name} AS VARCHAR) AS {c.name}" if c.name == "high_edge_picks" else c.name
                           for c in kept)
        load_rows(client, connection, signals, folder, select)
        create_table(client, TABLES["nba_predictions.dynamic_subset_definitions"])
        load_rows(client, connection, TABLES["nba_predictions.dynamic_subset_definitions"], folder)
    assert {field.name: field.field_type for field in client.get_table(f"{DRIFTED_PROJECT}.{SIGNALS}").schema}[
        "high_edge_picks"] == "STRING"
    yield client
    client.close()


def test_the_preflight_skips_the_exports_a_drifted_table_cannot_serve(drifted, tmp_path):
    application = open_app(bigquery_settings(tmp_path, DRIFTED_PROJECT))
    record = application.runner.run(RunRequest(("daily-signals", "subset-definitions"), DEMO_DAY))
    application.close()
    skipped = record.exports["daily-signals"]
    assert skipped.status == "skipped"
    assert f"{SIGNALS}.skew_category is missing from the warehouse (needed by daily-signals)" in skipped.error
    assert f"{SIGNALS}.high_edge_picks is STRING in the warehouse, not INT64 (needed by daily-signals)" in skipped.error
    assert record.exports["subset-definitions"].status == "ok"
    assert application.backends.bucket.read("v1/signals/2026-03-04.json") is None
    assert application.backends.bucket.read("v1/systems/subsets.json") is not None


def test_the_preflight_command_names_the_drift(drifted, monkeypatch):
    from typer.testing import CliRunner

    from phase6.cli import app as cli

    monkeypatch.setenv("PHASE6_WAREHOUSE", f"bigquery://{DRIFTED_PROJECT}")
    result = CliRunner().invoke(cli, ["preflight", "--types", "daily-signals,subset-definitions"])
    assert result.exit_code == 1
    assert f"{SIGNALS}.skew_category is missing from the warehouse (needed by daily-signals)" in result.output
    assert f"{SIGNALS}.high_edge_picks is STRING in the warehouse, not INT64 (needed by daily-signals)" in result.output
