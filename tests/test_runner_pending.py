"""A fast export's guard reads, uploads and pointer go on while the next fast export builds: writes are sent in run
order, each export is recorded once its uploads have settled, and every pending export is settled before a fan-out
starts, before status.json, once one has failed, and before an export that declares a path a pending one writes.
The infrastructure probe checks the warehouse and the bucket at once."""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from exporters import catalog
from phase6.catalog import Document, Published, Query
from phase6.probe import PROBE_OBJECT, infrastructure_fault
from phase6.storage import StorageError
from phase6.warehouse import WarehouseError
from tests.test_runner_budget import (  # noqa: F401 (fixtures)
    TARGET, seconds_from_now, sqlite_url, warehouse_file, world,
)
from tests.test_runner_wave import RecordingBucket, live, spec

ONE = (Query("n", "SELECT 1 AS n", lambda ctx: {}),)


class BuildTimes:
    """When each export's build function was called (perf_counter)."""

    def __init__(self):
        self.started: dict[str, float] = {}

    def documents(self, name, *, pointer=False):
        def build(ctx, rows):
            self.started[name] = time.perf_counter()
            body = {"name": name}
            dated = [Document(f"fake/{name}/slow-{ctx.target_date}.json", body, 300)]
            return dated + ([Document(f"fake/{name}/latest.json", body, 60, scope="pointer")] if pointer else [])
        return build


def fast_pair(times):
    first = spec("first", ONE, times.documents("first", pointer=True), priority=1)
    second = spec("second", ONE, times.documents("second"), priority=2)
    return {"first": first, "second": second}


def test_a_fast_exports_uploads_are_in_flight_while_the_next_export_builds(world):
    times = BuildTimes()
    runner = world.runner(fast_pair(times))
    runner.backends.bucket = bucket = RecordingBucket(world.bucket, slow="slow-")

    record = runner.run(live("first", "second"), deadline=seconds_from_now(60))

    assert [result.status for result in record.exports.values()] == ["ok", "ok"]
    _, first_dated_ended = bucket.span(f"fake/first/slow-{TARGET}.json")
    assert times.started["second"] < first_dated_ended  # the next export did not wait for the round trip
    pointer_started, _ = bucket.span("fake/first/latest.json")
    assert pointer_started >= first_dated_ended  # still after its dated twin


def test_an_export_is_recorded_once_its_uploads_have_settled(world):
    times = BuildTimes()
    store = world.state()
    progress = []
    runner = world.runner(fast_pair(times), store)
    runner.backends.bucket = bucket = RecordingBucket(world.bucket, slow="slow-")

    record = runner.run(live("first", "second"), deadline=seconds_from_now(60),
                        progress=lambda stage, done, total: progress.append((stage, done, bucket.writes[:])))

    first = record.exports["first"]
    assert (first.files, first.unchanged) == (2, 0)  # the pointer too, written after the next export started
    assert first.bytes == sum(len((world.bucket_root / f"fake/first/{name}").read_bytes())
                              for name in (f"slow-{TARGET}.json", "latest.json"))
    assert set(store.published_hashes([f"v1/fake/first/slow-{TARGET}.json", "v1/fake/first/latest.json"])) == {
        f"v1/fake/first/slow-{TARGET}.json", "v1/fake/first/latest.json"}
    started, _ = bucket.span(f"fake/first/slow-{TARGET}.json")
    _, pointer_ended = bucket.span("fake/first/latest.json")
    assert first.duration_seconds >= pointer_ended - started  # it lasts until its last upload is written
    first_done = next(writes for stage, done, writes in progress if stage == "exports" and done == 1)
    assert any(name.endswith("fake/first/latest.json") for name, _, _ in first_done)  # told done once written
    assert store.expected_duration("first") is not None


def test_an_upload_failing_while_the_next_export_builds_fails_only_its_own_export(world):
    times = BuildTimes()
    store = world.state()
    runner = world.runner(fast_pair(times), store)
    runner.backends.bucket = RecordingBucket(world.bucket, slow="slow-", failing="first/slow-")

    record = runner.run(live("first", "second"), deadline=seconds_from_now(60))

    first, second = record.exports["first"], record.exports["second"]
    assert first.status == "failed" and "bucket refused v1/fake/first/slow-" in first.error
    assert first.outside_fault is None and record.infrastructure_fault is None  # the probe found the bucket fine
    assert not (world.bucket_root / "fake/first/latest.json").exists()  # no pointer without its twin
    assert second.status == "ok" and second.files == 1
    assert store.breaker("first", datetime.now(timezone.utc)).consecutive_failures == 1


def test_every_pending_export_is_settled_before_a_fan_out_starts_and_before_status_json(world):
    times = BuildTimes()
    entities_started = []
    catalogue = fast_pair(times)
    catalogue["fanout"] = spec(
        "fanout", ONE, lambda ctx, rows: [], entities=["a", "b"], priority=3,
        build_entity=lambda ctx, rows, entity: entities_started.append(time.perf_counter()) or [
            Document(f"fake/fanout/{entity}.json", {"e": entity}, 300, entity=entity)])
    runner = world.runner(catalogue)
    runner.backends.bucket = bucket = RecordingBucket(world.bucket, slow="slow-")

    record = runner.run(live("first", "second", "fanout"), deadline=seconds_from_now(60))

    assert [result.status for result in record.exports.values()] == ["ok", "ok", "ok"]
    fast_ended = max(ended for name, _, ended in bucket.writes if "/first/" in name or "/second/" in name)
    assert min(entities_started) >= fast_ended  # no entity upload can queue in front of a pointer
    status_started, _ = bucket.span("status.json")
    assert status_started >= max(ended for name, _, ended in bucket.writes if not name.endswith("status.json"))


def shared_documents(ctx, rows):
    return [Document(f"fake/shared/slow-{ctx.target_date}.json", {"same": True}, 300)]


def test_an_export_declaring_a_path_a_pending_export_writes_waits_for_it(world):
    shared = (Published("fake/shared/slow-{date}.json", "x", max_age=300, short_max_age=60),)
    writer = replace(spec("writer", ONE, shared_documents, priority=1), documents=shared)
    rewriter = replace(spec("rewriter", ONE, shared_documents, priority=2), documents=shared)
    runner = world.runner({"writer": writer, "rewriter": rewriter})
    runner.backends.bucket = RecordingBucket(world.bucket, slow="slow-")

    record = runner.run(live("writer", "rewriter"), deadline=seconds_from_now(60))

    assert (record.exports["writer"].files, record.exports["writer"].unchanged) == (1, 0)
    # the rewriter saw the writer's upload recorded: the same body is not uploaded twice
    assert (record.exports["rewriter"].files, record.exports["rewriter"].unchanged) == (0, 1)


class WaitingWarehouse:
    """Answers the probe's query only once the bucket has been written (or fails after 5 s)."""

    def __init__(self, written: threading.Event, fails: bool = False):
        self.written, self.fails = written, fails

    def query(self, sql, params=None, *, label=""):
        if self.fails:
            raise WarehouseError("down on purpose")
        if not self.written.wait(5):
            raise WarehouseError("the bucket was not written while the warehouse was queried")
        return [{"ok": 1}]


class SignallingBucket:
    def __init__(self, written: threading.Event, fails: bool = False):
        self.written, self.fails, self.names = written, fails, []

    def write(self, name, data, **options):
        if self.fails:
            raise StorageError("read-only on purpose")
        self.names.append(name)
        self.written.set()


def test_the_probe_checks_the_warehouse_and_the_bucket_at_once():
    written = threading.Event()
    bucket = SignallingBucket(written)
    assert infrastructure_fault(WaitingWarehouse(written), bucket, datetime.now(timezone.utc)) is None
    assert bucket.names == [PROBE_OBJECT]


def test_the_probe_reports_the_warehouse_first_when_both_fail():
    written = threading.Event()
    fault = infrastructure_fault(WaitingWarehouse(written, fails=True), SignallingBucket(written, fails=True),
                                 datetime.now(timezone.utc))
    assert fault == "warehouse unreachable: down on purpose"
    answered = threading.Event()
    answered.set()
    only_bucket = infrastructure_fault(WaitingWarehouse(answered), SignallingBucket(answered, fails=True),
                                       datetime.now(timezone.utc))
    assert only_bucket == "bucket does not accept writes: read-only on purpose"


class ReadingBucket(RecordingBucket):
    """Reads of names containing `slow-` take 50 ms; (name, started, ended) per read."""

    def __init__(self, inner, slow=""):
        super().__init__(inner, slow=slow)
        self.reads = []

    def read(self, name):
        started = time.perf_counter()
        if "slow-" in name:
            time.sleep(0.05)
        body = self.inner.read(name)
        with self._lock:
            self.reads.append((name, started, time.perf_counter()))
        return body


def guarded_pointer(name):
    def build(ctx, rows):
        body = {"name": name, "date": str(ctx.target_date)}
        return [Document(f"fake/{name}/{ctx.target_date}.json", body, 300),
                Document(f"fake/{name}/slow-latest.json", body, 60, scope="pointer")]
    return replace(spec(name, ONE, build, priority=len(name)), pointer_guard=lambda published, new: True)


def test_the_guard_reads_of_consecutive_exports_overlap_and_their_writes_still_go_in_run_order(world):
    catalogue = {name: guarded_pointer(name) for name in ("one", "two", "three")}
    runner = world.runner(catalogue)
    runner.backends.bucket = bucket = ReadingBucket(world.bucket)

    record = runner.run(live("one", "two", "three"), deadline=seconds_from_now(60))

    assert [result.status for result in record.exports.values()] == ["ok", "ok", "ok"]
    reads = {name.split("/")[2]: (started, ended) for name, started, ended in bucket.reads}
    assert reads["two"][0] < reads["one"][1] and reads["three"][0] < reads["two"][1]  # not one after another
    first_write = {name: min(started for path, started, _ in bucket.writes if f"/{name}/" in path)
                   for name in catalogue}
    assert first_write["one"] <= first_write["two"] <= first_write["three"]  # sent in run order
    for name in catalogue:
        pointer_started, _ = bucket.span(f"fake/{name}/slow-latest.json")
        assert pointer_started >= bucket.span(f"fake/{name}/{TARGET}.json")[1]


def test_a_failed_guard_read_fails_only_its_own_export(world):
    catalogue = {name: guarded_pointer(name) for name in ("one", "two")}
    runner = world.runner(catalogue)
    runner.backends.bucket = bucket = ReadingBucket(world.bucket)
    inner_read = bucket.read
    bucket.read = lambda name: (_ for _ in ()).throw(StorageError("read refused")) if "/one/" in name else inner_read(name)

    record = runner.run(live("one", "two"), deadline=seconds_from_now(60))

    assert record.exports["one"].status == "failed" and "read refused" in record.exports["one"].error
    assert record.exports["one"].files == 0 and not (world.bucket_root / f"fake/one/{TARGET}.json").exists()
    assert record.exports["two"].status == "ok" and record.exports["two"].files == 2


def test_settling_sends_every_pending_write_before_waiting_for_any_exports_uploads(world):
    catalogue = {name: guarded_pointer(name) for name in ("one", "two")}
    catalogue["fanout"] = spec("fanout", ONE, lambda ctx, rows: [], entities=["a"], priority=9, build_entity=(
        lambda ctx, rows, entity: [Document(f"fake/fanout/{entity}.json", {"e": entity}, 300, entity=entity)]))
    runner = world.runner(catalogue)
    runner.backends.bucket = bucket = ReadingBucket(world.bucket, slow="slow-")  # reads and pointers: 50 ms

    record = runner.run(live("one", "two", "fanout"), deadline=seconds_from_now(60))

    assert [result.status for result in record.exports.values()] == ["ok", "ok", "ok"]
    _, first_pointer_ended = bucket.span("fake/one/slow-latest.json")
    second_dated_started, _ = bucket.span(f"fake/two/{TARGET}.json")
    assert second_dated_started < first_pointer_ended  # the first export's pointer did not hold it back


def test_no_two_exports_of_the_catalogue_declare_the_same_path():
    """Pending exports overlap only when their declared paths are disjoint; today they all are."""
    owners: dict[str, str] = {}
    for name, export in catalog().items():
        for path in export.paths:
            assert owners.setdefault(path, name) == name, f"{path} is declared by {owners[path]} and {name}"


def test_a_run_interrupted_while_an_export_is_pending_holds_no_lease(world):
    """Ctrl-C (or any crash) while the next export builds: the pending export's uploads in flight are waited for and
    its lease is released, as the export running when a run raised always was, so a run started at once is not told
    `leased_elsewhere`."""
    times = BuildTimes()
    store = world.state()

    def interrupted(ctx, rows):
        raise KeyboardInterrupt

    catalogue = {"first": fast_pair(times)["first"], "second": spec("second", ONE, interrupted, priority=2)}
    runner = world.runner(catalogue, store)
    runner.backends.bucket = RecordingBucket(world.bucket, slow="slow-")

    with pytest.raises(KeyboardInterrupt):
        runner.run(live("first", "second"), deadline=seconds_from_now(60))

    # the uploads in flight were waited for, and recorded, before the lease that covers them was given up
    written = [f"v1/fake/first/slow-{TARGET}.json", "v1/fake/first/latest.json"]
    assert all((world.bucket_root / name.removeprefix("v1/")).exists() for name in written)
    assert set(store.published_hashes(written)) == set(written)
    for name in ("first", "second"):
        assert store.acquire_lease(f"{TARGET}/{name}", "someone-else", 60, world.clock.now()), name


def test_an_exports_duration_leaves_out_the_next_exports_build(world):
    """A write waiting for its guards' reads is sent after the next export has built; the time it waited for the
    runner is not the export's own (its recorded duration sizes its budget and lease in later runs)."""
    def slow_build(ctx, rows):
        time.sleep(1.0)
        return [Document(f"fake/slow/{ctx.target_date}.json", {"n": 1}, 300)]

    store = world.state()
    catalogue = {"one": guarded_pointer("one"), "slow": spec("slow", ONE, slow_build, priority=9)}
    runner = world.runner(catalogue, store)
    runner.backends.bucket = ReadingBucket(world.bucket, slow="slow-")

    record = runner.run(live("one", "slow"), deadline=seconds_from_now(60))

    assert [result.status for result in record.exports.values()] == ["ok", "ok"]
    assert record.exports["one"].files == 2
    assert record.exports["one"].duration_seconds < 0.6
    assert store.expected_duration("one") < 0.6
    assert record.exports["slow"].duration_seconds >= 1.0


def test_a_run_interrupted_in_a_fan_out_waits_for_its_uploads_in_flight_before_giving_its_lease_up(world):
    store = world.state()

    def build_entity(ctx, rows, entity):
        if entity == "c":
            raise KeyboardInterrupt
        return [Document(f"fake/fanout/slow-{entity}.json", {"e": entity}, 300, entity=entity)]

    catalogue = {"fanout": spec("fanout", ONE, lambda ctx, rows: [], entities=["a", "b", "c"], priority=1,
                                build_entity=build_entity)}
    runner = world.runner(catalogue, store, fanout_chunk=2)
    runner.backends.bucket = RecordingBucket(world.bucket, slow="slow-")

    with pytest.raises(KeyboardInterrupt):
        runner.run(live("fanout"), deadline=seconds_from_now(60))

    written = [f"v1/fake/fanout/slow-{entity}.json" for entity in ("a", "b")]
    assert all((world.bucket_root / name.removeprefix("v1/")).exists() for name in written)
    assert set(store.published_hashes(written)) == set(written)
    assert store.acquire_lease(f"{TARGET}/fanout", "someone-else", 60, world.clock.now())
