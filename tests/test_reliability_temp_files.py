"""Temp files of killed writers: a real publisher process is frozen in the middle of its local writes (each temp
file written, none renamed yet) and then killed with SIGKILL. Neither while it lives nor after its death does the
preview serve a temp file or a metadata sidecar; opening the bucket while the writer lives keeps its temp files,
and opening it after the kill removes them."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from phase6.app import open_app
from phase6.storage import open_bucket
from tests.conftest import settings_for
from tests.test_preview import fetch, serving

WRITERS = 2
# Each object write stops between its temp file and the rename; metadata sidecars go through (they come first).
DRIVER = """
import os, sys, time
from datetime import date
from phase6.app import open_app
from phase6.storage import open_bucket
from phase6.runner import RunRequest

rename = os.replace

def frozen_before_rename(source, target, *args, **kwargs):
    if "/.meta/" not in str(target):
        time.sleep(3600)
    rename(source, target, *args, **kwargs)

os.replace = frozen_before_rename
app = open_app()
app.runner.run(RunRequest(("tonight-players",), date(2026, 3, 4)), "frozen-run")
"""


def temp_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if ".tmp-" in path.name)


def aged(paths: list[Path], seconds: float) -> None:
    """As if the files had been left `seconds` ago (the next run comes minutes after a crash)."""
    past = time.time() - seconds
    for path in paths:
        os.utime(path, (past, past))


def start_frozen_writer(settings, root: Path, tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "PHASE6_WAREHOUSE": settings.warehouse_url, "PHASE6_BUCKET": settings.bucket_url,
           "PHASE6_STATE": settings.state_url, "PHASE6_EVENTS": settings.events_url,
           "PHASE6_NOW": settings.now_override, "PHASE6_UPLOAD_CONCURRENCY": str(WRITERS)}
    log = (tmp_path / "driver.log").open("wb")
    process = subprocess.Popen([sys.executable, "-c", DRIVER], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if len([path for path in temp_files(root) if ".meta" not in path.parts]) == WRITERS:
            return process
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail(f"the writers did not freeze ({process.poll()}): {(tmp_path / 'driver.log').read_text()[-2000:]}")


def assert_preview_hides(root: Path, temps: list[Path]) -> None:
    hidden = [f"/{path.relative_to(root).as_posix()}" for path in temps]
    sidecars = [f"/{path.relative_to(root).as_posix()}" for path in (root / ".meta").rglob("*.json")][:3]
    assert sidecars
    with serving(root) as base:
        for path in hidden + sidecars + [f"/v1/..{path}" for path in sidecars]:
            assert fetch(base + path)[0] == 404, path
        page = fetch(f"{base}/")[2].decode()
    assert ".tmp-" not in page and ".meta" not in page


def test_temp_files_of_a_killed_run_are_never_served_and_are_removed_once_their_writer_is_dead(demo_db, tmp_path):
    settings = settings_for(tmp_path, demo_db)
    root = tmp_path / "bucket"
    process = start_frozen_writer(settings, root, tmp_path)
    try:
        temps = temp_files(root)
        assert len([path for path in temps if ".meta" not in path.parts]) == WRITERS
        aged(temps, 600)
        open_bucket(settings)  # another process opens the bucket while the writers live (its warehouse is locked)
        assert temp_files(root) == temps, "a live writer's temp file was removed"
        assert_preview_hides(root, temps)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    assert temp_files(root) == temps  # what the issue saw: the kill leaves them behind
    assert_preview_hides(root, temps)
    objects = sorted(path for path in root.rglob("*.json") if ".tmp-" not in path.name)
    open_app(settings).close()  # the next run opens the bucket
    assert temp_files(root) == []
    assert sorted(path for path in root.rglob("*.json")) == objects  # only the temp files went
