"""Bad warehouse values are never published: every document is checked against its JSON schema before it is
written. An invalid entity is skipped and reported, an invalid whole-export document fails its export (a data
fault, not counted toward the breaker) and the published file stays; an aggregate never lists an entity whose own
file was refused. Through the CLI, on a copy of the demo season with NaN, a negative confidence, a 300-character
team code and a `../../etc/x` player lookup planted."""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from tests import contract
from phase6.cli import app
from phase6.state import open_state_url
from phase6.storage.local import LocalBucket
from tests.test_reliability_injection import PLAYER_TABLES

TODAY = date(2026, 3, 4)
HOSTILE_LOOKUP = "../../etc/x"


def run_all():
    result = CliRunner().invoke(app, ["run", "--date", "today", "--types", "all"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def bucket_bytes(root: Path) -> dict[str, bytes]:
    """The bodies under a local bucket's v1/ folder as readers get them (large ones are stored gzip-compressed)."""
    bucket = LocalBucket(root.parent)
    names = (path.relative_to(root).as_posix() for path in root.rglob("*.json"))
    return {name: bucket.read(f"{root.name}/{name}") for name in names}


def plant_bad_values(warehouse: Path) -> dict[str, str]:
    """Four of today's players get a hostile value each; returns which."""
    with duckdb.connect(str(warehouse)) as db:
        lookups = [row[0] for row in db.execute(
            "SELECT DISTINCT player_lookup FROM nba_predictions.player_prop_predictions WHERE game_date = ? "
            "AND is_active ORDER BY player_lookup LIMIT 4", [TODAY]).fetchall()]
        negative, nan, team, template = lookups
        db.execute("UPDATE nba_predictions.player_prop_predictions SET confidence_score = -50 "
                   "WHERE game_date = ? AND player_lookup = ?", [TODAY, negative])
        db.execute("UPDATE nba_raw.bettingpros_player_points_props SET points_line = 'NaN' "
                   "WHERE game_date = ? AND player_lookup = ?", [TODAY, nan])
        db.execute("UPDATE nba_predictions.player_prop_predictions SET model_expected_hit_rate = 'NaN' "
                   "WHERE game_date = ? AND player_lookup = ?", [TODAY, nan])
        db.execute("UPDATE nba_analytics.upcoming_player_game_context SET team_abbr = ? "
                   "WHERE game_date = ? AND player_lookup = ?", ["X" * 300, TODAY, team])
        for table in PLAYER_TABLES:
            db.execute(f"INSERT INTO {table} SELECT * REPLACE (? AS player_lookup) FROM {table} WHERE player_lookup = ?",
                       [HOSTILE_LOOKUP, template])
    return {"negative confidence": negative, "NaN line": nan, "300-character team": team}


def schema_violations(root: Path) -> list[str]:
    problems = []
    for name, data in bucket_bytes(root).items():
        schema = contract.schema_name(name)
        problems += [f"{name}: {problem}" for problem in contract.schema_errors(schema, json.loads(data))][:2]
    return problems


def listed_lookups(body: dict) -> set[str]:
    return set(re.findall(r'"player_lookup": "([^"]*)"', json.dumps(body)))


def test_bad_warehouse_values_are_refused_reported_and_never_published(cli_env, tmp_path):
    cli_env.close()
    root = tmp_path / "bucket" / "v1"
    first = run_all()
    assert "success" in first.stdout, first.output
    before = bucket_bytes(root)
    planted = plant_bad_values(tmp_path / "demo.duckdb")

    run_all()

    after = bucket_bytes(root)
    assert schema_violations(root) == []
    assert not [name for name in after if "etc" in name or ".." in name]
    record = open_state_url(cli_env.settings.state_url).recent_runs(1)[0]
    assert record["status"] != "success"
    refusals = [text for result in record["exports"].values()
                for text in [*(result["warnings"]), result["error"] or ""] if "does not match its schema" in text]
    assert refusals, record["errors"]
    failed = {name for name, result in record["exports"].items() if result["status"] == "failed"}
    assert all(record["exports"][name]["outside_fault"] == "data" for name in failed)
    breakers = open_state_url(cli_env.settings.state_url).breakers(cli_env.runner.wall_clock())
    assert all(breaker.consecutive_failures == 0 for breaker in breakers)

    rewritten = {name for name in after if after[name] != before.get(name)}
    refused_players = {lookup for lookup in planted.values()
                       if f"tonight/player/2026-03-04/{lookup}.json" not in rewritten}
    for name in rewritten:
        assert HOSTILE_LOOKUP not in listed_lookups(json.loads(after[name])), name
        if name.startswith("tonight/") and "/player/" not in name:
            assert not listed_lookups(json.loads(after[name])) & refused_players, name


def test_an_aggregate_never_lists_an_entity_of_its_own_export_whose_file_was_refused(tmp_path, monkeypatch):
    """A fan-out export writes its aggregate after its entities: one that lists a refused entity is kept, and said."""
    from phase6 import schemas
    from phase6.catalog import Document, ExportSpec, Query
    from phase6.clock import Clock
    from phase6.config import Settings
    from phase6.runner import Backends, Runner, RunRequest
    from phase6.state import open_state_url
    from phase6.storage import open_bucket
    from phase6.warehouse import open_warehouse

    def checked(path, schema, body):  # a stand-in schema: an entity body with "bad" is refused
        if body.get("bad"):
            raise schemas.RefusedDocument(f"{path} does not match its schema: /bad: not allowed")

    monkeypatch.setattr(schemas, "checked", checked)
    duckdb.connect(str(tmp_path / "w.duckdb")).close()
    settings = Settings(warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}", bucket_url=f"file://{tmp_path / 'bucket'}",
                        state_url=f"sqlite:///{tmp_path / 'state.db'}", events_url=f"file://{tmp_path / 'e.jsonl'}")
    bad = {"name": ""}
    index = lambda ctx, rows: [Document("fake/index.json", {"players": [{"player_lookup": p} for p in "abcde"]}, 60, "global")]
    entity = lambda ctx, prepared, lookup: [Document(f"fake/{lookup}.json", {"player_lookup": lookup, "bad": lookup == bad["name"]},
                                                     60, "global", lookup)]
    spec = ExportSpec("fake", "fanout", 1, (Query("one", "SELECT 1 AS x", lambda ctx: {}),), index, (),
                      entities=lambda ctx, rows: list("abcde"), build_entity=entity, entity_failure_limit=0.5)
    backends = Backends(open_warehouse(settings), open_bucket(settings), open_state_url(settings.state_url))
    runner = Runner(settings, backends, Clock(), {"fake": spec})

    assert runner.run(RunRequest(("fake",), TODAY)).status == "success"
    bad["name"] = "c"
    (tmp_path / "bucket/v1/fake/index.json").write_text('{"players": []}')
    record = runner.run(RunRequest(("fake",), TODAY))

    result = record.exports["fake"]
    assert record.status == "partial" and result.kept == ["fake/index.json"]
    assert any(warning.startswith("kept fake/index.json: the new one lists c, whose own file was refused")
               for warning in result.warnings)
    assert json.loads((tmp_path / "bucket/v1/fake/index.json").read_text()) == {"players": []}
    backends.warehouse.close()
    backends.state.close()
