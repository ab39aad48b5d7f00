"""The event-driven core on embedded backends with a fake catalogue: one delivery in, one completion event out."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb
import orjson
import pytest

from phase6.app import App
from phase6.catalog import Document, ExportSpec, Query
from phase6.clock import Clock
from phase6.events import CompletionEvent, FileEvents
from phase6.messages import Envelope
from phase6.runner import Backends, Runner
from phase6.runtime import Instance, NothingCouldStart, StillRunning, handle
from phase6.state import open_state
from phase6.storage import StorageError, open_bucket
from phase6.warehouse import WarehouseError, open_warehouse
from tests.conftest import settings_for

NOW = datetime(2026, 3, 4, 17, 0, tzinfo=timezone.utc)  # noon ET on game day 2026-03-04
ROWS = Query("rows", "SELECT x FROM demo.numbers WHERE x <= @limit ORDER BY x", lambda ctx: {"limit": 2})


def dated(name: str):
    """Fake bodies under paths outside the contract (a contract path's body must match its schema)."""
    return lambda ctx, rows: [Document(f"fake/{name}/{ctx.target_date}.json", {"rows": rows["rows"]}, 300, "dated")]


def broken(ctx, rows):
    raise RuntimeError("shape exploded")


CATALOG = {
    "results": ExportSpec("results", "fast", 1, (ROWS,), dated("results"), ("results/{date}.json",), critical=True),
    "daily-signals": ExportSpec("daily-signals", "fast", 2, (ROWS,), dated("signals"), ("signals/{date}.json",)),
    "performance": ExportSpec("performance", "fast", 3, (), broken, ("systems/performance.json",)),
}


def tiny_warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE SCHEMA demo; CREATE TABLE demo.numbers AS SELECT * FROM range(1, 4) t(x)")
    return path


@pytest.fixture()
def app(tmp_path) -> App:
    settings = settings_for(tmp_path, tiny_warehouse(tmp_path / "w.duckdb"), now=NOW.isoformat())
    backends = Backends(open_warehouse(settings), open_bucket(settings), open_state(settings))
    clock = Clock(NOW)
    application = App(settings, backends, clock, Runner(settings, backends, clock, CATALOG))
    yield application
    application.close()


@pytest.fixture()
def events(tmp_path) -> FileEvents:
    return FileEvents(tmp_path / "events.jsonl", tmp_path / "continuations.jsonl")


def published(events: FileEvents) -> list[dict]:
    return [orjson.loads(line) for line in events.events_path.read_bytes().splitlines()]


def bucket_files(app: App) -> list[str]:
    return sorted(info.name for info in app.backends.bucket.list("v1/"))


def test_success_writes_files_and_publishes_every_field(app, events):
    envelope = Envelope.of_json({"export_types": ["results", "daily-signals"], "correlation_id": "c-1",
                                 "trigger_source": "manual"}, "msg-1")
    event = handle(envelope, app, events)
    assert event.status == "success"
    assert bucket_files(app) == ["v1/fake/results/2026-03-04.json", "v1/fake/signals/2026-03-04.json", "v1/status.json"]
    assert orjson.loads(app.backends.bucket.read("v1/fake/results/2026-03-04.json")) == {"rows": [{"x": 1}, {"x": 2}]}
    [line] = published(events)
    assert line == event.document()
    assert set(line) == {"run_id", "message_id", "correlation_id", "trigger_source", "mode", "target_date", "status",
                         "started_at", "finished_at", "duration_seconds", "budget_seconds", "exports", "deferred",
                         "breakers_open", "errors"}
    assert (line["message_id"], line["correlation_id"], line["trigger_source"], line["mode"], line["target_date"]) == (
        "msg-1", "c-1", "manual", "live", "2026-03-04")
    assert line["exports"]["results"]["status"] == "ok" and line["exports"]["results"]["files"] == 1
    assert line["budget_seconds"] == app.settings.budget_seconds
    assert line["started_at"].endswith("+00:00") and line["errors"] == [] and line["deferred"] == []
    assert app.backends.state.get_run(event.run_id)["status"] == "success"


def test_one_failing_export_makes_a_partial_run(app, events):
    event = handle(Envelope.of_json({"export_types": ["results", "performance"]}), app, events)
    assert event.status == "partial"
    assert event.exports["performance"]["status"] == "failed"
    assert "shape exploded" in event.exports["performance"]["error"]
    assert any("shape exploded" in error for error in event.errors)


def test_types_missing_from_the_deployment_are_reported_skipped(app, events):
    event = handle(Envelope.of_json({"export_types": ["results", "streaks"]}), app, events)
    assert event.exports["streaks"] == {"status": "skipped", "files": 0, "bytes": 0, "unchanged": 0,
                                        "duration_seconds": 0.0, "error": "not available in this deployment"}
    assert event.exports["results"]["status"] == "ok"


def test_rejected_message_writes_nothing_and_emits_a_rejected_event(app, events):
    envelope = Envelope.of_json({"export_type": ["results"], "target_date": "someday", "correlation_id": "c-2"}, "msg-2")
    event = handle(envelope, app, events)
    assert event.status == "rejected"
    assert event.target_date is None and event.correlation_id == "c-2"
    assert "export_type: unknown field; did you mean export_types?" in event.errors
    assert any(error.startswith("target_date:") for error in event.errors)
    assert bucket_files(app) == []
    assert app.backends.state.recent_runs() == []
    assert published(events)[0]["status"] == "rejected"


def test_envelope_problem_is_rejected(app, events):
    event = handle(Envelope("msg-3", "%%%"), app, events)
    assert event.status == "rejected" and "invalid base64" in event.errors[0]
    assert published(events)[0]["message_id"] == "msg-3"


def test_redelivered_message_is_a_duplicate(app, events):
    envelope = Envelope.of_json({"export_types": ["results"]}, "msg-4")
    first = handle(envelope, app, events)
    second = handle(envelope, app, events)
    assert (first.status, second.status) == ("success", "duplicate")
    assert second.exports == {}
    assert len(app.backends.state.recent_runs()) == 1
    assert [line["status"] for line in published(events)] == ["success", "duplicate"]


def test_message_claimed_by_a_live_delivery_is_retried_later(app, events):
    app.backends.state.claim_message("msg-5", "other-run", app.runner.wall_clock())
    with pytest.raises(StillRunning):
        handle(Envelope.of_json({"export_types": ["results"]}, "msg-5"), app, events)
    assert published(events)[0]["status"] == "duplicate"
    assert bucket_files(app) == []


def test_failed_phase5_event_is_ignored(app, events):
    event = handle(Envelope.of_json({"game_date": "2026-03-04", "status": "failed", "correlation_id": "p5"}), app, events)
    assert (event.status, event.correlation_id) == ("ignored", "p5")
    assert bucket_files(app) == []


def test_incomplete_phase5_event_is_ignored(app, events):
    payload = {"game_date": "2026-03-04", "status": "success", "metadata": {"completion_pct": 42.0}}
    event = handle(Envelope.of_json(payload), app, events)
    assert event.status == "ignored" and "completion_pct 42.0" in event.errors[0]
    assert bucket_files(app) == []


def test_phase5_event_runs_the_tonight_set(app, events):
    event = handle(Envelope.of_json({"game_date": "2026-03-04", "status": "success"}), app, events)
    assert event.trigger_source == "phase5"
    assert event.exports["daily-signals"]["status"] == "ok"
    assert event.exports["tonight"]["status"] == "skipped"  # not in the fake catalogue
    assert bucket_files(app) == ["v1/fake/signals/2026-03-04.json", "v1/status.json"]


def test_crash_inside_the_runner_still_emits_an_event(app, events, monkeypatch):
    def explode(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(app.runner, "run", explode)
    event = handle(Envelope.of_json({"export_types": ["results"]}), app, events)
    assert event.status == "failed"
    assert event.errors == ["crash: KeyError: 'boom'"]
    assert published(events)[0]["status"] == "failed"


@pytest.mark.parametrize("backend, method, error", [("warehouse", "query", WarehouseError), ("bucket", "write", StorageError)])
def test_nothing_could_start_raises_for_redelivery(app, events, monkeypatch, backend, method, error):
    def unreachable(*args, **kwargs):
        raise error("connection refused")

    monkeypatch.setattr(getattr(app.backends, backend), method, unreachable)
    with pytest.raises(NothingCouldStart, match="connection refused"):
        handle(Envelope.of_json({"export_types": ["results"]}), app, events)
    [line] = published(events)
    assert line["status"] == "failed" and "Pub/Sub will redeliver" in line["errors"][0]
    monkeypatch.undo()
    assert handle(Envelope.of_json({"export_types": ["results"]}), app, events).status == "success"


def test_event_publish_failure_does_not_raise(app, events, monkeypatch):
    def fail(event):
        raise OSError("disk full")

    monkeypatch.setattr(events, "completed", fail)
    assert handle(Envelope.of_json({"export_types": ["results"]}), app, events).status == "success"


def test_deferred_exports_send_a_continuation(app, events, monkeypatch):
    monkeypatch.setattr("phase6.plan.fits", lambda needed, remaining: False)
    payload = {"export_types": ["results"], "correlation_id": "c-6", "continuation": {"of": "r0", "attempt": 2, "cursor": {}}}
    event = handle(Envelope.of_json(payload), app, events)
    assert (event.status, event.deferred) == ("deferred", ["results"])
    [pending] = [orjson.loads(line) for line in events.continuations_path.read_bytes().splitlines()]
    assert event.continuation_message_id == pending["message_id"]
    assert pending["data"]["export_types"] == ["results"]
    assert pending["data"]["continuation"] == {"of": event.run_id, "attempt": 3, "cursor": {}}
    assert (pending["data"]["correlation_id"], pending["data"]["trigger_source"]) == ("c-6", "continuation")
    assert published(events)[0]["continuation_message_id"] == pending["message_id"]


def test_continuations_stop_at_the_attempt_bound(app, events, monkeypatch):
    monkeypatch.setattr("phase6.plan.fits", lambda needed, remaining: False)
    payload = {"export_types": ["results"], "continuation": {"of": "r0", "attempt": 5, "cursor": {}}}
    event = handle(Envelope.of_json(payload), app, events)
    assert event.continuation_message_id is None
    assert any("continuation attempts exhausted" in error for error in event.errors)
    assert not events.continuations_path.exists()


def test_instance_reports_backends_that_cannot_open(tmp_path):
    settings = settings_for(tmp_path, tmp_path / "missing.duckdb")
    instance = Instance(settings)
    with pytest.raises(NothingCouldStart):
        instance.handle(Envelope.of_json({"export_types": ["results"]}, "msg-7"))
    [line] = [orjson.loads(line) for line in (tmp_path / "events.jsonl").read_bytes().splitlines()]
    assert (line["message_id"], line["status"]) == ("msg-7", "failed")
    assert "does not exist" in line["errors"][0]


def test_completion_event_document_omits_an_absent_continuation_id():
    event = CompletionEvent("r", "m", "2026-03-04T17:00:00.000000+00:00", 540.0)
    assert "continuation_message_id" not in event.document()
    assert event.document()["breakers_open"] == []
