"""Faults: warehouse errors and timeouts, bucket 5xx and timeouts (fake-gcs-server behind a faulty proxy, and a
failing adapter), an unavailable state store. Each export is isolated, retries are the client libraries' own and
bounded, breakers move as specified, and a run with failures ends partial with every failure named."""
from __future__ import annotations

import concurrent.futures
import http.client
import logging
import threading
import time
import uuid
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest

from phase6.app import open_app
from phase6.messages import Envelope
from phase6.runner import RunRequest
from phase6.runtime import Instance
from phase6.storage import StorageError
from phase6.warehouse import WarehouseError
from tests.conftest import settings_for

TODAY = date(2026, 3, 4)
QUICK = ("daily-signals", "predictions", "best-bets", "streaks", "performance", "results")


class FaultyWarehouse:
    """The real warehouse, except for queries whose label starts with a faulty export's name."""

    def __init__(self, inner, errors=(), timeouts=(), timeout_seconds=0.2):
        self.inner, self.errors, self.timeouts, self.timeout_seconds = inner, set(errors), set(timeouts), timeout_seconds

    def query(self, sql, params=None, *, label=""):
        export = label.split(".")[0]
        if export in self.errors:
            raise WarehouseError(f"query {label} failed: 500 backendError (injected)")
        if export in self.timeouts:
            time.sleep(self.timeout_seconds)
            raise WarehouseError(f"query {label} failed: timed out after {self.timeout_seconds} s (injected)")
        return self.inner.query(sql, params, label=label)

    def insert_rows(self, table, rows):
        self.inner.insert_rows(table, rows)

    def close(self):
        self.inner.close()


class FaultyBucket:
    """The real bucket, except that writes under a faulty prefix fail as a 503 that outlasted the client's retries."""

    def __init__(self, inner, failing_prefixes):
        self.inner, self.failing_prefixes = inner, tuple(failing_prefixes)

    def write(self, name, data, **options):
        if name.startswith(self.failing_prefixes):
            raise StorageError(f"upload of {name} failed: 503 Service Unavailable (injected)")
        self.inner.write(name, data, **options)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture()
def app(warehouse_copy, tmp_path):
    application = open_app(settings_for(tmp_path, warehouse_copy))
    yield application
    application.close()


def statuses(record) -> dict[str, str]:
    return {name: result.status for name, result in record.exports.items()}


def test_warehouse_errors_and_timeouts_fail_only_their_exports_and_are_named(app, tmp_path):
    app.backends.warehouse = FaultyWarehouse(app.backends.warehouse, errors={"streaks"}, timeouts={"performance"})
    record = app.runner.run(RunRequest(QUICK, TODAY))
    assert statuses(record) == {"daily-signals": "ok", "predictions": "ok", "best-bets": "ok", "streaks": "failed",
                                "performance": "failed", "results": "ok"}
    assert record.status == "partial"
    assert any(error.startswith("streaks: WarehouseError: query streaks.") and "backendError" in error for error in record.errors)
    assert any(error.startswith("performance: WarehouseError: query performance.") and "timed out" in error
               for error in record.errors)
    assert (tmp_path / "bucket/v1/predictions/today.json").exists()
    assert (tmp_path / "bucket/v1/status.json").exists()


def test_bucket_failures_fail_only_their_exports(app, tmp_path):
    app.backends.bucket = FaultyBucket(app.backends.bucket, ["v1/streaks/", "v1/best-bets/"])
    record = app.runner.run(RunRequest(QUICK, TODAY))
    assert {name for name, status in statuses(record).items() if status == "failed"} == {"streaks", "best-bets"}
    assert [error.split(":")[0] for error in record.errors] == ["best-bets", "streaks"]
    assert all("503" in error for error in record.errors)
    assert not (tmp_path / "bucket/v1/best-bets").exists()
    assert (tmp_path / "bucket/v1/predictions/today.json").exists()


def test_three_failing_runs_open_a_breaker_and_a_trial_after_the_cooldown_closes_it(app):
    request = RunRequest(("daily-signals", "streaks"), TODAY)
    real = app.backends.warehouse
    app.backends.warehouse = FaultyWarehouse(real, errors={"streaks"})
    for _ in range(3):
        assert statuses(app.runner.run(request)) == {"daily-signals": "ok", "streaks": "failed"}
    opened = app.runner.run(request)
    assert statuses(opened) == {"daily-signals": "ok", "streaks": "breaker_open"}
    assert opened.breakers_open == ["streaks"]

    app.backends.warehouse = real
    wall_clock = app.runner.wall_clock
    app.runner.wall_clock = lambda: wall_clock() + timedelta(minutes=16)  # past the 15-minute cooldown
    trial = app.runner.run(request)
    assert statuses(trial) == {"daily-signals": "ok", "streaks": "ok"}
    assert trial.breakers_open == []


def test_an_unopenable_state_store_does_not_stop_publishing(demo_db, tmp_path, caplog):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings = settings_for(tmp_path, demo_db, state_url=f"sqlite:///{blocker / 'state.db'}")
    caplog.set_level(logging.INFO)
    event = Instance(settings).handle(Envelope.of_json({"export_types": ["daily-signals", "predictions"],
                                                       "target_date": "2026-03-04"}, "state-down"))
    assert event.status == "success"
    assert {name: export["status"] for name, export in event.exports.items()} == {"daily-signals": "ok", "predictions": "ok"}
    assert event.document()["degraded"] == ["state_store"]
    assert any("processed-message check skipped" in error and "may run twice" in error for error in event.errors)
    assert any("the run goes on without it" in error and "state store unavailable" in error for error in event.errors)
    assert (tmp_path / "bucket/v1/predictions/today.json").exists()
    assert any(record.getMessage().startswith("heartbeat ") for record in caplog.records)  # heartbeats degrade to logs


class FlakyProxy:
    """An HTTP proxy in front of fake-gcs-server that answers the next uploads with a scripted fault:
    a status code (503) or a delay in seconds (longer than the client's timeout)."""

    def __init__(self, upstream: str):
        self.upstream = upstream.removeprefix("http://")
        self.faults: list[int | float] = []
        self.uploads = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def relay(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fault = proxy.next_fault(self.path)
                if isinstance(fault, int):
                    self.send_response(fault)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if isinstance(fault, float):
                    time.sleep(fault)
                connection = http.client.HTTPConnection(proxy.upstream, timeout=30)
                headers = {key: value for key, value in self.headers.items() if key.lower() != "host"}
                connection.request(self.command, self.path, body, headers)
                response = connection.getresponse()
                payload = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                connection.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next_fault(self, path: str):
        if not path.startswith("/upload/"):
            return None
        with self.lock:
            self.uploads += 1
            return self.faults.pop(0) if self.faults else None

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def gcs_bucket(fake_gcs_server, monkeypatch):
    """A GCSBucket whose requests pass through a FlakyProxy to fake-gcs-server."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    from phase6.storage.gcs import GCSBucket

    name = f"b-{uuid.uuid4().hex[:8]}"
    storage.Client(project="test", credentials=AnonymousCredentials()).create_bucket(name)
    proxy = FlakyProxy(fake_gcs_server.url)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", proxy.url)
    bucket = GCSBucket(name, storage.Client(project="test", credentials=AnonymousCredentials()), timeout=1.0)
    yield bucket, proxy
    proxy.close()


@pytest.mark.emulator
def test_bucket_503s_are_retried_by_the_client_policy_until_the_upload_lands(gcs_bucket):
    bucket, proxy = gcs_bucket
    proxy.faults = [503, 503]
    bucket.write("v1/a.json", b'{"a":1}', cache_control="public, max-age=60")
    assert proxy.uploads == 3
    assert orjson.loads(bucket.read("v1/a.json")) == {"a": 1}


@pytest.mark.emulator
def test_a_bucket_timeout_is_retried_by_the_client_policy(gcs_bucket):
    bucket, proxy = gcs_bucket
    proxy.faults = [2.5]  # longer than the adapter's 1 s timeout
    bucket.write("v1/slow.json", b'{"slow":true}', cache_control="public, max-age=60")
    assert proxy.uploads >= 2
    assert orjson.loads(bucket.read("v1/slow.json")) == {"slow": True}


@pytest.mark.emulator
def test_a_bucket_that_keeps_failing_raises_a_storage_error_within_the_retry_deadline(gcs_bucket):
    bucket, proxy = gcs_bucket
    bucket._retry = bucket._retry.with_timeout(3.0)  # the library's policy with a test-sized deadline
    proxy.faults = [503] * 1000
    started = time.monotonic()
    with pytest.raises(StorageError, match="upload of v1/never.json failed"):
        bucket.write("v1/never.json", b"{}", cache_control="public, max-age=60")
    assert time.monotonic() - started < 10
    assert 2 <= proxy.uploads < 20
    assert bucket.read("v1/never.json") is None


def test_bigquery_calls_carry_the_library_retry_policies_cut_to_the_adapter_timeout(monkeypatch):
    from google.cloud import bigquery
    from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY, DEFAULT_RETRY

    from phase6.warehouse.bigquery_backend import BigQueryWarehouse

    calls: list[dict] = []

    class TimingOutJob:
        def result(self, **options):
            calls.append(options)
            raise concurrent.futures.TimeoutError()

    class Client:
        def __init__(self, project):
            pass

        def query(self, sql, **options):
            calls.append(options)
            return TimingOutJob()

    monkeypatch.setattr(bigquery, "Client", Client)
    warehouse = BigQueryWarehouse("p", max_bytes_billed=10, timeout_seconds=120.0)
    with pytest.raises(WarehouseError, match="query streaks.recent failed"):
        warehouse.query("SELECT 1", label="streaks.recent")
    assert len(calls) == 2  # the job was submitted, then its result timed out
    for options in calls:
        assert options["timeout"] == 120.0
        assert options["retry"]._predicate is DEFAULT_RETRY._predicate and options["retry"]._timeout == 120.0
    assert calls[0]["job_retry"] is None  # else client.query wraps jobs.insert in an uncut 600 s retry
    assert calls[1]["job_retry"]._predicate is DEFAULT_JOB_RETRY._predicate and calls[1]["job_retry"]._timeout == 120.0
