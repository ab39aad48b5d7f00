"""The message contract (messages.md): envelope, export requests, predictions-complete events, rejections."""
from __future__ import annotations

import base64
from datetime import date, datetime, timezone

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporters import EXPORT_MODULES, GROUPS
from phase6.clock import Clock
from phase6.messages import (
    MAX_PAYLOAD_BYTES,
    Accepted,
    Envelope,
    Ignored,
    Rejected,
    is_predictions_complete,
    parse,
)

NOON_ET = Clock(datetime(2026, 3, 4, 17, 0, tzinfo=timezone.utc))  # 12:00 ET, game day 2026-03-04
G = date(2026, 3, 4)


def outcome(payload, clock=NOON_ET, **kwargs):
    return parse(Envelope.of_json(payload, "m-1"), clock, **kwargs)


def accepted(payload, clock=NOON_ET):
    result = outcome(payload, clock)
    assert isinstance(result, Accepted), result
    return result.request


def problems(payload, clock=NOON_ET) -> list[str]:
    result = outcome(payload, clock)
    assert isinstance(result, Rejected), result
    return list(result.problems)


def only_problem(payload) -> str:
    found = problems(payload)
    assert len(found) == 1, found
    return found[0]


# --- envelope ---------------------------------------------------------------------------------------------


def envelope_problem(data) -> str:
    result = parse(Envelope("m-1", data), NOON_ET)
    assert isinstance(result, Rejected)
    assert len(result.problems) == 1
    return result.problems[0]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize("data", [None, ""])
def test_missing_data_is_rejected(data):
    assert "found no data" in envelope_problem(data)


def test_data_that_is_not_a_string_is_rejected():
    assert envelope_problem(42) == "message.data: expected a base64 string, found the number 42"


def test_invalid_base64_is_rejected():
    assert "invalid base64" in envelope_problem("not base64!")


def test_invalid_utf8_is_rejected():
    assert "invalid UTF-8" in envelope_problem(b64(b'{"export_types": ["\xff"]}'))


def test_invalid_json_is_rejected():
    assert "invalid JSON" in envelope_problem(b64(b'{"export_types": '))


def test_nan_is_not_json():
    assert "invalid JSON" in envelope_problem(b64(b'{"min_games": NaN}'))


@pytest.mark.parametrize("payload, found", [([1], "an array [1]"), ("x", 'the string "x"'), (3, "the number 3"), (None, "null")])
def test_json_that_is_not_an_object_is_rejected(payload, found):
    assert envelope_problem(b64(orjson.dumps(payload))) == f"message.data: expected a JSON object, found {found}"


def test_oversize_payload_is_rejected():
    payload = orjson.dumps({"export_types": ["results"], "triggered_by": "x" * MAX_PAYLOAD_BYTES})
    assert "oversize payload" in envelope_problem(b64(payload))


def test_payload_at_the_limit_is_decoded():
    padding = MAX_PAYLOAD_BYTES - len(orjson.dumps({"export_types": ["results"], "triggered_by": ""}))
    payload = orjson.dumps({"export_types": ["results"], "triggered_by": "x" * padding})
    assert len(payload) == MAX_PAYLOAD_BYTES
    assert isinstance(parse(Envelope("m", b64(payload)), NOON_ET), Accepted)


def test_deep_nesting_is_rejected_not_raised():
    assert "invalid JSON" in envelope_problem(b64(b"[" * 5000 + b"]" * 5000))


def test_envelope_from_cloud_event_data():
    data = {"message": {"data": b64(b"{}"), "attributes": {"a": "b"}, "messageId": "123"}, "subscription": "s"}
    envelope = Envelope.from_cloud_event(data, "event-id")
    assert (envelope.message_id, envelope.data, dict(envelope.attributes)) == ("123", b64(b"{}"), {"a": "b"})


@pytest.mark.parametrize("data", [None, [], "text", {"message": "x"}, {"message": {"attributes": 3}}])
def test_malformed_cloud_event_data_gives_an_envelope_without_data(data):
    envelope = Envelope.from_cloud_event(data, "event-id")
    assert envelope.message_id == "event-id"
    assert isinstance(parse(envelope, NOON_ET), Rejected)


# --- export requests --------------------------------------------------------------------------------------


def test_minimal_request_defaults():
    request = accepted({"export_types": ["results"]})
    assert request.export_types == ("results",)
    assert request.target_date == G
    assert request.mode == "live"
    assert request.update_latest is True
    assert request.min_games == 5
    assert request.trigger_source == "unknown"
    assert request.correlation_id and len(request.correlation_id) <= 128
    assert request.continuation is None


def test_correlation_ids_are_generated_per_message():
    assert accepted({"export_types": ["results"]}).correlation_id != accepted({"export_types": ["results"]}).correlation_id


def test_every_field_is_carried():
    request = accepted({
        "export_types": ["players"], "target_date": "2026-02-01", "mode": "replay", "update_latest": False,
        "correlation_id": "c" * 128, "trigger_source": "s" * 64, "min_games": 82,
    })
    assert (request.target_date, request.mode, request.update_latest, request.min_games) == (date(2026, 2, 1), "replay", False, 82)
    assert request.correlation_id == "c" * 128 and request.trigger_source == "s" * 64


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_groups_expand_before_validation(group):
    assert accepted({"export_types": [group]}).export_types == GROUPS[group]


def test_duplicates_are_folded_in_order():
    request = accepted({"export_types": ["best-bets", "results-set", "results", "best-bets"]})
    assert request.export_types == ("best-bets", *[name for name in GROUPS["results-set"] if name != "best-bets"])


def test_expansion_does_not_mutate_the_groups():
    before = {name: tuple(types) for name, types in GROUPS.items()}
    accepted({"export_types": ["tonight-set", "all", "results-set"]})
    assert GROUPS == before


def test_legacy_players_form():
    request = accepted({"players": True, "min_games": 10})
    assert (request.export_types, request.min_games) == (("players",), 10)


def test_legacy_players_with_export_types_adds_players():
    assert accepted({"players": True, "export_types": ["results"]}).export_types == ("results", "players")


def test_players_false_still_needs_export_types():
    assert only_problem({"players": False}).startswith("export_types: expected a non-empty list")


@pytest.mark.parametrize(
    "payload, expected",
    [
        ({}, "export_types: expected a non-empty list of export type or group names (required), found nothing"),
        ({"export_types": []}, "export_types: expected a non-empty list of export type or group names, found []"),
        ({"export_types": "results"}, 'export_types: expected a list of strings, found the string "results"'),
        ({"export_types": ["results", 3]}, 'export_types: expected a list of strings, found an array ["results",3]'),
        ({"players": "yes"}, 'players: expected true or false, found the string "yes"'),
    ],
)
def test_export_types_shape_errors(payload, expected):
    assert expected in problems(payload)


def test_unknown_export_type_names_the_unknown_and_the_choices():
    problem = only_problem({"export_types": ["results", "resluts", "tonight-set", "nope"]})
    assert "found unknown 'resluts', 'nope'" in problem
    assert all(name in problem for name in [*EXPORT_MODULES, *GROUPS])


@pytest.mark.parametrize("text, expected", [("today", G), ("yesterday", date(2026, 3, 3)), ("2025-11-15", date(2025, 11, 15))])
def test_target_date_forms(text, expected):
    assert accepted({"export_types": ["results"], "target_date": text}).target_date == expected


@pytest.mark.parametrize(
    "instant, today",
    [
        (datetime(2026, 3, 5, 3, 30, tzinfo=timezone.utc), date(2026, 3, 4)),  # 22:30 ET: UTC already says the 5th
        (datetime(2026, 3, 5, 4, 59, tzinfo=timezone.utc), date(2026, 3, 4)),  # 23:59 ET (EST, UTC−5)
        (datetime(2026, 3, 5, 5, 0, tzinfo=timezone.utc), date(2026, 3, 5)),  # midnight ET
        (datetime(2026, 7, 5, 3, 59, tzinfo=timezone.utc), date(2026, 7, 4)),  # 23:59 EDT (UTC−4)
        (datetime(2026, 7, 5, 4, 0, tzinfo=timezone.utc), date(2026, 7, 5)),
    ],
)
def test_relative_dates_use_the_new_york_game_day(instant, today):
    clock = Clock(instant)
    assert accepted({"export_types": ["results"]}, clock).target_date == today
    assert accepted({"export_types": ["results"], "target_date": "yesterday"}, clock).target_date.toordinal() == today.toordinal() - 1


def test_update_latest_default_is_false_for_older_dates():
    assert accepted({"export_types": ["results"], "target_date": "yesterday"}).update_latest is True
    assert accepted({"export_types": ["results"], "target_date": "2026-03-01"}).update_latest is False
    assert accepted({"export_types": ["results"], "mode": "replay"}).update_latest is False


@pytest.mark.parametrize(
    "target, expected",
    [
        ("2021-09-30", "target_date: expected a date in the season window 2021-10-01 .. 2026-03-06, found 2021-09-30"),
        ("2026-03-07", "target_date: expected a date in the season window 2021-10-01 .. 2026-03-06, found 2026-03-07"),
        ("2026-02-30", 'target_date: expected "today", "yesterday" or a real date YYYY-MM-DD, found the string "2026-02-30"'),
        ("20260304", 'target_date: expected "today", "yesterday" or a date YYYY-MM-DD, found the string "20260304"'),
        ("tomorrow", 'target_date: expected "today", "yesterday" or a date YYYY-MM-DD, found the string "tomorrow"'),
        (20260304, 'target_date: expected "today", "yesterday" or a date YYYY-MM-DD, found the number 20260304'),
    ],
)
def test_target_date_errors(target, expected):
    assert only_problem({"export_types": ["results"], "target_date": target}) == expected


def test_season_window_edges_are_inclusive():
    assert accepted({"export_types": ["results"], "target_date": "2021-10-01"}).target_date == date(2021, 10, 1)
    assert accepted({"export_types": ["results"], "target_date": "2026-03-06"}).target_date == date(2026, 3, 6)


def test_season_window_start_is_configurable():
    result = outcome({"export_types": ["results"], "target_date": "2024-01-01"}, window_start=date(2025, 10, 1))
    assert isinstance(result, Rejected) and "season window 2025-10-01" in result.problems[0]


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("mode", "backfill", 'mode: expected "live" or "replay", found the string "backfill"'),
        ("update_latest", "yes", 'update_latest: expected true or false, found the string "yes"'),
        ("update_latest", None, "update_latest: expected true or false, found null"),
        ("correlation_id", "c" * 129, "correlation_id: expected a non-empty string of at most 128 characters"),
        ("correlation_id", "", "correlation_id: expected a non-empty string of at most 128 characters"),
        ("correlation_id", 7, "correlation_id: expected a non-empty string of at most 128 characters, found the number 7"),
        ("trigger_source", "s" * 65, "trigger_source: expected a non-empty string of at most 64 characters"),
        ("min_games", 0, "min_games: expected an integer from 1 to 82, found the number 0"),
        ("min_games", 83, "min_games: expected an integer from 1 to 82, found the number 83"),
        ("min_games", 5.5, "min_games: expected an integer from 1 to 82, found the number 5.5"),
        ("min_games", True, "min_games: expected an integer from 1 to 82, found the boolean true"),
        ("min_games", "5", 'min_games: expected an integer from 1 to 82, found the string "5"'),
    ],
)
def test_field_errors(field, value, expected):
    assert only_problem({"export_types": ["results"], field: value}).startswith(expected)


def test_update_latest_true_with_replay_is_rejected():
    problem = only_problem({"export_types": ["results"], "mode": "replay", "update_latest": True})
    assert problem.startswith('update_latest: expected false or absent with mode "replay"')


def test_unknown_fields_are_rejected_with_the_allowed_list():
    problem = only_problem({"export_types": ["results"], "colour": "red"})
    assert problem.startswith("colour: unknown field (expected one of continuation, correlation_id, export_types")


@pytest.mark.parametrize(
    "field, hint",
    [("export_type", "did you mean export_types?"), ("date", "did you mean target_date?"), ("game_date", "did you mean target_date?")],
)
def test_misspellings_get_a_targeted_hint(field, hint):
    assert f"{field}: unknown field; {hint}" in problems({"export_types": ["results"], field: "x"})


def test_export_type_singular_alone_gets_the_hint_and_the_missing_field():
    assert problems({"export_type": "results"}) == [
        "export_type: unknown field; did you mean export_types?",
        "export_types: expected a non-empty list of export type or group names (required), found nothing",
    ]


def test_upstream_fields_are_accepted_and_ignored():
    payload = {"export_types": ["results"], "triggered_by": "x", "timestamp": "t", "upstream_batch_id": "b", "upstream_predictions": 3}
    assert accepted(payload).export_types == ("results",)


def test_every_problem_is_reported_at_once():
    found = problems({
        "export_types": ["nope"], "target_date": "2020-01-01", "mode": "x", "update_latest": 1,
        "correlation_id": "", "trigger_source": 5, "min_games": 0, "date": "2026-03-04", "extra": 1,
    })
    fields = sorted(problem.split(":")[0] for problem in found)
    assert fields == sorted(["export_types", "target_date", "mode", "update_latest", "correlation_id", "trigger_source",
                             "min_games", "date", "extra"])


def test_continuation_is_parsed():
    cursor = {"players": {"next_index": 50, "next_entity": "annsmith", "total": 240}}
    request = accepted({"export_types": ["players"], "continuation": {"of": "run1", "attempt": 2, "cursor": cursor}})
    assert request.continuation is not None
    assert (request.continuation.of, request.continuation.attempt, dict(request.continuation.cursor)) == ("run1", 2, cursor)


@pytest.mark.parametrize(
    "continuation, expected",
    [
        ("run1", 'continuation: expected an object {of, attempt, cursor}, found the string "run1"'),
        ({"of": "r", "attempt": 6, "cursor": {}}, "continuation.attempt: expected an integer from 1 to 5, found the number 6"),
        ({"of": "r", "attempt": 0}, "continuation.attempt: expected an integer from 1 to 5, found the number 0"),
        ({"attempt": 1}, "continuation.of: expected the run id being continued, found null"),
        ({"of": "r", "attempt": 1, "cursor": []}, "continuation.cursor: expected an object, found an array []"),
        ({"of": "r", "attempt": 1, "page": 2}, "continuation.page: unknown field"),
    ],
)
def test_continuation_errors(continuation, expected):
    assert only_problem({"export_types": ["players"], "continuation": continuation}).startswith(expected)


# --- predictions-complete events --------------------------------------------------------------------------


def test_shape_rule():
    assert is_predictions_complete({"game_date": "2026-03-04", "status": "success"})
    assert is_predictions_complete({"status": "success"})
    assert not is_predictions_complete({"game_date": "2026-03-04", "export_types": ["results"]})
    assert not is_predictions_complete({"game_date": "2026-03-04", "players": True})
    assert not is_predictions_complete({"status": "success", "target_date": "today"})
    assert not is_predictions_complete({})


def test_accepted_event_becomes_a_tonight_set_request():
    request = accepted({"game_date": "2026-03-04", "status": "success", "correlation_id": "p5-1", "execution_id": "e",
                        "metadata": {"batch_id": "b", "expected_predictions": 100, "completed_predictions": 95,
                                     "failed_predictions": 5, "completion_pct": 95.0}})
    assert request.export_types == GROUPS["tonight-set"]
    assert (request.target_date, request.mode, request.trigger_source, request.correlation_id) == (G, "live", "phase5", "p5-1")
    assert request.update_latest is True


def test_partial_event_at_eighty_percent_is_accepted():
    assert accepted({"game_date": "2026-03-04", "status": "partial", "metadata": {"completion_pct": 80}}).target_date == G


def test_failed_event_is_ignored():
    result = outcome({"game_date": "2026-03-04", "status": "failed"})
    assert isinstance(result, Ignored) and "status failed" in result.reason


def test_low_completion_is_ignored():
    result = outcome({"game_date": "2026-03-04", "status": "success", "metadata": {"completion_pct": 79.9}})
    assert isinstance(result, Ignored) and "completion_pct 79.9 < 80" in result.reason


@pytest.mark.parametrize(
    "payload, expected",
    [
        ({"status": "success"}, "game_date: expected a date YYYY-MM-DD (required on a predictions-complete event), found nothing"),
        ({"game_date": "2026-03-04"}, 'status: expected "success", "partial" or "failed" (required), found nothing'),
        ({"game_date": "2026-03-04", "status": "done"}, 'status: expected "success", "partial" or "failed" (required), found the string "done"'),
        ({"game_date": "today", "status": "success"}, 'game_date: expected a date YYYY-MM-DD, found the string "today"'),
        ({"game_date": "2030-01-01", "status": "success"}, "game_date: expected a date in the season window"),
        ({"game_date": "2026-03-04", "status": "success", "metadata": []}, "metadata: expected an object, found an array []"),
        ({"game_date": "2026-03-04", "status": "success", "metadata": {"completion_pct": "95"}},
         'metadata.completion_pct: expected a number from 0 to 100, found the string "95"'),
        ({"game_date": "2026-03-04", "status": "success", "metadata": {"completed_predictions": -1}},
         "metadata.completed_predictions: expected a non-negative integer, found the number -1"),
        ({"game_date": "2026-03-04", "status": "success", "mode": "live"}, "mode: unknown field (expected one of correlation_id"),
    ],
)
def test_predictions_complete_errors(payload, expected):
    assert only_problem(payload).startswith(expected)


def test_invalid_failed_event_is_rejected_not_ignored():
    assert isinstance(outcome({"game_date": "nope", "status": "failed"}), Rejected)


def test_upstream_fields_are_ignored_on_events_too():
    assert accepted({"game_date": "2026-03-04", "status": "success", "timestamp": "t", "triggered_by": "p5"}).target_date == G


# --- robustness -------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
request_like = st.fixed_dictionaries(
    {},
    optional={key: json_values | st.sampled_from(["today", "yesterday", "2026-03-04", "live", "replay", "all", "results"])
              for key in ["export_types", "target_date", "mode", "update_latest", "correlation_id", "trigger_source",
                          "players", "min_games", "continuation", "game_date", "status", "metadata", "export_type"]},
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_no_exception_escapes_for_arbitrary_bytes(raw):
    assert isinstance(parse(Envelope.of_bytes(raw), NOON_ET), (Accepted, Ignored, Rejected))


@settings(max_examples=300, deadline=None)
@given(json_values | request_like)
def test_no_exception_escapes_for_arbitrary_json(payload):
    result = parse(Envelope.of_json(payload), NOON_ET)
    assert isinstance(result, (Accepted, Ignored, Rejected))
    if isinstance(result, Rejected):
        assert result.problems and all(isinstance(problem, str) and ":" in problem for problem in result.problems)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=64), st.integers(), st.none(), st.lists(st.integers(), max_size=3)))
def test_no_exception_escapes_for_arbitrary_data_fields(data):
    assert isinstance(parse(Envelope("m", data), NOON_ET), Rejected | Accepted | Ignored)
