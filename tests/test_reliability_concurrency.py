"""Concurrency: the same message delivered 10 times at once (through functions-framework, on a fresh instance), and
5 different messages for the same day at once (5 instances sharing the state store, bucket and warehouse).

Each export type runs once per day at a time: the other deliveries report `duplicate` (Pub/Sub redelivers those
that found the first one still running; the redelivery is acknowledged as a duplicate) or `leased_elsewhere`."""
from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from phase6.app import open_app
from phase6.events import FileEvents
from phase6.messages import Envelope
from phase6.runtime import StillRunning, handle
from tests.conftest import settings_for
from tests.servers import FunctionServer
from tests.test_reliability_corpus import as_json, post_message

TYPES = ["daily-signals", "predictions", "best-bets", "streaks"]
PAYLOAD = {"export_types": TYPES, "target_date": "2026-03-04"}


@pytest.fixture()
def server(demo_db, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(demo_db, warehouse)
    running = FunctionServer(tmp_path, warehouse, now="2026-03-04T18:00:00+00:00")
    running.start()
    yield running
    running.stop()


def post_at_once(server: FunctionServer, message_id: str, count: int) -> list[int]:
    start = threading.Barrier(count)

    def deliver(_):
        start.wait()
        return post_message(server, {"data": as_json(PAYLOAD)}, message_id)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(deliver, range(count)))


def test_ten_simultaneous_deliveries_of_one_message_run_it_once(server):
    codes = post_at_once(server, "same-message", 10)
    redelivered = [post_message(server, {"data": as_json(PAYLOAD)}, "same-message") for code in codes if code != 200]

    events = server.events_for("same-message")
    assert sorted(event["status"] for event in events) == ["duplicate"] * (len(events) - 1) + ["success"]
    assert len(events) == 10 + len(redelivered)
    assert redelivered == [200] * len(redelivered)  # a redelivery after the run finished is acknowledged
    for name in TYPES:
        assert sum(event["exports"].get(name, {}).get("status") == "ok" for event in events) == 1
    assert server.log.read_text().count("backends opened") == 1  # concurrent first deliveries open them once


class SlowWarehouse:
    """Every query takes at least 50 ms more, so that five simultaneous runs overlap in every export."""

    def __init__(self, inner):
        self.inner = inner

    def query(self, sql, params=None, *, label=""):
        time.sleep(0.05)
        return self.inner.query(sql, params, label=label)

    def insert_rows(self, table, rows):
        self.inner.insert_rows(table, rows)

    def close(self):
        self.inner.close()


class SlowBucket:
    """Every write takes at least 100 ms more: a run's queries are all sent at its start, so what keeps an export
    busy (under its lease) is writing its files."""

    def __init__(self, inner):
        self.inner = inner

    def write(self, name, data, **options):
        time.sleep(0.1)
        self.inner.write(name, data, **options)

    def __getattr__(self, name):
        return getattr(self.inner, name)


class GatedWarehouse(SlowWarehouse):
    """Every query waits until the test opens the gate, so that the run is still running when the test asks."""

    def __init__(self, inner):
        super().__init__(inner)
        self.gate = threading.Event()

    def query(self, sql, params=None, *, label=""):
        assert self.gate.wait(30), "the test never opened the gate"
        return super().query(sql, params, label=label)


def overlapping(runs: list[dict], name: str) -> list[tuple[str, str]]:
    """Pairs of runs whose `ok` executions of export `name` overlapped in time (from the saved run records)."""
    spans = sorted((datetime.fromisoformat(run["exports"][name]["started_at"]), run["exports"][name]["duration_seconds"],
                    run["run_id"]) for run in runs if run["exports"][name]["status"] == "ok")
    return [(first[2], second[2]) for first, second in zip(spans, spans[1:])
            if (second[0] - first[0]).total_seconds() < first[1]]


def test_five_different_messages_for_one_day_never_run_an_export_twice_at_a_time(warehouse_copy, tmp_path):
    apps = [open_app(settings_for(tmp_path, warehouse_copy)) for _ in range(5)]
    for app in apps:
        app.backends.warehouse = SlowWarehouse(app.backends.warehouse)
        app.backends.bucket = SlowBucket(app.backends.bucket)
    events = FileEvents(tmp_path / "events.jsonl", tmp_path / "c.jsonl")
    start = threading.Barrier(len(apps))

    def deliver(index):
        start.wait()
        return handle(Envelope.of_json({**PAYLOAD, "correlation_id": f"m{index}"}, f"message-{index}"), apps[index], events)

    try:
        with ThreadPoolExecutor(len(apps)) as pool:
            outcomes = list(pool.map(deliver, range(len(apps))))
        runs = apps[0].backends.state.recent_runs(10)
    finally:
        for app in apps:
            app.close()

    assert len(runs) == 5
    for name in TYPES:
        statuses = sorted(event.exports[name]["status"] for event in outcomes)
        assert set(statuses) == {"ok", "leased_elsewhere"}, (name, statuses)
        assert overlapping(runs, name) == []
    assert all(event.status in ("success", "partial") for event in outcomes)


def test_stillrunning_is_what_a_concurrent_duplicate_raises(warehouse_copy, tmp_path):
    """The in-process view of the HTTP test: the second delivery of a running message asks Pub/Sub to redeliver."""
    first, second = (open_app(settings_for(tmp_path, warehouse_copy)) for _ in range(2))
    first.backends.warehouse = gated = GatedWarehouse(first.backends.warehouse)
    events = FileEvents(tmp_path / "events.jsonl", tmp_path / "c.jsonl")
    envelope = Envelope.of_json(PAYLOAD, "one-message")
    try:
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(handle, envelope, first, events)
            time.sleep(0.3)  # the first delivery claims the message, then waits at the gate
            with pytest.raises(StillRunning):
                handle(envelope, second, events)
            gated.gate.set()
            assert running.result().status == "success"
        assert handle(envelope, second, events).status == "duplicate"
    finally:
        first.close()
        second.close()
