"""The message contract (messages.md): Pub/Sub envelope → export request, predictions-complete event or rejection.

`parse(envelope, clock)` never raises for bad input: every outcome is an `Accepted`, `Ignored` or `Rejected`,
and a rejection lists every problem found at once, each naming the field, what was expected and what was found.

Which shape a payload is — decided before anything else, from its keys alone:

* it has any of `export_types`, `export_type`, `players`, `target_date` → an **export request** (§1);
* otherwise it has `game_date` or `status` → a **predictions-complete event** (§2);
* otherwise → an export request (which then fails with "export_types is required").

So `{"game_date": ..., "export_types": [...]}` is an export request (and gets "did you mean target_date?"),
and a phase5 event can never be mistaken for a request: it carries none of the request's keys.
"""
from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Collection, Mapping, Protocol

import orjson

from exporters import EXPORT_MODULES, GROUPS, catalog, expand

from .config import season_window_start
from .runner import SAFE_ENTITY, default_update_latest

MAX_PAYLOAD_BYTES = 64 * 1024
MAX_CORRELATION_ID = 128
MAX_TRIGGER_SOURCE = 64
MAX_CONTINUATION_ATTEMPTS = 5
MAX_EXPORT_NAMES = 64  # far more than the catalogue and its groups; longer lists are rejected unread
MAX_PROBLEMS = 20  # a rejection lists this many problems, then counts the rest
MAX_SHOWN_NAME = 40  # characters of an unknown field or type name shown in a problem
MAX_CURSOR_TOTAL = 100_000  # entities in one fan-out; far above a season's players
CURSOR_KEYS = frozenset({"next_index", "next_entity", "total"})
MIN_GAMES_RANGE = (1, 82)
DEFAULT_MIN_GAMES = 5
PHASE5_MIN_COMPLETION_PCT = 80.0

REQUEST_KEYS = frozenset(
    {"export_types", "target_date", "mode", "update_latest", "correlation_id", "trigger_source", "players",
     "min_games", "continuation", "force"}
)
EVENT_KEYS = frozenset({"game_date", "status", "correlation_id", "execution_id", "metadata"})
UPSTREAM_IGNORED = frozenset({"triggered_by", "timestamp", "upstream_batch_id", "upstream_predictions"})
REQUEST_MARKERS = frozenset({"export_types", "export_type", "players", "target_date"})
HINTS = {
    "export_type": "did you mean export_types?",
    "date": "did you mean target_date?",
    "game_date": "did you mean target_date?",
}
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only; used with fullmatch


class GameDayClock(Protocol):
    def game_day(self) -> date: ...


@dataclass(frozen=True)
class Envelope:
    """What one Pub/Sub delivery carries. `data` is the raw base64 field as found (maybe missing or not a string)."""

    message_id: str
    data: object = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_cloud_event(cls, event_data: object, event_id: str | None = None) -> "Envelope":
        """From a Pub/Sub CloudEvent's `data` (`{"message": {"data", "attributes", "messageId"}, ...}`).

        Never raises: a malformed envelope yields an Envelope without data, which `parse` rejects."""
        message = event_data.get("message") if isinstance(event_data, Mapping) else None
        if not isinstance(message, Mapping):
            message = {}
        message_id = message.get("messageId") or message.get("message_id") or event_id or f"local-{uuid.uuid4().hex}"
        attributes = message.get("attributes")
        return cls(
            message_id=str(message_id),
            data=message.get("data"),
            attributes=dict(attributes) if isinstance(attributes, Mapping) else {},
        )

    @classmethod
    def of_json(cls, payload: Any, message_id: str | None = None) -> "Envelope":
        """An envelope carrying `payload` encoded the way Pub/Sub does (for tests and local callers)."""
        return cls.of_bytes(orjson.dumps(payload), message_id)

    @classmethod
    def of_bytes(cls, payload: bytes, message_id: str | None = None) -> "Envelope":
        return cls(message_id or f"local-{uuid.uuid4().hex}", base64.b64encode(payload).decode("ascii"))


@dataclass(frozen=True)
class Continuation:
    of: str
    attempt: int
    cursor: Mapping[str, Any]


@dataclass(frozen=True)
class ExportRequest:
    export_types: tuple[str, ...]
    target_date: date
    mode: str
    update_latest: bool
    min_games: int
    correlation_id: str
    trigger_source: str
    continuation: Continuation | None = None
    force: bool = False


@dataclass(frozen=True)
class Accepted:
    request: ExportRequest
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Ignored:
    reason: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Rejected:
    problems: tuple[str, ...]
    payload: Mapping[str, Any] | None = None  # the decoded JSON object, when decoding got that far


Outcome = Accepted | Ignored | Rejected


def parse(
    envelope: Envelope,
    clock: GameDayClock,
    *,
    known_types: Collection[str] = tuple(EXPORT_MODULES),
    window_start: date | None = None,
    fanout_types: Collection[str] | None = None,
) -> Outcome:
    """Decode and validate one delivery. `clock` resolves "today"/"yesterday" and the season window's end.
    `fanout_types` (default: the catalogue's fan-out exports) are the types a continuation cursor may name."""
    payload = decode(envelope.data)
    if isinstance(payload, Rejected):
        return payload
    fanouts = frozenset(fanout_types if fanout_types is not None else catalogue_fanouts())
    rules = Rules(clock.game_day(), window_start or season_window_start(), frozenset(known_types), fanouts)
    if is_predictions_complete(payload):
        return parse_predictions_complete(payload, rules)
    return parse_export_request(payload, rules)


def decode(data: object) -> dict[str, Any] | Rejected:
    """Envelope problems of messages.md §3: base64 → UTF-8 → JSON → object, at most 64 KiB."""
    if data is None or data == "":
        return Rejected(("message.data: expected a base64-encoded JSON object, found no data",))
    if not isinstance(data, str):
        return Rejected((f"message.data: expected a base64 string, found {describe(data)}",))
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as error:
        return Rejected((f"message.data: expected valid base64, found invalid base64 ({error})",))
    if len(raw) > MAX_PAYLOAD_BYTES:
        return Rejected((f"message.data: expected at most {MAX_PAYLOAD_BYTES} bytes, found an oversize payload of {len(raw)} bytes",))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return Rejected((f"message.data: expected UTF-8 text, found invalid UTF-8 ({error.reason} at byte {error.start})",))
    try:
        payload = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        return Rejected((f"message.data: expected JSON, found invalid JSON ({error})",))
    if not isinstance(payload, dict):
        return Rejected((f"message.data: expected a JSON object, found {describe(payload)}",))
    return payload


def is_predictions_complete(payload: Mapping[str, Any]) -> bool:
    """The shape rule of the module docstring."""
    if REQUEST_MARKERS & payload.keys():
        return False
    return "game_date" in payload or "status" in payload


@dataclass(frozen=True)
class Rules:
    game_day: date
    window_start: date
    known_types: frozenset[str]
    fanout_types: frozenset[str] = frozenset()

    @property
    def window_end(self) -> date:
        return self.game_day + timedelta(days=2)


def parse_export_request(payload: Mapping[str, Any], rules: Rules) -> Outcome:
    problems: list[str] = unknown_fields(payload, REQUEST_KEYS, hints=HINTS)
    export_types = check_export_types(payload, rules.known_types, problems)
    target_date = check_target_date(payload.get("target_date", "today"), "target_date", rules, problems)
    mode = payload.get("mode", "live")
    if mode not in ("live", "replay"):
        problems.append(f"mode: expected \"live\" or \"replay\", found {describe(mode)}")
    update_latest = payload.get("update_latest")
    if "update_latest" in payload and not isinstance(update_latest, bool):
        problems.append(f"update_latest: expected true or false, found {describe(update_latest)}")
    elif update_latest is True and mode == "replay":
        problems.append("update_latest: expected false or absent with mode \"replay\" (replay never writes live pointers), found true")
    force = payload.get("force", False)
    if not isinstance(force, bool):
        problems.append(f"force: expected true or false (true replaces files a content guard would keep), found {describe(force)}")
    correlation_id = check_text(payload, "correlation_id", MAX_CORRELATION_ID, problems)
    trigger_source = check_text(payload, "trigger_source", MAX_TRIGGER_SOURCE, problems)
    min_games = payload.get("min_games", DEFAULT_MIN_GAMES)
    if not is_int(min_games) or not MIN_GAMES_RANGE[0] <= min_games <= MIN_GAMES_RANGE[1]:
        problems.append(f"min_games: expected an integer from {MIN_GAMES_RANGE[0]} to {MIN_GAMES_RANGE[1]}, found {describe(min_games)}")
    continuation = check_continuation(payload.get("continuation"), problems, export_types, rules.fanout_types)
    if problems:
        return rejected(problems, payload)
    assert target_date is not None
    if update_latest is None:
        update_latest = default_update_latest(mode, target_date, rules.game_day)
    request = ExportRequest(
        export_types=tuple(export_types),
        target_date=target_date,
        mode=mode,
        update_latest=update_latest,
        min_games=min_games,
        correlation_id=correlation_id or new_correlation_id(),
        trigger_source=trigger_source or "unknown",
        continuation=continuation,
        force=force,
    )
    return Accepted(request, dict(payload))


def parse_predictions_complete(payload: Mapping[str, Any], rules: Rules) -> Outcome:
    problems: list[str] = unknown_fields(payload, EVENT_KEYS)
    if "game_date" not in payload:
        problems.append("game_date: expected a date YYYY-MM-DD (required on a predictions-complete event), found nothing")
        game_date = None
    else:
        game_date = check_target_date(payload["game_date"], "game_date", rules, problems, relative=False)
    status = payload.get("status")
    if status not in ("success", "partial", "failed"):
        found = "nothing" if "status" not in payload else describe(status)
        problems.append(f"status: expected \"success\", \"partial\" or \"failed\" (required), found {found}")
    correlation_id = check_text(payload, "correlation_id", MAX_CORRELATION_ID, problems)
    check_text(payload, "execution_id", MAX_CORRELATION_ID, problems)
    completion_pct = check_metadata(payload.get("metadata", {}), problems)
    if problems:
        return rejected(problems, payload)
    if status == "failed":
        return Ignored(f"predictions-complete event for {game_date} reported status failed", dict(payload))
    if completion_pct is not None and completion_pct < PHASE5_MIN_COMPLETION_PCT:
        return Ignored(
            f"predictions-complete event for {game_date} has completion_pct {completion_pct} < {PHASE5_MIN_COMPLETION_PCT:g}",
            dict(payload),
        )
    assert game_date is not None
    request = ExportRequest(
        export_types=tuple(expand(["tonight-set"])),
        target_date=game_date,
        mode="live",
        update_latest=default_update_latest("live", game_date, rules.game_day),
        min_games=DEFAULT_MIN_GAMES,
        correlation_id=correlation_id or new_correlation_id(),
        trigger_source="phase5",
    )
    return Accepted(request, dict(payload))


def rejected(problems: list[str], payload: Mapping[str, Any]) -> Rejected:
    """At most MAX_PROBLEMS problems, so that a hostile payload cannot inflate the completion event."""
    if len(problems) > MAX_PROBLEMS:
        problems = [*problems[:MAX_PROBLEMS], f"... and {len(problems) - MAX_PROBLEMS} more problems"]
    return Rejected(tuple(problems), dict(payload))


def shown(name: str) -> str:
    """A name from the payload as a problem quotes it: repr (control and invisible characters escaped), shortened."""
    return repr(name if len(name) <= MAX_SHOWN_NAME else name[:MAX_SHOWN_NAME] + "...")


def listed(names: list[str], limit: int = 5) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(map(shown, names[:limit])) + more


def unknown_fields(payload: Mapping[str, Any], allowed: frozenset[str], hints: Mapping[str, str] | None = None) -> list[str]:
    problems = []
    for key in payload:
        if key in allowed or key in UPSTREAM_IGNORED:
            continue
        hint = (hints or {}).get(key)
        label = key if key.isidentifier() and len(key) <= MAX_SHOWN_NAME else shown(key)
        problems.append(f"{label}: unknown field; {hint}" if hint else f"{label}: unknown field (expected one of {', '.join(sorted(allowed))})")
    return problems


def check_export_types(payload: Mapping[str, Any], known: frozenset[str], problems: list[str]) -> list[str]:
    """Groups are expanded before the names are checked; the legacy `players: true` adds `players`."""
    players = payload.get("players", False)
    if not isinstance(players, bool):
        problems.append(f"players: expected true or false, found {describe(players)}")
        players = False
    if "export_types" not in payload:
        if players:
            return ["players"]
        problems.append("export_types: expected a non-empty list of export type or group names (required), found nothing")
        return []
    names = payload["export_types"]
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        problems.append(f"export_types: expected a list of strings, found {describe(names)}")
        return []
    if len(names) > MAX_EXPORT_NAMES:
        problems.append(f"export_types: expected at most {MAX_EXPORT_NAMES} names, found a list of {len(names)}")
        return []
    if not names and not players:
        problems.append("export_types: expected a non-empty list of export type or group names, found []")
        return []
    expanded = expand([*names, "players"] if players else names)
    unknown = [name for name in expanded if name not in known]
    if unknown:
        choices = ", ".join([*sorted(known), *GROUPS])
        problems.append(f"export_types: expected export type or group names ({choices}), found unknown {listed(unknown)}")
    return expanded


def check_target_date(
    value: Any, name: str, rules: Rules, problems: list[str], *, relative: bool = True
) -> date | None:
    words = '"today", "yesterday" or ' if relative else ""
    if relative and value == "today":
        resolved = rules.game_day
    elif relative and value == "yesterday":
        resolved = rules.game_day - timedelta(days=1)
    elif isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            resolved = date.fromisoformat(value)
        except ValueError:
            problems.append(f"{name}: expected {words}a real date YYYY-MM-DD, found {describe(value)}")
            return None
    else:
        problems.append(f"{name}: expected {words}a date YYYY-MM-DD, found {describe(value)}")
        return None
    if not rules.window_start <= resolved <= rules.window_end:
        problems.append(
            f"{name}: expected a date in the season window {rules.window_start} .. {rules.window_end}, found {resolved}"
        )
        return None
    return resolved


def check_text(payload: Mapping[str, Any], name: str, limit: int, problems: list[str]) -> str | None:
    if name not in payload:
        return None
    value = payload[name]
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        problems.append(f"{name}: expected a non-empty string of at most {limit} characters, found {describe(value)}")
        return None
    return value


def check_continuation(value: Any, problems: list[str], export_types: list[str] = (),
                       fanout_types: frozenset[str] = frozenset()) -> Continuation | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(f"continuation: expected an object {{of, attempt, cursor}}, found {describe(value)}")
        return None
    before = len(problems)
    problems.extend(f"continuation.{problem}" for problem in unknown_fields(value, frozenset({"of", "attempt", "cursor"})))
    run_of, attempt, cursor = value.get("of"), value.get("attempt"), value.get("cursor", {})
    if not isinstance(run_of, str) or not 1 <= len(run_of) <= MAX_CORRELATION_ID:
        problems.append(f"continuation.of: expected the run id being continued, found {describe(run_of)}")
    if not is_int(attempt) or not 1 <= attempt <= MAX_CONTINUATION_ATTEMPTS:
        problems.append(f"continuation.attempt: expected an integer from 1 to {MAX_CONTINUATION_ATTEMPTS}, found {describe(attempt)}")
    if not isinstance(cursor, dict):
        problems.append(f"continuation.cursor: expected an object, found {describe(cursor)}")
    else:
        check_cursor(cursor, export_types, fanout_types, problems)
    if len(problems) > before:
        return None
    return Continuation(run_of, attempt, cursor)


def check_cursor(cursor: Mapping[str, Any], export_types: list[str], fanout_types: frozenset[str],
                 problems: list[str]) -> None:
    """export type → {next_index, next_entity, total}: where a fan-out export of this request resumes."""
    for name, position in cursor.items():
        where = f"continuation.cursor.{name if name in fanout_types else shown(name)}"
        if name not in fanout_types or name not in export_types:
            problems.append(f"{where}: expected a fan-out export type of this request "
                            f"({', '.join(sorted(fanout_types & set(export_types))) or 'none'}), found {shown(name)}")
            continue
        if not isinstance(position, dict):
            problems.append(f"{where}: expected an object {{next_index, next_entity, total}}, found {describe(position)}")
            continue
        missing = sorted(CURSOR_KEYS - position.keys())
        problems.extend(f"{where}.{problem}" for problem in unknown_fields(position, CURSOR_KEYS))
        if missing:
            problems.append(f"{where}: expected next_index, next_entity and total, found no {', '.join(missing)}")
            continue
        total, index, entity = position["total"], position["next_index"], position["next_entity"]
        if not is_int(total) or not 2 <= total <= MAX_CURSOR_TOTAL:
            problems.append(f"{where}.total: expected an integer from 2 to {MAX_CURSOR_TOTAL}, found {describe(total)}")
        elif not is_int(index) or not 1 <= index < total:
            problems.append(f"{where}.next_index: expected an integer from 1 to total - 1 ({total - 1}), found {describe(index)}")
        if not isinstance(entity, str) or not SAFE_ENTITY.match(entity):
            problems.append(f"{where}.next_entity: expected a player lookup [a-z0-9]{{1,64}}, found {describe(entity)}")


def catalogue_fanouts() -> frozenset[str]:
    """The export types that fan out over entities, so may be resumed from a cursor."""
    return frozenset(name for name, spec in catalog().items() if spec.entities is not None)


def check_metadata(metadata: Any, problems: list[str]) -> float | None:
    """The predictions-complete `metadata` object; returns completion_pct when present."""
    if not isinstance(metadata, dict):
        problems.append(f"metadata: expected an object, found {describe(metadata)}")
        return None
    if "batch_id" in metadata and not isinstance(metadata["batch_id"], str):
        problems.append(f"metadata.batch_id: expected a string, found {describe(metadata['batch_id'])}")
    for name in ("expected_predictions", "completed_predictions", "failed_predictions"):
        if name in metadata and not (is_int(metadata[name]) and metadata[name] >= 0):
            problems.append(f"metadata.{name}: expected a non-negative integer, found {describe(metadata[name])}")
    if "completion_pct" not in metadata:
        return None
    pct = metadata["completion_pct"]
    if not is_number(pct) or not 0 <= pct <= 100:
        problems.append(f"metadata.completion_pct: expected a number from 0 to 100, found {describe(pct)}")
        return None
    return float(pct)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


JSON_KINDS = {dict: "an object", list: "an array", str: "the string", bool: "the boolean", int: "the number",
              float: "the number"}


def describe(value: Any) -> str:
    """A found value in JSON terms, short enough for a log line: `the string "x"`, `an array [1]`, `null`."""
    if value is None:
        return "null"
    kind = JSON_KINDS.get(type(value), "the value")
    try:
        text = orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # nested deeper than the encoder's limit
        return f"{kind} nested too deeply to show"
    return f"{kind} {text if len(text) <= 80 else text[:77] + '...'}"


def new_correlation_id() -> str:
    return f"phase6-{uuid.uuid4().hex}"
