"""The whole catalogue held to api.md on the demo season: every object a run writes is validated against its schema,
the §5 checklist, its headers (§2.3), its scope (§2.1–§2.2), the other files of the run, and determinism.

Five runs of every export type (`exporters.catalog()`), each once per module on its own warehouse copy
and bucket: (a) the as-of day 2026-03-04, live (no grading yet on that day); (b) the All-Star break 2026-02-15,
a replay of a day without games; (c) 2026-03-06, a replay of a future game day (nothing graded); (d) the day
before, 2026-03-03, live: graded content, the results pointer and the picks of a date inside the season file;
(e) 2025-11-11, a replay early in the predictions' history, when players have few or only ungraded past rows.
"""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest

from exporters import catalog
from phase6 import contract
from phase6.app import open_app
from phase6.runner import RunRecord, RunRequest
from phase6.storage.base import ObjectInfo
from phase6.storage.local import LocalBucket
from tests.conftest import settings_for

pytestmark = pytest.mark.slow

GAME_DAY = date(2026, 3, 4)  # the demo clock's G (conftest.DEMO_NOW)
SCENARIOS = {
    "as-of-day-live": ("live", GAME_DAY),
    "all-star-break-replay": ("replay", date(2026, 2, 15)),
    "future-game-day-replay": ("replay", date(2026, 3, 6)),
    "yesterday-live": ("live", GAME_DAY - timedelta(days=1)),
    "early-season-replay": ("replay", date(2025, 11, 11)),
}
UNGRADED_SCENARIOS = ("as-of-day-live", "all-star-break-replay", "future-game-day-replay")
TIMESTAMP_VALUE = re.compile(rb'"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00"')

# api.md §3: the objects each export type writes for a target date {d}; "pointer" files only in a live run for G.
DATED_PATHS = {
    "results": ["results/{d}.json"],
    "best-bets": ["best-bets/{d}.json"],
    "predictions": ["predictions/{d}.json"],
    "tonight": ["tonight/{d}.json"],
    "streaks": ["streaks/{d}.json"],
    "subset-picks": ["picks/{d}.json"],
    "daily-signals": ["signals/{d}.json"],
    "live-grading": ["live-grading/{d}.json"],
}
LIVE_G_PATHS = {
    "performance": ["systems/performance.json"],
    "best-bets": ["best-bets/latest.json"],
    "predictions": ["predictions/today.json"],
    "tonight": ["tonight/all-players.json"],
    "streaks": ["streaks/today.json"],
    "subset-performance": ["subsets/performance.json"],
    "subset-definitions": ["systems/subsets.json"],
    "season-subsets": ["subsets/season.json"],
    "model-registry": ["systems/models.json"],
    "players": ["players/index.json"],
    "live-grading": ["live-grading/latest.json"],
}


@dataclass
class Published:
    """What one run left in its bucket, by path relative to v1/."""

    mode: str
    target: date
    bucket: LocalBucket = field(repr=False)
    record: RunRecord = field(repr=False)
    raw: dict[str, bytes] = field(repr=False)
    info: dict[str, ObjectInfo] = field(repr=False)

    def bodies(self) -> dict[str, object]:
        return {path: json.loads(data) for path, data in self.raw.items()}


def publish(demo_db: Path, directory: Path, mode: str, target: date) -> Published:
    directory.mkdir(parents=True)
    warehouse = directory / "demo.duckdb"
    shutil.copy(demo_db, warehouse)
    app = open_app(settings_for(directory, warehouse))
    try:
        record = app.runner.run(RunRequest(tuple(catalog()), target, mode=mode))
    finally:
        app.close()
    bucket = LocalBucket(directory / "bucket")
    objects = bucket.list("v1/")
    return Published(
        mode, target, bucket, record,
        raw={info.name[3:]: bucket.read(info.name) or b"" for info in objects},
        info={info.name[3:]: info for info in objects},
    )


@pytest.fixture(scope="module")
def runs(demo_db, tmp_path_factory) -> dict[str, tuple[Published, Published]]:
    """Each scenario run twice, on two copies of the same warehouse (the second run only serves determinism)."""
    root = tmp_path_factory.mktemp("catalogue")
    return {
        scenario: tuple(publish(demo_db, root / f"{scenario}-{attempt}", mode, target) for attempt in (1, 2))
        for scenario, (mode, target) in SCENARIOS.items()
    }


@pytest.fixture(params=sorted(SCENARIOS))
def run(request, runs) -> Published:
    return runs[request.param][0]


def test_every_export_of_the_catalogue_succeeds(run):
    assert set(run.record.exports) == set(catalog())
    failed = {name: result.error for name, result in run.record.exports.items() if result.status != "ok"}
    assert failed == {}


def test_every_object_is_a_contract_path_with_valid_bytes_and_body(run):
    problems = []
    for path, data in sorted(run.raw.items()):
        problems += [f"{path}: {problem}" for problem in contract.raw_violations(data)]
        body = json.loads(data)
        problems += contract.validate_document(path, body) + contract.hygiene_violations(path, body)
    assert problems == []


def test_headers_follow_the_cache_table(run):
    problems = []
    for path, info in sorted(run.info.items()):
        expected = contract.expected_cache_control(path, json.loads(run.raw[path]), GAME_DAY)
        if info.content_type != "application/json":
            problems.append(f"{path}: Content-Type {info.content_type!r}")
        if info.cache_control != expected:
            problems.append(f"{path}: Cache-Control {info.cache_control!r}, expected {expected!r}")
        if info.content_encoding != contract.expected_content_encoding(run.raw[path]):
            problems.append(f"{path}: Content-Encoding {info.content_encoding!r} for {len(run.raw[path])} bytes")
    assert problems == []


def test_scopes_and_pointer_rules(run):
    assert contract.scope_violations(run.bodies(), run.mode, run.target, GAME_DAY) == []


def test_global_files_are_anchored_on_the_game_day(run):
    assert contract.as_of_violations(run.bodies(), GAME_DAY) == []


def test_files_agree_with_each_other_and_pointers_with_their_twins(run):
    assert contract.catalogue_violations(run.raw) == []


def test_each_export_wrote_its_objects(run):
    expected = [path.format(d=run.target) for name in catalog() for path in DATED_PATHS.get(name, [])]
    if run.mode == "live" and run.target == GAME_DAY:
        expected += [path for name in catalog() for path in LIVE_G_PATHS.get(name, [])]
    if run.mode == "live" and run.target == GAME_DAY - timedelta(days=1):
        expected.append("results/latest.json")  # G − 1 is graded, so the pointer moves to it
    assert sorted(set(expected) - set(run.raw)) == []


def test_tonight_players_fan_out_covers_the_tonight_file_with_fixed_twins(runs):
    live = runs["as-of-day-live"][0]
    dated = [path for path in live.raw if path.startswith(f"tonight/player/{GAME_DAY}/")]
    fixed = [path for path in live.raw if re.match(r"^tonight/player/[a-z0-9]+\.json$", path)]
    assert dated, "no tonight/player/{date}/{lookup}.json written for G"
    assert sorted(path.rsplit("/", 1)[1] for path in dated) == sorted(path.rsplit("/", 1)[1] for path in fixed)


def test_the_results_pointer_never_moves_to_a_day_without_results(runs):
    """The as-of day has no grading, so its results file is the empty skeleton and results/latest.json stays put."""
    live = runs["as-of-day-live"][0]
    assert json.loads(live.raw[f"results/{GAME_DAY}.json"])["results"] == []
    assert "results/latest.json" not in live.raw


@pytest.mark.parametrize("scenario", UNGRADED_SCENARIOS)
def test_days_without_grading_publish_the_zeroed_results_skeleton(runs, scenario):
    """§3.1 Empty day: every count 0, every float 0.0, every S zeroed, results [], highlights {}."""
    run = runs[scenario][0]
    body = json.loads(run.raw[f"results/{run.target}.json"])
    numbers = [value for part in ("summary", "breakdowns") for _, _, value in contract.walk(body[part])
               if not isinstance(value, (dict, list))]
    assert (body["results"], body["highlights"]) == ([], {})
    assert numbers and all(value == 0 for value in numbers)


def test_scenarios_are_what_they_claim(runs):
    """Guards the test itself: the as-of day has predictions and players, the All-Star break has no games."""
    live = runs["as-of-day-live"][0].bodies()
    quiet = runs["all-star-break-replay"][0].bodies()
    yesterday = runs["yesterday-live"][0].bodies()
    assert yesterday["results/2026-03-03.json"]["results"]
    assert live[f"predictions/{GAME_DAY}.json"]["total_predictions"] > 0
    assert quiet["predictions/2026-02-15.json"]["games"] == []
    assert live[f"tonight/{GAME_DAY}.json"]["total_players"] > 0
    assert live["tonight/2026-03-04.json"]["games"] and quiet["tonight/2026-02-15.json"]["games"] == []


def test_status_json_is_written_by_every_run(run):
    """§2.1/§3.16: status.json is written at the end of every run, whatever the mode (validated above when present)."""
    written = "status.json" in run.raw
    assert written, "Runner.run did not write status.json"


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_two_runs_on_the_same_warehouse_publish_the_same_bytes_apart_from_timestamps(runs, scenario):
    first, second = runs[scenario]
    assert sorted(first.raw) == sorted(second.raw)
    differing = [path for path in first.raw if normalised(path, first.raw[path]) != normalised(path, second.raw[path])]
    assert differing == []


def normalised(path: str, data: bytes) -> bytes:
    """Timestamps masked; in status.json also what identifies the run and what derives from write times: the ages,
    and the tonight-players probe (the newest of the player files uploaded in parallel)."""
    if path == "status.json":
        body = json.loads(data)
        body["run"] |= {"run_id": "<run>", "correlation_id": "<run>"}
        for service in body["services"].values():
            service |= {"age_minutes": "<age>", "message": "<age>"}
        for endpoint in body["endpoints"]:
            endpoint["age_seconds"] = "<age>"
            if endpoint["export_type"] == "tonight-players":
                endpoint["path"] = "<newest>"
        data = json.dumps(body, indent=2, ensure_ascii=False).encode()
    return TIMESTAMP_VALUE.sub(b'"<timestamp>"', data)


def test_pointers_move_forward_only_and_replays_leave_them_alone(demo_db, tmp_path):
    """§2.1–§2.2 across runs on one bucket: G − 1 live, then G live (results/latest.json stays on the graded day),
    then a replay of an older day, which must not touch any pointer, fixed or global file."""
    warehouse = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, warehouse)
    app = open_app(settings_for(tmp_path, warehouse))
    bucket = LocalBucket(tmp_path / "bucket")
    yesterday = GAME_DAY - timedelta(days=1)
    try:
        for target in (yesterday, GAME_DAY):
            app.runner.run(RunRequest(tuple(catalog()), target, mode="live"))
        undated = {info.name: bucket.read(info.name) for info in bucket.list("v1/") if not re.search(r"\d{4}-\d{2}-\d{2}", info.name)}
        assert "v1/predictions/today.json" in undated
        app.runner.run(RunRequest(tuple(catalog()), date(2026, 2, 20), mode="replay"))
    finally:
        app.close()
    assert bucket.read("v1/results/latest.json") == bucket.read(f"v1/results/{yesterday}.json")
    changed = sorted(name for name, data in undated.items() if name != "v1/status.json" and bucket.read(name) != data)
    assert changed == []
