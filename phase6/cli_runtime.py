"""CLI commands around the Cloud Function entry point: `serve` it locally and `publish` export requests to it."""
from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Mapping, Optional

import typer

ENTRY_POINT = Path(__file__).resolve().parent.parent / "main.py"
TARGET = "export_handler"
PUBSUB_EVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
LOCAL_TOPIC = "projects/local/topics/phase6-export-trigger"
HTTP_TIMEOUT_SECONDS = 600.0  # a run may take the whole 540 s budget

commands = typer.Typer(add_completion=False, help="Serve the Cloud Function locally and send it export requests.")


def serve_command(host: str, port: int) -> list[str]:
    """functions-framework serving main.py, exactly as the deployment runs it."""
    return [
        sys.executable, "-m", "functions_framework", f"--target={TARGET}", "--signature-type=cloudevent",
        f"--source={ENTRY_POINT}", f"--host={host}", f"--port={port}",
    ]


@commands.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8080, help="Port to listen on."),
) -> None:
    """Run the Cloud Function locally (functions-framework) on the configured backends, embedded by default.

    Send it requests with `python -m phase6 publish --to http://HOST:PORT`."""
    command = serve_command(host, port)
    typer.echo(f"serving {ENTRY_POINT}:{TARGET} on http://{host}:{port} (Ctrl-C stops)", err=True)
    os.execv(command[0], command)


def export_request(
    types: Optional[str], date_text: Optional[str], mode: Optional[str], update_latest: Optional[bool],
    min_games: Optional[int], correlation_id: Optional[str], trigger_source: str,
) -> dict[str, Any]:
    """The message of docs/messages.md with only the fields given; the function applies the defaults."""
    fields = {
        "export_types": [name.strip() for name in types.split(",") if name.strip()] if types is not None else None,
        "target_date": date_text,
        "mode": mode,
        "update_latest": update_latest,
        "min_games": min_games,
        "correlation_id": correlation_id,
        "trigger_source": trigger_source,
    }
    return {name: value for name, value in fields.items() if value is not None}


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
        raise typer.BadParameter(f"expected pubsub://PROJECT/TOPIC, got {url!r}")
    publisher = pubsub_v1.PublisherClient()
    futures = [publisher.publish(publisher.topic_path(project, topic), data) for data in messages]
    return [future.result(timeout=60) for future in futures]


def send(to: str, data: bytes, message_id: str, structured: bool) -> None:
    if to.startswith("pubsub://"):
        [message_id] = publish_to_topic(to, data)
        typer.echo(f"published message {message_id} to {to}")
        return
    if not to.startswith(("http://", "https://")):
        raise typer.BadParameter(f"--to must be pubsub://PROJECT/TOPIC or an http(s) URL, got {to!r}")
    status = post_cloud_event(to, data, message_id, structured=structured)
    typer.echo(f"sent message {message_id} to {to}: HTTP {status}")
    if status >= 300:
        raise typer.Exit(1)


@commands.command()
def publish(
    to: str = typer.Option("http://127.0.0.1:8080", help="pubsub://PROJECT/TOPIC, or the URL of a local `serve`."),
    types: Optional[str] = typer.Option(None, help="Comma-separated export types or groups (all, tonight-set, results-set)."),
    date_text: Optional[str] = typer.Option(None, "--date", help="today, yesterday or YYYY-MM-DD (game-day clock)."),
    mode: Optional[str] = typer.Option(None, help="live or replay."),
    update_latest: Optional[bool] = typer.Option(None, "--update-latest/--no-update-latest", help="Write live pointers."),
    min_games: Optional[int] = typer.Option(None, help="Profile threshold for the players export."),
    correlation_id: Optional[str] = typer.Option(None, help="Carried into logs, heartbeats and the completion event."),
    trigger_source: str = typer.Option("manual", help="Who is asking (informational)."),
    raw: Optional[str] = typer.Option(None, "--json", help="Send this JSON text as is instead of building a request."),
    pending: Optional[Path] = typer.Option(None, help="Send the continuation messages queued in this JSON-lines file."),
    structured: bool = typer.Option(False, help="HTTP only: structured-mode CloudEvent instead of binary mode."),
) -> None:
    """Send an export request: to a Pub/Sub topic, or straight to a local server as a Pub/Sub CloudEvent.

    The function validates the message; a rejected one is acknowledged and reported in its completion event."""
    if pending is not None:
        for line in pending.read_text().splitlines():
            message = json.loads(line)
            send(to, json.dumps(message["data"]).encode(), message["message_id"], structured)
        pending.write_text("")
        return
    if raw is not None:
        data = raw.encode()
    else:
        data = json.dumps(export_request(types, date_text, mode, update_latest, min_games, correlation_id,
                                         trigger_source)).encode()
    send(to, data, str(secrets.randbelow(10**16)), structured)
