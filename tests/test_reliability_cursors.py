"""Continuation cursors are validated like every other field: a crafted cursor is rejected with a clear error,
writes nothing and never counts against a breaker. Through functions-framework over HTTP, on the demo season."""
from __future__ import annotations

import json
import shutil

import pytest

from phase6.cli_runtime import post_cloud_event
from tests.servers import FunctionServer
from tests.test_reliability_corpus import bucket_snapshot, state_snapshot

REQUEST = {"export_types": ["tonight-players"], "target_date": "2026-03-04", "trigger_source": "continuation"}


def continuation(cursor) -> dict:
    return {**REQUEST, "continuation": {"of": "run0", "attempt": 1, "cursor": cursor}}


def position(next_index=50, next_entity="annsmith", total=180) -> dict:
    return {"next_index": next_index, "next_entity": next_entity, "total": total}


BAD_CURSORS = [
    ("a-number", {"tonight-players": 5}, "continuation.cursor.tonight-players: expected an object"),
    ("a-list", {"tonight-players": [50]}, "continuation.cursor.tonight-players: expected an object"),
    ("negative-index", {"tonight-players": position(next_index=-5)}, "next_index: expected an integer from 1 to total - 1"),
    ("huge-index", {"tonight-players": position(next_index=10**9)}, "next_index: expected an integer from 1 to total - 1"),
    ("index-at-total", {"tonight-players": position(next_index=180)}, "next_index: expected an integer from 1 to total - 1"),
    ("index-a-string", {"tonight-players": position(next_index="50")}, "next_index: expected an integer"),
    ("index-a-boolean", {"tonight-players": position(next_index=True)}, "next_index: expected an integer"),
    ("total-zero", {"tonight-players": position(total=0)}, "total: expected an integer from 2 to"),
    ("total-huge", {"tonight-players": position(total=10**12)}, "total: expected an integer from 2 to"),
    ("entity-a-path", {"tonight-players": position(next_entity="../../etc/x")}, "next_entity: expected a player lookup"),
    ("entity-null", {"tonight-players": position(next_entity=None)}, "next_entity: expected a player lookup"),
    ("missing-fields", {"tonight-players": {"next_index": 5}}, "found no next_entity, total"),
    ("unknown-field", {"tonight-players": {**position(), "skip": 1}}, "continuation.cursor.tonight-players.skip: unknown field"),
    ("unknown-type", {"nope": position()}, "continuation.cursor.'nope': expected a fan-out export type of this request"),
    ("not-a-fanout", {"daily-signals": position()}, "expected a fan-out export type of this request (tonight-players)"),
    ("type-not-requested", {"players": position()}, "expected a fan-out export type of this request (tonight-players)"),
]


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    root = tmp_path_factory.mktemp("cursors")
    shutil.copy(demo_db, root / "w.duckdb")
    running = FunctionServer(root, root / "w.duckdb", now="2026-03-04T18:00:00+00:00")
    running.start()
    yield running
    running.stop()


def send(server: FunctionServer, payload: dict, message_id: str) -> int:
    return post_cloud_event(server.url, json.dumps(payload).encode(), message_id)


@pytest.mark.parametrize(("cursor", "expected"), [pytest.param(c, e, id=i) for i, c, e in BAD_CURSORS])
def test_a_crafted_cursor_is_rejected_and_changes_nothing(server, request, cursor, expected):
    message_id = f"cursor-{request.node.callspec.id}"
    bucket, state = bucket_snapshot(server.bucket), state_snapshot(server.state)
    assert send(server, continuation(cursor), message_id) == 200
    [event] = server.events_for(message_id)
    assert event["status"] == "rejected" and event["exports"] == {}
    assert any(expected in error for error in event["errors"]), event["errors"]
    assert bucket_snapshot(server.bucket) == bucket
    assert state_snapshot(server.state) == state


def test_repeated_bad_cursors_never_open_the_breaker_and_a_valid_continuation_resumes(server):
    for attempt in range(4):
        assert send(server, continuation({"tonight-players": 5}), f"again-{attempt}") == 200
    entities = sorted(path.stem for path in (server.bucket / "v1/tonight/player").glob("*.json"))
    assert entities == []  # nothing ran

    assert send(server, REQUEST, "full") == 200
    [full] = server.events_for("full")
    players = sorted(path.stem for path in (server.bucket / "v1/tonight/player/2026-03-04").glob("*.json"))
    assert full["exports"]["tonight-players"]["status"] == "ok" and len(players) > 100

    cursor = {"tonight-players": position(next_index=100, next_entity=players[100], total=len(players))}
    assert send(server, continuation(cursor), "resumed") == 200
    [resumed] = server.events_for("resumed")
    assert resumed["status"] == "success" and resumed["breakers_open"] == []
    export = resumed["exports"]["tonight-players"]
    assert export["status"] == "ok" and export["unchanged"] == 2 * (len(players) - 100)
