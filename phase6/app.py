"""Wires settings to backends, clock and catalogue: the one place that opens clients."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from exporters import catalog

from .clock import Clock
from .config import Settings
from .runner import Backends, Runner
from .state import open_state_or_unavailable
from .storage import open_bucket
from .warehouse import open_warehouse


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
    warehouse = open_warehouse(settings)
    backends = Backends(warehouse=warehouse, bucket=open_bucket(settings), state=open_state_or_unavailable(settings))
    clock = make_clock(settings, warehouse)
    return App(settings, backends, clock, Runner(settings, backends, clock, catalog()))


def resolve_date(text: str, game_day: date) -> date:
    """'today', 'yesterday' (on the game-day clock) or YYYY-MM-DD."""
    if text == "today":
        return game_day
    if text == "yesterday":
        return game_day - timedelta(days=1)
    return date.fromisoformat(text)
