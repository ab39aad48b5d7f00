"""The state store as the runner uses it: a state-store failure never stops publishing.

A call that raises StateError is logged as a warning, reported to `on_error`, and answered with the value that
lets the run go on (breaker closed, lease granted, no duration history, nothing written). After the first failure
the store is left alone for the rest of the run: an unreachable store costs a timeout once, not per call.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable

from .base import Breaker, StateError, StateStore, closed_breaker

log = logging.getLogger("phase6.state")


class TolerantState:
    def __init__(self, store: StateStore, on_error: Callable[[str], None] = lambda message: None):
        self.store = store
        self.down = False
        self._on_error = on_error

    def _call(self, fallback: Any, method: str, *args: Any) -> Any:
        if self.down:
            return fallback
        try:
            return getattr(self.store, method)(*args)
        except StateError as error:
            self.down = True
            message = f"state store {method} failed, the run goes on without it: {error}"
            log.warning(message)
            self._on_error(message)
            return fallback

    def breaker(self, export_type: str, now: datetime) -> Breaker:
        return self._call(closed_breaker(export_type), "breaker", export_type, now)

    def breakers(self, now: datetime) -> list[Breaker]:
        return self._call([], "breakers", now)

    def record_outcome(self, export_type: str, ok: bool, now: datetime) -> Breaker:
        return self._call(closed_breaker(export_type), "record_outcome", export_type, ok, now)

    def acquire_lease(self, key: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        return self._call(True, "acquire_lease", key, holder, ttl_seconds, now)

    def release_lease(self, key: str, holder: str) -> None:
        self._call(None, "release_lease", key, holder)

    def expected_duration(self, export_type: str) -> float | None:
        return self._call(None, "expected_duration", export_type)

    def record_duration(self, export_type: str, seconds: float, now: datetime) -> None:
        self._call(None, "record_duration", export_type, seconds, now)

    def beat(self, run_id: str, fields: dict[str, Any]) -> bool:
        """False when the heartbeat could not be stored."""
        return self._call(False, "beat", run_id, fields) is None

    def save_run(self, run_id: str, record: dict[str, Any]) -> None:
        self._call(None, "save_run", run_id, record)

    def published_hashes(self, names: list[str]) -> dict[str, str]:
        """Nothing known when the store fails: every object is uploaded."""
        return self._call({}, "published_hashes", names)

    def record_published(self, hashes: dict[str, str]) -> None:
        self._call(None, "record_published", hashes)
