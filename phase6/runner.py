"""Runs a list of export types for one target date against the configured backends.

Order → send every query of the exports expected to start, at once (one wave of warehouse round trips; while it is
in flight, the infrastructure probe and the schema preflight) → for each export: check the breaker, the budget and
the lease; materialise, take its query results, shape, write (uploads overlap the building, bounded; a small
export's write and uploads go on while the next export builds, in run order); record the outcome and duration once
its uploads have settled → heartbeat throughout.
One export failing never stops the others; in a fan-out one entity failing never stops the others.
What does not fit the time budget is deferred (a fan-out stopped between chunks leaves a cursor) for a
continuation; nothing is silently dropped. A failing state store never stops publishing.
"""
from __future__ import annotations

import copy
import logging
import re
import time
import traceback
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Callable, Iterable, Mapping

import orjson

from . import plan, schemas, status
from .breakers import allows_run
from .catalog import SAFE_ENTITY, Document, ExportContext, ExportSpec, Notice, Rows, cache_control
from .clock import Clock, utc_now
from .config import Settings
from .formats import ts
from .heartbeat import BEAT_INTERVAL_SECONDS, Heartbeat
from .jsonio import dumps, publish_digest
from .plan import Deadline
from .probe import infrastructure_fault
from .queries import QueryRunner, query_concurrency
from .state import StateStore
from .state.tolerant import TolerantState
from .storage import Bucket
from .uploads import Uploads
from .warehouse import Warehouse
from .warehouse.preflight import schema_preflight

log = logging.getLogger("phase6.runner")

FANOUT_CHUNK = 50
UPLOAD_CONCURRENCY = 32  # upload workers when neither the setting nor the bucket says
UPLOADS_IN_FLIGHT_PER_WORKER = 4  # an export's uploads in flight, per upload worker
LEASE_MARGIN_SECONDS = 60.0
SAFE_PATH = re.compile(r"^(?!.*\.\.)(?!.*//)[a-z0-9][a-z0-9_\-/.]{0,200}\.json\Z")


@dataclass
class ExportResult:
    status: str = "ok"  # ok | failed | skipped | deferred | breaker_open | leased_elsewhere
    files: int = 0
    bytes: int = 0
    unchanged: int = 0
    duration_seconds: float = 0.0
    queries: int = 0
    rows_read: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    started_at: str | None = None  # wall clock; None when the export never started (breaker, lease, budget)
    # Why a failure is not the export's own ("infrastructure", "data"): such a failure never counts toward its
    # breaker, so a fault outside the export cannot disable it once the fault is gone.
    outside_fault: str | None = None
    kept: list[str] = field(default_factory=list)  # paths whose published version a guard kept (see warnings)

    def public(self) -> dict[str, Any]:
        """The completion-event form."""
        result = {
            "status": self.status,
            "files": self.files,
            "bytes": self.bytes,
            "unchanged": self.unchanged,
            "duration_seconds": round(self.duration_seconds, 3),
        }
        if self.error:
            result["error"] = self.error
        if self.warnings:
            result["warnings"] = self.warnings
        return result


@dataclass(frozen=True)
class RunRequest:
    export_types: tuple[str, ...]
    target_date: date
    mode: str = "live"
    update_latest: bool | None = None
    min_games: int = 5
    correlation_id: str | None = None
    trigger_source: str = "manual"
    force: bool = False  # replace published files even where a content guard objects (logged, in the warnings)


@dataclass
class Backends:
    warehouse: Warehouse
    bucket: Bucket
    state: StateStore


@dataclass
class RunRecord:
    run_id: str
    request: RunRequest
    started_at: str
    finished_at: str | None = None
    status: str = "running"
    exports: dict[str, ExportResult] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # export types left for a continuation
    cursor: dict[str, Any] = field(default_factory=dict)  # export type → where its fan-out resumes
    breakers_open: list[str] = field(default_factory=list)  # every export type whose breaker is not closed
    queries: list[dict[str, Any]] = field(default_factory=list)  # every query with its timing (QueryTrace)
    infrastructure_fault: str | None = None  # set when an export failed and the warehouse or bucket was down

    def document(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "request": {**asdict(self.request), "target_date": self.request.target_date.isoformat()},
            "exports": {name: asdict(result) for name, result in self.exports.items()},
            "errors": self.errors,
            "deferred": self.deferred,
            "cursor": self.cursor,
            "breakers_open": self.breakers_open,
            "queries": self.queries,
            "infrastructure_fault": self.infrastructure_fault,
        }


@dataclass
class RunScope:
    """What the exports of one run share."""

    record: RunRecord
    queries: QueryRunner
    state: TolerantState
    deadline: Deadline
    heartbeat: Heartbeat
    cursor: Mapping[str, Any]
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None  # "exports" or a fan-out's type
    expected: dict[str, float] = field(default_factory=dict)  # export type → expected seconds (plan.expected_seconds)


@dataclass(frozen=True)
class PlannedUpload:
    name: str  # the bucket object name
    document: Document
    data: bytes
    cache_control: str
    digest: str  # jsonio.publish_digest, compared with the one recorded when the object was last published


@dataclass
class FanoutControl:
    """How a fan-out export shares the run's budget: chunks, a deadline check between them, and a cursor."""

    deadline: Deadline
    chunk_size: int
    resume: Mapping[str, Any] | None = None  # the cursor a previous run left for this export
    on_chunk: Callable[[int, int], None] = lambda done, total: None  # progress: entities done, total
    cursor: dict[str, Any] | None = None  # set when the fan-out stopped for time


@dataclass
class PendingWrite:
    """An export's checked documents, waiting for the published bodies its guards compare with (read on the upload
    pool); `send` hands them to the guards and sends the uploads."""

    reads: Mapping[str, Future[bytes | None]]
    finish: Callable[[Mapping[str, Any]], None]

    def ready(self) -> bool:
        return all(read.done() for read in self.reads.values())

    def send(self) -> None:
        bodies = {path: read.result() for path, read in self.reads.items()}
        self.finish({path: orjson.loads(body) if body else None for path, body in bodies.items()})


@dataclass
class ExportInFlight:
    """An export whose building is over: its whole-export write may still wait for its guards' reads, its uploads
    may still be in flight. `send_if_ready` sends the write if the reads are in, `send` waits for them; `settle`
    sends it, waits for the uploads, counts and records what was written, fails the export if a read or an upload
    failed, and completes its duration (from its start to the end of its last upload, less the time its write
    waited while the runner built the next export); then it gives its lease up
    (`release`) and `then` records what the runner keeps about it."""

    result: ExportResult
    name: str = ""
    uploads: Uploads[PlannedUpload] | None = None  # None: nothing was sent (breaker, budget, lease, skipped)
    state: TolerantState | None = None
    started: float = 0.0  # perf_counter
    ended: float = 0.0  # perf_counter: when its building ended, then when its write was sent
    write: PendingWrite | None = None
    waited: float = 0.0  # seconds from the end of its building to its write being sent, not the export's own
    then: Callable[[ExportResult], None] = lambda result: None
    release: Callable[[], None] = lambda: None  # gives its lease up: at settle, or `abandon` when the run raises

    @property
    def failing(self) -> bool:
        """Failed already, or an upload has (known without waiting)."""
        return self.result.status == "failed" or (self.uploads is not None and self.uploads.failed)

    def send_if_ready(self) -> bool:
        """Send the write if its reads are in; whether nothing of the export is left waiting to be sent."""
        if self.write is not None and self.write.ready():
            self._send(self.write)
        return self.write is None

    def send(self) -> None:
        """Send the write, once its reads are in."""
        if self.write is not None:
            self._send(self.write)

    def settle(self) -> ExportResult:
        self.send()
        if self.uploads is not None and self.state is not None:
            try:
                if self.result.status != "failed":
                    self.uploads.finish()
            except Exception as error:
                export_failed(self.name, self.result, error)
            finally:
                settle_and_record(self.uploads, self.result, self.state)  # a failed export's writes count too
            self.result.duration_seconds = max(self.ended, self.uploads.idle_since) - self.started - self.waited
            self.uploads = None
        self.release()
        self.release = lambda: None
        self.then(self.result)
        self.then = lambda result: None
        return self.result

    def abandon(self) -> None:
        """What a run that raised leaves of it: its uploads in flight waited for and recorded (a write not sent yet
        never is), then its lease given up."""
        if self.uploads is not None and self.state is not None:
            settle_and_record(self.uploads, self.result, self.state)
        self.release()

    def _send(self, write: PendingWrite) -> None:
        self.write = None
        self.waited = time.perf_counter() - self.ended
        try:
            write.send()
        except Exception as error:  # a guard's read or a check failed: the export's failure, like a build's
            export_failed(self.name, self.result, error)
        self.ended = time.perf_counter()


def must_settle_before(spec: ExportSpec, pending: list[tuple[ExportSpec, ExportInFlight]]) -> bool:
    """Whether the pending exports must be settled before `spec` starts: a fan-out's entity uploads never queue in
    front of another export's pointer; a failure is known (and the infrastructure probed) before the next export
    starts, as if it had been waited for; an export that declares a path a pending one publishes reads what that
    one wrote (its guards and digests), never the object before it."""
    if not pending:
        return False
    if spec.entities is not None:
        return True
    paths = set(spec.paths)
    return any(started.failing or paths.intersection(earlier.paths) for earlier, started in pending)


def send_ready(pending: list[tuple[ExportSpec, ExportInFlight]]) -> None:
    """Send the pending exports' writes whose guards' reads are in, in run order: never one before an earlier one."""
    for _, started in pending:
        if not started.send_if_ready():
            return


def export_failed(name: str, result: ExportResult, error: Exception) -> None:
    log.error("export %s failed: %s\n%s", name, error, traceback.format_exc())
    result.status = "failed"
    result.error = f"{type(error).__name__}: {error}"
    if isinstance(error, schemas.RefusedDocument):
        result.outside_fault = "data"


def default_update_latest(mode: str, target_date: date, game_day: date) -> bool:
    """docs/messages.md: true in live mode when the target is today or yesterday, false otherwise."""
    return mode == "live" and target_date in (game_day, game_day - timedelta(days=1))


class Runner:
    def __init__(
        self,
        settings: Settings,
        backends: Backends,
        clock: Clock,
        catalog: Mapping[str, ExportSpec],
        *,
        fanout_chunk: int = FANOUT_CHUNK,
        beat_interval: float = BEAT_INTERVAL_SECONDS,
        wall_clock: Callable[[], datetime] = utc_now,
    ):
        """`clock` dates the published data (frozen in the demo); `wall_clock` dates the shared state (breakers,
        leases, heartbeats), which other processes and TTL policies read on the real clock."""
        self.settings = settings
        self.backends = backends
        self.clock = clock
        self.catalog = catalog
        self.fanout_chunk = fanout_chunk
        self.beat_interval = beat_interval
        self.wall_clock = wall_clock
        # Before the first export: export type → error for exports the warehouse's schema cannot serve.
        self.schema_preflight: Callable[[Warehouse, list[ExportSpec]], dict[str, str]] | None = schema_preflight
        self._uploads: ThreadPoolExecutor | None = None
        self._queries: ThreadPoolExecutor | None = None

    def with_warehouse(self, warehouse: Warehouse) -> "Runner":
        """The same runner reading another warehouse (a replay's snapshot); it shares this runner's upload pool."""
        twin = copy.copy(self)
        twin.backends = replace(self.backends, warehouse=warehouse)
        twin.schema_preflight = None  # a snapshot is created from the definitions the preflight compares with
        twin._uploads = self._upload_pool()
        twin._queries = None  # sized to the snapshot
        return twin

    def context(self, request: RunRequest) -> ExportContext:
        game_day = self.clock.game_day()
        update_latest = request.update_latest
        if update_latest is None:
            update_latest = default_update_latest(request.mode, request.target_date, game_day)
        return ExportContext(
            target_date=request.target_date,
            game_day=game_day,
            generated_at=self.clock.now(),
            champion_system_id=self.settings.champion_system_id,
            mode=request.mode,  # type: ignore[arg-type]
            update_latest=update_latest,
            min_games=request.min_games,
            override_guards=request.force,
        )

    def run(
        self,
        request: RunRequest,
        run_id: str | None = None,
        *,
        deadline: Deadline | None = None,
        cursor: Mapping[str, Any] | None = None,
        progress: Callable[[str, int, int], None] | None = None,
        state: TolerantState | None = None,
        probe: Callable[[], None] | None = None,
    ) -> RunRecord:
        """Run the request's export types within `deadline` (default: the settings' budget from now).

        `cursor` is a previous run's `RunRecord.cursor`, carried by a continuation message. `progress(stage, done,
        total)` is told of exports done and of each fan-out's entities done (the command line's progress bars).
        `state` is the delivery's bounded view of the state store (default: a new one). `probe` is checked before
        any export starts, while the run's queries are in flight; what it raises stops the run (nothing written).
        """
        deadline = deadline or Deadline.from_budget(self.settings.budget_seconds)
        record = RunRecord(run_id or new_run_id(), request, ts(self.wall_clock()) or "")
        state = state or TolerantState(self.backends.state)
        specs = plan.order(self.catalog[name] for name in request.export_types)
        heartbeat = Heartbeat(state, record.run_id, self.wall_clock, deadline, self._beat_fields(record, len(specs)),
                              self.beat_interval)
        queries = QueryRunner(self.backends.warehouse, self._query_pool())
        scope = RunScope(record, queries, state, deadline, heartbeat, cursor or {})
        if progress:
            scope.progress = progress
        self._send_wave(specs, scope, self.context(request))
        preflight = self._start_schema_preflight(specs)
        if probe:
            try:
                probe()
            except BaseException:
                queries.cancel()
                raise
        heartbeat.beat()
        with heartbeat.ticking():
            skipped = preflight.result() if preflight else {}
            pending: list[tuple[ExportSpec, ExportInFlight]] = []  # started, in run order, not yet recorded
            try:
                for done, spec in enumerate(specs):
                    send_ready(pending)
                    if must_settle_before(spec, pending):
                        self._settle(pending, scope, len(specs))
                    heartbeat.beat(current_export=spec.name, progress={"done": done, "total": len(specs)}, entities=None)
                    if record.infrastructure_fault:
                        started = ExportInFlight(ExportResult(status="skipped",
                                                              error=f"not started: {record.infrastructure_fault}"))
                    elif spec.name in skipped:
                        started = ExportInFlight(ExportResult(status="skipped", error=skipped[spec.name]))
                    else:
                        started = self._start_guarded(spec, scope)
                    pending.append((spec, started))
                self._settle(pending, scope, len(specs))  # before status.json
            finally:  # a run that raises leaves no lease held until it expires
                for _, started in pending:
                    started.abandon()
        record.queries = [asdict(trace) for trace in queries.traces]
        self._finish(record, state)
        self._write_status(record)
        state.save_run(record.run_id, record.document())
        heartbeat.beat(status=record.status, current_export=None, progress={"done": len(specs), "total": len(specs)},
                       finished_at=self.wall_clock())
        return record

    def _send_wave(self, specs: list[ExportSpec], scope: RunScope, ctx: ExportContext) -> None:
        """Send every query of the exports the run expects to start, at once (phase6/queries.py): in run order, those
        whose breaker allows a run and whose expected duration fits the time left after the exports before them.
        A query that reads a table an export's materialization writes waits for it. An export left out here (its
        queries would be wasted work if it is deferred) still sends its queries when its turn comes."""
        now = self.wall_clock()
        breakers = {breaker.export_type: breaker for breaker in scope.state.breakers(now)}
        time_left = scope.deadline.remaining()
        written: list[str] = []
        for spec in specs:
            expected = scope.expected[spec.name] = plan.expected_seconds(spec, scope.state.expected_duration(spec.name))
            breaker = breakers.get(spec.name)
            if (breaker is not None and not allows_run(breaker, now)) or not plan.fits(
                    plan.seconds_to_start(spec, expected), time_left):
                continue
            time_left -= expected
            if spec.materialization:
                scope.queries.prefetch(spec.name, spec.materialization.queries, ctx, hold=written)
                written.append(spec.materialization.table)
            scope.queries.prefetch(spec.name, spec.queries, ctx, hold=written)

    def _start_schema_preflight(self, specs: list[ExportSpec]) -> Future[dict[str, str]] | None:
        """The schema preflight (export type → why it is skipped), started beside the queries in flight."""
        if not self.schema_preflight:
            return None
        side = ThreadPoolExecutor(max_workers=1, thread_name_prefix="preflight")
        try:
            return side.submit(self.schema_preflight, self.backends.warehouse, specs)
        finally:
            side.shutdown(wait=False)

    def _beat_fields(self, record: RunRecord, total: int) -> dict[str, Any]:
        request = record.request
        return {
            "status": "running",
            "target_date": request.target_date.isoformat(),
            "mode": request.mode,
            "correlation_id": request.correlation_id,
            "trigger_source": request.trigger_source,
            "export_types": list(request.export_types),
            "started_at": self.wall_clock(),
            "current_export": None,
            "progress": {"done": 0, "total": total},
            "exports": {},
        }

    def _settle(self, pending: list[tuple[ExportSpec, "ExportInFlight"]], scope: RunScope, total: int) -> None:
        """Send the pending exports' writes, in run order; then wait for their uploads and record each one's result
        (one export's uploads never hold back a later export's write)."""
        record = scope.record
        for _, started in pending:
            started.send()
        for spec, started in pending:
            record.exports[spec.name] = started.settle()
            scope.heartbeat.beat(exports=_public(record.exports))
            scope.progress("exports", len(record.exports), total)
        pending.clear()

    def _start_guarded(self, spec: ExportSpec, scope: RunScope) -> "ExportInFlight":
        """Breaker, budget and lease checks around one export, then its start; its lease, breaker outcome and
        duration are recorded once its uploads have settled (`_settled`)."""
        state, record, resume = scope.state, scope.record, scope.cursor.get(spec.name)
        now = self.wall_clock()
        breaker = state.breaker(spec.name, now)
        if not allows_run(breaker, now):
            return ExportInFlight(ExportResult(status="breaker_open", error=f"breaker open until {ts(breaker.retry_after)}"))
        expected = scope.expected.get(spec.name) or plan.expected_seconds(spec, state.expected_duration(spec.name))
        if not plan.fits(plan.seconds_to_start(spec, expected), scope.deadline.remaining()):
            if resume:
                record.cursor[spec.name] = dict(resume)
            return ExportInFlight(ExportResult(status="deferred"))
        key = lease_key(record.request.target_date, spec.name)
        ttl = expected + LEASE_MARGIN_SECONDS
        if not state.acquire_lease(key, record.run_id, ttl, now):
            return ExportInFlight(ExportResult(status="leased_elsewhere"))

        def on_chunk(done: int, total: int) -> None:
            state.acquire_lease(key, record.run_id, ttl, self.wall_clock())
            scope.heartbeat.beat(entities={"done": done, "total": total})
            scope.progress(spec.name, done, total)

        fanout = FanoutControl(scope.deadline, self.fanout_chunk, resume, on_chunk)
        try:
            started = self.start_export(spec, record.request, scope.queries, fanout=fanout, state=state)
        except BaseException:
            state.release_lease(key, record.run_id)
            raise
        started.release = lambda: state.release_lease(key, record.run_id)
        started.then = lambda result: self._settled(spec, scope, fanout, result)
        return started

    def _settled(self, spec: ExportSpec, scope: RunScope, fanout: FanoutControl, result: ExportResult) -> None:
        """What an export leaves once its uploads have settled (and its lease is released): its cursor, breaker
        outcome and duration."""
        state, record = scope.state, scope.record
        if fanout.cursor is not None:
            record.cursor[spec.name] = fanout.cursor
        if result.status == "failed" and result.outside_fault is None:
            record.infrastructure_fault = infrastructure_fault(self.backends.warehouse, self.backends.bucket,
                                                               self.wall_clock())
            if record.infrastructure_fault:
                result.outside_fault = "infrastructure"
        if result.status == "ok" or (result.status == "failed" and result.outside_fault is None):
            state.record_outcome(spec.name, result.status == "ok", self.wall_clock())
        if result.status == "ok":
            state.record_duration(spec.name, result.duration_seconds, self.wall_clock())

    def _finish(self, record: RunRecord, state: TolerantState) -> None:
        results = record.exports
        record.deferred = [name for name, result in results.items() if result.status == "deferred"]
        not_closed = [breaker.export_type for breaker in state.breakers(self.wall_clock()) if breaker.status != "closed"]
        skipped = [name for name, result in results.items() if result.status == "breaker_open"]
        record.breakers_open = sorted({*not_closed, *skipped})  # skipped ones too, should the store be unreadable
        record.status = overall_status(results.values())
        record.errors = [f"{name}: {result.error}" for name, result in results.items() if result.error]
        record.errors.extend(dict.fromkeys(state.errors))
        record.finished_at = ts(self.wall_clock())

    def _write_status(self, record: RunRecord) -> None:
        """status.json at the very end of every run, whatever the mode (docs/api.md, "Status"): the endpoints of
        this runner's catalogue."""
        game_day = self.clock.game_day()
        prefix = self.settings.object_prefix
        probed = status.endpoints(self.catalog.values())
        try:
            probes = status.collect_probes(self.backends.bucket, prefix, game_day, probed, self._upload_pool())
            body = status.build_status(  # object times are wall-clock times, so ages are measured on it too
                generated_at=self.wall_clock(), game_day=game_day, publisher_build=self.settings.build_commit,
                run=record.document(), probes=probes, probed=probed,
            )
            self.backends.bucket.write(prefix + status.STATUS_PATH, dumps(body),
                                       cache_control=cache_control(status.STATUS_MAX_AGE))
        except Exception as error:  # the run's exports are published; a missing status.json is reported, not fatal
            log.error("status.json not written: %s\n%s", error, traceback.format_exc())
            record.errors.append(f"status.json: {type(error).__name__}: {error}")

    def start_export(
        self,
        spec: ExportSpec,
        request: RunRequest,
        queries: QueryRunner,
        *,
        fanout: FanoutControl | None = None,
        state: TolerantState | None = None,
    ) -> "ExportInFlight":
        """One export built and its uploads sent; `settle()` on what it returns waits for them and completes the
        result. A failure while building is recorded in the result, never propagated."""
        started = time.perf_counter()
        result = ExportResult(started_at=ts(self.wall_clock()))
        ctx = self.context(request)
        fanout = fanout or FanoutControl(Deadline.from_budget(self.settings.budget_seconds), self.fanout_chunk)
        state = state or TolerantState(self.backends.state)
        uploads: Uploads[PlannedUpload] = Uploads(self._upload_pool(), self._send, self._uploads_in_flight())
        write = None
        try:
            self._materialize(spec, ctx, queries, result)
            rows = queries.run_all(spec.name, spec.queries, ctx)
            write = self._publish(spec, ctx, rows, result, fanout, state, uploads)
        except Exception as error:  # isolation: one export's failure is recorded, never propagated
            export_failed(spec.name, result, error)
        except BaseException:  # the run is interrupted: its lease is given up once the uploads in flight are in
            settle_and_record(uploads, result, state)
            raise
        result.warnings[:0] = [f"left out player_lookup {brief(lookup)!r}: not [a-z0-9]{{1,64}}, never published"
                               for lookup in queries.left_out_for(spec.name)]
        result.queries, result.rows_read = queries.stats_for(spec.name)
        return ExportInFlight(result, spec.name, uploads, state, started, time.perf_counter(), write)

    def _materialize(self, spec: ExportSpec, ctx: ExportContext, queries: QueryRunner, result: ExportResult) -> None:
        step = spec.materialization
        if step is None:
            return
        try:
            rows = queries.run_all(spec.name, step.queries, ctx)
            if not step.applies(ctx, rows):
                return
            insert = step.compute(ctx, rows)
            if insert.warning:
                result.warnings.append(insert.warning)
            queries.insert(step.table, insert.rows)
        finally:
            queries.release(step.table)  # the queries that read the table may go now

    def _publish(
        self,
        spec: ExportSpec,
        ctx: ExportContext,
        rows: Mapping[str, Rows],
        result: ExportResult,
        fanout: FanoutControl,
        state: TolerantState,
        uploads: Uploads[PlannedUpload],
    ) -> PendingWrite | None:
        """The fan-out's entities written; the whole-export documents checked and their guards' reads started (the
        write is returned: the runner sends it in run order once the reads are in)."""
        prepared = spec.prepare(ctx, rows) if spec.prepare else rows
        entities = spec.entities(ctx, prepared) if spec.entities and spec.build_entity else []
        start = resume_index(entities, fanout.resume)
        if fanout.resume and start == 0:
            result.warnings.append(f"the cursor's entity {brief(str(fanout.resume.get('next_entity')))} is no longer "
                                   "among the entities; resumed from the first one")
        skipped = self._fan_out(spec, ctx, prepared, entities, start, result, fanout, state, uploads) if entities else []
        uploads.finish()  # the entities' files are written before an aggregate that lists them
        if start == 0:  # after the entities, so that an aggregate never lists one whose own file was refused
            whole = report_notices(spec.build(ctx, rows), result)  # a resumed fan-out wrote them in its first run
            return self._start_write(ctx, spec, without_skipped(whole, set(skipped), result), result, state, uploads)
        return None

    def _fan_out(
        self,
        spec: ExportSpec,
        ctx: ExportContext,
        prepared: Any,
        entities: list[str],
        start: int,
        result: ExportResult,
        fanout: FanoutControl,
        state: TolerantState,
        uploads: Uploads[PlannedUpload],
    ) -> list[str]:
        """Entities in chunks from `start`; between chunks, stop with a cursor when the slowest chunk so far no
        longer fits before the deadline. A chunk's uploads go on while the next one is built; a stop waits for
        them. Returns the entities skipped (their documents were refused)."""
        assert spec.build_entity is not None
        failed: list[str] = []
        refused = 0  # of them, entities whose documents did not match their schema
        slowest_chunk = 0.0
        for offset in range(start, len(entities), fanout.chunk_size):
            if offset > start and not plan.fits(slowest_chunk, fanout.deadline.remaining()):
                fanout.cursor = {"next_index": offset, "next_entity": entities[offset], "total": len(entities)}
                result.status = "deferred"
                break
            chunk_started = time.perf_counter()
            documents: list[Document] = []
            for entity in entities[offset : offset + fanout.chunk_size]:
                try:  # an entity whose documents cannot be written safely is skipped alone, not with its chunk
                    built = checked_paths(spec.build_entity(ctx, prepared, checked_entity(entity)))
                    documents.extend(checked_schemas(built))
                except Exception as error:
                    failed.append(entity)
                    refused += isinstance(error, schemas.RefusedDocument)
                    result.warnings.append(f"skipped {brief(entity)}: {type(error).__name__}: {brief(str(error), 240)}")
            self._start_write(ctx, spec, documents, result, state, uploads).send()
            slowest_chunk = max(slowest_chunk, time.perf_counter() - chunk_started)
            fanout.on_chunk(min(offset + fanout.chunk_size, len(entities)), len(entities))
        attempted = min(len(entities), (fanout.cursor or {}).get("next_index", len(entities))) - start
        if attempted and len(failed) / attempted > spec.entity_failure_limit:
            first = next(warning for warning in result.warnings if warning.startswith("skipped "))
            failure = schemas.RefusedDocument if refused == len(failed) else RuntimeError
            raise failure(f"{len(failed)} of {attempted} entities failed (first: {first})")
        return failed

    def _start_write(
        self, ctx: ExportContext, spec: ExportSpec, documents: list[Document], result: ExportResult,
        state: TolerantState, uploads: Uploads[PlannedUpload],
    ) -> PendingWrite:
        """The documents the run may write, checked, and the published bodies their guards compare with being read;
        the returned write applies the guards and sends the uploads (`_send_guarded`)."""
        chosen = [document for document in report_notices(documents, result) if may_write(document, spec, ctx)]
        checked_paths(chosen)
        checked_schemas([document for document in chosen if document.entity is None])  # entities: in _fan_out
        return PendingWrite(self._read_published(spec, chosen), lambda published: self._send_guarded(
            ctx, spec, chosen, published, result, state, uploads))

    def _send_guarded(
        self, ctx: ExportContext, spec: ExportSpec, chosen: list[Document], published: Mapping[str, Any],
        result: ExportResult, state: TolerantState, uploads: Uploads[PlannedUpload],
    ) -> None:
        """Dated and global files first, then pointers, so a pointer never precedes its dated twin. An object whose
        body (apart from its build time) and Cache-Control hash to what the state store recorded at its last upload
        is counted as unchanged, not uploaded (jsonio.publish_digest). The uploads are sent, not waited for."""
        chosen = [document for document in chosen if self._guard_allows(spec, document, ctx, result, published)]
        pointers = [document for document in chosen
                    if document.scope == "pointer" and self._pointer_allowed(spec, document, result, published)]
        planned = [self._planned(document) for document in chosen if document.scope != "pointer"]
        planned_pointers = [self._planned(document) for document in pointers]
        every = planned + planned_pointers
        if not every:
            return
        hashes = state.published_hashes([item.name for item in every])
        # Twins share one body object: when one of them changes, both are written, so they stay byte-identical.
        stale = {id(item.document.body) for item in every if hashes.get(item.name) != item.digest}
        changed = [item for item in planned if id(item.document.body) in stale]
        changed_pointers = [item for item in planned_pointers if id(item.document.body) in stale]
        result.unchanged += len(every) - len(changed) - len(changed_pointers)
        uploads.send(changed, changed_pointers)
        record_written(uploads, result, state)

    def _planned(self, document: Document) -> PlannedUpload:
        data, control = dumps(document.body), cache_control(document.max_age)
        return PlannedUpload(self.settings.object_prefix + document.path, document, data, control,
                             publish_digest(data, control))

    def _read_published(self, spec: ExportSpec, documents: list[Document]) -> dict[str, Future[bytes | None]]:
        """The published body of every path a guard of the spec compares with, being read at once."""
        paths = sorted({document.path for document in documents
                        if (spec.guard is not None and document.entity is None)
                        or (spec.pointer_guard is not None and document.scope == "pointer")})
        pool, bucket = self._upload_pool(), self.backends.bucket
        return {path: pool.submit(bucket.read, self.settings.object_prefix + path) for path in paths}

    def _guard_allows(self, spec: ExportSpec, document: Document, ctx: ExportContext, result: ExportResult,
                      published_bodies: Mapping[str, Any]) -> bool:
        """A guarded spec's document replaces the published one about the same subject only when it is not empty or
        degraded, unless the request overrides guards. A kept file is in the export's warnings (`guarded PATH:
        ...`) and `kept`, which makes the run `partial`; an override is in the warnings (`forced PATH: ...`)."""
        if spec.guard is None or document.entity is not None:
            return True
        published = published_bodies[document.path]
        if not published:
            return True
        if document.scope == "pointer" and subject_date(published) != subject_date(document.body):
            return True  # a pointer moving to another day: nothing about that day is published yet
        objection = spec.guard.objection(published, document.body)
        if objection is None:
            return True
        if ctx.override_guards:
            result.warnings.append(f"forced {document.path}: replaced the published file although the new one {objection}")
            log.warning("guard overridden for %s: the new body %s", document.path, objection)
            return True
        result.warnings.append(f"guarded {document.path}: kept the published file, the new one {objection}")
        result.kept.append(document.path)
        return False

    def _pointer_allowed(self, spec: ExportSpec, document: Document, result: ExportResult,
                         published_bodies: Mapping[str, Any]) -> bool:
        if spec.pointer_guard is None:
            return True
        if spec.pointer_guard(published_bodies[document.path], document.body):
            return True
        result.warnings.append(f"kept {document.path}: the new body would move the pointer back or empty it")
        return False

    def _upload_workers(self) -> int:
        """PHASE6_UPLOAD_CONCURRENCY, else what the bucket takes at once (`concurrency`)."""
        return max(1, self.settings.upload_concurrency or getattr(self.backends.bucket, "concurrency", UPLOAD_CONCURRENCY))

    def _upload_pool(self) -> ThreadPoolExecutor:
        """One bounded pool for the runner's life: its threads start once, not for every batch."""
        if self._uploads is None:
            self._uploads = ThreadPoolExecutor(max_workers=self._upload_workers(), thread_name_prefix="upload")
        return self._uploads

    def _uploads_in_flight(self) -> int:
        return UPLOADS_IN_FLIGHT_PER_WORKER * self._upload_workers()

    def _query_pool(self) -> ThreadPoolExecutor:
        """The warehouse's queries in flight, for the runner's life, sized by the warehouse (`concurrency`)."""
        if self._queries is None:
            self._queries = ThreadPoolExecutor(max_workers=query_concurrency(self.backends.warehouse),
                                               thread_name_prefix="query")
        return self._queries

    def _send(self, item: PlannedUpload) -> None:
        self.backends.bucket.write(item.name, item.data, cache_control=item.cache_control)


def settle_and_record(uploads: Uploads[PlannedUpload], result: ExportResult, state: TolerantState) -> None:
    """Wait for the uploads in flight, whatever their outcome, then count and record what they wrote."""
    uploads.settle()
    record_written(uploads, result, state)


def record_written(uploads: Uploads[PlannedUpload], result: ExportResult, state: TolerantState) -> None:
    """The objects written since the last call: counted in the result, their digests recorded in the state store."""
    written = uploads.take_written()
    if written:
        result.files += len(written)
        result.bytes += sum(len(item.data) for item in written)
        state.record_published({item.name: item.digest for item in written})


def checked_entity(entity: str) -> str:
    """A fan-out entity becomes an object path segment (a player_lookup): it must match SAFE_ENTITY."""
    if not SAFE_ENTITY.match(entity):
        raise ValueError(f"entity {brief(entity)!r} is not [a-z0-9]{{1,64}}; not written")
    return entity


def checked_paths(items: Iterable[Document | Notice]) -> list[Document | Notice]:
    """The items, once every document's object path is known to be safe (SAFE_PATH); raises otherwise."""
    items = list(items)
    for item in items:
        if isinstance(item, Document) and not SAFE_PATH.match(item.path):
            raise ValueError(f"refusing to write unsafe object path {brief(item.path)!r}")
    return items


def checked_schemas(items: list[Document | Notice]) -> list[Document | Notice]:
    """The items, once each document's body as it will be published matches its path's JSON schema (a body shared
    by twins is checked once); raises schemas.RefusedDocument otherwise."""
    seen: set[int] = set()
    for item in items:
        if isinstance(item, Document) and id(item.body) not in seen:
            seen.add(id(item.body))
            schemas.checked(item.path, item.schema, orjson.loads(dumps(item.body)))
    return items


def without_skipped(documents: list[Document], skipped: set[str], result: ExportResult) -> list[Document]:
    """The whole-export documents, less those that list a fan-out entity skipped in this run: such an aggregate
    is not written (the published one is kept, reported like a guard's)."""
    if not skipped:
        return documents
    kept = []
    for document in documents:
        listed = sorted(listed_entities(document.body) & skipped)
        if listed:
            result.warnings.append(f"kept {document.path}: the new one lists {', '.join(map(brief, listed[:3]))}, "
                                   f"whose own file was refused")
            result.kept.append(document.path)
        else:
            kept.append(document)
    return kept


def listed_entities(node: Any) -> set[str]:
    """Every player_lookup a document body lists, at any depth."""
    if isinstance(node, dict):
        found = {node["player_lookup"]} if isinstance(node.get("player_lookup"), str) else set()
        return found.union(*(listed_entities(value) for value in node.values() if isinstance(value, (dict, list))))
    if isinstance(node, list):
        return set().union(*(listed_entities(item) for item in node if isinstance(item, (dict, list))))
    return set()


def brief(text: str, limit: int = 80) -> str:
    """A value from the warehouse as a warning quotes it: at most `limit` characters."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def report_notices(items: Iterable[Document | Notice], result: ExportResult) -> list[Document]:
    """A build's Notices become the export's warnings; its Documents go on to be written."""
    documents = []
    for item in items:
        if isinstance(item, Notice):
            result.warnings.append(item.message)
        else:
            documents.append(item)
    return documents


def resume_index(entities: list[str], resume: Mapping[str, Any] | None) -> int:
    """Where a fan-out resumes: at the cursor's entity (a validated message cursor, phase6/messages.py) when it is
    still among the entities; otherwise from the start, so that a changed list never leaves entities out."""
    if not resume or resume.get("next_entity") not in entities:
        return 0
    return entities.index(resume["next_entity"])


def lease_key(target_date: date, export_type: str) -> str:
    return f"{target_date.isoformat()}/{export_type}"


def _public(results: Mapping[str, ExportResult]) -> dict[str, Any]:
    return {name: result.public() for name, result in results.items()}


def may_write(document: Document, spec: ExportSpec, ctx: ExportContext) -> bool:
    """docs/api.md, "Scopes": dated files always; pointers only in live runs with update_latest for the allowed
    target dates; global files only in live runs."""
    if document.scope == "dated":
        return True
    if not ctx.is_live:
        return False
    if document.scope == "global":
        return True
    offset = (ctx.target_date - ctx.game_day).days
    return ctx.update_latest and offset in spec.pointer_offsets


def subject_date(body: Mapping[str, Any]) -> Any:
    """The day a document is about (a pointer's dated twin): its game_date, as_of_date or date."""
    return body.get("game_date") or body.get("as_of_date") or body.get("date")


def overall_status(results: Iterable[ExportResult]) -> str:
    """success: all ok and no published file kept by a guard; failed: all failed; deferred: the rest is only
    waiting for a continuation; else partial (a guard that kept a published file makes a run partial)."""
    results = list(results)
    statuses = [result.status for result in results]
    if any(result.kept for result in results):
        return "failed" if all(status == "failed" for status in statuses) else "partial"
    if not statuses or all(status == "ok" for status in statuses):
        return "success"
    if all(status == "failed" for status in statuses):
        return "failed"
    if all(status in ("ok", "deferred") for status in statuses):
        return "deferred"
    return "partial"


def new_run_id() -> str:
    return uuid.uuid4().hex[:16]
