"""Runs a list of export types for one target date against the configured backends.

Validate → order → for each export: materialise, query, shape, write (concurrently, bounded) → record.
One export failing never stops the others; in a fan-out one entity failing never stops the others.
"""
from __future__ import annotations

import logging
import re
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, Iterable, Mapping

import orjson

from .catalog import Document, ExportContext, ExportSpec, Rows, cache_control
from .clock import Clock
from .config import Settings
from .formats import ts
from .jsonio import dumps
from .queries import QueryRunner
from .state import StateStore
from .storage import Bucket
from .warehouse import Warehouse

log = logging.getLogger("phase6.runner")

FANOUT_CHUNK = 50
SAFE_PATH = re.compile(r"^(?!.*\.\.)[a-z0-9][a-z0-9_\-/.]{0,200}\.json$")


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

    def public(self) -> dict[str, Any]:
        """The completion-event form (messages.md §4)."""
        result = {
            "status": self.status,
            "files": self.files,
            "bytes": self.bytes,
            "unchanged": self.unchanged,
            "duration_seconds": round(self.duration_seconds, 3),
        }
        if self.error:
            result["error"] = self.error
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

    def document(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "request": {**asdict(self.request), "target_date": self.request.target_date.isoformat()},
            "exports": {name: asdict(result) for name, result in self.exports.items()},
            "errors": self.errors,
        }


def default_update_latest(mode: str, target_date: date, game_day: date) -> bool:
    """messages.md §1: true in live mode when the target is today or yesterday, false otherwise."""
    return mode == "live" and target_date in (game_day, game_day - timedelta(days=1))


class Runner:
    def __init__(self, settings: Settings, backends: Backends, clock: Clock, catalog: Mapping[str, ExportSpec]):
        self.settings = settings
        self.backends = backends
        self.clock = clock
        self.catalog = catalog

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
        )

    def run(self, request: RunRequest, run_id: str | None = None) -> RunRecord:
        record = RunRecord(run_id or new_run_id(), request, ts(self.clock.now()) or "")
        queries = QueryRunner(self.backends.warehouse)
        specs = sorted((self.catalog[name] for name in request.export_types), key=lambda spec: spec.priority)
        for spec in specs:
            record.exports[spec.name] = self.run_export(spec, request, queries)
        record.status = overall_status(record.exports.values())
        record.errors = [f"{name}: {result.error}" for name, result in record.exports.items() if result.error]
        record.finished_at = ts(self.clock.now())
        self.backends.state.save_run(record.run_id, record.document())
        return record

    def run_export(self, spec: ExportSpec, request: RunRequest, queries: QueryRunner) -> ExportResult:
        started = time.perf_counter()
        result = ExportResult()
        ctx = self.context(request)
        try:
            self._materialize(spec, ctx, queries, result)
            rows = queries.run_all(spec.name, spec.queries, ctx)
            self._publish(spec, ctx, rows, result)
        except Exception as error:  # isolation: one export's failure is recorded, never propagated
            log.error("export %s failed: %s\n%s", spec.name, error, traceback.format_exc())
            result.status = "failed"
            result.error = f"{type(error).__name__}: {error}"
        result.queries, result.rows_read = queries.stats_for(spec.name)
        result.duration_seconds = time.perf_counter() - started
        return result

    def _materialize(self, spec: ExportSpec, ctx: ExportContext, queries: QueryRunner, result: ExportResult) -> None:
        step = spec.materialization
        if step is None:
            return
        rows = queries.run_all(spec.name, step.queries, ctx)
        if not step.applies(ctx, rows):
            return
        insert = step.compute(ctx, rows)
        if insert.warning:
            result.warnings.append(insert.warning)
        queries.insert(insert.table, insert.rows)

    def _publish(self, spec: ExportSpec, ctx: ExportContext, rows: Mapping[str, Rows], result: ExportResult) -> None:
        self._write(ctx, spec, list(spec.build(ctx, rows)), result)
        if spec.entities is None or spec.build_entity is None:
            return
        entities = spec.entities(ctx, rows)
        failed: list[str] = []
        for chunk in chunked(entities, FANOUT_CHUNK):
            documents: list[Document] = []
            for entity in chunk:
                try:
                    documents.extend(spec.build_entity(ctx, rows, entity))
                except Exception as error:
                    failed.append(entity)
                    result.warnings.append(f"{entity}: {type(error).__name__}: {error}")
            self._write(ctx, spec, documents, result)
        if entities and len(failed) / len(entities) > spec.entity_failure_limit:
            raise RuntimeError(f"{len(failed)} of {len(entities)} entities failed (first: {result.warnings[0]})")

    def _write(self, ctx: ExportContext, spec: ExportSpec, documents: list[Document], result: ExportResult) -> None:
        """Dated and global files first, then pointers, so a pointer never precedes its dated twin."""
        chosen = [document for document in documents if may_write(document, spec, ctx)]
        for document in chosen:
            if not SAFE_PATH.match(document.path):
                raise ValueError(f"refusing to write unsafe object path {document.path!r}")
        pointers = [document for document in chosen if document.scope == "pointer" and self._pointer_allowed(spec, document, result)]
        self._upload([document for document in chosen if document.scope != "pointer"], result)
        self._upload(pointers, result)

    def _pointer_allowed(self, spec: ExportSpec, document: Document, result: ExportResult) -> bool:
        if spec.pointer_guard is None:
            return True
        current = self.backends.bucket.read(self.settings.object_prefix + document.path)
        if spec.pointer_guard(orjson.loads(current) if current else None, document.body):
            return True
        result.warnings.append(f"kept {document.path}: the new body would move the pointer back or empty it")
        return False

    def _upload(self, documents: list[Document], result: ExportResult) -> None:
        def upload(document: Document) -> int:
            data = dumps(document.body)
            self.backends.bucket.write(
                self.settings.object_prefix + document.path, data, cache_control=cache_control(document.max_age)
            )
            return len(data)

        if not documents:
            return
        workers = max(1, min(self.settings.upload_concurrency, len(documents)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for size in pool.map(upload, documents):
                result.files += 1
                result.bytes += size


def chunked(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def may_write(document: Document, spec: ExportSpec, ctx: ExportContext) -> bool:
    """api.md §2: dated files always; pointers only in live runs with update_latest for the allowed target dates;
    global files only in live runs."""
    if document.scope == "dated":
        return True
    if not ctx.is_live:
        return False
    if document.scope == "global":
        return True
    offset = (ctx.target_date - ctx.game_day).days
    return ctx.update_latest and offset in spec.pointer_offsets


def overall_status(results: Iterable[ExportResult]) -> str:
    statuses = [result.status for result in results]
    if not statuses or all(status == "ok" for status in statuses):
        return "success"
    if all(status == "failed" for status in statuses):
        return "failed"
    return "partial"


def new_run_id() -> str:
    return uuid.uuid4().hex[:16]
