"""The operator's command line: `status` (per endpoint last write, age against its SLA, ok/stale — the body of
status.json, as of now) and the progress bars of a run."""
from __future__ import annotations

import io
import json
import os
import re
import time

from rich.console import Console
from typer.testing import CliRunner

from phase6.cli import app
from phase6.progress import stage_progress
from phase6.runner import RunRequest
from phase6.status import endpoints
from tests.support import warehouse_held

HOURS = 3600


def status(*args: str):
    return CliRunner().invoke(app, ["status", *args], catch_exceptions=False)


def test_fresh_endpoints_are_ok_and_missing_ones_stale(cli_env):
    record = cli_env.runner.run(RunRequest(("daily-signals", "results"), cli_env.clock.game_day()))
    cli_env.close()
    result = status("--json")
    assert result.exit_code == 1  # most endpoints were never written
    body = json.loads(result.output)
    by_type = {entry["export_type"]: entry for entry in body["endpoints"]}
    assert list(by_type) == [endpoint.export_type for endpoint in endpoints()]
    assert by_type["daily-signals"]["status"] == "ok" and by_type["daily-signals"]["path"] == "signals/2026-03-04.json"
    assert 0 <= by_type["daily-signals"]["age_seconds"] < 600  # measured on the wall clock, like the object's time
    assert by_type["players"]["status"] == "stale" and by_type["players"]["last_written_at"] is None
    assert body["run"]["run_id"] == record.run_id and body["game_day"] == "2026-03-04"


def test_an_old_write_is_stale_against_its_sla(cli_env, tmp_path):
    cli_env.runner.run(RunRequest(("tonight",), cli_env.clock.game_day()))
    cli_env.close()
    probe = tmp_path / "bucket" / "v1" / "tonight" / "all-players.json"
    old = time.time() - 13 * HOURS  # the tonight SLA is 12 h
    os.utime(probe, (old, old))
    body = json.loads(status("--json").output)
    tonight = next(entry for entry in body["endpoints"] if entry["export_type"] == "tonight")
    assert tonight["status"] == "stale" and tonight["age_seconds"] >= 13 * HOURS


def test_the_table_shows_every_endpoint_with_age_sla_and_state(cli_env):
    cli_env.runner.run(RunRequest(("daily-signals",), cli_env.clock.game_day()))
    cli_env.close()
    output = status().output
    assert all(endpoint.export_type in output for endpoint in endpoints())
    line = next(line for line in output.splitlines() if "daily-signals" in line)
    assert "ok" in line and "26 h" in line and "never" not in line
    assert "never" in next(line for line in output.splitlines() if line.split()[:1] == ["players"])


def test_the_table_is_readable_in_80_columns(cli_env, monkeypatch):
    cli_env.runner.run(RunRequest(("tonight-players",), cli_env.clock.game_day()))
    cli_env.close()
    monkeypatch.setenv("COLUMNS", "80")
    output = status().output
    assert "…" not in output and all(len(line) <= 80 for line in output.splitlines())
    rows = {line.split()[0]: line for line in output.splitlines() if line.split()[:1] and line.split()[0] in NAMES}
    assert sorted(rows) == sorted(NAMES)  # every endpoint's name whole, on its own line
    assert re.search(r" \d\d:\d\d:\d\d ", rows["tonight-players"]) and "+00:00" not in output


NAMES = [endpoint.export_type for endpoint in endpoints()]


def test_operator_views_work_while_a_run_holds_the_warehouse(cli_env, tmp_path, monkeypatch):
    """DuckDB lets no other process open a file a writer holds, not even read-only: `status` then takes the game
    day from the last published status.json; `runs` and `report` never open the warehouse."""
    cli_env.runner.run(RunRequest(("daily-signals",), cli_env.clock.game_day()))
    cli_env.close()
    monkeypatch.delenv("PHASE6_NOW")  # the game day comes from the demo warehouse's own clock
    with warehouse_held():
        held = CliRunner().invoke(app, ["status"])
        runs = CliRunner().invoke(app, ["runs"])
        report = CliRunner().invoke(app, ["report", "--latest", "--out", str(tmp_path / "report.html")])
    assert held.exit_code == 1, held.output  # stale endpoints, but no error
    assert "game day 2026-03-04" in held.output and "game day of the last status.json" in held.output
    daily = next(line for line in held.output.splitlines() if line.split()[:1] == ["daily-signals"])
    assert daily.split()[-1] == "ok"
    assert runs.exit_code == 0 and "daily-signals" in runs.output
    assert report.exit_code == 0 and (tmp_path / "report.html").exists()


def test_status_before_any_run(cli_env):
    cli_env.close()
    result = status()
    assert result.exit_code == 1 and "(none)" in result.output


def test_a_run_reports_exports_and_fan_out_entities_to_the_progress_bars(demo_app):
    calls = []
    demo_app.runner.run(RunRequest(("daily-signals", "tonight-players"), demo_app.clock.game_day()),
                        progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert [call for call in calls if call[0] == "exports"] == [("exports", 1, 2), ("exports", 2, 2)]
    chunks = [call[1:] for call in calls if call[0] == "tonight-players"]  # one per chunk of 50 players
    assert len(chunks) > 1 and chunks[0][0] == 50 and chunks[-1][0] == chunks[-1][1]
    terminal, pipe = io.StringIO(), io.StringIO()
    for output, is_terminal in ((terminal, True), (pipe, False)):
        with stage_progress(Console(file=output, force_terminal=is_terminal, width=120)) as progress:
            progress("tonight-players", 180, 180)
    assert "tonight-players" in terminal.getvalue() and "180/180" in terminal.getvalue()
    assert pipe.getvalue() == ""  # quiet when not on a terminal


def test_operator_views_read_a_state_store_nothing_created_as_empty_and_create_none(tmp_path, monkeypatch):
    state = tmp_path / "never-run" / "state.db"
    monkeypatch.setenv("PHASE6_STATE", f"sqlite:///{state}")
    runner = CliRunner()
    runs = runner.invoke(app, ["runs"], catch_exceptions=False)
    assert runs.exit_code == 0 and "no run recorded yet" in runs.output
    breakers = runner.invoke(app, ["breakers"], catch_exceptions=False)
    assert breakers.exit_code == 0 and "no breaker has recorded a failure" in breakers.output
    report = runner.invoke(app, ["report", "--latest"])
    assert report.exit_code == 1 and "no run recorded" in report.output
    assert not state.parent.exists()
