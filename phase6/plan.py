"""The time budget, pure: export order, the run's deadline, expected durations, and whether a step still fits.

Event-driven functions are cut off at the budget (540 s) without warning, so the runner stops starting work a
safety margin before it and hands the rest to a continuation.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from .catalog import CostClass, ExportSpec

SAFETY_MARGIN_SECONDS = 30.0
MARGIN_SHARE = 0.1  # small budgets (tests, local runs) keep a proportional margin instead
DEFAULT_SECONDS: dict[CostClass, float] = {"fast": 15.0, "fanout": 120.0}
# A fan-out checks the deadline between chunks, so it may start when one chunk's worth of time is left.
FANOUT_START_SECONDS = 20.0


@dataclass(frozen=True)
class Deadline:
    """A point on the monotonic clock after which no step may start."""

    end: float

    @classmethod
    def from_budget(cls, budget_seconds: float, started: float | None = None) -> "Deadline":
        """`started` is the invocation's start on `time.monotonic()` (default: now)."""
        begin = time.monotonic() if started is None else started
        return cls(begin + budget_seconds - safety_margin(budget_seconds))

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def wall_time(self, now: datetime) -> datetime:
        """The deadline on the wall clock, for heartbeats."""
        return now + timedelta(seconds=self.remaining())


def safety_margin(budget_seconds: float) -> float:
    return min(SAFETY_MARGIN_SECONDS, budget_seconds * MARGIN_SHARE)


def order(specs: Iterable[ExportSpec]) -> list[ExportSpec]:
    """Critical exports first, then fast ones, fan-outs last; by priority within each group."""
    return sorted(specs, key=lambda spec: (_group(spec), spec.priority, spec.name))


def _group(spec: ExportSpec) -> int:
    if spec.critical:
        return 0
    return 1 if spec.cost == "fast" else 2


def expected_seconds(spec: ExportSpec, history: float | None) -> float:
    """The learned duration (a high percentile of recent runs), or the cost class's default."""
    return history if history is not None else DEFAULT_SECONDS[spec.cost]


def seconds_to_start(spec: ExportSpec, expected: float) -> float:
    """How much time must remain to start the export at all."""
    return min(expected, FANOUT_START_SECONDS) if spec.cost == "fanout" else expected


def fits(expected: float, remaining: float) -> bool:
    return expected <= remaining
