"""Crash: a run killed with SIGKILL during a fan-out leaves no partial or corrupt object, its heartbeat turns stale
and is flagged by `runs`, and the next run completes the day.

The run is a real publisher process on the embedded backends; its bucket writes are slowed down (20 ms each, two
at a time) so that the kill lands in the middle of the fan-out.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest

from phase6.app import open_app
from phase6.cli_state import run_rows
from phase6.clock import utc_now
from phase6.runner import RunRequest
from phase6.state import open_state_url
from phase6.storage.local import LocalBucket
from tests.conftest import settings_for

FANOUTS = ("tonight-players", "players")
KILL_AFTER_FILES = 80
DRIVER = """
import sys, time
from datetime import date
from phase6.app import open_app
from phase6.runner import RunRequest

app = open_app()
write = app.backends.bucket.write

def slow_write(name, data, **options):
    time.sleep(0.02)
    write(name, data, **options)

app.backends.bucket.write = slow_write
app.runner.run(RunRequest(tuple(sys.argv[1:]), date(2026, 3, 4)), "crashed-run")
"""


def contract_problems(root: Path, objects: dict[str, object]) -> list[str]:
    """Schema problems of the objects most at risk (the 20 written last) and of up to 3 objects per directory.
    Validating all ~600 takes ~15 s; every object is parsed regardless."""
    try:
        from phase6.contract import validate_document
    except ImportError:  # the contract module is optional here: parsing is checked either way
        return []
    newest = sorted(objects, key=lambda path: (root / path).stat().st_mtime_ns)[-20:]
    by_directory: dict[str, list[str]] = {}
    for path in sorted(objects):
        by_directory.setdefault(path.rsplit("/", 1)[0], []).append(path)
    sample = {*newest, *(path for paths in by_directory.values() for path in paths[:3])}
    return [problem for path in sorted(sample) for problem in validate_document(path, objects[path])]


def published(root: Path) -> dict[str, object]:
    """Every object under v1/, parsed (a partial object would not parse)."""
    bucket = LocalBucket(root.parent)
    return {info.name[len("v1/"):]: orjson.loads(bucket.read(info.name)) for info in bucket.list("v1/")}


def kill_during_fanout(settings, root: Path, tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "PHASE6_WAREHOUSE": settings.warehouse_url, "PHASE6_BUCKET": settings.bucket_url,
           "PHASE6_STATE": settings.state_url, "PHASE6_EVENTS": settings.events_url, "PHASE6_NOW": settings.now_override,
           "PHASE6_UPLOAD_CONCURRENCY": "2"}
    log = (tmp_path / "driver.log").open("wb")
    process = subprocess.Popen([sys.executable, "-c", DRIVER, *FANOUTS], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if root.exists() and sum(1 for _ in root.rglob("*.json")) >= KILL_AFTER_FILES:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return process
        time.sleep(0.005)
    pytest.fail(f"the run ended before the kill ({process.poll()}): {(tmp_path / 'driver.log').read_text()[-2000:]}")


def test_a_run_killed_during_a_fanout_leaves_whole_objects_a_stale_heartbeat_and_is_completed_next(demo_db, tmp_path):
    settings = settings_for(tmp_path, demo_db)
    root = tmp_path / "bucket" / "v1"
    process = kill_during_fanout(settings, root, tmp_path)
    assert process.returncode == -signal.SIGKILL

    after_kill = published(root)
    assert KILL_AFTER_FILES <= len(after_kill)
    assert contract_problems(root, after_kill) == []
    assert "status.json" not in after_kill  # the run never reached its end

    state = open_state_url(settings.state_url)
    try:
        [row] = run_rows(state.recent_runs(), state.heartbeats(), utc_now(), 20)
        assert (row.run_id, row.status) == ("crashed-run", "running")
        [row] = run_rows(state.recent_runs(), state.heartbeats(), utc_now() + timedelta(minutes=6), 20)
        assert (row.run_id, row.status, row.current_export) == ("crashed-run", "stale", FANOUTS[0])
    finally:
        state.close()

    app = open_app(settings)
    try:  # the redelivery comes after the ack deadline, when the dead run's leases have expired
        later = utc_now() + timedelta(minutes=10)
        app.runner.wall_clock = lambda: later
        record = app.runner.run(RunRequest(FANOUTS, date(2026, 3, 4)))
    finally:
        app.close()
    assert record.status == "success", record.errors
    completed = published(root)
    assert len(completed) > len(after_kill)
    assert set(after_kill) < set(completed)
    assert contract_problems(root, completed) == []
