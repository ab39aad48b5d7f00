"""Completion events and continuation requests: a local JSON-lines file, and Pub/Sub through its emulator."""
from __future__ import annotations

import orjson
import pytest

from phase6.config import Settings
from phase6.events import CompletionEvent, FileEvents, PubSubEvents, open_events, trigger_topic_path

PROJECT = "phase6-test"


def sample_event() -> CompletionEvent:
    return CompletionEvent(
        run_id="r1", message_id="m1", started_at="2026-03-04T17:00:00.000000+00:00", budget_seconds=540.0,
        correlation_id="c1", trigger_source="manual", mode="live", target_date="2026-03-04", status="success",
        finished_at="2026-03-04T17:00:01.000000+00:00", duration_seconds=1.0,
        exports={"results": {"status": "ok", "files": 2, "bytes": 10, "unchanged": 0, "duration_seconds": 0.5}},
        breakers_open=[],
    )


def test_file_events_append_one_line_each(tmp_path):
    events = open_events(Settings(events_url=f"file://{tmp_path}/out/events.jsonl"))
    assert isinstance(events, FileEvents)
    events.completed(sample_event())
    events.completed(sample_event())
    lines = (tmp_path / "out/events.jsonl").read_bytes().splitlines()
    assert [orjson.loads(line) for line in lines] == [sample_event().document()] * 2


def test_file_continuations_are_queued_beside_the_events(tmp_path):
    events = open_events(Settings(events_url=f"file://{tmp_path}/events.jsonl"))
    message_id = events.request({"export_types": ["players"]})
    [line] = (tmp_path / "continuations.jsonl").read_bytes().splitlines()
    assert orjson.loads(line) == {"message_id": message_id, "data": {"export_types": ["players"]}}


@pytest.mark.parametrize("url", ["pubsub://only-project", "pubsub:///topic", "kafka://x/y", "pubsub://p/t/extra"])
def test_bad_events_urls_are_refused(url):
    with pytest.raises(ValueError, match="events URL|pubsub URL"):
        open_events(Settings(events_url=url))


def test_trigger_topic_setting(monkeypatch):
    assert trigger_topic_path("p") == "projects/p/topics/phase6-export-trigger"
    monkeypatch.setenv("PHASE6_TRIGGER_TOPIC", "retrigger")
    assert trigger_topic_path("p") == "projects/p/topics/retrigger"
    monkeypatch.setenv("PHASE6_TRIGGER_TOPIC", "projects/other/topics/t")
    assert trigger_topic_path("p") == "projects/other/topics/t"


@pytest.mark.emulator
def test_pubsub_events_reach_their_topics(pubsub_emulator, monkeypatch):  # noqa: F811
    from google.cloud import pubsub_v1

    monkeypatch.setenv("PHASE6_TRIGGER_TOPIC", "trigger-events-test")
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    subscriptions = {}
    for topic in ("complete-events-test", "trigger-events-test"):
        topic_path = publisher.create_topic(name=publisher.topic_path(PROJECT, topic)).name
        subscriptions[topic] = subscriber.create_subscription(
            name=subscriber.subscription_path(PROJECT, f"{topic}-sub"), topic=topic_path).name

    events = open_events(Settings(events_url=f"pubsub://{PROJECT}/complete-events-test"))
    assert isinstance(events, PubSubEvents)
    event = sample_event()
    published_id = events.completed(event)
    continuation_id = events.request({"export_types": ["players"], "trigger_source": "continuation"})

    [completed] = subscriber.pull(subscription=subscriptions["complete-events-test"], max_messages=10, timeout=30).received_messages
    assert completed.message.message_id == published_id
    assert orjson.loads(completed.message.data) == event.document()
    assert dict(completed.message.attributes) == {"status": "success", "run_id": "r1", "target_date": "2026-03-04"}
    [queued] = subscriber.pull(subscription=subscriptions["trigger-events-test"], max_messages=10, timeout=30).received_messages
    assert queued.message.message_id == continuation_id
    assert orjson.loads(queued.message.data)["trigger_source"] == "continuation"
