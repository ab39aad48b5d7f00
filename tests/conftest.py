"""Shared fixtures: a demo warehouse built once per test session, and an app wired to temp backends."""
from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest

import duckdb

from phase6.app import App, open_app
from phase6.config import Settings
from phase6.warehouse.duckdb_backend import DuckDBWarehouse
from phase6.warehouse.schema import create_schema

pytest_plugins = ["tests.servers", "tests.bigquery_servers"]  # emulator fixtures, started once per session

DEMO_NOW = "2026-03-04T18:00:00+00:00"  # 13:00 ET on the demo's as-of day


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A copy of the default demo season for this session: of PHASE6_TEST_DEMO, a prebuilt file, or of one build
    per test run, shared by the xdist workers (several tests open their session's copy read-write)."""
    target = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    shutil.copy(os.environ.get("PHASE6_TEST_DEMO") or default_demo_built_once(tmp_path_factory), target)
    return target


def default_demo_built_once(tmp_path_factory) -> Path:
    """The xdist workers of one run share their base folder's parent; the first to take the lock builds."""
    from phase6.demo import DemoParams, build_demo

    base = tmp_path_factory.getbasetemp()
    folder = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    built = folder / "default-demo.duckdb"
    with (folder / "default-demo.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            build_demo(built, DemoParams())  # written aside and renamed: the file is whole once it exists
    return built


SMALL_NOW = "2026-01-16T18:00:00+00:00"


def small_season():
    """A four-week season of 6 teams (predictions from its fifth day), for tests that compare sizes or replays."""
    from datetime import date

    from phase6.demo import DemoParams

    return DemoParams(teams=6, players_per_team=5, season_start=date(2025, 12, 29), season_end=date(2026, 1, 25),
                      predictions_start=date(2026, 1, 2), as_of_date=date(2026, 1, 16))


@pytest.fixture(scope="session")
def small_demos(tmp_path_factory) -> dict[int, Path]:
    """The small season with 5 and with 10 players per team."""
    from dataclasses import replace

    from phase6.demo import build_demo

    folder = tmp_path_factory.mktemp("sizes")
    demos = {}
    for players_per_team in (5, 10):
        demos[players_per_team] = folder / f"demo-{players_per_team}.duckdb"
        build_demo(demos[players_per_team], replace(small_season(), players_per_team=players_per_team))
    return demos


def open_small(demo: Path, tmp_path: Path) -> App:
    """An app over a private copy of a small demo, with its own bucket and state under tmp_path."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(demo, copy)
    return open_app(settings_for(tmp_path, copy, now=SMALL_NOW))


def settings_for(tmp_path: Path, warehouse: Path, now: str | None = DEMO_NOW, **overrides) -> Settings:
    values = dict(
        warehouse_url=f"duckdb:///{warehouse.resolve()}",
        bucket_url=f"file://{(tmp_path / 'bucket').resolve()}",
        state_url=f"sqlite:///{(tmp_path / 'state.db').resolve()}",
        events_url=f"file://{(tmp_path / 'events.jsonl').resolve()}",
        now_override=now or "",
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture()
def warehouse_copy(demo_db, tmp_path) -> Path:
    """A private copy of the demo warehouse, for tests that write to it (subset-picks materialisation)."""
    copy = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, copy)
    return copy


@pytest.fixture()
def demo_app(warehouse_copy, tmp_path) -> App:
    application = open_app(settings_for(tmp_path, warehouse_copy))
    yield application
    application.close()


@pytest.fixture()
def tiny_warehouse(tmp_path):
    """An empty warehouse with the production schema (shared by the exporter tests)."""
    path = tmp_path / "tiny.duckdb"
    connection = duckdb.connect(str(path))
    create_schema(connection)
    connection.close()
    warehouse = DuckDBWarehouse(path)
    yield warehouse
    warehouse.close()


@pytest.fixture()
def cli_env(demo_app, tmp_path, monkeypatch):
    """The CLI's environment pointing at the demo app's backends."""
    settings = demo_app.settings
    for name, value in (("PHASE6_WAREHOUSE", settings.warehouse_url), ("PHASE6_BUCKET", settings.bucket_url),
                        ("PHASE6_STATE", settings.state_url), ("PHASE6_EVENTS", settings.events_url),
                        ("PHASE6_NOW", settings.now_override), ("COLUMNS", "80")):
        monkeypatch.setenv(name, value)
    return demo_app
