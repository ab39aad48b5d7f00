"""The runner under a time budget, with breakers, leases, heartbeats and a failing state store.

A fake catalogue of plain ExportSpecs runs trivial SQL on a tiny DuckDB file; build functions sleep or fail on
purpose.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from phase6.breakers import BreakerPolicy
from phase6.catalog import Document, ExportSpec, Query
from phase6.clock import Clock
from phase6.config import Settings
from phase6.plan import Deadline
from phase6.runner import Backends, Runner, RunRequest
from phase6.state import StateError, open_state_url
from phase6.storage import open_bucket
from phase6.warehouse import open_warehouse


START = datetime(2026, 3, 4, 18, 0, tzinfo=timezone.utc)
TARGET = date(2026, 3, 4)
SHORT_COOLDOWN = BreakerPolicy(failure_threshold=3, cooldown=timedelta(seconds=60), max_cooldown=timedelta(minutes=5))


class FakeClock(Clock):
    """Real elapsed time plus a jump forward on demand (for breaker cooldowns); the runners' data and wall clock."""

    def __init__(self) -> None:
        super().__init__(START)
        self.skipped = timedelta()

    def now(self) -> datetime:
        return super().now() + self.skipped


@dataclass
class Behaviour:
    """What a fake export does; tests change it between runs."""

    sleep: float = 0.0
    fail: bool = False
    built: list[str] = field(default_factory=list)  # every build and entity build, in order


def fake_spec(name: str, behaviour: Behaviour, *, cost: str = "fast", priority: int = 10, critical: bool = False,
              entities: list[str] | None = None) -> ExportSpec:
    def build(ctx, rows):
        behaviour.built.append(name)
        time.sleep(behaviour.sleep)
        if behaviour.fail:
            raise RuntimeError(f"{name} fails on purpose")
        return [Document(f"fake/{name}/{ctx.target_date}.json", {"x": rows["one"][0]["x"]}, 300)]

    def build_entity(ctx, rows, entity):
        behaviour.built.append(entity)
        time.sleep(behaviour.sleep)
        return [Document(f"fake/{name}/{entity}.json", {"entity": entity}, 300, entity=entity)]

    return ExportSpec(
        name=name,
        cost=cost,  # type: ignore[arg-type]
        priority=priority,
        queries=(Query("one", "SELECT 1 AS x", lambda ctx: {}),),
        build=build,
        documents=(),
        critical=critical,
        entities=(lambda ctx, rows: list(entities)) if entities is not None else None,
        build_entity=build_entity if entities is not None else None,
    )


@pytest.fixture()
def warehouse_file(tmp_path) -> Path:
    path = tmp_path / "tiny.duckdb"
    duckdb.connect(str(path)).close()
    return path


@pytest.fixture(params=["sqlite", pytest.param("firestore", marks=pytest.mark.emulator)])
def state_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    request.getfixturevalue("firestore_emulator")
    return f"firestore://test-{uuid.uuid4().hex[:12]}"


@pytest.fixture()
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}"


class World:
    """Backends on temp files; `runner()` wires a Runner over a catalogue and a state store."""

    def __init__(self, tmp_path: Path, warehouse_file: Path, state_url: str):
        self.settings = Settings(
            warehouse_url=f"duckdb:///{warehouse_file}",
            bucket_url=f"file://{tmp_path / 'bucket'}",
            state_url=state_url,
            events_url=f"file://{tmp_path / 'events.jsonl'}",
            now_override="",
        )
        self.warehouse = open_warehouse(self.settings)
        self.bucket = open_bucket(self.settings)
        self.bucket_root = tmp_path / "bucket" / "v1"
        self.clock = FakeClock()
        self.stores = []

    def state(self):
        store = open_state_url(self.settings.state_url, SHORT_COOLDOWN)
        self.stores.append(store)
        return store

    def runner(self, catalogue: dict[str, ExportSpec], state=None, **options) -> Runner:
        backends = Backends(self.warehouse, self.bucket, state or self.state())
        return Runner(self.settings, backends, self.clock, catalogue, wall_clock=self.clock.now, **options)

    def close(self) -> None:
        for store in self.stores:
            store.close()
        self.warehouse.close()


@pytest.fixture()
def world(tmp_path, warehouse_file, sqlite_url):
    built = World(tmp_path, warehouse_file, sqlite_url)
    yield built
    built.close()


@pytest.fixture()
def any_world(tmp_path, warehouse_file, state_url):
    built = World(tmp_path, warehouse_file, state_url)
    yield built
    built.close()


def request_for(*names: str) -> RunRequest:
    return RunRequest(export_types=names, target_date=TARGET, mode="replay")


def seconds_from_now(seconds: float) -> Deadline:
    return Deadline(time.monotonic() + seconds)


def test_with_a_small_budget_critical_exports_finish_and_the_rest_is_deferred(world):
    slow, quick = Behaviour(sleep=0.3), Behaviour()
    catalogue = {
        "fanout": fake_spec("fanout", quick, cost="fanout", priority=0, entities=["a", "b"]),
        "fast": fake_spec("fast", quick, priority=1),
        "critical-1": fake_spec("critical-1", slow, priority=50, critical=True),
        "critical-2": fake_spec("critical-2", slow, priority=60, critical=True),
    }
    store = world.state()
    for name, seconds in (("critical-1", 0.3), ("critical-2", 0.3), ("fast", 0.6), ("fanout", 0.6)):
        store.record_duration(name, seconds, START)  # learned history
    record = world.runner(catalogue, store).run(request_for(*catalogue), deadline=seconds_from_now(1.0))
    assert list(record.exports) == ["critical-1", "critical-2", "fast", "fanout"]
    assert {name: result.status for name, result in record.exports.items()} == {
        "critical-1": "ok", "critical-2": "ok", "fast": "deferred", "fanout": "deferred",
    }
    assert record.deferred == ["fast", "fanout"]
    assert record.status == "deferred"
    assert quick.built == []
    assert (world.bucket_root / "fake/critical-2/2026-03-04.json").exists()
    assert not (world.bucket_root / "fake/fast").exists()
    assert store.get_run(record.run_id)["deferred"] == ["fast", "fanout"]


def test_without_history_the_cost_class_default_decides(world):
    behaviour = Behaviour()
    catalogue = {"fast": fake_spec("fast", behaviour)}
    assert world.runner(catalogue).run(request_for("fast"), deadline=seconds_from_now(5)).exports["fast"].status == "deferred"
    assert world.runner(catalogue).run(request_for("fast"), deadline=seconds_from_now(20)).exports["fast"].status == "ok"


def test_a_fanout_stops_between_chunks_and_a_continuation_completes_it(world):
    entities = [f"p{index:02d}" for index in range(10)]
    behaviour = Behaviour(sleep=0.1)
    catalogue = {"fanout": fake_spec("fanout", behaviour, cost="fanout", entities=entities)}
    store = world.state()
    store.record_duration("fanout", 0.2, START)
    first = world.runner(catalogue, store, fanout_chunk=2).run(request_for("fanout"), deadline=seconds_from_now(0.7))
    result = first.exports["fanout"]
    assert result.status == "deferred"
    assert first.deferred == ["fanout"]
    cursor = first.cursor["fanout"]
    stopped_at = cursor["next_index"]
    assert 2 <= stopped_at < len(entities) and stopped_at % 2 == 0
    assert cursor == {"next_index": stopped_at, "next_entity": entities[stopped_at], "total": 10}
    assert behaviour.built == [*entities[:stopped_at], "fanout"]  # the aggregate after its entities
    assert not (world.bucket_root / f"fake/fanout/{entities[stopped_at]}.json").exists()
    assert store.expected_duration("fanout") == 0.2  # a partial run teaches nothing about the duration

    second = world.runner(catalogue, store, fanout_chunk=2).run(
        request_for("fanout"), deadline=seconds_from_now(30), cursor=first.cursor
    )
    assert second.exports["fanout"].status == "ok"
    assert (second.deferred, second.cursor, second.status) == ([], {}, "success")
    # each entity once; the whole-export file only in the run that started the fan-out
    assert behaviour.built == [*entities[:stopped_at], "fanout", *entities[stopped_at:]]
    assert all((world.bucket_root / f"fake/fanout/{entity}.json").exists() for entity in entities)


def test_a_deferred_fanout_keeps_its_cursor(world):
    catalogue = {"fanout": fake_spec("fanout", Behaviour(), cost="fanout", entities=["a", "b", "c"])}
    cursor = {"fanout": {"next_index": 2, "next_entity": "c", "total": 3}}
    record = world.runner(catalogue).run(request_for("fanout"), deadline=seconds_from_now(1), cursor=cursor)
    assert record.exports["fanout"].status == "deferred"
    assert record.cursor == cursor


def test_three_failing_runs_open_the_breaker_and_a_trial_after_the_cooldown_closes_it(world):
    behaviour = Behaviour(fail=True)
    catalogue = {"flaky": fake_spec("flaky", behaviour)}
    store = world.state()
    runner = world.runner(catalogue, store)
    for _ in range(3):
        assert runner.run(request_for("flaky")).exports["flaky"].status == "failed"
    assert store.breaker("flaky", world.clock.now()).status == "open"

    blocked = runner.run(request_for("flaky"))
    assert blocked.exports["flaky"].status == "breaker_open"
    assert "breaker open until" in blocked.exports["flaky"].error
    assert blocked.breakers_open == ["flaky"]
    assert len(behaviour.built) == 3  # the open breaker ran nothing

    world.clock.skipped = SHORT_COOLDOWN.cooldown + timedelta(seconds=1)
    behaviour.fail = False
    trial = runner.run(request_for("flaky"))
    assert trial.exports["flaky"].status == "ok"
    assert len(behaviour.built) == 4
    assert trial.breakers_open == []
    assert store.breaker("flaky", world.clock.now()).status == "closed"


def test_a_failed_trial_reopens_the_breaker(world):
    behaviour = Behaviour(fail=True)
    store = world.state()
    runner = world.runner({"flaky": fake_spec("flaky", behaviour)}, store)
    for _ in range(3):
        runner.run(request_for("flaky"))
    world.clock.skipped = SHORT_COOLDOWN.cooldown + timedelta(seconds=1)
    assert runner.run(request_for("flaky")).exports["flaky"].status == "failed"
    breaker = store.breaker("flaky", world.clock.now())
    assert (breaker.status, breaker.trips) == ("open", 2)
    assert runner.run(request_for("flaky")).exports["flaky"].status == "breaker_open"


def test_two_concurrent_runs_for_one_date_and_type_run_it_once(any_world):
    behaviour = Behaviour(sleep=0.5)
    catalogue = {"slow": fake_spec("slow", behaviour)}
    runners = [any_world.runner(catalogue) for _ in range(2)]  # two instances, each with its own store client
    barrier = threading.Barrier(2)
    statuses: list[str] = []

    def run(runner: Runner) -> None:
        barrier.wait()
        statuses.append(runner.run(request_for("slow")).exports["slow"].status)

    threads = [threading.Thread(target=run, args=(runner,)) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == ["leased_elsewhere", "ok"]
    assert behaviour.built == ["slow"]
    assert runners[0].run(request_for("slow")).exports["slow"].status == "ok"  # the lease was released


class BrokenState:
    """A state store whose every call fails, as Firestore does when it is unreachable."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            self.calls.append(name)
            raise StateError(f"{name}: Firestore unavailable")

        return fail


def test_a_state_store_that_raises_does_not_stop_publishing(world, caplog):
    behaviour = Behaviour()
    catalogue = {"a": fake_spec("a", behaviour), "b": fake_spec("b", behaviour, priority=20)}
    broken = BrokenState()
    with caplog.at_level(logging.INFO):
        record = world.runner(catalogue, broken).run(request_for("a", "b"), deadline=seconds_from_now(60))
    assert {name: result.status for name, result in record.exports.items()} == {"a": "ok", "b": "ok"}
    assert record.status == "success"
    assert (world.bucket_root / "fake/a/2026-03-04.json").exists()
    assert (world.bucket_root / "fake/b/2026-03-04.json").exists()
    assert [error for error in record.errors if "state store" in error] == [
        "state store breakers failed, the run goes on without it: breakers: Firestore unavailable"
    ]
    assert broken.calls == ["breakers"]  # the run's first call (planning its queries); after it, the store is left alone
    heartbeat_logs = [message for message in caplog.messages if message.startswith("heartbeat ")]
    assert len(heartbeat_logs) >= 2 + 2  # heartbeats degrade to logs: start, per export, end


def test_heartbeats_at_every_export_boundary_and_while_an_export_runs(any_world):
    behaviour = Behaviour(sleep=0.4)
    catalogue = {"a": fake_spec("a", behaviour), "b": fake_spec("b", Behaviour(fail=True), priority=20)}
    store = any_world.state()
    beats: list[dict] = []
    real_beat = store.beat

    def spy(run_id, fields):
        beats.append(dict(fields))
        real_beat(run_id, fields)

    store.beat = spy
    record = any_world.runner(catalogue, store, beat_interval=0.1).run(
        request_for("a", "b"), "run-1", deadline=seconds_from_now(60)
    )
    assert record.status == "partial"
    while_a = [beat for beat in beats if beat.get("current_export") == "a"]
    assert len(while_a) >= 3  # the boundary beat plus ticker beats during the 0.4 s build
    heartbeat = next(beat for beat in store.heartbeats() if beat["run_id"] == "run-1")
    assert heartbeat["status"] == "partial"
    assert heartbeat["current_export"] is None
    assert heartbeat["progress"] == {"done": 2, "total": 2}
    assert heartbeat["exports"]["a"]["status"] == "ok"
    assert heartbeat["exports"]["b"]["status"] == "failed"
    assert heartbeat["target_date"] == "2026-03-04"
    assert heartbeat["started_at"] <= heartbeat["last_beat"] < heartbeat["deadline"]
    assert heartbeat["expires_at"] - heartbeat["last_beat"] == timedelta(days=7)


def test_the_real_daily_signals_export_end_to_end(any_world, warehouse_file):
    from exporters import catalog

    with duckdb.connect(str(warehouse_file)) as connection:
        connection.execute(
            "CREATE SCHEMA nba_predictions; CREATE TABLE nba_predictions.daily_prediction_signals AS "
            "SELECT DATE '2026-03-04' AS game_date, 'catboost_v9' AS system_id, 'GREEN' AS daily_signal, "
            "'BALANCED' AS skew_category, 7 AS high_edge_picks, TIMESTAMP '2026-03-04 17:00:00' AS calculated_at"
        )
    store = any_world.state()
    record = any_world.runner({"daily-signals": catalog()["daily-signals"]}, store).run(
        request_for("daily-signals"), "e2e-run", deadline=seconds_from_now(60)
    )
    assert record.status == "success", record.errors
    signal = (any_world.bucket_root / "signals/2026-03-04.json").read_text()
    assert '"signal": "favorable"' in signal and '"picks": 7' in signal
    assert (any_world.bucket_root / "status.json").exists()
    assert store.get_run("e2e-run")["exports"]["daily-signals"]["status"] == "ok"
    assert store.expected_duration("daily-signals") == record.exports["daily-signals"].duration_seconds
    assert store.breaker("daily-signals", any_world.clock.now()).status == "closed"
    assert store.acquire_lease("2026-03-04/daily-signals", "someone-else", 60, any_world.clock.now())  # released
