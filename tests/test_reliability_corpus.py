"""Malformed-message corpus through the real HTTP entry point (functions-framework serving main.py).

Every case must be acknowledged (HTTP 200), produce exactly one `rejected` completion event whose errors name
the problem, write nothing to the bucket and leave the state store unchanged. A hypothesis property drives
arbitrary CloudEvent `data` through the envelope decoder and the parser: nothing escapes.
"""
from __future__ import annotations

import base64
import json
import sqlite3
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phase6.messages import Envelope, Rejected, parse
from tests.servers import FunctionServer, signals_warehouse

MAX_ERROR_CHARS = 600  # a clear error is a short one, whatever the payload
OK = {"export_types": ["daily-signals"], "target_date": "2026-03-04"}


def encoded(payload: bytes) -> str:
    return base64.b64encode(payload).decode("ascii")


def as_json(payload: object) -> str:
    return encoded(json.dumps(payload, ensure_ascii=False).encode())


# (case id, Pub/Sub `message` object, a text the rejection must contain)
ENVELOPE_CASES = [
    ("no-data", {}, "found no data"),
    ("empty-data", {"data": ""}, "found no data"),
    ("data-not-a-string", {"data": 12345}, "expected a base64 string, found the number 12345"),
    ("data-an-object", {"data": {"export_types": ["daily-signals"]}}, "expected a base64 string, found an object"),
    ("bad-base64", {"data": "!!not base64!!"}, "invalid base64"),
    ("bad-base64-padding", {"data": "abc"}, "invalid base64"),
    ("bad-utf8", {"data": encoded(b"\xff\xfe{}")}, "invalid UTF-8"),
    ("utf8-encoded-surrogate", {"data": encoded(b'{"a": "\xed\xa0\x80"}')}, "invalid UTF-8"),
    ("bad-json", {"data": encoded(b"{not json")}, "invalid JSON"),
    ("json-trailing-garbage", {"data": encoded(b'{"export_types": []} x')}, "invalid JSON"),
    ("json-nan", {"data": encoded(b'{"min_games": NaN}')}, "invalid JSON"),
    ("json-whitespace-only", {"data": encoded(b"   ")}, "invalid JSON"),
    ("json-nested-too-deep", {"data": encoded(b"[" * 5000 + b"]" * 5000)}, "invalid JSON"),
    ("json-array", {"data": as_json([OK])}, "expected a JSON object, found an array"),
    ("json-string", {"data": as_json("daily-signals")}, "expected a JSON object, found the string"),
    ("json-null", {"data": as_json(None)}, "expected a JSON object, found null"),
    ("json-number", {"data": as_json(42)}, "expected a JSON object, found the number 42"),
    ("oversize", {"data": as_json({**OK, "correlation_id": "x" * 70_000})}, "oversize payload"),
]

CONTENT_CASES = [
    ("unknown-field", {**OK, "priority": "high"}, "priority: unknown field"),
    ("misspelled-export-type", {"export_type": ["daily-signals"], "target_date": "2026-03-04"}, "did you mean export_types?"),
    ("misspelled-date", {"export_types": ["daily-signals"], "date": "2026-03-04"}, "did you mean target_date?"),
    ("empty-field-name", {**OK, "": 1}, "'': unknown field"),
    ("many-unknown-fields", {**OK, **{f"field{index}": index for index in range(500)}}, "more problems"),
    ("unknown-type", {**OK, "export_types": ["nope"]}, "found unknown 'nope'"),
    ("misspelled-type", {**OK, "export_types": ["daily-signal"]}, "found unknown 'daily-signal'"),
    ("sql-in-type", {**OK, "export_types": ["daily-signals'; DROP TABLE x; --"]}, "found unknown"),
    ("path-in-type", {**OK, "export_types": ["../../etc/passwd"]}, "found unknown '../../etc/passwd'"),
    ("empty-type-list", {**OK, "export_types": []}, "found []"),
    ("types-a-string", {**OK, "export_types": "daily-signals"}, "expected a list of strings"),
    ("types-numbers", {**OK, "export_types": [1, 2]}, "expected a list of strings"),
    ("types-nested", {**OK, "export_types": [["daily-signals"]]}, "expected a list of strings"),
    ("types-null", {**OK, "export_types": None}, "expected a list of strings, found null"),
    ("types-missing", {"target_date": "2026-03-04"}, "export_types: expected a non-empty list"),
    ("huge-type-list", {**OK, "export_types": ["players"] * 5000}, "expected at most 64 names"),
    ("huge-unknown-type-list", {**OK, "export_types": [f"t{index}" for index in range(60)]}, "'t4' and 55 more"),
    ("impossible-date", {**OK, "target_date": "2026-02-30"}, "a real date"),
    ("month-13", {**OK, "target_date": "2026-13-01"}, "a real date"),
    ("us-date-format", {**OK, "target_date": "03/04/2026"}, "a date YYYY-MM-DD"),
    ("date-a-number", {**OK, "target_date": 20260304}, "a date YYYY-MM-DD, found the number 20260304"),
    ("date-null", {**OK, "target_date": None}, "a date YYYY-MM-DD, found null"),
    ("date-before-window", {**OK, "target_date": "2020-01-01"}, "season window"),
    ("date-after-window", {**OK, "target_date": "2026-03-10"}, "season window"),
    ("date-path-traversal", {**OK, "target_date": "../../2026-03-04"}, "a date YYYY-MM-DD"),
    ("date-trailing-newline", {**OK, "target_date": "2026-03-04\n"}, "a date YYYY-MM-DD"),
    ("date-fullwidth-digits", {**OK, "target_date": "２０２６-03-04"}, "a date YYYY-MM-DD"),
    ("mode-unknown", {**OK, "mode": "backfill"}, 'mode: expected "live" or "replay"'),
    ("mode-uppercase", {**OK, "mode": "LIVE"}, 'mode: expected "live" or "replay"'),
    ("mode-with-nul", {**OK, "mode": "live\u0000"}, 'mode: expected "live" or "replay"'),
    ("replay-with-update-latest", {**OK, "mode": "replay", "update_latest": True}, "replay never writes live pointers"),
    ("update-latest-a-string", {**OK, "update_latest": "yes"}, "update_latest: expected true or false"),
    ("min-games-zero", {**OK, "min_games": 0}, "min_games: expected an integer from 1 to 82"),
    ("min-games-a-string", {**OK, "min_games": "5"}, "min_games: expected an integer"),
    ("min-games-a-boolean", {**OK, "min_games": True}, "min_games: expected an integer"),
    ("min-games-a-float", {**OK, "min_games": 5.5}, "min_games: expected an integer"),
    ("correlation-id-too-long", {**OK, "correlation_id": "c" * 129}, "correlation_id: expected a non-empty string"),
    ("correlation-id-empty", {**OK, "correlation_id": ""}, "correlation_id: expected a non-empty string"),
    ("trigger-source-an-object", {**OK, "trigger_source": {"a": 1}}, "trigger_source: expected a non-empty string"),
    ("players-a-string", {"players": "true", "target_date": "2026-03-04"}, "players: expected true or false"),
    ("force-a-string", {**OK, "force": "yes"}, "force: expected true or false"),
    ("zero-width-space-in-type", {**OK, "export_types": ["daily-signals\u200b"]}, r"'daily-signals\u200b'"),
    ("non-breaking-hyphen-in-type", {**OK, "export_types": ["daily\u2011signals"]}, "found unknown"),
    ("rtl-override-field", {**OK, "\u202eexport_types": ["x"]}, r"'\u202eexport_types': unknown field"),
    ("continuation-a-string", {**OK, "continuation": "next"}, "continuation: expected an object"),
    ("continuation-attempt-too-high", {**OK, "continuation": {"of": "r1", "attempt": 99, "cursor": {}}},
     "continuation.attempt: expected an integer from 1 to 5"),
    ("phase5-without-game-date", {"status": "success"}, "game_date: expected a date"),
    ("phase5-unknown-status", {"game_date": "2026-03-04", "status": "done"}, "status: expected"),
    ("phase5-completion-over-100", {"game_date": "2026-03-04", "status": "success", "metadata": {"completion_pct": 150}},
     "metadata.completion_pct"),
]

CASES = [pytest.param(message, expected, id=name) for name, message, expected in ENVELOPE_CASES] + [
    pytest.param({"data": as_json(payload)}, expected, id=name) for name, payload, expected in CONTENT_CASES
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    running = FunctionServer(root, signals_warehouse(root / "w.duckdb"))
    running.start()
    yield running
    running.stop()


def post_message(server: FunctionServer, message: dict, message_id: str) -> int:
    """A binary-mode Pub/Sub CloudEvent carrying `message` exactly as given (so envelopes can be broken)."""
    headers = {"Content-Type": "application/json", "ce-specversion": "1.0", "ce-id": message_id,
               "ce-type": "google.cloud.pubsub.topic.v1.messagePublished", "ce-source": "//pubsub.googleapis.com/t"}
    body = json.dumps({"message": {**message, "messageId": message_id}, "subscription": "s"}).encode()
    request = urllib.request.Request(server.url, body, headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:  # 500: the function raised, so that Pub/Sub redelivers
        return error.code


def state_snapshot(path: Path) -> dict[str, list]:
    """Every row of every table of the SQLite state store that has rows (the schema appears on the first delivery)."""
    if not path.exists():
        return {}
    with sqlite3.connect(path) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = {table: sorted(map(repr, connection.execute(f'SELECT * FROM "{table}"'))) for table in tables}
    return {table: found for table, found in rows.items() if found}


def bucket_snapshot(root: Path) -> dict[str, int]:
    return {path.as_posix(): path.stat().st_mtime_ns for path in root.rglob("*")} if root.exists() else {}


def test_the_corpus_has_at_least_40_distinct_cases():
    assert len({case.id for case in CASES}) == len(CASES) >= 40


@pytest.mark.parametrize(("message", "expected"), CASES)
def test_malformed_message_is_acknowledged_rejected_and_changes_nothing(server, request, message, expected):
    message_id = f"corpus-{request.node.callspec.id}"
    bucket, state = bucket_snapshot(server.bucket), state_snapshot(server.state)
    assert post_message(server, message, message_id) == 200
    [event] = server.events_for(message_id)
    assert event["status"] == "rejected"
    assert any(expected in error for error in event["errors"]), event["errors"]
    assert all(len(error) <= MAX_ERROR_CHARS for error in event["errors"])
    assert event["exports"] == {} and event["target_date"] is None
    assert bucket_snapshot(server.bucket) == bucket
    assert state_snapshot(server.state) == state


def test_a_valid_message_after_the_corpus_still_publishes(server):
    """The control: the same server, warehouse and checks do see a write when a message is valid."""
    assert post_message(server, {"data": as_json(OK)}, "corpus-control") == 200
    assert server.events_for("corpus-control")[0]["status"] == "success"
    assert "signals/2026-03-04.json" in server.files()


class FixedDay:
    def game_day(self) -> date:
        return date(2026, 3, 4)


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)
messages = st.fixed_dictionaries({}, optional={
    "data": st.text(max_size=40) | st.binary(max_size=40).map(encoded) | json_values.map(as_json) | json_values,
    "messageId": json_values, "attributes": json_values,
})


@given(st.one_of(json_values, st.fixed_dictionaries({"message": messages}), st.fixed_dictionaries({"message": json_values})))
def test_no_cloud_event_data_makes_the_envelope_or_the_parser_raise(event_data):
    outcome = parse(Envelope.from_cloud_event(event_data, "fuzz"), FixedDay(), window_start=date(2025, 10, 1))
    if isinstance(outcome, Rejected):
        assert outcome.problems and all(len(problem) <= MAX_ERROR_CHARS for problem in outcome.problems)
