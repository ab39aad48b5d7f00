"""Guards: a degraded export never replaces a published file that has content, and replay never touches live
pointers or fixed paths. Build notices reach the export's warnings and the completion event."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from exporters import catalog, export_types
from phase6.catalog import ContentGuard, Document, ExportSpec, Notice, Query
from phase6.clock import Clock
from phase6.config import Settings
from phase6.events import FileEvents
from phase6.messages import Envelope
from phase6.runner import Backends, Runner, RunRequest
from phase6.runtime import handle
from phase6.state import open_state_url
from phase6.storage import open_bucket
from phase6.storage.local import LocalBucket
from phase6.warehouse import ArrayParam, open_warehouse

TODAY = date(2026, 3, 4)
GUARDED_FILES = ("predictions/2026-03-04.json", "predictions/today.json", "best-bets/2026-03-04.json",
                 "best-bets/latest.json")


def bucket_bytes(root: Path) -> dict[str, bytes]:
    """The bodies under a local bucket's v1/ folder as readers get them (large ones are stored gzip-compressed)."""
    bucket = LocalBucket(root.parent)
    names = (path.relative_to(root).as_posix() for path in root.rglob("*.json"))
    return {name: bucket.read(f"{root.name}/{name}") for name in names}


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
    assert event.status == "partial"  # a kept file: the export is ok, the run is not a success
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
    demo_app.runner.run(RunRequest(export_types(), TODAY))  # live: pointers and global files exist
    root = tmp_path / "bucket" / "v1"
    live = bucket_bytes(root)
    replayed = ("2026-03-01",)
    for day in replayed:
        record = demo_app.runner.run(RunRequest(export_types(), date.fromisoformat(day), mode="replay"))
        assert record.status == "success", record.errors
    after = bucket_bytes(root)
    changed = sorted(name for name, body in live.items() if after[name] != body)
    assert changed == ["status.json"]  # docs/api.md, "Scopes": the run's status is written at the end of every run
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

    spec = ExportSpec("fake", "fast", 1, (Query("one", "SELECT 1 AS x", lambda ctx: {}),), build, (),
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


WHOLE_EXPORT_TYPES = ",".join(name for name, spec in catalog().items() if spec.entities is None)


def cli_run(*args: str):
    from typer.testing import CliRunner

    from phase6.cli import app

    return CliRunner().invoke(app, ["run", "--date", "today", "--types", WHOLE_EXPORT_TYPES, *args])


def remove_the_day_upstream(warehouse_file: Path, day: date) -> None:
    """Every row dated `day` in every warehouse table: the day's data collapsed upstream."""
    with duckdb.connect(str(warehouse_file)) as connection:
        tables = connection.execute(
            "SELECT table_schema, table_name FROM information_schema.columns WHERE column_name = 'game_date' "
            "AND table_schema NOT IN ('phase6_demo') AND table_name IN (SELECT table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE')").fetchall()
        for schema, table in tables:
            connection.execute(f'DELETE FROM "{schema}"."{table}" WHERE game_date = ?', [day])


def test_every_endpoint_declares_how_its_content_is_counted():
    """Exports with whole-export documents (every path that is not per entity) have a content guard."""
    unguarded = [name for name, spec in catalog().items()
                 if spec.guard is None and any("{lookup}" not in path for path in spec.paths)]
    assert unguarded == []


def test_collapsed_upstream_data_never_replaces_published_files_without_force(cli_env, tmp_path):
    """The day's rows vanish upstream: tonight/{date}.json and tonight/all-players.json would go from 180 players to 0
    and signals/{date}.json to "No data available". Through the CLI, every such file is kept, named in a warning,
    and the run is partial; `--force` replaces them, and says so."""
    cli_env.close()
    first = cli_run()
    assert first.exit_code == 0, first.output + first.stderr
    root = tmp_path / "bucket" / "v1"
    published = {name: body for name, body in bucket_bytes(root).items() if name != "status.json"}
    assert json.loads(published["tonight/all-players.json"])["total_players"] > 100
    remove_the_day_upstream(tmp_path / "demo.duckdb", TODAY)

    collapsed = cli_run()

    after = bucket_bytes(root)
    changed = [name for name in published if after[name] != published[name]]
    assert changed == ["systems/models.json"]  # one day fewer of predictions in its 7-day window: not a collapse
    assert "partial" in collapsed.stdout
    for path in ("tonight/2026-03-04.json", "signals/2026-03-04.json", "predictions/2026-03-04.json"):
        assert f"guarded {path}: kept the published file" in " ".join(collapsed.stderr.split())
    record = json.loads(json.dumps(open_state_url(cli_env.settings.state_url).recent_runs(1)[0]))
    assert record["status"] == "partial"
    assert "tonight/all-players.json" in record["exports"]["tonight"]["kept"]

    forced = cli_run("--force")
    assert forced.exit_code == 0, forced.stderr
    assert "forced tonight/2026-03-04.json" in " ".join(forced.stderr.split())
    forced_bodies = bucket_bytes(root)
    assert json.loads(forced_bodies["tonight/all-players.json"])["total_players"] == 0
    assert json.loads(forced_bodies["signals/2026-03-04.json"])["note"] == "No data available for this date"
