"""Every backend adapter raises only its own error type (WarehouseError, StorageError, StateError, EventsError),
with the backend's exception as its cause, whatever the backend throws: a corrupt or locked DuckDB file, an
OSError under the local bucket, a corrupt SQLite document, a failing Firestore or Pub/Sub client, an unwritable
events file. Through the real entry point, a warehouse that cannot be opened gets a completion event and a retry."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from phase6.cli_runtime import post_cloud_event
from phase6.events import CompletionEvent, EventsError, FileEvents, PubSubEvents
from phase6.state import StateError
from phase6.state.sqlite import SQLiteState
from phase6.storage import StorageError
from phase6.storage.local import LocalBucket
from phase6.warehouse import WarehouseError, WarehouseInUse
from phase6.warehouse.duckdb_backend import DuckDBWarehouse
from tests.servers import FunctionServer, signals_warehouse


def corrupt_file(path: Path) -> Path:
    path.write_bytes(b"this is not a database file " * 512)
    return path


def test_a_corrupt_duckdb_file_is_a_warehouse_error(tmp_path):
    with pytest.raises(WarehouseError, match="cannot open") as raised:
        DuckDBWarehouse(corrupt_file(tmp_path / "w.duckdb"))
    assert raised.value.__cause__ is not None


def test_a_duckdb_file_locked_by_another_process_is_a_warehouse_error(tmp_path):
    path = signals_warehouse(tmp_path / "w.duckdb")
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, sys, time; c = duckdb.connect({str(path)!r}); "
                               "print('locked', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseInUse, match="in use by another process") as raised:
            DuckDBWarehouse(path)
        assert isinstance(raised.value, WarehouseError) and "lock" in str(raised.value).lower()
    finally:
        holder.kill()
        holder.wait()


def test_a_query_whose_values_cannot_be_read_is_a_warehouse_error(tmp_path):
    warehouse = DuckDBWarehouse(signals_warehouse(tmp_path / "w.duckdb"))
    with pytest.raises(WarehouseError, match="query broken failed"):
        warehouse.query("SELECT CAST('x' AS INT64) AS n", label="broken")
    with pytest.raises(WarehouseError, match="query unparsable failed"):
        warehouse.query("SELECT FROM WHERE (", label="unparsable")
    warehouse.close()


@pytest.mark.parametrize("operation", ["write", "read", "stat", "list"])
def test_every_local_bucket_operation_turns_os_errors_into_storage_errors(tmp_path, monkeypatch, operation):
    bucket = LocalBucket(tmp_path / "bucket")
    bucket.write("v1/a.json", b"{}", cache_control="public, max-age=60")

    def failing(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error (injected)")

    for name in ("read_bytes", "write_bytes", "stat", "iterdir", "rglob", "mkdir"):
        monkeypatch.setattr(Path, name, failing)
    monkeypatch.setattr("tempfile.mkstemp", failing)
    for name in ("makedirs", "replace"):  # a write into a folder the bucket already made goes straight to these
        monkeypatch.setattr(os, name, failing)
    calls = {"write": lambda: bucket.write("v1/b.json", b"{}", cache_control="public, max-age=60"),
             "read": lambda: bucket.read("v1/a.json"), "stat": lambda: bucket.stat("v1/a.json"),
             "list": lambda: bucket.list("v1/")}
    with pytest.raises(StorageError, match="Input/output error") as raised:
        calls[operation]()
    assert isinstance(raised.value.__cause__, OSError)


def test_a_local_bucket_under_a_regular_file_refuses_writes_with_a_storage_error(tmp_path):
    (tmp_path / "blocker").write_text("")
    with pytest.raises(StorageError) as raised:
        LocalBucket(tmp_path / "blocker" / "bucket").write("v1/a.json", b"{}", cache_control="public, max-age=60")
    assert isinstance(raised.value.__cause__, OSError)


def test_corrupt_sqlite_documents_are_state_errors(tmp_path):
    state = SQLiteState(tmp_path / "state.db")
    state._db.execute("INSERT INTO runs VALUES ('r1', '2026', 'not json')")
    state._db.execute("INSERT INTO messages VALUES ('m1', '{\"no_state\": 1}')")
    with pytest.raises(StateError):
        state.get_run("r1")
    with pytest.raises(StateError):
        state.recent_runs()
    from datetime import datetime, timezone
    with pytest.raises(StateError):
        state.claim_message("m1", "run", datetime.now(timezone.utc))
    state.close()


def test_a_corrupt_sqlite_file_is_a_state_error(tmp_path):
    with pytest.raises(StateError, match="cannot open"):
        SQLiteState(corrupt_file(tmp_path / "state.db"))


def test_firestore_client_failures_are_state_errors(monkeypatch):
    from google.cloud import firestore

    from phase6.state.firestore import FirestoreState

    class Broken:
        def __init__(self, *args, **kwargs):
            pass

        def collection(self, name):
            raise RuntimeError("socket closed (injected)")

    monkeypatch.setattr(firestore, "Client", Broken)
    state = FirestoreState("p")
    with pytest.raises(StateError, match="socket closed") as raised:
        state.get_run("r1")
    assert isinstance(raised.value.__cause__, RuntimeError)


def test_an_unwritable_events_file_is_an_events_error(tmp_path):
    (tmp_path / "blocker").write_text("")
    events = FileEvents(tmp_path / "blocker" / "events.jsonl", tmp_path / "blocker" / "c.jsonl")
    with pytest.raises(EventsError) as raised:
        events.completed(CompletionEvent("r", "m", "2026-03-04T00:00:00.000000+00:00", 540))
    assert isinstance(raised.value.__cause__, OSError)
    with pytest.raises(EventsError):
        events.request({"export_types": ["daily-signals"]})


def test_pubsub_publish_failures_are_events_errors():
    class Publisher:
        def topic_path(self, project, topic):
            return f"projects/{project}/topics/{topic}"

        def publish(self, topic, data, **options):
            raise RuntimeError("503 unavailable (injected)")

    events = PubSubEvents("p", "t", "projects/p/topics/trigger", publisher=Publisher())
    with pytest.raises(EventsError, match="503 unavailable") as raised:
        events.completed(CompletionEvent("r", "m", "2026-03-04T00:00:00.000000+00:00", 540))
    assert isinstance(raised.value.__cause__, RuntimeError)


def test_an_unopenable_warehouse_over_http_is_retried_with_a_completion_event(tmp_path):
    """A corrupt DuckDB file used to escape as a raw duckdb.IOException: HTTP 500 and no completion event."""
    server = FunctionServer(tmp_path, corrupt_file(tmp_path / "w.duckdb"))
    server.start()
    try:
        payload = {"export_types": ["daily-signals"], "target_date": "2026-03-04"}
        assert post_cloud_event(server.url, json.dumps(payload).encode(), "corrupt-1") == 500
        [event] = server.events_for("corrupt-1")
        assert event["status"] == "failed"
        assert any("nothing could start" in error and "cannot open" in error for error in event["errors"])
        assert server.files() == []
    finally:
        server.stop()
