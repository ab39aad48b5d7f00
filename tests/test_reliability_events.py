"""The completion event is not lost quietly: its publish is retried with the Pub/Sub client's own retry within
the budget, and an event that still cannot be published is written whole to the structured log (a log sink can
replay it) and counted."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from google.api_core import exceptions

from phase6.cli_runtime import post_cloud_event
from phase6.events import CompletionEvent, PubSubEvents
from phase6.state.sqlite import SQLiteState
from tests.servers import FunctionServer, signals_warehouse


class FlakyPublisher:
    """Publishes through the retry it is given, as the client library does; its first `failures` calls fail with
    503 Service Unavailable."""

    def __init__(self, failures: int):
        self.failures, self.calls, self.options = failures, 0, {}

    def topic_path(self, project, topic):
        return f"projects/{project}/topics/{topic}"

    def publish(self, topic, data, retry=None, timeout=None, **attributes):
        self.options = {"retry": retry, "timeout": timeout}

        def attempt():
            self.calls += 1
            if self.calls <= self.failures:
                raise exceptions.ServiceUnavailable("503 (injected)")
            return "message-1"

        result = retry(attempt)() if retry else attempt()

        class Done:
            def result(self, timeout=None):
                return result

        return Done()


def event() -> CompletionEvent:
    return CompletionEvent("r", "m", "2026-03-04T00:00:00.000000+00:00", 540)


def test_a_failing_publish_is_retried_by_the_client_retry_within_the_time_left():
    publisher = FlakyPublisher(failures=2)
    events = PubSubEvents("p", "t", "projects/p/topics/trigger", publisher=publisher)
    assert events.completed(event(), timeout=42.0) == "message-1"
    assert publisher.calls == 3
    assert publisher.options["retry"].timeout == 42.0  # the budget's remainder, not the library's 600 s


def test_an_event_that_cannot_be_published_is_logged_whole_and_counted(tmp_path):
    (tmp_path / "blocker").write_text("")
    server = FunctionServer(tmp_path, signals_warehouse(tmp_path / "w.duckdb"),
                            PHASE6_EVENTS=f"file://{tmp_path / 'blocker' / 'events.jsonl'}")
    server.start()
    try:
        payload = {"export_types": ["daily-signals"], "target_date": "2026-03-04", "correlation_id": "lost"}
        for message_id in ("lost-1", "lost-2"):
            assert post_cloud_event(server.url, json.dumps(payload).encode(), message_id) == 200
    finally:
        server.stop()
    logged = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    lost = [entry for entry in logged if "completion_event" in entry]
    assert [entry["completion_event"]["message_id"] for entry in lost] == ["lost-1", "lost-2"]
    assert [entry["unpublished_events"] for entry in lost] == [1, 2]
    replayable = lost[0]["completion_event"]
    assert (replayable["status"], replayable["correlation_id"]) == ("success", "lost")
    assert replayable["exports"]["daily-signals"]["files"] == 1
    assert all(entry["severity"] == "ERROR" for entry in lost)
    state = SQLiteState(server.state)
    assert [state.get_run(entry["run_id"])["completion_event"] for entry in lost] == ["unpublished (in the log)"] * 2
    state.close()

    # ... and the operator's `status` counts them, naming the runs whose events to republish
    status = subprocess.run([sys.executable, "-m", "phase6", "status"], env={**server.env, "COLUMNS": "200"},
                            cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=120)
    note = " ".join(status.stdout.split())
    assert "2 of the last 2 runs' completion events were not published" in note, status.stdout + status.stderr
    assert all(entry["run_id"] in note for entry in lost)
