"""The shared state store: run records now; heartbeats, breakers, leases and more join the same interface."""
from __future__ import annotations

from typing import Any, Protocol


class StateError(RuntimeError):
    """The state store could not be read or written."""


class StateStore(Protocol):
    def save_run(self, run_id: str, record: dict[str, Any]) -> None: ...

    def get_run(self, run_id: str) -> dict[str, Any] | None: ...

    def recent_runs(self, limit: int = 20) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...
