"""The event-driven core: one Pub/Sub delivery in, one run, one completion event out.

decode → validate (rejected/ignored: an event, nothing written) → processed-message check (finished: `duplicate`)
→ preflight → `Runner.run` → completion event, published from a `finally` on every path.

Retries (messages.md §5): only `RetryLater` escapes, so that Pub/Sub redelivers with backoff: `NothingCouldStart`
(warehouse or bucket unreachable before any work) and `StillRunning` (another delivery of the same
message claimed it moments ago and has not finished; the redelivery finds it finished → `duplicate`, or its claim
gone stale → run). Everything else — rejections, export failures, crashes inside the run — is reported in the
completion event and acknowledged.
"""
from __future__ import annotations

import json
import logging
import sys
import threading
import time
import traceback
from datetime import datetime, timezone
from typing import Any, Mapping

from .app import App, open_app
from .config import Settings
from .events import CompletionEvent, Events, open_events
from .formats import ts
from .messages import MAX_CONTINUATION_ATTEMPTS, Accepted, Envelope, ExportRequest, Ignored, Rejected, parse
from .plan import Deadline
from .runner import RunRecord, RunRequest, new_run_id
from .state import StateError
from .storage import StorageError
from .warehouse import WarehouseError

log = logging.getLogger("phase6.runtime")


class RetryLater(RuntimeError):
    """Raised out of the function so that Pub/Sub redelivers the message."""


class NothingCouldStart(RetryLater):
    """A backend needed by every export is unreachable."""


class StillRunning(RetryLater):
    """Another delivery of this message is running now."""


def handle(envelope: Envelope, app: App, events: Events) -> CompletionEvent:
    """Process one delivery. Returns the completion event (already published); raises only RetryLater."""
    started = time.monotonic()
    event = CompletionEvent(
        run_id=new_run_id(),
        message_id=envelope.message_id,
        started_at=ts(app.runner.wall_clock()) or "",
        budget_seconds=app.settings.budget_seconds,
    )
    try:
        process(envelope, app, events, event, Deadline.from_budget(app.settings.budget_seconds, started))
    except NothingCouldStart as error:
        event.status = "failed"
        event.errors.append(f"nothing could start, Pub/Sub will redeliver: {error}")
        log_event(logging.ERROR, "nothing could start", event)
        raise
    except StillRunning as error:
        event.status = "duplicate"
        event.errors.append(f"{error}; Pub/Sub will redeliver")
        log_event(logging.WARNING, "message is being processed by another delivery", event)
        raise
    except Exception as error:  # acknowledged: a redelivery would crash the same way
        event.status = "failed"
        event.errors.append(f"crash: {type(error).__name__}: {error}")
        log_event(logging.ERROR, f"run crashed\n{traceback.format_exc()}", event)
    finally:
        event.finished_at = ts(app.runner.wall_clock())
        event.duration_seconds = time.monotonic() - started
        if event.breakers_open is None:
            event.breakers_open = open_breakers(app, event)
        publish(events, event)
    return event


def process(envelope: Envelope, app: App, events: Events, event: CompletionEvent, deadline: Deadline) -> None:
    outcome = parse(envelope, app.clock)
    if isinstance(outcome, Rejected):
        describe_raw(event, outcome.payload)
        event.status = "rejected"
        event.errors.extend(outcome.problems)
        log_event(logging.ERROR, "message rejected: " + "; ".join(outcome.problems), event)
        return
    if isinstance(outcome, Ignored):
        describe_raw(event, outcome.payload)
        event.status = "ignored"
        event.errors.append(outcome.reason)
        log_event(logging.INFO, f"message ignored: {outcome.reason}", event)
        return
    assert isinstance(outcome, Accepted)
    request = outcome.request
    describe_request(event, request)
    claimed = claim(app, envelope.message_id, event)
    if claimed == "finished":
        event.status = "duplicate"
        log_event(logging.INFO, "message already processed; acknowledged without re-running", event)
        return
    if claimed == "running":
        raise StillRunning(f"message {envelope.message_id} is being processed by another delivery")
    preflight(app)
    cursor = request.continuation.cursor if request.continuation else None
    record = app.runner.run(run_request(request, app, event), event.run_id, deadline=deadline, cursor=cursor)
    describe_record(event, record)
    if event.deferred:
        send_continuation(events, request, record, event)
    finish(app, envelope.message_id, event)
    log_event(logging.INFO if event.status == "success" else logging.WARNING, f"run {event.status}", event)


def claim(app: App, message_id: str, event: CompletionEvent) -> str:
    """new (ours now, also when an earlier claim went stale), running (another delivery, recently) or finished.

    Like the runner, a failing state store never stops publishing: the run goes on without the duplicate check."""
    try:
        return app.backends.state.claim_message(message_id, event.run_id, app.runner.wall_clock())
    except StateError as error:
        event.errors.append(f"processed-message check skipped, state store failed: {error}")
        log_event(logging.WARNING, f"processed-message check skipped: {error}", event, completion=False)
        return "new"


def finish(app: App, message_id: str, event: CompletionEvent) -> None:
    try:
        app.backends.state.finish_message(message_id, event.status, app.runner.wall_clock())
    except StateError as error:
        event.errors.append(f"message not marked processed, state store failed: {error}")


def preflight(app: App) -> None:
    """One trivial read of the warehouse and of the bucket, before any export starts."""
    try:
        app.backends.warehouse.query("SELECT 1 AS ok", label="preflight")
        app.backends.bucket.stat(app.settings.object_prefix + "status.json")
    except (WarehouseError, StorageError) as error:
        raise NothingCouldStart(str(error)) from error


def run_request(request: ExportRequest, app: App, event: CompletionEvent) -> RunRequest:
    """Types valid in the contract but absent from this deployment's catalogue are reported, not run."""
    missing = [name for name in request.export_types if name not in app.runner.catalog]
    for name in missing:
        event.exports[name] = {"status": "skipped", "files": 0, "bytes": 0, "unchanged": 0, "duration_seconds": 0.0,
                               "error": "not available in this deployment"}
    return RunRequest(
        export_types=tuple(name for name in request.export_types if name not in missing),
        target_date=request.target_date,
        mode=request.mode,
        update_latest=request.update_latest,
        min_games=request.min_games,
        correlation_id=request.correlation_id,
        trigger_source=request.trigger_source,
    )


def describe_raw(event: CompletionEvent, payload: Mapping[str, Any] | None) -> None:
    """Carry the sender's ids into a rejected/ignored event when they are usable strings."""
    for name in ("correlation_id", "trigger_source"):
        value = (payload or {}).get(name)
        if isinstance(value, str) and len(value) <= 128:
            setattr(event, name, value)


def describe_request(event: CompletionEvent, request: ExportRequest) -> None:
    event.correlation_id = request.correlation_id
    event.trigger_source = request.trigger_source
    event.mode = request.mode
    event.target_date = request.target_date.isoformat()


def describe_record(event: CompletionEvent, record: RunRecord) -> None:
    event.exports.update({name: result.public() for name, result in record.exports.items()})
    event.deferred = list(record.deferred)
    event.breakers_open = list(record.breakers_open)
    event.errors.extend(record.errors)
    event.status = record.status


def send_continuation(events: Events, request: ExportRequest, record: RunRecord, event: CompletionEvent) -> None:
    attempt = request.continuation.attempt + 1 if request.continuation else 1
    if attempt > MAX_CONTINUATION_ATTEMPTS:
        event.errors.append(f"continuation attempts exhausted ({MAX_CONTINUATION_ATTEMPTS}); not sent: {', '.join(event.deferred)}")
        return
    payload = {
        "export_types": event.deferred,
        "target_date": request.target_date.isoformat(),
        "mode": request.mode,
        "update_latest": request.update_latest,
        "min_games": request.min_games,
        "correlation_id": request.correlation_id,
        "trigger_source": "continuation",
        "continuation": {"of": record.run_id, "attempt": attempt, "cursor": record.cursor},
    }
    event.continuation_message_id = events.request(payload)


def open_breakers(app: App, event: CompletionEvent) -> list[str]:
    """For paths that ran nothing; a run reports its own (`RunRecord.breakers_open`): every breaker not closed."""
    try:
        return sorted(breaker.export_type for breaker in app.backends.state.breakers(app.runner.wall_clock()) if breaker.status != "closed")
    except Exception as error:  # the event must still go out
        event.errors.append(f"breakers unreadable: {type(error).__name__}: {error}")
        return []


def publish(events: Events, event: CompletionEvent) -> None:
    try:
        events.completed(event)
    except Exception:  # logged, not raised: the run's outcome stands and a redelivery would not help
        log_event(logging.ERROR, f"completion event not published\n{traceback.format_exc()}", event, completion=False)


def log_event(level: int, message: str, event: CompletionEvent, completion: bool = True) -> None:
    """`completion`: this line reports the delivery's outcome (one per delivery); the log-based metrics of
    monitoring/alerts.yaml count only those. Lists are joined into strings so that a filter compares one value."""
    fields = {"run_id": event.run_id, "message_id": event.message_id, "correlation_id": event.correlation_id,
              "status": event.status, "target_date": event.target_date, "completion": completion,
              "breakers_open": ",".join(event.breakers_open or []), "errors": "; ".join(event.errors)}
    log.log(level, message, extra={"json_fields": fields})


class Instance:
    """One function instance: backends and the events publisher are opened once, on the first delivery."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self._app: App | None = None
        self._events: Events | None = None
        self._opening = threading.Lock()  # functions-framework serves concurrent deliveries on threads

    def handle(self, envelope: Envelope) -> CompletionEvent:
        with self._opening:
            if self._events is None:
                self._events = open_events(self.settings)
            if self._app is None:
                try:
                    self._app = open_app(self.settings)
                except (WarehouseError, StorageError, StateError) as error:
                    self.report_unopened(envelope, error)
                    raise NothingCouldStart(f"backends could not be opened: {error}") from error
                log.info("backends opened")
        return handle(envelope, self._app, self._events)

    def report_unopened(self, envelope: Envelope, error: Exception) -> None:
        now = ts(datetime.now(timezone.utc)) or ""
        event = CompletionEvent(new_run_id(), envelope.message_id, now, self.settings.budget_seconds, finished_at=now,
                                errors=[f"nothing could start, Pub/Sub will redeliver: backends could not be opened: {error}"])
        log_event(logging.ERROR, "backends could not be opened", event)
        publish(self._events, event)


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line with Cloud Logging's `severity`; fields passed as `extra={"json_fields": ...}`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="microseconds"),
            **getattr(record, "json_fields", {}),
        }
        if record.exc_info:
            entry["message"] += "\n" + self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """Structured logs on stdout, as Cloud Logging parses them from a Cloud Function."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
