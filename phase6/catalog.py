"""What an exporter is: a spec, its SQL queries and a pure build function from rows to documents.

Exporters declare; the runner executes. No exporter opens a client, writes, logs a heartbeat or catches
another exporter's error.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Iterable, Literal, Mapping

Rows = list[dict[str, Any]]
# A fan-out entity (a player_lookup) becomes an object path segment; a lookup that does not match is never published.
SAFE_ENTITY = re.compile(r"^[a-z0-9]{1,64}\Z")
Scope = Literal["dated", "pointer", "global"]
CostClass = Literal["fast", "fanout"]
Mode = Literal["live", "replay"]


@dataclass(frozen=True)
class ExportContext:
    """Everything a query or a build function may know about the run."""

    target_date: date
    game_day: date  # G: today on the game-day clock
    generated_at: datetime
    champion_system_id: str
    mode: Mode = "live"
    update_latest: bool = True
    min_games: int = 5
    override_guards: bool = False  # for the runner only: an operator's explicit `--force` / message `force`

    @property
    def is_live(self) -> bool:
        return self.mode == "live"


@dataclass(frozen=True)
class Query:
    """One warehouse read: BigQuery Standard SQL with named @parameters, and how to bind them for a run.

    A date-bound query reads rows dated between its smallest and largest date parameter; one that reads every
    earlier row too (`game_date < @target_date` with no lower bound) says so with `reads_all_history`, so that a
    replay's range read (phase6/warehouse/snapshot.py) copies enough history."""

    name: str
    sql: str
    params: Callable[[ExportContext], Mapping[str, Any]]
    reads_all_history: bool = False


@dataclass(frozen=True)
class Document:
    """One JSON object to publish under the bucket's v1/ prefix."""

    path: str
    body: dict[str, Any]
    max_age: int
    scope: Scope = "dated"
    entity: str | None = None  # the fan-out entity (player_lookup) the document belongs to


@dataclass(frozen=True)
class Notice:
    """A warning a build function may yield alongside its Documents; the runner reports it with the export."""

    message: str


@dataclass(frozen=True)
class ContentGuard:
    """Keeps a published document when its replacement would be empty or much smaller (collapsed upstream data).

    Every export that writes whole-export documents declares one: `count` says how its content is counted
    (predictions, players, a real signal). The runner reads the published document first and keeps it, with a
    `guarded PATH: ...` warning, when it has content and the new body about the same subject (the same path; for a
    pointer, the same date) has none or lost more than `max_shrink` of it. Only an explicit override (`--force`,
    message field `force`) replaces it."""

    count: Callable[[dict[str, Any]], int]
    max_shrink: float = 0.5

    def objection(self, published: dict[str, Any], new: dict[str, Any]) -> str | None:
        before, after = self.count(published), self.count(new)
        if before == 0 or after >= before:
            return None
        if after == 0:
            return f"would replace {before} items with none"
        if (before - after) / before > self.max_shrink:
            return f"would shrink from {before} to {after} items (more than {self.max_shrink:.0%})"
        return None


@dataclass(frozen=True)
class InsertRows:
    """Rows a materialisation step appends to a warehouse table (the one table the publisher writes)."""

    table: str
    rows: Rows
    warning: str | None = None


@dataclass(frozen=True)
class Materialization:
    """A warehouse write that precedes an export's reads (subset-picks → current_subset_picks)."""

    queries: tuple[Query, ...]
    compute: Callable[[ExportContext, Mapping[str, Rows]], InsertRows]
    applies: Callable[[ExportContext, Mapping[str, Rows]], bool] = lambda ctx, rows: True


@dataclass(frozen=True)
class ExportSpec:
    name: str
    cost: CostClass
    priority: int  # lower runs first (api.md §2.4)
    queries: tuple[Query, ...]
    build: Callable[[ExportContext, Mapping[str, Rows]], Iterable[Document | Notice]]  # Notices: warnings
    paths: tuple[str, ...]  # documentation of the paths written, e.g. "predictions/{date}.json"
    pointer_offsets: tuple[int, ...] = (0,)  # target dates (G + offset) that may write pointers
    critical: bool = False
    materialization: Materialization | None = None
    # Fan-out exports: the runner builds one entity at a time, isolating failures and checking the deadline.
    # `prepare` (optional) turns the rows into a per-run index once; `entities` and `build_entity` then receive
    # that index instead of the rows.
    entities: Callable[[ExportContext, Any], list[str]] | None = None
    build_entity: Callable[[ExportContext, Any, str], Iterable[Document]] | None = None
    prepare: Callable[[ExportContext, Mapping[str, Rows]], Any] | None = None
    entity_failure_limit: float = 0.2  # the export fails when more than this share of entities fail
    # Pointers that must never move backwards: given the published pointer body (or None) and the new body,
    # may the new one replace it? The runner reads the current pointer only when this is set.
    pointer_guard: Callable[[dict[str, Any] | None, dict[str, Any]], bool] | None = None
    # How the content of the export's whole-export documents (not fan-out entities) is counted: the published
    # version is kept when the new one is empty or degraded. Declared by every export that has such documents.
    guard: ContentGuard | None = None
    description: str = ""


def cache_control(max_age: int) -> str:
    return f"public, max-age={int(max_age)}"


def dated_max_age(ctx: ExportContext, long_age: int, short_age: int, final: bool = True) -> int:
    """api.md §2.3: a dated file whose date is ≥ G, or whose content is not final, gets the short value."""
    return long_age if final and ctx.target_date < ctx.game_day else short_age


def dated_and_pointer(
    ctx: ExportContext,
    body: dict[str, Any],
    dated_path: str,
    pointer_path: str,
    *,
    long_age: int,
    short_age: int,
    pointer_age: int,
    final: bool = True,
    entity: str | None = None,
) -> list[Document]:
    """A dated document and its pointer twin with the same body (the runner decides whether the pointer is written)."""
    return [
        Document(dated_path, body, dated_max_age(ctx, long_age, short_age, final), "dated", entity),
        Document(pointer_path, body, pointer_age, "pointer", entity),
    ]
