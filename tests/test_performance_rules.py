"""Performance rules that hold whatever the machine: warehouse queries per run do not grow with the number of
players and a second identical run uploads nothing (range reads of a backfill: test_backfill_ranges.py). Timings
belong to the benchmark (benchmarks/run.py), never to a test."""
from __future__ import annotations

from datetime import date

from exporters import expand
from phase6.catalog import Document, ExportSpec
from phase6.jsonio import dumps, publish_digest
from phase6.runner import RunRequest, Runner
from tests.conftest import open_small, small_season

SMALL = small_season()
ALL = tuple(expand(["all"]))


def run_all(application, day: date, mode: str = "live"):
    return application.runner.run(RunRequest(ALL, day, mode=mode))


def test_query_count_per_export_does_not_grow_with_players(small_demos, tmp_path):
    counts, files = {}, {}
    for players_per_team, demo in small_demos.items():
        application = open_small(demo, tmp_path / str(players_per_team))
        record = run_all(application, SMALL.as_of_date)
        application.close()
        counts[players_per_team] = {name: result.queries for name, result in record.exports.items()}
        files[players_per_team] = record.exports["tonight-players"].files
    assert files[10] > files[5] > 0  # more players, more files ...
    assert counts[10] == counts[5]  # ... and the same queries
    assert sum(counts[5].values()) <= 40


def test_a_second_identical_run_uploads_nothing(small_demos, tmp_path):
    application = open_small(small_demos[5], tmp_path)
    first = run_all(application, SMALL.as_of_date)
    second = run_all(application, SMALL.as_of_date)
    application.close()
    written = sum(result.files for result in first.exports.values())
    assert written > 0
    assert sum(result.files for result in second.exports.values()) == 0
    assert sum(result.unchanged for result in second.exports.values()) == written
    assert {result.status for result in second.exports.values()} == {"ok"}


def test_a_changed_document_and_its_twin_are_uploaded_again(small_demos, tmp_path):
    application = open_small(small_demos[5], tmp_path)
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
        name="probe", cost="fanout", priority=1, queries=(), build=lambda ctx, rows: [], documents=(),
        prepare=prepare, entities=lambda ctx, index: sorted(index),
        build_entity=lambda ctx, index, lookup: [Document(f"probe/{lookup}.json", {"n": index[lookup]}, 60, "dated")],
    )
    application = open_small(small_demos[5], tmp_path)
    runner = Runner(application.settings, application.backends, application.clock, {"probe": spec}, fanout_chunk=1)
    record = runner.run(RunRequest(("probe",), SMALL.as_of_date))
    application.close()
    assert calls == [SMALL.as_of_date]  # once, although the fan-out ran in three chunks
    assert record.exports["probe"].files == 3
    assert (tmp_path / "bucket/v1/probe/cy.json").read_bytes() == b'{\n  "n": 3\n}\n'
