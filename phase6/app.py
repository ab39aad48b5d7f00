"""Wires settings to backends, clock and catalogue: the one place that opens clients."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Callable, TypeVar

from exporters import catalog

from .clock import Clock
from .config import ConfigError, Settings, local_path
from .formats import EASTERN
from .runner import Backends, Runner
from .state import StateStore, open_state, open_state_or_unavailable
from .storage import Bucket, open_bucket
from .warehouse import Warehouse, WarehouseInUse, open_warehouse

Backend = TypeVar("Backend")


@dataclass
class App:
    settings: Settings
    backends: Backends
    clock: Clock
    runner: Runner

    def close(self) -> None:
        self.backends.warehouse.close()
        self.backends.state.close()


def make_clock(settings: Settings, warehouse: object) -> Clock:
    """PHASE6_NOW wins; otherwise a demo warehouse's frozen clock; otherwise the real clock."""
    fixed = settings.fixed_now()
    if fixed is not None:
        return Clock(fixed)
    demo_now = getattr(warehouse, "demo_now", None)
    return Clock(demo_now() if callable(demo_now) else None)


def open_app(settings: Settings | None = None) -> App:
    settings = settings or Settings()
    warehouse = open_warehouse_store(settings)
    backends = Backends(warehouse=warehouse, bucket=open_bucket_store(settings),
                        state=configured("PHASE6_STATE", open_state_or_unavailable, settings))
    clock = make_clock(settings, warehouse)
    return App(settings, backends, clock, Runner(settings, backends, clock, catalog()))


def configured(variable: str, opener: Callable[[Settings], Backend], settings: Settings) -> Backend:
    """Opens one backend; a URL its opener refuses (ValueError) is a mistake in that environment variable."""
    try:
        return opener(settings)
    except ValueError as error:
        raise ConfigError(f"{variable}: {error}") from error


def open_warehouse_store(settings: Settings) -> Warehouse:
    return configured("PHASE6_WAREHOUSE", open_warehouse, settings)


def open_bucket_store(settings: Settings) -> Bucket:
    return configured("PHASE6_BUCKET", open_bucket, settings)


def open_state_store(settings: Settings) -> StateStore:
    return configured("PHASE6_STATE", open_state, settings)


class NoStateYet:
    """An embedded state store that nothing has created yet, as operator views see it: empty, and left uncreated."""

    def get_run(self, run_id: str) -> None:
        return None

    def recent_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        return []

    def heartbeats(self, limit: int = 50) -> list[dict[str, Any]]:
        return []

    def breakers(self, now: datetime) -> list[Any]:
        return []

    def reset_breaker(self, export_type: str) -> None:
        pass  # a breaker nothing has recorded is closed

    def close(self) -> None:
        pass


def open_state_for_view(settings: Settings) -> StateStore | NoStateYet:
    """The state store for an operator view, which only reads: a view never creates the embedded store's file."""
    if settings.state_url.startswith("sqlite://"):
        path = configured("PHASE6_STATE", lambda s: local_path(s.state_url, "sqlite"), settings)
        if not path.exists():
            return NoStateYet()
    return open_state_store(settings)


@dataclass(frozen=True)
class ClockReading:
    clock: Clock
    note: str = ""  # set when the game day could not come from the configured clock itself


def read_clock(settings: Settings) -> ClockReading:
    """The game-day clock without taking the warehouse's write lock (for validating requests and operator views).

    PHASE6_NOW; else an embedded demo warehouse's frozen clock, read read-only; else the real clock. While another
    process (a run) holds the embedded warehouse, not even a read-only connection opens: then the game day of the
    last published status.json, which every run writes with that same clock."""
    if settings.fixed_now() is not None or not settings.embedded:
        return ClockReading(make_clock(settings, None))
    from .warehouse.duckdb_backend import DuckDBWarehouse

    try:
        warehouse = DuckDBWarehouse(configured("PHASE6_WAREHOUSE", lambda s: local_path(s.warehouse_url, "duckdb"),
                                               settings), read_only=True)
    except WarehouseInUse:
        return published_game_day(settings)
    try:
        return ClockReading(make_clock(settings, warehouse))
    finally:
        warehouse.close()


def published_game_day(settings: Settings) -> ClockReading:
    body = open_bucket_store(settings).read(settings.object_prefix + "status.json")
    if body is None:
        return ClockReading(Clock(), "the warehouse is in use by another process and no status.json is published "
                                     "yet: game day on the real clock")
    day = date.fromisoformat(json.loads(body)["game_day"])
    return ClockReading(Clock(datetime.combine(day, time(12), EASTERN)),
                        "the warehouse is in use by another process: game day of the last status.json")
