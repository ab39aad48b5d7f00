"""The `runs` and `breakers` commands on a SQLite state store."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import typer
from typer.testing import CliRunner

from phase6.cli_state import breakers, run_rows, runs
from phase6.state import open_state_url

NOW = datetime.now(timezone.utc)  # the commands judge staleness on the real clock


@pytest.fixture()
def cli(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("PHASE6_STATE", url)
    monkeypatch.setenv("COLUMNS", "250")
    app = typer.Typer()
    app.command()(runs)
    app.command()(breakers)
    store = open_state_url(url)
    yield app, store
    store.close()


def invoke(app, *args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def beat(store, run_id: str, status: str, last_beat: datetime) -> None:
    store.beat(run_id, {"status": status, "started_at": last_beat - timedelta(minutes=1), "last_beat": last_beat,
                        "target_date": "2026-03-04", "export_types": ["results"], "progress": {"done": 0, "total": 1},
                        "current_export": "results"})


def test_runs_lists_records_and_heartbeats_and_flags_stale_runs(cli):
    app, store = cli
    store.save_run("finished", {"run_id": "finished", "started_at": "2026-03-04T17:00:00.000000+00:00",
                                "status": "deferred", "request": {"target_date": "2026-03-04", "export_types": ["players"]},
                                "deferred": ["players"], "breakers_open": ["results"]})
    beat(store, "finished", "deferred", NOW - timedelta(hours=1))
    beat(store, "alive", "running", NOW - timedelta(minutes=1))
    beat(store, "dead", "running", NOW - timedelta(minutes=6))
    result = invoke(app, "runs")
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 5}
    assert "stale" in lines["dead"]
    assert "running" in lines["alive"] and "stale" not in lines["alive"]
    assert "deferred" in lines["finished"] and "players" in lines["finished"]


def test_run_rows_order_newest_first_and_limit():
    beats = [{"run_id": name, "status": "running", "started_at": NOW + timedelta(minutes=index), "last_beat": NOW}
             for index, name in enumerate(["a", "b", "c"])]
    assert [row.run_id for row in run_rows([], beats, NOW, 2)] == ["c", "b"]


def test_breakers_lists_and_resets(cli):
    app, store = cli
    for _ in range(3):
        store.record_outcome("results", False, NOW - timedelta(minutes=1))
    listed = invoke(app, "breakers")
    assert "results" in listed.output and "open" in listed.output
    reset = invoke(app, "breakers", "--reset", "results")
    assert reset.exit_code == 0
    assert "breaker results reset" in reset.output
    assert store.breaker("results", NOW).status == "closed"


def test_resetting_an_unknown_type_is_an_error(cli):
    app, _ = cli
    result = invoke(app, "breakers", "--reset", "resluts")
    assert result.exit_code == 2
    assert "unknown export type 'resluts'" in result.output
