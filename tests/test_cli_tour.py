"""A tour of the command line's mistakes, through the real CLI (`python -m phase6` in a subprocess): a user mistake
or an unavailable backend is one clear line on stderr and a non-zero exit (2 for a usage mistake), never a
traceback; a request the function would refuse is refused with the function's own words, and nothing is written."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exporters import catalog, export_types, groups
from phase6.backfill import dated_export_types
from phase6.clock import Clock
from phase6.messages import Envelope, Rejected, parse
from tests.conftest import DEMO_NOW
from tests.support import REPOSITORY, warehouse_held

BACKEND_VARIABLES = ("PHASE6_WAREHOUSE", "PHASE6_BUCKET", "PHASE6_STATE", "PHASE6_EVENTS", "PHASE6_NOW",
                     "PHASE6_BUDGET_SECONDS", "PHASE6_DATA_DIR", "COLUMNS")


def phase6(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {name: value for name, value in os.environ.items() if name not in BACKEND_VARIABLES}
    environment = {**clean, "PYTHONPATH": str(REPOSITORY), **(env or {})}
    return subprocess.run([sys.executable, "-m", "phase6", *args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=180)


def demo_env(tmp_path: Path, demo_db: Path) -> dict[str, str]:
    warehouse = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, warehouse)
    return {"PHASE6_WAREHOUSE": f"duckdb:///{warehouse}", "PHASE6_BUCKET": f"file://{tmp_path / 'bucket'}",
            "PHASE6_STATE": f"sqlite:///{tmp_path / 'state.db'}", "PHASE6_EVENTS": f"file://{tmp_path / 'events.jsonl'}",
            "PHASE6_NOW": DEMO_NOW}


def function_says(payload: dict) -> str:
    """The function's own rejection of this payload (its only problem), on the demo's clock."""
    outcome = parse(Envelope.of_json(payload), Clock(datetime.fromisoformat(DEMO_NOW)))
    assert isinstance(outcome, Rejected)
    [problem] = outcome.problems
    return problem


def as_option(problem: str, field: str, option: str) -> str:
    """The CLI names the option the user typed where the function names the message's field."""
    assert problem.startswith(f"{field}: ")
    return f"{option}: {problem[len(field) + 2:]}"


def assert_one_clear_line(result: subprocess.CompletedProcess, exit_code: int, words: str) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode == exit_code, (result.returncode, result.stderr)
    assert result.stderr.strip().splitlines() == [f"error: {words}"], result.stderr


DATED = sorted(dated_export_types(catalog()))
REFUSED_AS_THE_FUNCTION_REFUSES = [
    (["run", "--date", "tomorrow"], {"export_types": ["all"], "target_date": "tomorrow"}, "target_date", "--date"),
    (["run", "--date", "2026-13-45"], {"export_types": ["all"], "target_date": "2026-13-45"}, "target_date", "--date"),
    (["run", "--date", "2019-01-01", "--types", "results"], {"export_types": ["results"], "target_date": "2019-01-01"},
     "target_date", "--date"),
    (["run", "--date", "2026-07-15", "--types", "results"], {"export_types": ["results"], "target_date": "2026-07-15"},
     "target_date", "--date"),
    (["run", "--types", ""], {"export_types": []}, "export_types", "--types"),
    (["run", "--types", "resluts"], {"export_types": ["resluts"]}, "export_types", "--types"),
    (["run", "--mode", "later"], {"export_types": ["all"], "mode": "later"}, "mode", "--mode"),
    (["run", "--mode", "replay", "--update-latest"], {"export_types": ["all"], "mode": "replay", "update_latest": True},
     "update_latest", "--update-latest"),
    (["run", "--min-games", "0"], {"export_types": ["all"], "min_games": 0}, "min_games", "--min-games"),
    (["backfill", "--start", "2019-01-01", "--end", "2026-02-10"],
     {"export_types": DATED, "target_date": "2019-01-01", "mode": "replay"}, "target_date", "--start"),
    (["publish", "--to", "http://127.0.0.1:9", "--types", "results", "--date", "tomorrow"],
     {"export_types": ["results"], "target_date": "tomorrow"}, "target_date", "--date"),
]


@pytest.mark.parametrize("args, payload, field, option", REFUSED_AS_THE_FUNCTION_REFUSES,
                         ids=[" ".join(case[0][:3]) for case in REFUSED_AS_THE_FUNCTION_REFUSES])
def test_requests_are_refused_with_the_functions_words_and_nothing_is_written(args, payload, field, option, tmp_path,
                                                                             demo_db):
    result = phase6(*args, cwd=tmp_path, env=demo_env(tmp_path, demo_db))
    assert_one_clear_line(result, 2, as_option(function_says(payload), field, option))
    assert not (tmp_path / "bucket").exists() and not (tmp_path / "state.db").exists()


@pytest.mark.parametrize("command", ["run", "publish", "backfill"])
def test_help_lists_every_type_and_group_and_the_choices_of_mode_and_date(command, monkeypatch):
    from phase6.cli import app

    output = " ".join(CliRunner().invoke(app, [command, "--help"]).output.replace("│", " ").split())
    types = re.search(r"--types (.*?) --[a-z]", output).group(1)
    assert all(re.search(rf"\b{name}[,.]", types) for name in [*export_types(), *groups()]), types
    if command != "backfill":
        assert re.search(r"--mode \[live\|replay\]", output)
        assert re.search(r"--date DATE today, yesterday or YYYY-MM-DD", output)


@pytest.mark.parametrize("command", ["run", "status"])
def test_no_demo_warehouse_is_one_line(command, tmp_path):
    result = phase6(command, cwd=tmp_path)
    assert_one_clear_line(result, 1, "DuckDB warehouse .phase6/demo.duckdb does not exist; build it with "
                                     "`python -m phase6 demo`")


def test_a_malformed_as_of_date_is_a_usage_mistake(tmp_path):
    result = phase6("demo", "--as-of", "2026-3-4", "--path", str(tmp_path / "demo.duckdb"), cwd=tmp_path)
    assert_one_clear_line(result, 2, "--as-of: expected a date YYYY-MM-DD, found '2026-3-4'")
    assert list(tmp_path.iterdir()) == []


def test_a_bad_budget_names_the_variable(tmp_path, demo_db):
    result = phase6("run", cwd=tmp_path, env={**demo_env(tmp_path, demo_db), "PHASE6_BUDGET_SECONDS": "soon"})
    assert_one_clear_line(result, 2, "PHASE6_BUDGET_SECONDS must be a number greater than 0, got 'soon'")


def test_publish_with_no_server_listening(tmp_path, demo_db):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = phase6("publish", "--to", f"http://127.0.0.1:{port}", "--types", "results", "--date", "yesterday",
                    cwd=tmp_path, env=demo_env(tmp_path, demo_db))
    assert_one_clear_line(result, 1, f"no function is listening at http://127.0.0.1:{port} (connection refused); "
                                     "start one with `python -m phase6 serve`")


@pytest.mark.parametrize("command", ["preview", "serve"])
def test_a_port_in_use(command, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = phase6(command, "--port", str(port), cwd=tmp_path)
    assert_one_clear_line(result, 1, f"cannot listen on 127.0.0.1:{port}: the port is already in use; "
                                     "choose another with --port")


def test_run_while_another_process_holds_the_warehouse(tmp_path, demo_db):
    env = demo_env(tmp_path, demo_db)
    with warehouse_held(env):
        result = phase6("run", "--types", "results", cwd=tmp_path, env=env)
    assert "Traceback" not in result.stderr and result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: DuckDB warehouse {tmp_path / 'demo.duckdb'} is in use by another process")


def test_a_real_bug_still_shows_its_traceback_and_says_so(monkeypatch, tmp_path):
    from phase6 import cli_state
    from phase6.cli import app

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setenv("PHASE6_STATE", f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.setattr(cli_state, "run_rows", broken)
    result = CliRunner().invoke(app, ["runs"])
    assert result.exit_code == 70
    assert "Traceback" in result.output and "ZeroDivisionError: division by zero" in result.output
    assert "this is a bug in phase6" in result.output.strip().splitlines()[-1]
