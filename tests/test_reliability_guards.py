"""Guards: a degraded export never replaces a published file that has content, and replay never touches live
pointers or fixed paths. Build notices reach the export's warnings and the completion event."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from exporters import EXPORT_MODULES
from phase6.catalog import ContentGuard, Document, ExportSpec, Notice, Query
from phase6.clock import Clock
from phase6.config import Settings
from phase6.events import FileEvents
from phase6.messages import Envelope
from phase6.runner import Backends, Runner, RunRequest
from phase6.runtime import handle
from phase6.state import open_state_url
from phase6.storage import open_bucket
from phase6.warehouse import ArrayParam, open_warehouse

TODAY = date(2026, 3, 4)
GUARDED_FILES = ("predictions/2026-03-04.json", "predictions/today.json", "best-bets/2026-03-04.json",
                 "best-bets/latest.json")


def bucket_bytes(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*.json")}


def deliver(app, tmp_path: Path, payload: dict, message_id: str):
    return handle(Envelope.of_json(payload, message_id), app, FileEvents(tmp_path / "events.jsonl", tmp_path / "c.jsonl"))


def deactivate(app, lookups: list[str]) -> None:
    """An upstream that lost predictions: the champion's rows for these players are no longer active."""
    app.backends.warehouse.query(
        "UPDATE nba_predictions.player_prop_predictions SET is_active = FALSE "
        "WHERE game_date = @day AND player_lookup IN UNNEST(@lookups)",
        {"day": TODAY, "lookups": ArrayParam("STRING", lookups)},
    )


def todays_players(app) -> list[str]:
    rows = app.backends.warehouse.query(
        "SELECT DISTINCT player_lookup FROM nba_predictions.player_prop_predictions "
        "WHERE game_date = @day AND is_active ORDER BY player_lookup", {"day": TODAY})
    return [row["player_lookup"] for row in rows]


REQUEST = {"export_types": ["predictions", "best-bets"], "target_date": "2026-03-04"}


def test_a_day_with_games_but_no_predictions_keeps_the_published_files(demo_app, tmp_path):
    assert deliver(demo_app, tmp_path, REQUEST, "first").status == "success"
    published = bucket_bytes(tmp_path / "bucket" / "v1")
    deactivate(demo_app, todays_players(demo_app))

    event = deliver(demo_app, tmp_path, REQUEST, "emptied")

    after = bucket_bytes(tmp_path / "bucket" / "v1")
    assert {name: after[name] for name in GUARDED_FILES} == {name: published[name] for name in GUARDED_FILES}
    assert event.status == "success"  # the contract has no status for it: the warnings say what was kept
    for name, dated in (("predictions", "predictions/2026-03-04.json"), ("best-bets", "best-bets/2026-03-04.json")):
        export = event.exports[name]
        assert export["status"] == "ok" and export["files"] == 0
        assert any(warning.startswith(f"guarded {dated}: kept the published file") and "with none" in warning
                   for warning in export["warnings"])


@pytest.mark.parametrize(("lost", "kept"), [(0.7, True), (0.3, False)])
def test_predictions_shrinking_beyond_the_declared_fraction_are_kept(demo_app, tmp_path, lost, kept):
    request = {"export_types": ["predictions"], "target_date": "2026-03-04"}
    deliver(demo_app, tmp_path, request, "first")
    before = (tmp_path / "bucket/v1/predictions/today.json").read_bytes()
    players = todays_players(demo_app)
    deactivate(demo_app, players[: int(len(players) * lost)])

    event = deliver(demo_app, tmp_path, request, "shrunk")

    unchanged = (tmp_path / "bucket/v1/predictions/today.json").read_bytes() == before
    assert unchanged is kept
    warnings = event.exports["predictions"].get("warnings", [])
    assert [warning.split(":")[0] for warning in warnings] == (
        ["guarded predictions/2026-03-04.json", "guarded predictions/today.json"] if kept else [])
    if kept:
        assert "more than 50%" in warnings[0]


def test_replay_never_touches_live_pointers_or_fixed_paths(demo_app, tmp_path):
    demo_app.runner.run(RunRequest(tuple(EXPORT_MODULES), TODAY))  # live: pointers and global files exist
    root = tmp_path / "bucket" / "v1"
    live = bucket_bytes(root)
    replayed = ("2026-03-01",)
    for day in replayed:
        record = demo_app.runner.run(RunRequest(tuple(EXPORT_MODULES), date.fromisoformat(day), mode="replay"))
        assert record.status == "success", record.errors
    after = bucket_bytes(root)
    changed = sorted(name for name, body in live.items() if after[name] != body)
    assert changed == ["status.json"]  # api.md §2.1: the run's status is written at the end of every run
    new = sorted(set(after) - set(live))
    assert new and all(any(day in name for day in replayed) for name in new), new


def test_notices_and_guards_of_any_spec_reach_the_export_result_and_the_event_form(tmp_path):
    warehouse_file = tmp_path / "tiny.duckdb"
    duckdb.connect(str(warehouse_file)).close()
    settings = Settings(warehouse_url=f"duckdb:///{warehouse_file}", bucket_url=f"file://{tmp_path / 'bucket'}",
                        state_url=f"sqlite:///{tmp_path / 'state.db'}", events_url=f"file://{tmp_path / 'e.jsonl'}")
    items = {"n": 3}

    def build(ctx, rows):
        return [Notice("left out subset 'x'"), Document("fake/items.json", {"items": list(range(items["n"]))}, 60, "dated")]

    spec = ExportSpec("fake", "fast", 1, (Query("one", "SELECT 1 AS x", lambda ctx: {}),), build, ("fake/items.json",),
                      guard=ContentGuard(lambda body: len(body["items"])))
    backends = Backends(open_warehouse(settings), open_bucket(settings), open_state_url(settings.state_url))
    runner = Runner(settings, backends, Clock(), {"fake": spec})
    request = RunRequest(("fake",), TODAY, mode="replay")

    first = runner.run(request).exports["fake"]
    items["n"] = 0
    second = runner.run(request).exports["fake"]

    assert (first.status, first.files, first.warnings) == ("ok", 1, ["left out subset 'x'"])
    assert second.status == "ok" and second.files == 0
    assert second.public()["warnings"] == ["left out subset 'x'",
                                           "guarded fake/items.json: kept the published file, the new one would replace 3 items with none"]
    assert json.loads((tmp_path / "bucket/v1/fake/items.json").read_bytes()) == {"items": [0, 1, 2]}
    backends.warehouse.close()
    backends.state.close()
