"""What an exporter is: a spec, its SQL queries and a pure build function from rows to documents.

Exporters declare; the runner executes. No exporter opens a client, writes, logs a heartbeat or catches
another exporter's error. The spec is the endpoint's only declaration (docs/adding-an-endpoint.md): the documents it
publishes (`Published`: path, JSON schema, cache), the status probe and its freshness SLA (`Probe`), the groups that
run it, a one-line summary and its differences from the legacy files. Status entries, the API reference, the
preview's entry points and the tests' route and cache tables are derived from these declarations.
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
    schema: str | None = None  # schemas/<schema>.json, checked before the document is written


@dataclass(frozen=True)
class Published:
    """One kind of document an endpoint publishes (docs/api.md, "Caching" and "Pointers and dated twins").

    `path` is relative to v1/ and may hold `{date}` (the target date: a dated file) and `{lookup}` (a fan-out
    entity). A dated file gets `max_age` once its date is before G and its content is final, `short_max_age`
    otherwise; its `pointer` twin (a date-free path with the same body) gets `pointer_max_age`. A path without
    `{date}` is a global file with `max_age` always."""

    path: str
    schema: str
    max_age: int
    short_max_age: int | None = None
    pointer: str | None = None
    pointer_max_age: int | None = None
    final_when: str = ""  # for the reference: when a dated file's content is final, if not always (build: final=)

    def __post_init__(self) -> None:
        if self.dated and self.short_max_age is None:
            raise ValueError(f"{self.path}: a dated path declares short_max_age")
        if not self.dated and (self.short_max_age is not None or self.pointer is not None):
            raise ValueError(f"{self.path}: only a dated path has a short max-age or a pointer")
        if (self.pointer is None) != (self.pointer_max_age is None):
            raise ValueError(f"{self.path}: a pointer and its max-age are declared together")

    @property
    def dated(self) -> bool:
        return "{date}" in self.path

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.path, self.pointer) if self.pointer else (self.path,)

    def documents(self, ctx: ExportContext, body: dict[str, Any], *, final: bool = True,
                  entity: str | None = None) -> list[Document]:
        """The document for the run's target date (and entity), then its pointer twin with the same body (the
        runner decides whether the pointer is written). `final=False`: the content may still change."""
        values = {"date": ctx.target_date.isoformat(), "lookup": entity}
        path = self.path.format(**values)
        if not self.dated:
            return [Document(path, body, self.max_age, "global", entity, self.schema)]
        max_age = self.max_age if final and ctx.target_date < ctx.game_day else self.short_max_age
        documents = [Document(path, body, max_age, "dated", entity, self.schema)]
        if self.pointer:
            documents.append(Document(self.pointer.format(**values), body, self.pointer_max_age, "pointer", entity,
                                      self.schema))
        return documents


@dataclass(frozen=True)
class Probe:
    """The object status.json stats for an endpoint, and how old it may be before the endpoint is stale.

    `path` with `{date}`: G's file, else G − 1's; ending in "/": the newest object directly under it."""

    path: str
    sla_hours: int

    @property
    def sla_seconds(self) -> int:
        return self.sla_hours * 3600


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
    """Rows a materialisation step appends to its table."""

    rows: Rows
    warning: str | None = None


@dataclass(frozen=True)
class Materialization:
    """A warehouse write that precedes an export's reads (subset-picks → current_subset_picks). A query of the run
    that names `table` waits for the write."""

    table: str  # dataset.table it appends to (the one table the publisher writes)
    queries: tuple[Query, ...]
    compute: Callable[[ExportContext, Mapping[str, Rows]], InsertRows]
    applies: Callable[[ExportContext, Mapping[str, Rows]], bool] = lambda ctx, rows: True


@dataclass(frozen=True)
class ExportSpec:
    name: str
    cost: CostClass
    priority: int  # lower runs first within its class (critical, fast, fan-out: phase6/plan.py)
    queries: tuple[Query, ...]
    build: Callable[[ExportContext, Mapping[str, Rows]], Iterable[Document | Notice]]  # Notices: warnings
    documents: tuple[Published, ...]  # what it publishes; build functions make their Documents from these
    probe: Probe | None = None  # every endpoint of the catalogue declares one (tests/test_catalogue.py)
    order: int = 0  # place in status.json's endpoints and in docs/api.md; a new endpoint takes the next number
    groups: tuple[str, ...] = ()  # message groups that run it besides "all" (docs/messages.md)
    summary: str = ""  # one line: what the endpoint is for
    legacy: tuple[str, ...] = ()  # how it differs from the file the legacy publisher wrote at the same path
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

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(path for published in self.documents for path in published.paths)


def cache_control(max_age: int) -> str:
    return f"public, max-age={int(max_age)}"
