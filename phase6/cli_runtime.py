"""CLI commands around the Cloud Function entry point: `serve` it locally and `publish` export requests to it.

`publish` checks every message with the function's own parser before sending anything (phase6/cli_requests.py), on
the clock of the function it sends to: the configured game-day clock for a local server, the real clock (or
PHASE6_NOW) for a Pub/Sub topic. A function acknowledges a message it rejects (so that Pub/Sub does not redeliver
it), so against a local server `publish` reads the run's completion event from the configured events file
(PHASE6_EVENTS, shared with `serve` when both run with the same configuration) and shows its status and errors.
"""
from __future__ import annotations

import base64
import errno
import json
import os
import secrets
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Mapping, Optional

import typer

from .app import read_clock
from .cli_errors import CommandError, UsageMistake
from .cli_requests import DATE_HELP, DATE_METAVAR, MODE_HELP, MODE_METAVAR, OPTIONS, TYPES_HELP, checked, request_fields
from .clock import Clock
from .config import Settings, local_path
from .messages import GameDayClock

ENTRY_POINT = Path(__file__).resolve().parent.parent / "main.py"
TARGET = "export_handler"
PUBSUB_EVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
LOCAL_TOPIC = "projects/local/topics/phase6-export-trigger"
HTTP_TIMEOUT_SECONDS = 600.0  # a run may take the whole 540 s budget
FAILED_RUNS = ("rejected", "failed")


def serve_command(host: str, port: int) -> list[str]:
    """functions-framework serving main.py, exactly as the deployment runs it."""
    return [
        sys.executable, "-m", "functions_framework", f"--target={TARGET}", "--signature-type=cloudevent",
        f"--source={ENTRY_POINT}", f"--host={host}", f"--port={port}",
    ]


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8080, help="Port to listen on."),
) -> None:
    """Run the Cloud Function locally (functions-framework) on the configured backends, embedded by default.

    Send it requests with `python -m phase6 publish --to http://HOST:PORT`."""
    ensure_free(host, port)
    command = serve_command(host, port)
    typer.echo(f"serving {ENTRY_POINT}:{TARGET} on http://{host}:{port} (Ctrl-C stops)", err=True)
    os.execv(command[0], command)


def ensure_free(host: str, port: int) -> None:
    """Fails here, in one line, rather than in the server's start-up."""
    try:
        socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET).close()
    except OSError as error:
        raise cannot_listen(host, port, error) from error


def cannot_listen(host: str, port: int, error: OSError) -> CommandError:
    reason = "the port is already in use" if error.errno == errno.EADDRINUSE else error.strerror or str(error)
    return CommandError(f"cannot listen on {host}:{port}: {reason}; choose another with --port")


def pubsub_cloud_event(data: bytes, message_id: str, attributes: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A Pub/Sub message as Eventarc delivers it to a CloudEvent function (the event's `data`)."""
    return {
        "message": {"data": base64.b64encode(data).decode("ascii"), "attributes": dict(attributes or {}),
                    "messageId": message_id},
        "subscription": "projects/local/subscriptions/phase6-export-trigger-local",
    }


def post_cloud_event(url: str, data: bytes, message_id: str, *, structured: bool = False) -> int:
    """POST one Pub/Sub CloudEvent to a functions-framework server; returns the HTTP status."""
    body = pubsub_cloud_event(data, message_id)
    envelope = {"specversion": "1.0", "id": message_id, "type": PUBSUB_EVENT_TYPE,
                "source": f"//pubsub.googleapis.com/{LOCAL_TOPIC}"}
    if structured:
        headers = {"Content-Type": "application/cloudevents+json"}
        payload = {**envelope, "datacontenttype": "application/json", "data": body}
    else:
        headers = {"Content-Type": "application/json", **{f"ce-{key}": value for key, value in envelope.items()}}
        payload = body
    request = urllib.request.Request(url, json.dumps(payload).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def publish_to_topic(url: str, *messages: bytes) -> list[str]:
    """Publish to `pubsub://PROJECT/TOPIC` (honours PUBSUB_EMULATOR_HOST), batched by the client library;
    returns the message ids in order."""
    from google.cloud import pubsub_v1

    project, _, topic = url[len("pubsub://"):].strip("/").partition("/")
    if not project or not topic or "/" in topic:
        raise UsageMistake(f"--to: expected pubsub://PROJECT/TOPIC, got {url!r}")
    publisher = pubsub_v1.PublisherClient()
    futures = [publisher.publish(publisher.topic_path(project, topic), data) for data in messages]
    return [future.result(timeout=60) for future in futures]


def send(to: str, data: bytes, message_id: str, structured: bool, settings: Settings) -> list[str]:
    """Sends one message; returns the problems of its run (a local server's completion event), if any."""
    if to.startswith("pubsub://"):
        [message_id] = publish_to_topic(to, data)
        typer.echo(f"published message {message_id} to {to}")
        return []
    try:
        status = post_cloud_event(to, data, message_id, structured=structured)
    except urllib.error.URLError as error:
        raise unreachable(to, error) from error
    sent = f"sent message {message_id} to {to}: HTTP {status}"
    event = completion_event(settings, message_id)
    if event is None:
        typer.echo(f"{sent}; its completion event is not in {settings.events_url}")
        return [f"message {message_id}: HTTP {status}"] if status >= 300 else []
    typer.echo(f"{sent}; run {event['run_id']} {event['status']}")
    if event["status"] in FAILED_RUNS or status >= 300:
        return [f"message {message_id}: the function's run {event['run_id']} ended {event['status']}", *event["errors"]]
    for error in event["errors"]:
        typer.echo(f"  {error}")
    return []


def unreachable(to: str, error: urllib.error.URLError) -> CommandError:
    if isinstance(error.reason, ConnectionRefusedError):
        return CommandError(f"no function is listening at {to} (connection refused); "
                            "start one with `python -m phase6 serve`")
    return CommandError(f"cannot reach {to}: {error.reason}")


def completion_event(settings: Settings, message_id: str) -> dict[str, Any] | None:
    """The newest completion event for the message in a file:// events sink."""
    if not settings.events_url.startswith("file://"):
        return None
    path = local_path(settings.events_url, "file")
    lines = path.read_bytes().splitlines() if path.exists() else []
    events = [event for event in map(json.loads, filter(None, lines)) if event.get("message_id") == message_id]
    return events[-1] if events else None


def target_clock(to: str, settings: Settings) -> GameDayClock:
    """The clock of the function a message goes to: a topic's is production's real clock (or PHASE6_NOW)."""
    if to.startswith("pubsub://"):
        return Clock(settings.fixed_now())
    if to.startswith(("http://", "https://")):
        return read_clock(settings).clock
    raise UsageMistake(f"--to: expected pubsub://PROJECT/TOPIC or an http(s) URL, got {to!r}")


def pending_messages(path: Path) -> list[tuple[bytes, str]]:
    """Continuations queued by a local run (phase6/events.py): one {"message_id", "data"} object per line."""
    messages = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        try:
            message = json.loads(line)
            messages.append((json.dumps(message["data"]).encode(), str(message["message_id"])))
        except (ValueError, TypeError, KeyError) as error:
            raise UsageMistake(f"--pending {path} line {number}: expected {{\"message_id\", \"data\"}}, "
                               f"found {line[:80]!r} ({type(error).__name__})") from error
    return messages


def publish(
    to: str = typer.Option("http://127.0.0.1:8080", help="pubsub://PROJECT/TOPIC, or the URL of a local `serve`."),
    types: Optional[str] = typer.Option(None, help=TYPES_HELP),
    date_text: Optional[str] = typer.Option(None, "--date", metavar=DATE_METAVAR, help=DATE_HELP),
    mode: Optional[str] = typer.Option(None, metavar=MODE_METAVAR, help=MODE_HELP),
    update_latest: Optional[bool] = typer.Option(None, "--update-latest/--no-update-latest", help="Write live pointers."),
    min_games: Optional[int] = typer.Option(None, help="Profile threshold for the players export, 1 to 82."),
    correlation_id: Optional[str] = typer.Option(None, help="Carried into logs, heartbeats and the completion event."),
    trigger_source: str = typer.Option("manual", help="Who is asking (informational)."),
    raw: Optional[str] = typer.Option(None, "--json", help="Send this JSON text as is instead of building a request."),
    pending: Optional[Path] = typer.Option(None, help="Send the continuation messages queued in this JSON-lines file."),
    structured: bool = typer.Option(False, help="HTTP only: structured-mode CloudEvent instead of binary mode."),
) -> None:
    """Send an export request: to a Pub/Sub topic, or straight to a local server as a Pub/Sub CloudEvent.

    Every message is checked with the function's own parser first; one it would reject is not sent. Against a
    local server, the run's completion event is shown; exit 1 when the run was rejected or failed."""
    settings = Settings()
    clock = target_clock(to, settings)
    if pending is not None:
        messages, options = pending_messages(pending), {}
    elif raw is not None:
        messages, options = [(raw.encode(), new_message_id())], {}
    else:
        fields = request_fields(types, date_text, mode, update_latest, min_games, correlation_id, trigger_source)
        messages, options = [(json.dumps(fields).encode(), new_message_id())], OPTIONS
    for data, _ in messages:
        checked(data, clock, options)
    problems = [problem for data, message_id in messages for problem in send(to, data, message_id, structured, settings)]
    if pending is not None:
        pending.write_text("")
    if problems:
        raise CommandError(*problems)


def new_message_id() -> str:
    return str(secrets.randbelow(10**16))
