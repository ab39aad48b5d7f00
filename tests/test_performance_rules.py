"""Performance rules that hold whatever the machine: warehouse queries per run do not grow with the number of
players, a second identical run uploads nothing, and a backfill equals day-by-day replays. Timings belong to the
benchmark (benchmarks/run.py), never to a test."""
from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from exporters import catalog, expand
from phase6.app import open_app
from phase6.backfill import backfill, dated_export_types
from phase6.demo import DemoParams, build_demo
from phase6.catalog import Document, ExportSpec
from phase6.jsonio import dumps, publish_digest
from phase6.runner import RunRequest, Runner
from tests.conftest import settings_for

SMALL = DemoParams(teams=6, players_per_team=5, season_start=date(2025, 12, 29), season_end=date(2026, 1, 25),
                   predictions_start=date(2026, 1, 2), as_of_date=date(2026, 1, 16))
SMALL_NOW = "2026-01-16T18:00:00+00:00"
ALL = tuple(expand(["all"]))


@pytest.fixture(scope="module")
def small_demos(tmp_path_factory) -> dict[int, Path]:
    """The same short season with 5 and with 10 players per team."""
    folder = tmp_path_factory.mktemp("sizes")
    demos = {}
    for players_per_team in (5, 10):
        demos[players_per_team] = folder / f"demo-{players_per_team}.duckdb"
        build_demo(demos[players_per_team], replace(SMALL, players_per_team=players_per_team))
    return demos


def open_copy(demo: Path, tmp_path: Path):
    tmp_path.mkdir(parents=True, exist_ok=True)
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(demo, copy)
    return open_app(settings_for(tmp_path, copy, now=SMALL_NOW))


def run_all(application, day: date, mode: str = "live"):
    return application.runner.run(RunRequest(ALL, day, mode=mode))


def test_query_count_per_export_does_not_grow_with_players(small_demos, tmp_path):
    counts, files = {}, {}
    for players_per_team, demo in small_demos.items():
        application = open_copy(demo, tmp_path / str(players_per_team))
        record = run_all(application, SMALL.as_of_date)
        application.close()
        counts[players_per_team] = {name: result.queries for name, result in record.exports.items()}
        files[players_per_team] = record.exports["tonight-players"].files
    assert files[10] > files[5] > 0  # more players, more files ...
    assert counts[10] == counts[5]  # ... and the same queries
    assert sum(counts[5].values()) <= 40


def test_a_second_identical_run_uploads_nothing(small_demos, tmp_path):
    application = open_copy(small_demos[5], tmp_path)
    first = run_all(application, SMALL.as_of_date)
    second = run_all(application, SMALL.as_of_date)
    application.close()
    written = sum(result.files for result in first.exports.values())
    assert written > 0
    assert sum(result.files for result in second.exports.values()) == 0
    assert sum(result.unchanged for result in second.exports.values()) == written
    assert {result.status for result in second.exports.values()} == {"ok"}


def test_a_changed_document_and_its_twin_are_uploaded_again(small_demos, tmp_path):
    application = open_copy(small_demos[5], tmp_path)
    run_all(application, SMALL.as_of_date)
    pointer = "v1/tonight/player/" + next(iter(sorted(
        path.name for path in (tmp_path / "bucket/v1/tonight/player").glob("*.json"))))
    application.backends.state.record_published({pointer: "stale"})
    again = run_all(application, SMALL.as_of_date)
    application.close()
    assert again.exports["tonight-players"].files == 2  # the stale pointer and its dated twin (same body)


def test_the_publish_digest_ignores_only_the_top_level_build_time():
    def digest(top: str, nested: str, control: str = "public, max-age=300") -> str:
        return publish_digest(dumps({"generated_at": top, "game": {"updated_at": nested}, "n": 1}), control)

    assert digest("2026-01-16T18:00:00.000001+00:00", "a") == digest("2026-01-16T18:05:00.000001+00:00", "a")
    assert digest("2026-01-16T18:00:00.000001+00:00", "a") != digest("2026-01-16T18:00:00.000001+00:00", "b")
    assert digest("t", "a") != digest("t", "a", "public, max-age=86400")


def test_prepare_runs_once_per_export_and_feeds_every_fan_out_chunk(small_demos, tmp_path):
    calls = []

    def prepare(ctx, rows):
        calls.append(ctx.target_date)
        return {"ann": 1, "bob": 2, "cy": 3}

    spec = ExportSpec(
        name="probe", cost="fanout", priority=1, queries=(), build=lambda ctx, rows: [], paths=("probe/{lookup}.json",),
        prepare=prepare, entities=lambda ctx, index: sorted(index),
        build_entity=lambda ctx, index, lookup: [Document(f"probe/{lookup}.json", {"n": index[lookup]}, 60, "dated")],
    )
    application = open_copy(small_demos[5], tmp_path)
    runner = Runner(application.settings, application.backends, application.clock, {"probe": spec}, fanout_chunk=1)
    record = runner.run(RunRequest(("probe",), SMALL.as_of_date))
    application.close()
    assert calls == [SMALL.as_of_date]  # once, although the fan-out ran in three chunks
    assert record.exports["probe"].files == 3
    assert (tmp_path / "bucket/v1/probe/cy.json").read_bytes() == b'{\n  "n": 3\n}\n'


def test_backfill_writes_the_files_of_day_by_day_replays(small_demos, tmp_path):
    days = (date(2026, 1, 12), date(2026, 1, 14))
    types = dated_export_types(catalog())
    ranged = open_copy(small_demos[5], tmp_path / "ranged")
    summary = backfill(ranged.runner, *days, types)
    ranged.close()
    single = open_copy(small_demos[5], tmp_path / "single")
    for offset in range(3):
        single.runner.run(RunRequest(types, date(2026, 1, 12 + offset), mode="replay"))
    single.close()
    assert summary.days == 3 and not summary.failed
    assert published(tmp_path / "ranged") == published(tmp_path / "single")
    assert all(re.search(r"2026-01-1[234]", name) for name in published(tmp_path / "ranged"))  # dated files only


def published(root: Path) -> dict[str, bytes]:
    """Dated files by name, their build times blanked."""
    bucket = root / "bucket" / "v1"
    return {
        path.relative_to(bucket).as_posix(): _without_times(path.read_bytes())
        for path in bucket.rglob("*.json")
        if ".meta" not in path.parts and path.name != "status.json"
    }


def _without_times(data: bytes) -> bytes:
    return re.sub(rb'"(generated_at|updated_at)": "[^"]*"', b'"time": ""', data)
