"""Validation does not wait for the backends: with the warehouse unopenable, a malformed message or an ignorable
predictions-complete event is still acknowledged (HTTP 200) with its `rejected` / `ignored` completion event,
and only an accepted message is refused for redelivery (HTTP 500). Through functions-framework over HTTP."""
from __future__ import annotations

import json

import pytest

from phase6.cli_runtime import post_cloud_event
from tests.servers import FunctionServer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("warehouse-down")
    warehouse = root / "w.duckdb"
    warehouse.write_bytes(b"not a database " * 1024)  # the warehouse cannot be opened
    running = FunctionServer(root, warehouse)
    running.start()
    yield running
    running.stop()


def send(server: FunctionServer, payload: dict, message_id: str) -> int:
    return post_cloud_event(server.url, json.dumps(payload).encode(), message_id)


def test_a_malformed_message_is_acknowledged_and_rejected_while_the_warehouse_is_down(server):
    assert send(server, {"export_type": ["daily-signals"], "target_date": "2026-03-04"}, "bad-1") == 200
    [event] = server.events_for("bad-1")
    assert event["status"] == "rejected"
    assert "export_type: unknown field; did you mean export_types?" in event["errors"]
    assert server.files() == []


def test_an_ignorable_event_is_acknowledged_while_the_warehouse_is_down(server):
    assert send(server, {"game_date": "2026-03-04", "status": "failed"}, "ignored-1") == 200
    [event] = server.events_for("ignored-1")
    assert event["status"] == "ignored" and "reported status failed" in event["errors"][0]


def test_an_accepted_message_is_refused_for_redelivery_with_its_event(server):
    assert send(server, {"export_types": ["daily-signals"], "target_date": "2026-03-04"}, "good-1") == 500
    [event] = server.events_for("good-1")
    assert event["status"] == "failed" and "nothing could start" in event["errors"][0]
