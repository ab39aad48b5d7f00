"""The state store as a delivery uses it: a state-store failure never stops publishing, and never holds it up.

Every call waits at most `limit` seconds (STATE_CALL_LIMIT_SECONDS, well inside the 540 s budget), whatever the
backend does: it runs on a worker thread and is abandoned when it does not answer in time. A call that raises
StateError or does not answer is logged as a warning, recorded in `errors`, and answered with the value that lets
the run go on (message new, breaker closed, lease granted, no duration history, nothing written). After the first
failure the store is left alone for the rest of the delivery (`down`): an unreachable or locked store costs one
bounded wait per delivery, not one per call.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from .base import Breaker, MessageState, StateError, StateStore, closed_breaker

log = logging.getLogger("phase6.state")

STATE_CALL_LIMIT_SECONDS = 10.0
_workers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="state")


class TolerantState:
    def __init__(self, store: StateStore, limit: float = STATE_CALL_LIMIT_SECONDS):
        self.store = store
        self.limit = limit
        self.down = False
        self.errors: list[str] = []

    def _call(self, fallback: Any, method: str, *args: Any) -> Any:
        if self.down:
            return fallback
        try:
            return _workers.submit(getattr(self.store, method), *args).result(timeout=self.limit)
        except StateError as error:
            reason = str(error)
        except TimeoutError:
            reason = f"no answer within {self.limit:g} s"
        self.down = True
        message = f"state store {method} failed, the run goes on without it: {reason}"
        log.warning(message)
        self.errors.append(message)
        return fallback

    def claim_message(self, message_id: str, run_id: str, now: datetime) -> MessageState:
        """`new` when the store cannot tell: the message runs without the duplicate check."""
        return self._call("new", "claim_message", message_id, run_id, now)

    def finish_message(self, message_id: str, status: str, now: datetime) -> None:
        self._call(None, "finish_message", message_id, status, now)

    def release_message(self, message_id: str, run_id: str) -> None:
        self._call(None, "release_message", message_id, run_id)

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

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        return self._call(None, "get_run", run_id)

    def save_run(self, run_id: str, record: dict[str, Any]) -> None:
        self._call(None, "save_run", run_id, record)

    def published_hashes(self, names: list[str]) -> dict[str, str]:
        """Nothing known when the store fails: every object is uploaded."""
        return self._call({}, "published_hashes", names)

    def record_published(self, hashes: dict[str, str]) -> None:
        self._call(None, "record_published", hashes)
