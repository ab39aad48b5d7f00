"""The `runs` and `breakers` commands on a SQLite state store, read in an 80-column terminal."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from phase6.cli import app as cli_app
from phase6.cli_state import run_rows
from phase6.formats import EASTERN
from phase6.state import open_state_url

NOW = datetime(2026, 3, 4, 18, tzinfo=timezone.utc)  # for the pure functions; the commands use the real clock
RUN_ID = "7d1adec96240499b"  # the shape of the runner's ids


@pytest.fixture()
def cli(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("PHASE6_STATE", url)
    monkeypatch.setenv("COLUMNS", "80")
    store = open_state_url(url)
    yield cli_app, store
    store.close()


def invoke(app, *args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)



def beat(store, run_id: str, status: str, last_beat: datetime) -> None:
    store.beat(run_id, {"status": status, "started_at": last_beat - timedelta(minutes=1), "last_beat": last_beat,
                        "target_date": "2026-03-04", "export_types": ["results"], "progress": {"done": 0, "total": 1},
                        "current_export": "results"})


def test_runs_lists_records_and_heartbeats_and_flags_stale_runs(cli):
    app, store = cli
    now = datetime.now(timezone.utc)  # the command judges staleness on the real clock
    store.save_run("finished", {"run_id": "finished", "started_at": "2026-03-04T17:00:00.000000+00:00",
                                "status": "deferred", "request": {"target_date": "2026-03-04", "export_types": ["players"]},
                                "deferred": ["players"], "breakers_open": ["results"]})
    beat(store, "finished", "deferred", now - timedelta(hours=1))
    beat(store, "alive", "running", now - timedelta(minutes=1))
    beat(store, "dead", "running", now - timedelta(minutes=6))
    result = invoke(app, "runs")
    assert result.exit_code == 0, result.output
    rows = run_lines(result.output, ["finished", "alive", "dead"])
    assert "stale" in rows["dead"]
    assert "running" in rows["alive"] and "stale" not in rows["alive"]
    assert "deferred" in rows["finished"] and "deferred players" in rows["finished"]
    assert "breakers open results" in rows["finished"]


def run_lines(output: str, run_ids: list[str]) -> dict[str, str]:
    """Each run's line, with the indented note line below it."""
    lines = output.splitlines()
    rows = {}
    for index, line in enumerate(lines):
        first = line.split()[0] if line.strip() else ""
        if first in run_ids:
            note = lines[index + 1] if index + 1 < len(lines) and lines[index + 1].startswith("   ") else ""
            rows[first] = line + "\n" + note
    assert sorted(rows) == sorted(run_ids), output
    return rows


def test_runs_fit_80_columns_with_whole_ids_and_short_local_times(cli):
    app, store = cli
    now = datetime.now(timezone.utc)
    started = now - timedelta(minutes=3)
    store.save_run(RUN_ID, {"run_id": RUN_ID, "started_at": started.isoformat(timespec="microseconds"),
                            "status": "success",
                            "request": {"target_date": "2026-03-04", "export_types": ["results", "performance"]}})
    beat(store, "f" * 16, "running", now - timedelta(seconds=20))
    output = invoke(app, "runs").output
    assert all(len(line) <= 80 for line in output.splitlines()), output
    assert "…" not in output
    local = started.astimezone(EASTERN)
    shown = f"{local:%H:%M:%S}" if local.date() == now.astimezone(EASTERN).date() else f"{local:%m-%d %H:%M}"
    assert re.search(rf"^ {RUN_ID}  +success  +2026-03-04  +{shown}  ", output, re.M), output
    assert re.search(rf"^ {'f' * 16}  +running  .* 2\d s ago  +0/1", output, re.M), output
    assert "+00:00" not in output and not re.search(r"\d{2}:\d{2}:\d{2}\.\d", output)


def test_run_rows_order_newest_first_and_limit():
    beats = [{"run_id": name, "status": "running", "started_at": NOW + timedelta(minutes=index), "last_beat": NOW}
             for index, name in enumerate(["a", "b", "c"])]
    assert [row.run_id for row in run_rows([], beats, NOW, 2)] == ["c", "b"]


def test_breakers_lists_and_resets(cli):
    app, store = cli
    now = datetime.now(timezone.utc)
    for _ in range(3):
        store.record_outcome("results", False, now - timedelta(minutes=1))
    listed = invoke(app, "breakers")
    assert "…" not in listed.output and all(len(line) <= 80 for line in listed.output.splitlines())
    assert re.search(r"^ ?results +open +3 +1 +\d\d:\d\d:\d\d", listed.output, re.M), listed.output
    reset = invoke(app, "breakers", "--reset", "results")
    assert reset.exit_code == 0
    assert "breaker results reset" in reset.output
    assert store.breaker("results", now).status == "closed"


def test_resetting_an_unknown_type_is_an_error(cli):
    app, _ = cli
    result = invoke(app, "breakers", "--reset", "resluts")
    assert result.exit_code == 2
    assert "unknown export type 'resluts'" in result.output
