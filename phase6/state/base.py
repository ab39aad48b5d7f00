"""The shared state store, one interface with two implementations (SQLite embedded, Firestore production).

Semantics are identical in both: every read-modify-write below is a transaction.

Times are timezone-aware datetimes in and out. A heartbeat's time fields (`started_at`, `last_beat`, `deadline`,
`expires_at`) are stored as native timestamps so that a Firestore TTL policy can use `expires_at`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

MessageState = Literal["new", "running", "finished"]
BreakerStatus = Literal["closed", "open", "half_open"]

HEARTBEAT_TIME_FIELDS = ("started_at", "last_beat", "deadline", "expires_at")
STALE_AFTER = timedelta(minutes=5)
# A message claim older than this with no finish belongs to an invocation that died (the budget is 540 s).
CLAIM_STALE_SECONDS = 600.0
DURATION_HISTORY = 20  # recent durations kept per export type
DURATION_PERCENTILE = 0.9


class StateError(RuntimeError):
    """The state store could not be read or written."""


@dataclass(frozen=True)
class Breaker:
    export_type: str
    status: BreakerStatus
    consecutive_failures: int
    trips: int  # how many times it opened in a row; grows the cooldown
    opened_at: datetime | None
    retry_after: datetime | None  # when an open breaker lets one trial run (half-open)


class StateStore(Protocol):
    # Run records (the full record of a finished or running run), newest `started_at` first.
    def save_run(self, run_id: str, record: dict[str, Any]) -> None: ...
    def get_run(self, run_id: str) -> dict[str, Any] | None: ...
    def recent_runs(self, limit: int = 20) -> list[dict[str, Any]]: ...

    # Heartbeats: one document per run, merged on every beat; carries `expires_at` for a TTL policy.
    # Newest `last_beat` first.
    def beat(self, run_id: str, fields: dict[str, Any]) -> None: ...
    def heartbeats(self, limit: int = 50) -> list[dict[str, Any]]: ...

    # Circuit breakers per export type (transitions in phase6/breakers.py). `breaker` reports an open breaker
    # whose cooldown has passed as half_open.
    def breaker(self, export_type: str, now: datetime) -> Breaker: ...
    def record_outcome(self, export_type: str, ok: bool, now: datetime) -> Breaker: ...
    def reset_breaker(self, export_type: str) -> None: ...
    def breakers(self, now: datetime) -> list[Breaker]: ...

    # Leases per (game date, export type): only one holder at a time until expiry. The holder may re-acquire
    # to extend its lease; release by anyone else is a no-op.
    def acquire_lease(self, key: str, holder: str, ttl_seconds: float, now: datetime) -> bool: ...
    def release_lease(self, key: str, holder: str) -> None: ...

    # Processed Pub/Sub message ids. `new` means the caller now owns the message (also when a previous claim
    # went stale: running for longer than CLAIM_STALE_SECONDS).
    def claim_message(self, message_id: str, run_id: str, now: datetime) -> MessageState: ...
    def finish_message(self, message_id: str, status: str, now: datetime) -> None: ...
    # A delivery that raises for redelivery gives its claim up, so that the redelivery runs at once.
    def release_message(self, message_id: str, run_id: str) -> None: ...

    # Duration history for the planner: the last DURATION_HISTORY successful durations per export type.
    def record_duration(self, export_type: str, seconds: float, now: datetime) -> None: ...
    def expected_duration(self, export_type: str) -> float | None: ...

    # Published content hashes per object name, so an unchanged object is not uploaded again. One call reads the
    # hashes of a batch of names (absent names are left out); one call records a batch after its upload.
    def published_hashes(self, names: list[str]) -> dict[str, str]: ...
    def record_published(self, hashes: dict[str, str]) -> None: ...

    def close(self) -> None: ...


def closed_breaker(export_type: str) -> Breaker:
    return Breaker(export_type, "closed", 0, 0, None, None)


def breaker_document(breaker: Breaker) -> dict[str, Any]:
    return {
        "export_type": breaker.export_type,
        "status": breaker.status,
        "consecutive_failures": breaker.consecutive_failures,
        "trips": breaker.trips,
        "opened_at": breaker.opened_at,
        "retry_after": breaker.retry_after,
    }


def breaker_from_document(export_type: str, document: dict[str, Any] | None) -> Breaker:
    if document is None:
        return closed_breaker(export_type)
    return Breaker(
        export_type=export_type,
        status=document["status"],
        consecutive_failures=document["consecutive_failures"],
        trips=document["trips"],
        opened_at=document.get("opened_at"),
        retry_after=document.get("retry_after"),
    )


def is_stale(heartbeat: dict[str, Any], now: datetime) -> bool:
    """A run that says it is running but has not beaten for STALE_AFTER: its instance probably died."""
    last_beat = heartbeat.get("last_beat")
    if heartbeat.get("status") != "running" or not isinstance(last_beat, datetime):
        return False
    return now - last_beat > STALE_AFTER


def high_percentile(values: list[float], share: float = DURATION_PERCENTILE) -> float | None:
    """The nearest-rank percentile: with few samples this is the slowest one, which is the safe side."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def claim_is_stale(claimed_at: datetime, now: datetime) -> bool:
    return (now - claimed_at).total_seconds() > CLAIM_STALE_SECONDS
