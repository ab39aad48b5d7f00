"""`backfill`: locally it replays each day (dated files only); `--via pubsub` publishes one replay request per day
to the trigger topic, and every message it sends passes the function's own validator."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime

import pytest
from typer.testing import CliRunner

from phase6.cli import app
from phase6.clock import Clock
from phase6.messages import Accepted, Envelope, parse
from tests.conftest import DEMO_NOW

PROJECT = "phase6-backfill"


def test_local_backfill_writes_only_dated_files_with_a_summary(cli_env, tmp_path):
    cli_env.close()
    result = CliRunner().invoke(app, ["backfill", "--start", "2026-02-10", "--end", "2026-02-11",
                                      "--types", "results,predictions,players"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert re.search(r"^ days +2 *$", result.output, re.M), result.output
    assert re.search(r"^ warehouse reads +\d+ \(1 chunk\) *$", result.output, re.M)
    written = sorted(p.relative_to(tmp_path / "bucket" / "v1").as_posix()
                     for p in (tmp_path / "bucket" / "v1").rglob("*.json"))
    assert [name for name in written if name != "status.json"] == [
        "predictions/2026-02-10.json", "predictions/2026-02-11.json", "results/2026-02-10.json", "results/2026-02-11.json"]


@pytest.mark.parametrize("arguments, problem", [
    (["--start", "2026-02-11", "--end", "2026-02-10"], "before --start"),
    (["--start", "02/10/2026", "--end", "2026-02-11"],
     '--start: expected "today", "yesterday" or a date YYYY-MM-DD, found the string "02/10/2026"'),
    (["--start", "2026-02-10", "--end", "2026-02-11", "--types", "nope"], "--types: expected export type or group names"),
    (["--start", "2026-02-10", "--end", "2026-02-11", "--types", "performance"], "nothing to replay"),
    (["--start", "2026-02-10", "--end", "2026-02-11", "--via", "pubsub"], "--via pubsub needs --to"),
    (["--start", "2026-02-10", "--end", "2026-02-11", "--chunk-days", "0"], "--chunk-days must be at least 1"),
])
def test_bad_arguments_are_refused_before_anything_runs(arguments, problem, monkeypatch):
    monkeypatch.setenv("PHASE6_NOW", DEMO_NOW)
    result = CliRunner().invoke(app, ["backfill", *arguments])
    assert result.exit_code == 2 and problem in result.output, result.output


@pytest.mark.emulator
def test_via_pubsub_publishes_one_valid_replay_request_per_day(pubsub_emulator):
    from google.cloud import pubsub_v1

    topic = f"trigger-{uuid.uuid4().hex[:8]}"
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic_path = publisher.create_topic(name=publisher.topic_path(PROJECT, topic)).name
    subscription = subscriber.create_subscription(
        name=subscriber.subscription_path(PROJECT, f"{topic}-sub"), topic=topic_path).name

    result = CliRunner().invoke(app, ["backfill", "--start", "2026-02-10", "--end", "2026-02-13", "--types", "all",
                                      "--via", "pubsub", "--to", f"pubsub://{PROJECT}/{topic}"], catch_exceptions=False)
    assert result.exit_code == 0, result.output

    received = []
    while len(received) < 4:
        response = subscriber.pull(subscription=subscription, max_messages=10, timeout=30)
        assert response.received_messages, "fewer messages than days"
        subscriber.acknowledge(subscription=subscription, ack_ids=[m.ack_id for m in response.received_messages])
        received += [json.loads(m.message.data) for m in response.received_messages]
    assert sorted(message["target_date"] for message in received) == ["2026-02-10", "2026-02-11", "2026-02-12", "2026-02-13"]
    clock = Clock(datetime.fromisoformat(DEMO_NOW))
    for message in received:
        outcome = parse(Envelope.of_json(message), clock)
        assert isinstance(outcome, Accepted), outcome
        assert outcome.request.mode == "replay" and not outcome.request.update_latest
        assert "players" not in outcome.request.export_types and "results" in outcome.request.export_types
