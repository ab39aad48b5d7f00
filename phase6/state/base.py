"""The shared state store, one interface with two implementations (SQLite embedded, Firestore production).

Semantics are identical in both: every read-modify-write below is a transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

MessageState = Literal["new", "running", "finished"]
BreakerStatus = Literal["closed", "open", "half_open"]


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
    # Run records (the full record of a finished or running run).
    def save_run(self, run_id: str, record: dict[str, Any]) -> None: ...
    def get_run(self, run_id: str) -> dict[str, Any] | None: ...
    def recent_runs(self, limit: int = 20) -> list[dict[str, Any]]: ...

    # Heartbeats: one document per run, merged on every beat; carries `expires_at` for a TTL policy.
    def beat(self, run_id: str, fields: dict[str, Any]) -> None: ...
    def heartbeats(self, limit: int = 50) -> list[dict[str, Any]]: ...

    # Circuit breakers per export type.
    def breaker(self, export_type: str, now: datetime) -> Breaker: ...
    def record_outcome(self, export_type: str, ok: bool, now: datetime) -> Breaker: ...
    def reset_breaker(self, export_type: str) -> None: ...
    def breakers(self, now: datetime) -> list[Breaker]: ...

    # Leases per (game date, export type): only one holder at a time until expiry.
    def acquire_lease(self, key: str, holder: str, ttl_seconds: float, now: datetime) -> bool: ...
    def release_lease(self, key: str, holder: str) -> None: ...

    # Processed Pub/Sub message ids.
    def claim_message(self, message_id: str, run_id: str, now: datetime) -> MessageState: ...
    def finish_message(self, message_id: str, status: str, now: datetime) -> None: ...

    # Duration history for the planner.
    def record_duration(self, export_type: str, seconds: float, now: datetime) -> None: ...
    def expected_duration(self, export_type: str) -> float | None: ...

    def close(self) -> None: ...
