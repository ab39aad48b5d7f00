"""Outgoing messages: the completion event and continuation requests (docs/messages.md, `continuation`).

Chosen by `settings.events_url`:

* `pubsub://PROJECT/TOPIC` — completion events are published to TOPIC; continuation requests to the export
  trigger topic, `PHASE6_TRIGGER_TOPIC` (a topic id in PROJECT or a full `projects/P/topics/T`; default
  `phase6-export-trigger`), so the function picks them up again like any other request.
* `file://PATH` — completion events are appended to the JSON-lines file PATH; continuation requests are appended
  as pending messages (`{"message_id", "data"}`) to `continuations.jsonl` beside it. Nothing re-invokes them by
  itself locally: `python -m phase6 publish --pending FILE` sends them to a local server.
"""
from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Protocol

import orjson

from .config import Settings, local_path

PUBLISH_TIMEOUT_SECONDS = 30.0
DEFAULT_TRIGGER_TOPIC = "phase6-export-trigger"
CONTINUATIONS_FILE = "continuations.jsonl"


class EventsError(RuntimeError):
    """A completion event or continuation request could not be sent; the message names which."""


# What a run record says when its completion event could not be published and exists only in the log.
UNPUBLISHED = "unpublished (in the log)"


@dataclass
class CompletionEvent:
    """docs/messages.md, every field. `continuation_message_id` is present only when a continuation was sent."""

    run_id: str
    message_id: str
    started_at: str
    budget_seconds: float
    correlation_id: str | None = None
    trigger_source: str | None = None
    mode: str | None = None
    target_date: str | None = None
    status: str = "failed"
    finished_at: str | None = None
    duration_seconds: float = 0.0
    exports: dict[str, dict[str, Any]] = field(default_factory=dict)
    deferred: list[str] = field(default_factory=list)
    continuation_message_id: str | None = None
    breakers_open: list[str] | None = None  # None until known; published as a list
    errors: list[str] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)  # backends the delivery went on without ("state_store")

    def document(self) -> dict[str, Any]:
        body = {
            "run_id": self.run_id,
            "message_id": self.message_id,
            "correlation_id": self.correlation_id,
            "trigger_source": self.trigger_source,
            "mode": self.mode,
            "target_date": self.target_date,
            "status": self.status,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_seconds": round(self.duration_seconds, 3),
            "budget_seconds": self.budget_seconds,
            "exports": self.exports,
            "deferred": self.deferred,
            "breakers_open": self.breakers_open or [],
            "errors": self.errors,
        }
        if self.continuation_message_id:
            body["continuation_message_id"] = self.continuation_message_id
        if self.degraded:
            body["degraded"] = self.degraded
        return body


class Events(Protocol):
    def completed(self, event: CompletionEvent, timeout: float = PUBLISH_TIMEOUT_SECONDS) -> str:
        """Publish a completion event, retrying for at most `timeout` seconds; returns its message id."""

    def request(self, payload: Mapping[str, Any]) -> str:
        """Send an export request (a continuation) to the trigger topic; returns its message id."""


def open_events(settings: Settings) -> Events:
    url = settings.events_url
    if url.startswith("file://"):
        path = local_path(url, "file")
        return FileEvents(path, path.parent / CONTINUATIONS_FILE)
    if url.startswith("pubsub://"):
        project, _, topic = url[len("pubsub://"):].strip("/").partition("/")
        if not project or not topic or "/" in topic:
            raise ValueError(f"pubsub URL must be pubsub://PROJECT/TOPIC, got {url!r}")
        return PubSubEvents(project, topic, trigger_topic_path(project))
    raise ValueError(f"unsupported events URL {url!r}; expected file://PATH or pubsub://PROJECT/TOPIC")


def trigger_topic_path(project: str) -> str:
    topic = os.environ.get("PHASE6_TRIGGER_TOPIC", "").strip() or DEFAULT_TRIGGER_TOPIC
    return topic if topic.startswith("projects/") else f"projects/{project}/topics/{topic}"


class FileEvents:
    """JSON-lines files; each publish appends one line and flushes (O_APPEND keeps concurrent lines whole)."""

    def __init__(self, events_path: Path, continuations_path: Path):
        self.events_path = events_path
        self.continuations_path = continuations_path
        self._lock = threading.Lock()

    def completed(self, event: CompletionEvent, timeout: float = PUBLISH_TIMEOUT_SECONDS) -> str:
        self._append(self.events_path, event.document())
        return event.run_id

    def request(self, payload: Mapping[str, Any]) -> str:
        message_id = f"local-{uuid.uuid4().hex}"
        self._append(self.continuations_path, {"message_id": message_id, "data": payload})
        return message_id

    def _append(self, path: Path, body: Mapping[str, Any]) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, path.open("ab") as handle:
                handle.write(orjson.dumps(body) + b"\n")
                handle.flush()
        except OSError as error:
            raise EventsError(f"appending to {path} failed: {error}") from error


class PubSubEvents:
    """One publisher per instance; each publish waits for the server's acknowledgement (with a timeout)."""

    def __init__(self, project: str, topic: str, trigger_topic: str, publisher: Any = None):
        from google.cloud import pubsub_v1

        try:  # missing credentials fail here
            self._publisher = publisher or pubsub_v1.PublisherClient()
        except Exception as error:
            raise EventsError(f"cannot open the Pub/Sub publisher: {error}") from error
        self.events_topic = self._publisher.topic_path(project, topic)
        self.trigger_topic = trigger_topic

    def completed(self, event: CompletionEvent, timeout: float = PUBLISH_TIMEOUT_SECONDS) -> str:
        body = event.document()
        attributes = {"status": event.status, "run_id": event.run_id, "target_date": event.target_date or ""}
        return self._publish(self.events_topic, body, attributes, timeout)

    def request(self, payload: Mapping[str, Any]) -> str:
        attributes = {"trigger_source": str(payload.get("trigger_source", ""))}
        return self._publish(self.trigger_topic, payload, attributes, PUBLISH_TIMEOUT_SECONDS)

    def _publish(self, topic: str, body: Mapping[str, Any], attributes: Mapping[str, str], timeout: float) -> str:
        """The client library's publish retry (its default policy for Publish) with its deadline cut to `timeout`."""
        try:
            future = self._publisher.publish(topic, orjson.dumps(body), retry=publish_retry(timeout),
                                             timeout=min(timeout, PUBLISH_TIMEOUT_SECONDS), **attributes)
            return future.result(timeout=timeout)
        except Exception as error:
            raise EventsError(f"publish to {topic} failed: {type(error).__name__}: {error}") from error


def publish_retry(timeout: float) -> Any:
    """google-cloud-pubsub's default retry for Publish (the same transient errors and backoff), ending after
    `timeout` seconds instead of the library's 600."""
    from google.api_core import exceptions
    from google.api_core.retry import Retry, if_exception_type

    transient = if_exception_type(exceptions.Aborted, exceptions.Cancelled, exceptions.DeadlineExceeded,
                                  exceptions.InternalServerError, exceptions.ResourceExhausted,
                                  exceptions.ServiceUnavailable, exceptions.Unknown)
    return Retry(initial=0.1, maximum=60.0, multiplier=4, predicate=transient, timeout=timeout)
