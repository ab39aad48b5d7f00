"""The benchmark's estimate of bytes billed (benchmarks/bytes_scanned.py): which statements grow with the years,
and how often each scheduled job runs in a year."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from benchmarks import bytes_scanned
from exporters import catalog
from phase6.catalog import ExportContext
from phase6.config import Settings
from phase6.schedules import ScheduledJob, load_jobs

AS_OF = date(2026, 3, 4)


def job(schedule: str) -> ScheduledJob:
    return ScheduledJob("j", "", schedule, "America/New_York", "t", {"export_types": ["results"]})


@pytest.mark.parametrize(("schedule", "fires"), [
    ("0 6 * * 0", 52),  # weekly, Sunday
    ("0 11,13,17 * * *", 3 * 365),
    ("*/10 19-23 * * *", 6 * 5 * 365),  # evening hours are never skipped by a clock change
])
def test_fires_per_year_counts_the_cron_in_its_time_zone(schedule, fires):
    assert bytes_scanned.fires_per_year(job(schedule), AS_OF) == fires


@pytest.fixture(scope="module")
def sizes(demo_db):
    sizes = bytes_scanned.DemoSizes(demo_db)
    yield sizes
    sizes.close()


def context(day: date) -> ExportContext:
    return ExportContext(day, day, datetime(2026, 3, 4, 17, tzinfo=timezone.utc), Settings().champion_system_id)


def test_only_the_statements_reading_every_season_are_marked_as_growing(sizes):
    now = bytes_scanned.estimate_run(sizes, catalog().values(), context(AS_OF))
    growing = {f"{item.export}.{item.query}" for item in now if item.all_history}
    assert {"best-bets.under_history", "players.game_log", "players.splits", "players.player_accuracy"} <= growing
    assert "tonight.recent_games" not in growing  # bounded to a year before the date
    assert "subset-picks.registry_names" not in growing  # an unpartitioned table does not grow by partitions
    later = {(item.export, item.query): item.bytes
             for item in bytes_scanned.estimate_run(sizes, catalog().values(), context(date(2027, 3, 4)))}
    for item in now:
        grew = later[item.export, item.query] > item.bytes
        assert grew == item.all_history, f"{item.export}.{item.query}"


def test_a_scheduled_job_costs_what_one_run_of_its_types_bills(sizes):
    ctx = context(AS_OF)
    costs = {cost.job: cost for cost in bytes_scanned.job_costs(sizes, catalog(), load_jobs(), ctx)}
    players = costs["phase6-players-weekly"]
    expected = sum(item.bytes for item in bytes_scanned.estimate_run(sizes, [catalog()["players"]], ctx))
    assert players.bytes_per_run == pytest.approx(expected)
    assert players.runs_per_year == 52
    assert set(costs) == {scheduled.name for scheduled in load_jobs()}
