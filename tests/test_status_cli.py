"""The operator's command line: `status` (per endpoint last write, age against its SLA, ok/stale — the body of
status.json, as of now) and the progress bars of a run."""
from __future__ import annotations

import io
import json
import os
import time

from rich.console import Console
from typer.testing import CliRunner

from phase6.cli import app
from phase6.progress import stage_progress
from phase6.runner import RunRequest
from phase6.status import endpoints

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
    assert "ok" in line and "26.0 h" in line and "never" not in line
    assert "never" in next(line for line in output.splitlines() if "│ players " in line)


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
