"""The planner: order, deadline, expected durations, fits."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from phase6 import plan
from phase6.catalog import ExportSpec


def spec(name: str, cost: str = "fast", priority: int = 50, critical: bool = False) -> ExportSpec:
    return ExportSpec(name=name, cost=cost, priority=priority, queries=(), build=lambda ctx, rows: [], documents=(),
                      critical=critical)


def test_order_puts_critical_first_then_fast_then_fanout_by_priority():
    specs = [
        spec("players", "fanout", 1),
        spec("streaks", "fast", 60),
        spec("tonight-players", "fanout", 0),
        spec("predictions", "fast", 40, critical=True),
        spec("results", "fast", 10),
        spec("best-bets", "fast", 30, critical=True),
    ]
    assert [s.name for s in plan.order(specs)] == [
        "best-bets", "predictions", "results", "streaks", "tonight-players", "players",
    ]


def test_deadline_is_the_budget_minus_the_safety_margin():
    started = time.monotonic()
    assert plan.Deadline.from_budget(540, started).end == pytest.approx(started + 510)
    assert plan.Deadline.from_budget(10, started).end == pytest.approx(started + 9)


def test_deadline_remaining_and_wall_time():
    deadline = plan.Deadline(time.monotonic() + 100)
    assert 99 < deadline.remaining() <= 100
    now = datetime(2026, 3, 4, 18, 0, tzinfo=timezone.utc)
    assert 99 < (deadline.wall_time(now) - now).total_seconds() <= 100


def test_expected_seconds_from_history_or_the_cost_class_default():
    assert plan.expected_seconds(spec("a"), None) == plan.DEFAULT_SECONDS["fast"]
    assert plan.expected_seconds(spec("b", "fanout"), None) == plan.DEFAULT_SECONDS["fanout"]
    assert plan.expected_seconds(spec("a"), 3.5) == 3.5


def test_a_fanout_may_start_with_one_chunks_worth_of_time():
    assert plan.seconds_to_start(spec("p", "fanout"), 300) == plan.FANOUT_START_SECONDS
    assert plan.seconds_to_start(spec("p", "fanout"), 5) == 5
    assert plan.seconds_to_start(spec("a"), 300) == 300


def test_fits():
    assert plan.fits(10, 10)
    assert plan.fits(1, 10)
    assert not plan.fits(10.5, 10)
