"""main.py served by functions-framework as a real subprocess on loopback, receiving Pub/Sub CloudEvents over HTTP
in binary and structured modes, on embedded backends configured through environment variables."""
from __future__ import annotations

import json
import urllib.request

import pytest
from typer.testing import CliRunner

from phase6.cli import app
from phase6.cli_runtime import post_cloud_event
from tests.servers import FunctionServer, signals_warehouse


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server per test module (per xdist worker). It needs nothing beyond the venv, so a server that cannot
    start fails the tests everywhere, never skips."""
    root = tmp_path_factory.mktemp("function")
    running = FunctionServer(root, signals_warehouse(root / "w.duckdb"))
    running.start()
    yield running
    running.stop()


def send(server: FunctionServer, payload: dict, message_id: str, structured: bool = False) -> int:
    return post_cloud_event(server.url, json.dumps(payload).encode(), message_id, structured=structured)


def test_binary_mode_request_writes_files_with_headers_and_an_event(server):
    status = send(server, {"export_types": ["daily-signals"], "target_date": "2026-03-04", "correlation_id": "bin"}, "101")
    assert status == 200
    body = json.loads((server.bucket / "v1/signals/2026-03-04.json").read_text())
    assert (body["signal"], body["metrics"]) == ("favorable", {"conditions": "over_heavy", "picks": 7})
    assert server.metadata("signals/2026-03-04.json") == {"cache_control": "public, max-age=300",
                                                          "content_type": "application/json"}
    [event] = server.events_for("101")
    assert (event["status"], event["correlation_id"], event["target_date"], event["mode"]) == ("success", "bin", "2026-03-04", "live")
    assert event["exports"]["daily-signals"]["status"] == "ok" and event["exports"]["daily-signals"]["files"] == 1


def test_structured_mode_request_is_handled_the_same_way(server):
    status = send(server, {"export_types": ["daily-signals"], "target_date": "yesterday"}, "102", structured=True)
    assert status == 200
    assert json.loads((server.bucket / "v1/signals/2026-03-03.json").read_text())["signal"] == "challenging"
    assert server.metadata("signals/2026-03-03.json")["cache_control"] == "public, max-age=300"
    assert server.events_for("102")[0]["target_date"] == "2026-03-03"


def test_rejection_is_acknowledged_and_writes_nothing(server):
    before = server.files()
    status = send(server, {"export_type": ["daily-signals"], "target_date": "2026-03-02"}, "103")
    assert status == 200
    assert server.files() == before
    [event] = server.events_for("103")
    assert event["status"] == "rejected" and event["target_date"] is None
    assert "export_type: unknown field; did you mean export_types?" in event["errors"]
    logged = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    assert any(entry["severity"] == "ERROR" and "did you mean export_types?" in entry["message"] for entry in logged)


def test_undecodable_data_is_rejected_over_http(server):
    status = post_cloud_event(server.url, b"\xff\xfe not json", "104")
    assert status == 200
    assert "invalid UTF-8" in server.events_for("104")[0]["errors"][0]


def test_redelivery_is_a_duplicate(server):
    payload = {"export_types": ["daily-signals"], "target_date": "2026-03-04"}
    assert send(server, payload, "105") == 200
    assert send(server, payload, "105") == 200
    assert [event["status"] for event in server.events_for("105")] == ["success", "duplicate"]


def test_event_without_pubsub_message_is_rejected(server):
    request = urllib.request.Request(
        server.url, b'{"unexpected": true}',
        {"Content-Type": "application/json", "ce-specversion": "1.0", "ce-id": "106",
         "ce-type": "google.cloud.pubsub.topic.v1.messagePublished", "ce-source": "//pubsub.googleapis.com/x"},
        method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
    assert "found no data" in server.events_for("106")[0]["errors"][0]


def cli_publish(server: FunctionServer, monkeypatch, *args: str, now: str = "2026-03-04T17:00:00+00:00"):
    """`publish` configured like the server (its events file), with its own game-day clock."""
    monkeypatch.setenv("PHASE6_EVENTS", f"file://{server.events}")
    monkeypatch.setenv("PHASE6_NOW", now)
    return CliRunner().invoke(app, ["publish", "--to", server.url, *args])


def test_cli_publish_sends_a_request_and_shows_the_completion_event(server, monkeypatch):
    result = cli_publish(server, monkeypatch, "--types", "daily-signals", "--date", "2026-03-04",
                         "--correlation-id", "cli-1", "--structured")
    assert result.exit_code == 0, result.output
    message_id = result.output.split("sent message ")[1].split()[0]
    [event] = server.events_for(message_id)
    assert (event["status"], event["correlation_id"], event["trigger_source"]) == ("success", "cli-1", "manual")
    assert f"HTTP 200; run {event['run_id']} success" in result.output


def test_cli_publish_shows_a_rejection_by_the_function(server, monkeypatch):
    """The server's clock is two days behind the CLI's here, so it rejects a date the CLI accepted: Pub/Sub
    semantics answer HTTP 200, the completion event says rejected, and the command says so and fails."""
    result = cli_publish(server, monkeypatch, "--types", "daily-signals", "--date", "2026-03-08",
                         now="2026-03-06T17:00:00+00:00")
    assert result.exit_code == 1, result.output
    message_id = result.output.split("sent message ")[1].split()[0]
    [event] = server.events_for(message_id)
    assert event["status"] == "rejected"
    assert f"HTTP 200; run {event['run_id']} rejected" in result.output
    assert f"error: {event['errors'][0]}" in result.output and "2026-03-08" in event["errors"][0]


def test_cli_publish_refuses_what_the_function_would_reject_without_sending(server, monkeypatch):
    before = server.events.read_bytes() if server.events.exists() else b""
    result = cli_publish(server, monkeypatch, "--json", '{"date": "2026-03-04"}')
    assert result.exit_code == 2
    assert result.output.splitlines() == ["error: date: unknown field; did you mean target_date?",
                                          "error: export_types: expected a non-empty list of export type or group "
                                          "names (required), found nothing"]
    assert (server.events.read_bytes() if server.events.exists() else b"") == before


def test_cli_publish_sends_pending_continuations(server, tmp_path, monkeypatch):
    pending = tmp_path / "continuations.jsonl"
    message = {"message_id": "cont-1", "data": {"export_types": ["daily-signals"], "target_date": "2026-03-04",
                                                "trigger_source": "continuation",
                                                "continuation": {"of": "r0", "attempt": 1, "cursor": {}}}}
    pending.write_text(json.dumps(message) + "\n")
    result = cli_publish(server, monkeypatch, "--pending", str(pending))
    assert result.exit_code == 0, result.output
    assert server.events_for("cont-1")[0]["trigger_source"] == "continuation"
    assert pending.read_text() == ""
