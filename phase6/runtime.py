"""The event-driven core: one Pub/Sub delivery in, one run, one completion event out.

decode → validate (rejected/ignored: an event, nothing written) → processed-message check (finished: `duplicate`)
→ preflight → `Runner.run` → completion event, published from a `finally` on every path.

Validation needs no backend: a rejected or ignored message is acknowledged with its event whatever state the
backends are in (an instance that cannot open them validates on the configured clock).

Retries: only `RetryLater` escapes, so that Pub/Sub redelivers with backoff: `NothingCouldStart`
(warehouse unreachable or bucket refusing writes before any work, or found so after an export failed) and
`StillRunning` (another delivery of the same message claimed it moments ago and has not finished; the redelivery
finds it finished → `duplicate`, or its claim gone stale → run). A delivery that raises gives its message claim
up. Everything else — rejections, export failures, crashes inside the run — is reported in the completion event
and acknowledged.

The state store is consulted through one `TolerantState` per delivery: every wait is bounded, and once it fails
the delivery goes on without it, says so in the event (`degraded: ["state_store"]`) and may run a message twice
(docs/reliability.md).
"""
from __future__ import annotations

import itertools
import json
import logging
import sys
import threading
import time
import traceback
from datetime import datetime, timezone
from typing import Any, Mapping

from .app import App, open_app
from .clock import Clock
from .config import Settings
from .events import UNPUBLISHED, CompletionEvent, Events, EventsError, open_events
from .formats import ts
from .messages import MAX_CONTINUATION_ATTEMPTS, Accepted, Envelope, ExportRequest, Ignored, Outcome, Rejected, parse
from .plan import Deadline
from .probe import infrastructure_fault
from .runner import RunRecord, RunRequest, new_run_id
from .state import StateError
from .state.tolerant import TolerantState
from .storage import StorageError
from .warehouse import WarehouseError

log = logging.getLogger("phase6.runtime")


class RetryLater(RuntimeError):
    """Raised out of the function so that Pub/Sub redelivers the message."""


class NothingCouldStart(RetryLater):
    """A backend needed by every export is unreachable."""


class StillRunning(RetryLater):
    """Another delivery of this message is running now."""


def handle(envelope: Envelope, app: App, events: Events | None, outcome: Outcome | None = None) -> CompletionEvent:
    """Process one delivery (`outcome`: its parse, when already done). Returns the completion event (already
    published); raises only RetryLater."""
    started = time.monotonic()
    event = CompletionEvent(
        run_id=new_run_id(),
        message_id=envelope.message_id,
        started_at=ts(app.runner.wall_clock()) or "",
        budget_seconds=app.settings.budget_seconds,
    )
    state = TolerantState(app.backends.state)
    try:
        process(envelope, app, events, event, Deadline.from_budget(app.settings.budget_seconds, started), state, outcome)
    except NothingCouldStart as error:
        if event.status not in ("partial", "deferred"):
            event.status = "failed"
        event.errors.append(f"nothing could start, Pub/Sub will redeliver: {error}")
        log_event(logging.ERROR, "nothing could start", event)
        state.release_message(envelope.message_id, event.run_id)
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
            event.breakers_open = open_breakers(state, app, event)
        if state.down:
            event.degraded = ["state_store"]
            event.errors.extend(error for error in state.errors if error not in event.errors)
        if not publish(events, event, seconds_left(app.settings.budget_seconds, started)):
            mark_unpublished(state, event)
    return event


def process(envelope: Envelope, app: App, events: Events | None, event: CompletionEvent, deadline: Deadline,
            state: TolerantState, outcome: Outcome | None = None) -> None:
    outcome = outcome or parse(envelope, app.clock)
    if not isinstance(outcome, Accepted):
        describe_unaccepted(event, outcome)
        return
    request = outcome.request
    describe_request(event, request)
    claimed = state.claim_message(envelope.message_id, event.run_id, app.runner.wall_clock())
    if state.down:
        event.errors.append("processed-message check skipped: the state store failed, so this message may run twice")
    if claimed == "finished":
        event.status = "duplicate"
        log_event(logging.INFO, "message already processed; acknowledged without re-running", event)
        return
    if claimed == "running":
        raise StillRunning(f"message {envelope.message_id} is being processed by another delivery")
    if request.force:
        log_event(logging.WARNING, "content guards overridden by the request (force: true)", event, completion=False)
    cursor = request.continuation.cursor if request.continuation else None
    record = app.runner.run(run_request(request, app, event), event.run_id, deadline=deadline, cursor=cursor, state=state,
                            probe=lambda: preflight(app))
    describe_record(event, record)
    if record.infrastructure_fault:
        raise NothingCouldStart(f"{record.infrastructure_fault} (after an export failed; the run stopped)")
    if event.deferred:
        send_continuation(events, request, record, event)
    state.finish_message(envelope.message_id, event.status, app.runner.wall_clock())
    log_event(logging.INFO if event.status == "success" else logging.WARNING, f"run {event.status}", event)


def describe_unaccepted(event: CompletionEvent, outcome: Rejected | Ignored) -> None:
    """A rejected message (every problem, logged at ERROR) or an ignored one (its reason): nothing runs."""
    describe_raw(event, outcome.payload)
    if isinstance(outcome, Rejected):
        event.status = "rejected"
        event.errors.extend(outcome.problems)
        log_event(logging.ERROR, "message rejected: " + "; ".join(outcome.problems), event)
    else:
        event.status = "ignored"
        event.errors.append(outcome.reason)
        log_event(logging.INFO, f"message ignored: {outcome.reason}", event)


def preflight(app: App) -> None:
    """One trivial read of the warehouse and one small write to the bucket, before any export starts (the runner
    checks it while the run's queries are in flight)."""
    fault = infrastructure_fault(app.backends.warehouse, app.backends.bucket, app.runner.wall_clock())
    if fault:
        raise NothingCouldStart(fault)


def seconds_left(budget_seconds: float, started: float) -> float:
    """Until the hard end of the invocation, the safety margin included (what the completion event may use)."""
    return budget_seconds - (time.monotonic() - started)


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
        force=request.force,
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


def send_continuation(events: Events | None, request: ExportRequest, record: RunRecord, event: CompletionEvent) -> None:
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
    if request.force:
        payload["force"] = True
    if events is None:
        event.errors.append(f"continuation not sent (no events channel): {', '.join(event.deferred)}")
        return
    try:
        event.continuation_message_id = events.request(payload)
    except EventsError as error:
        event.errors.append(f"continuation not sent: {error}")


def open_breakers(state: TolerantState, app: App, event: CompletionEvent) -> list[str]:
    """For paths that ran nothing; a run reports its own (`RunRecord.breakers_open`): every breaker not closed."""
    return sorted(breaker.export_type for breaker in state.breakers(app.runner.wall_clock()) if breaker.status != "closed")


def publish(events: Events | None, event: CompletionEvent, seconds: float) -> bool:
    """Publish the event, retrying (the client's own retry) within the seconds left. When it still cannot be
    published, the whole event goes to the structured log at ERROR (`completion_event`), so that a log sink can
    replay it, and the instance counts it (`unpublished_events`). False then."""
    error = "no events channel could be opened"
    if events is not None:
        try:
            events.completed(event, timeout=max(1.0, seconds))
            return True
        except Exception as failure:  # logged, not raised: the run's outcome stands and a redelivery would not help
            error = f"{type(failure).__name__}: {failure}"
    fields = {"completion_event": event.document(), "unpublished_events": next(UNPUBLISHED_EVENTS)}
    log_event(logging.ERROR, f"completion event not published: {error}", event, completion=False, **fields)
    return False


def mark_unpublished(state: TolerantState, event: CompletionEvent) -> None:
    """The run record (when the delivery ran) says that its completion event exists only in the log."""
    record = state.get_run(event.run_id)
    if record is not None:
        state.save_run(event.run_id, {**record, "completion_event": UNPUBLISHED})


UNPUBLISHED_EVENTS = itertools.count(1)  # this instance's completion events that exist only in the log


def log_event(level: int, message: str, event: CompletionEvent, completion: bool = True, **extra: Any) -> None:
    """`completion`: this line reports the delivery's outcome (one per delivery); the log-based metrics of
    monitoring/alerts.yaml count only those. Lists are joined into strings so that a filter compares one value."""
    fields = {"run_id": event.run_id, "message_id": event.message_id, "correlation_id": event.correlation_id,
              "status": event.status, "target_date": event.target_date, "completion": completion,
              "breakers_open": ",".join(event.breakers_open or []), "errors": "; ".join(event.errors), **extra}
    log.log(level, message, extra={"json_fields": fields})


class Instance:
    """One function instance: backends and the events publisher are opened once, on the first delivery that can
    open them."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self._app: App | None = None
        self._events: Events | None = None
        self._opening = threading.Lock()  # functions-framework serves concurrent deliveries on threads

    def handle(self, envelope: Envelope) -> CompletionEvent:
        with self._opening:
            events = self._open_events()
            try:
                app = self._open_app()
            except (WarehouseError, StorageError, StateError) as error:
                return self.without_backends(envelope, events, error)
        return handle(envelope, app, events)

    def _open_events(self) -> Events | None:
        if self._events is None:
            try:
                self._events = open_events(self.settings)
            except EventsError as error:  # the events of this delivery go to the log in full
                log.error("events channel could not be opened: %s", error)
        return self._events

    def _open_app(self) -> App:
        if self._app is None:
            self._app = open_app(self.settings)
            log.info("backends opened")
        return self._app

    def without_backends(self, envelope: Envelope, events: Events | None, error: Exception) -> CompletionEvent:
        """Validate on the configured clock: a rejected or ignored message is acknowledged; an accepted one raises."""
        started = time.monotonic()
        now = ts(datetime.now(timezone.utc)) or ""
        event = CompletionEvent(new_run_id(), envelope.message_id, now, self.settings.budget_seconds, finished_at=now,
                                breakers_open=[])
        outcome = parse(envelope, Clock(self.settings.fixed_now()))
        if isinstance(outcome, Accepted):
            describe_request(event, outcome.request)
            event.errors.append(f"nothing could start, Pub/Sub will redeliver: backends could not be opened: {error}")
            log_event(logging.ERROR, "backends could not be opened", event)
        else:
            describe_unaccepted(event, outcome)
        publish(events, event, seconds_left(self.settings.budget_seconds, started))
        if isinstance(outcome, Accepted):
            raise NothingCouldStart(f"backends could not be opened: {error}") from error
        return event


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
