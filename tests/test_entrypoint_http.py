"""main.py served by functions-framework as a real subprocess on loopback, receiving Pub/Sub CloudEvents over HTTP
in binary and structured modes, on embedded backends configured through environment variables."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import duckdb
import orjson
import pytest
from typer.testing import CliRunner

from phase6.cli_runtime import commands, post_cloud_event, serve_command
from tests.servers import START_TIMEOUT_SECONDS, free_port, stop_server


def signals_warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute("""
            CREATE SCHEMA nba_predictions;
            CREATE TABLE nba_predictions.daily_prediction_signals (
                game_date DATE, system_id VARCHAR, daily_signal VARCHAR, skew_category VARCHAR,
                high_edge_picks INTEGER, calculated_at TIMESTAMP);
            INSERT INTO nba_predictions.daily_prediction_signals VALUES
                ('2026-03-04', 'catboost_v9', 'GREEN', 'OVER_HEAVY', 7, '2026-03-04 15:00:00'),
                ('2026-03-03', 'catboost_v9', 'RED', 'BALANCED', 2, '2026-03-03 15:00:00');
        """)
    return path


class Server:
    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.bucket = root / "bucket"
        self.events = root / "events.jsonl"
        self.log = root / "server.log"
        self.env = {
            **os.environ,
            "PHASE6_WAREHOUSE": f"duckdb:///{signals_warehouse(root / 'w.duckdb')}",
            "PHASE6_BUCKET": f"file://{self.bucket}",
            "PHASE6_STATE": f"sqlite:///{root / 'state.db'}",
            "PHASE6_EVENTS": f"file://{self.events}",
            "PHASE6_NOW": "2026-03-04T17:00:00+00:00",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(serve_command("127.0.0.1", self.port), env=self.env, cwd=self.root,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"functions-framework exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        stop_server(self.process)
        pytest.fail(f"functions-framework did not listen within {START_TIMEOUT_SECONDS:.0f} s:\n{self.log.read_text()}")

    def event(self, message_id: str) -> list[dict]:
        lines = [orjson.loads(line) for line in self.events.read_bytes().splitlines()] if self.events.exists() else []
        return [line for line in lines if line["message_id"] == message_id]

    def files(self) -> list[str]:
        root = self.bucket / "v1"
        return sorted(path.relative_to(root).as_posix() for path in root.rglob("*.json")) if root.exists() else []

    def metadata(self, name: str) -> dict:
        return json.loads((self.bucket / ".meta" / f"v1/{name}.json").read_text())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server per test module (per xdist worker). It needs nothing beyond the venv, so a server that cannot
    start fails the tests everywhere, never skips."""
    running = Server(tmp_path_factory.mktemp("function"))
    running.start()
    yield running
    stop_server(running.process)


def send(server: Server, payload: dict, message_id: str, structured: bool = False) -> int:
    return post_cloud_event(server.url, json.dumps(payload).encode(), message_id, structured=structured)


def test_binary_mode_request_writes_files_with_headers_and_an_event(server):
    status = send(server, {"export_types": ["daily-signals"], "target_date": "2026-03-04", "correlation_id": "bin"}, "101")
    assert status == 200
    body = json.loads((server.bucket / "v1/signals/2026-03-04.json").read_text())
    assert (body["signal"], body["metrics"]) == ("favorable", {"conditions": "over_heavy", "picks": 7})
    assert server.metadata("signals/2026-03-04.json") == {"cache_control": "public, max-age=300",
                                                          "content_type": "application/json"}
    [event] = server.event("101")
    assert (event["status"], event["correlation_id"], event["target_date"], event["mode"]) == ("success", "bin", "2026-03-04", "live")
    assert event["exports"]["daily-signals"]["status"] == "ok" and event["exports"]["daily-signals"]["files"] == 1


def test_structured_mode_request_is_handled_the_same_way(server):
    status = send(server, {"export_types": ["daily-signals"], "target_date": "yesterday"}, "102", structured=True)
    assert status == 200
    assert json.loads((server.bucket / "v1/signals/2026-03-03.json").read_text())["signal"] == "challenging"
    assert server.metadata("signals/2026-03-03.json")["cache_control"] == "public, max-age=300"
    assert server.event("102")[0]["target_date"] == "2026-03-03"


def test_rejection_is_acknowledged_and_writes_nothing(server):
    before = server.files()
    status = send(server, {"export_type": ["daily-signals"], "target_date": "2026-03-02"}, "103")
    assert status == 200
    assert server.files() == before
    [event] = server.event("103")
    assert event["status"] == "rejected" and event["target_date"] is None
    assert "export_type: unknown field; did you mean export_types?" in event["errors"]
    logged = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    assert any(entry["severity"] == "ERROR" and "did you mean export_types?" in entry["message"] for entry in logged)


def test_undecodable_data_is_rejected_over_http(server):
    status = post_cloud_event(server.url, b"\xff\xfe not json", "104")
    assert status == 200
    assert "invalid UTF-8" in server.event("104")[0]["errors"][0]


def test_redelivery_is_a_duplicate(server):
    payload = {"export_types": ["daily-signals"], "target_date": "2026-03-04"}
    assert send(server, payload, "105") == 200
    assert send(server, payload, "105") == 200
    assert [event["status"] for event in server.event("105")] == ["success", "duplicate"]


def test_event_without_pubsub_message_is_rejected(server):
    request = urllib.request.Request(
        server.url, b'{"unexpected": true}',
        {"Content-Type": "application/json", "ce-specversion": "1.0", "ce-id": "106",
         "ce-type": "google.cloud.pubsub.topic.v1.messagePublished", "ce-source": "//pubsub.googleapis.com/x"},
        method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
    assert "found no data" in server.event("106")[0]["errors"][0]


def test_cli_publish_sends_a_request_to_the_local_server(server):
    result = CliRunner().invoke(commands, ["publish", "--to", server.url, "--types", "daily-signals", "--date", "2026-03-04",
                                           "--correlation-id", "cli-1", "--structured"])
    assert result.exit_code == 0, result.output
    message_id = result.output.split("sent message ")[1].split()[0]
    [event] = server.event(message_id)
    assert (event["status"], event["correlation_id"], event["trigger_source"]) == ("success", "cli-1", "manual")


def test_cli_publish_reports_a_rejection_in_the_event_only(server):
    result = CliRunner().invoke(commands, ["publish", "--to", server.url, "--json", '{"date": "2026-03-04"}'])
    assert result.exit_code == 0, result.output
    message_id = result.output.split("sent message ")[1].split()[0]
    assert "date: unknown field; did you mean target_date?" in server.event(message_id)[0]["errors"]


def test_cli_publish_sends_pending_continuations(server, tmp_path):
    pending = tmp_path / "continuations.jsonl"
    message = {"message_id": "cont-1", "data": {"export_types": ["daily-signals"], "target_date": "2026-03-04",
                                                "trigger_source": "continuation",
                                                "continuation": {"of": "r0", "attempt": 1, "cursor": {}}}}
    pending.write_text(json.dumps(message) + "\n")
    result = CliRunner().invoke(commands, ["publish", "--to", server.url, "--pending", str(pending)])
    assert result.exit_code == 0, result.output
    assert server.event("cont-1")[0]["trigger_source"] == "continuation"
    assert pending.read_text() == ""
