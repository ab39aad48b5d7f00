"""The run's critical path: every query sent in one wave at the start (a query of the table the run materialises
waits for the insert), uploads that overlap building (pointers after their dated twins, entities before the
aggregate that lists them), and an upload's failure recorded like any export failure."""
from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from phase6.catalog import Document, ExportSpec, InsertRows, Materialization, Query
from phase6.runner import RunRequest
from phase6.storage.local import LocalBucket
from phase6.uploads import Uploads
from phase6.warehouse import WarehouseError
from tests.test_runner_budget import (  # noqa: F401 (fixtures)
    START, TARGET, request_for, seconds_from_now, sqlite_url, warehouse_file, world,
)

TABLE = "fake.picks"


class RecordingWarehouse:
    """The world's DuckDB warehouse, with every query and insert in the order the warehouse received them."""

    def __init__(self, inner):
        self.inner, self.calls, self._lock = inner, [], threading.Lock()

    def query(self, sql, params=None, *, label=""):
        with self._lock:
            self.calls.append(("query", sql))
        return self.inner.query(sql, params, label=label)

    def insert_rows(self, table, rows):
        with self._lock:
            self.calls.append(("insert", table))
        self.inner.insert_rows(table, rows)

    def close(self):
        self.inner.close()

    def position(self, kind, text):
        return next(index for index, (call, detail) in enumerate(self.calls) if call == kind and text in detail)


class RecordingBucket:
    """The world's local bucket; writes of names containing `slow` take 50 ms; (name, started, ended) per write;
    a write of a name containing `failing` raises."""

    def __init__(self, inner, slow="", failing=None):
        self.inner, self.slow, self.failing = inner, slow, failing
        self.writes, self._lock = [], threading.Lock()

    def write(self, name, data, **options):
        started = time.perf_counter()
        if self.failing and self.failing in name:
            raise OSError(f"bucket refused {name}")
        if self.slow and self.slow in name:
            time.sleep(0.05)
        self.inner.write(name, data, **options)
        with self._lock:
            self.writes.append((name, started, time.perf_counter()))

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def span(self, name):
        return next((started, ended) for written, started, ended in self.writes if written.endswith(name))


def spec(name, queries, build, *, priority=10, materialization=None, entities=None, build_entity=None):
    return ExportSpec(name=name, cost="fanout" if entities else "fast", priority=priority, queries=queries,
                      build=build, documents=(), materialization=materialization,
                      entities=(lambda ctx, rows: list(entities)) if entities else None, build_entity=build_entity)


def count_document(name):
    return lambda ctx, rows: [Document(f"fake/{name}/{ctx.target_date}.json", {"n": rows["n"][0]["n"]}, 300)]


def live(*names):
    return RunRequest(export_types=names, target_date=TARGET)


@pytest.fixture()
def picks_table(world):
    world.warehouse._cursor().execute(f"CREATE SCHEMA fake; CREATE TABLE {TABLE} (player_lookup VARCHAR)")
    return world


def test_one_wave_sends_every_query_at_the_start_and_a_read_of_the_materialised_table_after_its_insert(picks_table):
    world = picks_table
    writer = spec("writer", (Query("n", "SELECT 1 AS n", lambda ctx: {}),), count_document("writer"), priority=1,
                  materialization=Materialization(
                      TABLE, (Query("before", f"SELECT COUNT(*) AS n FROM {TABLE}", lambda ctx: {}),),
                      lambda ctx, rows: InsertRows([{"player_lookup": "a"}, {"player_lookup": "b"}])))
    reader = spec("reader", (Query("n", f"SELECT COUNT(*) AS n FROM {TABLE} WHERE player_lookup <> ''",
                                   lambda ctx: {}),), count_document("reader"), priority=2)
    later = spec("later", (Query("n", "SELECT 3 AS n", lambda ctx: {}),), count_document("later"), priority=3)
    runner = world.runner({s.name: s for s in (writer, reader, later)})
    runner.backends.warehouse = recording = RecordingWarehouse(world.warehouse)

    record = runner.run(request_for("writer", "reader", "later"), deadline=seconds_from_now(60))

    assert {name: result.status for name, result in record.exports.items()} == dict.fromkeys(record.exports, "ok")
    insert = recording.position("insert", TABLE)
    assert recording.position("query", "WHERE player_lookup <> ''") > insert  # held back until the table is written
    assert recording.position("query", "SELECT 3 AS n") < insert  # the last export's query went in the first wave
    assert recording.position("query", f"SELECT COUNT(*) AS n FROM {TABLE}") < insert  # the writer's own read
    assert json.loads((world.bucket_root / f"fake/reader/{TARGET}.json").read_text()) == {"n": 2}  # saw the insert
    assert record.exports["later"].queries == 1 and record.exports["reader"].queries == 1


def test_an_export_the_budget_will_defer_sends_no_query(world):
    fits = spec("fits", (Query("n", "SELECT 1 AS n", lambda ctx: {}),), count_document("fits"), priority=1)
    too_long = spec("too-long", (Query("n", "SELECT 2 AS n", lambda ctx: {}),), count_document("too-long"), priority=2)
    store = world.state()
    store.record_duration("fits", 0.1, START)  # too-long has no history: the fast default (15 s) does not fit
    runner = world.runner({"fits": fits, "too-long": too_long}, store)
    runner.backends.warehouse = recording = RecordingWarehouse(world.warehouse)

    record = runner.run(request_for("fits", "too-long"), deadline=seconds_from_now(5))

    assert (record.exports["fits"].status, record.exports["too-long"].status) == ("ok", "deferred")
    assert [sql for call, sql in recording.calls if call == "query" and "AS n" in sql] == ["SELECT 1 AS n"]


def twin_documents(ctx, rows):
    body = {"n": rows["n"][0]["n"]}
    return [Document("fake/twins/latest.json", body, 60, scope="pointer"),
            *(Document(f"fake/twins/{ctx.target_date}-{part}.json", body if part == 0 else {"part": part}, 300)
              for part in range(6))]


def test_a_pointer_is_written_after_its_dated_twin_has_been_written(world):
    twins = spec("twins", (Query("n", "SELECT 1 AS n", lambda ctx: {}),), twin_documents)
    runner = world.runner({"twins": twins})
    runner.backends.bucket = bucket = RecordingBucket(world.bucket, slow=f"{TARGET}-0")

    record = runner.run(live("twins"), deadline=seconds_from_now(60))

    assert record.exports["twins"].status == "ok" and record.exports["twins"].files == 7
    pointer_started, _ = bucket.span("fake/twins/latest.json")
    assert pointer_started >= max(ended for name, _, ended in bucket.writes if f"{TARGET}-" in name)


def test_an_aggregate_is_written_after_the_files_of_the_entities_it_lists(world):
    entities = [f"p{index}" for index in range(12)]
    fanout = spec("fanout", (Query("n", "SELECT 1 AS n", lambda ctx: {}),),
                  lambda ctx, rows: [Document("fake/fanout/index.json", {"entities": entities}, 300)],
                  entities=entities,
                  build_entity=lambda ctx, rows, entity: [Document(f"fake/fanout/{entity}.json", {"e": entity}, 300,
                                                                   entity=entity)])
    runner = world.runner({"fanout": fanout}, fanout_chunk=5)
    runner.backends.bucket = bucket = RecordingBucket(world.bucket, slow="fake/fanout/p")

    record = runner.run(request_for("fanout"), deadline=seconds_from_now(60))

    assert record.exports["fanout"].status == "ok" and record.exports["fanout"].files == 13
    index_started, _ = bucket.span("fake/fanout/index.json")
    assert index_started >= max(ended for name, _, ended in bucket.writes if "/fanout/p" in name)


def test_a_failed_upload_fails_its_export_and_what_was_written_is_counted_and_recorded(world):
    twins = spec("twins", (Query("n", "SELECT 1 AS n", lambda ctx: {}),), twin_documents)
    later = spec("later", (Query("n", "SELECT 3 AS n", lambda ctx: {}),), count_document("later"), priority=20)
    store = world.state()
    runner = world.runner({"twins": twins, "later": later}, store)
    runner.backends.bucket = RecordingBucket(world.bucket, failing=f"{TARGET}-3")

    record = runner.run(live("twins", "later"), deadline=seconds_from_now(60))

    result = record.exports["twins"]
    assert result.status == "failed" and "bucket refused v1/fake/twins/2026-03-04-3.json" in result.error
    assert record.exports["later"].status == "ok"  # one export's failure never stops the others
    assert not (world.bucket_root / "fake/twins/latest.json").exists()  # a failed batch releases no pointer
    written = sorted(path.name for path in (world.bucket_root / "fake/twins").iterdir())
    assert f"{TARGET}-0.json" in written and f"{TARGET}-3.json" not in written
    assert result.files == len(written)  # those sent before the failure was seen
    recorded = store.published_hashes([f"v1/fake/twins/{name}" for name in written + ["latest.json"]])
    assert sorted(name.rsplit("/", 1)[1] for name in recorded) == written


def test_uploads_in_flight_never_exceed_the_limit():
    in_flight, most, lock = [0], [0], threading.Lock()

    def upload(item):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.01)
        with lock:
            in_flight[0] -= 1

    with ThreadPoolExecutor(8) as pool:
        uploads = Uploads(pool, upload, limit=3)
        uploads.send(list(range(20)), [])
        uploads.finish()
        assert sorted(uploads.take_written()) == list(range(20))
    assert most[0] == 3


class FailingWarehouse(RecordingWarehouse):
    def query(self, sql, params=None, *, label=""):
        if "'fails'" in sql:
            with self._lock:
                self.calls.append(("query", sql))
            raise WarehouseError(f"query {label} failed: on purpose")
        return super().query(sql, params, label=label)


def test_a_failed_query_is_tried_once_per_export_that_needs_it(world):
    failing = (Query("n", "SELECT 'fails' AS n", lambda ctx: {}),)
    first = spec("first", failing, count_document("first"), priority=1)
    second = spec("second", failing, count_document("second"), priority=2)
    runner = world.runner({"first": first, "second": second})
    runner.backends.warehouse = recording = FailingWarehouse(world.warehouse)

    record = runner.run(request_for("first", "second"), deadline=seconds_from_now(60))

    assert [record.exports[name].status for name in ("first", "second")] == ["failed", "failed"]
    assert "on purpose" in record.exports["second"].error
    tries = [sql for call, sql in recording.calls if "'fails'" in sql]
    assert 1 <= len(tries) <= 2  # shared while in flight, else sent again for the second export; never retried


def test_the_upload_pool_is_sized_by_the_bucket_unless_the_setting_says(world):
    assert world.runner({})._upload_pool()._max_workers == LocalBucket.concurrency == 2
    world.settings = replace(world.settings, upload_concurrency=5)  # PHASE6_UPLOAD_CONCURRENCY=5
    assert world.runner({})._upload_pool()._max_workers == 5


def test_uploads_a_pool_refuses_fail_the_export_instead_of_waiting_forever():
    pool = ThreadPoolExecutor(1)
    pool.shutdown()
    uploads = Uploads(pool, lambda item: None, limit=4)
    with pytest.raises(RuntimeError, match="shutdown"):
        uploads.send([1, 2], [3])
    settling = threading.Thread(target=uploads.settle, daemon=True)
    settling.start()
    settling.join(5)
    assert not settling.is_alive()  # nothing is left counted in flight
    assert uploads.take_written() == []
