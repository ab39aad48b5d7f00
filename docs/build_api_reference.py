"""Writes docs/api.md, the website developers' reference of the public JSON files, from the endpoint declarations
(each exporter's spec), the JSON schemas' field descriptions, scheduler/jobs.yaml and the demo season.

    .venv/bin/python docs/build_api_reference.py [--warehouse .phase6/demo.duckdb] [--output docs/api.md]

Without --warehouse a fresh default demo season is built in a temporary directory. The script runs every export type
live for the demo's yesterday and then its today (G) into a temporary bucket, takes one real example per document
from it (lists trimmed to 2 items) and one empty-day example from each build function run on no rows, validates every
example with the contract tests' checks, and renders the conventions and one section per endpoint.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script from anywhere: the repository's packages come first

from exporters import catalog, expand  # noqa: E402
from phase6 import schemas, status  # noqa: E402
from phase6.app import open_app  # noqa: E402
from phase6.catalog import Document, ExportContext, ExportSpec, Published  # noqa: E402
from phase6.config import Settings  # noqa: E402
from phase6.jsonio import dumps  # noqa: E402
from phase6.messages import PHASE5_MIN_COMPLETION_PCT  # noqa: E402
from phase6.runner import RunRequest  # noqa: E402
from phase6.schedules import ScheduledJob, load_jobs  # noqa: E402
from phase6.storage.base import GZIP_MIN_BYTES  # noqa: E402
from phase6.storage.local import LocalBucket  # noqa: E402
from tests import contract  # noqa: E402

BASE_URL = "https://storage.googleapis.com/nba-props-platform-api/v1/"
EXAMPLE_LIST_ITEMS = 2
HOUR = 3600
TITLES = {"status": "Status"}
CONVENTIONS = Path(__file__).resolve().parent / "api-conventions.md"


# ---------------------------------------------------------------------------------------------- the demo bucket


def build_bucket(warehouse: Path, work: Path) -> tuple[LocalBucket, date]:
    """Runs every export type live for G − 1, then for G, into an empty local bucket."""
    settings = Settings(
        warehouse_url=f"duckdb:///{warehouse.resolve()}",
        bucket_url=f"file://{(work / 'bucket').resolve()}",
        state_url=f"sqlite:///{(work / 'state.db').resolve()}",
        events_url=f"file://{(work / 'events.jsonl').resolve()}",
    )
    app = open_app(settings)
    try:
        game_day = app.clock.game_day()
        for target in (game_day - timedelta(days=1), game_day):
            app.runner.run(RunRequest(tuple(catalog()), target, mode="live"))
    finally:
        app.close()
    return LocalBucket(work / "bucket"), game_day


def read(bucket: LocalBucket, path: str) -> Any:
    data = bucket.read(f"v1/{path}")
    return json.loads(data) if data else None


def example_path(published: Published, names: list[str]) -> str | None:
    """The demo object shown for a declaration: its pointer, else its only path, else the largest match (the
    richest per-player file)."""
    if published.pointer and published.pointer in names:
        return published.pointer
    if published.path in names:
        return published.path
    pattern = contract.template_pattern(published.path)
    matching = [name for name in names if pattern.match(name)]
    return max(matching, key=lambda name: (len(name.split("/")), name)) if matching else None


def richest(bucket: LocalBucket, published: Published, names: list[str]) -> str | None:
    if "{lookup}" not in published.path:
        return example_path(published, names)
    pattern = contract.template_pattern(published.pointer or published.path)
    matching = sorted(name for name in names if pattern.match(name))
    return max(matching, key=lambda name: len(bucket.read(f"v1/{name}") or b""), default=None)


def trimmed(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: trimmed(value) for key, value in node.items()}
    if isinstance(node, list):
        return [trimmed(item) for item in node[:EXAMPLE_LIST_ITEMS]]
    return node


def empty_day(spec: ExportSpec, game_day: date) -> dict[str, dict[str, Any]]:
    """Schema → the body the spec's build function makes for G from no rows at all (what an empty day publishes)."""
    ctx = ExportContext(game_day, game_day, datetime.combine(game_day, time(18), timezone.utc), "catboost_v9")
    documents = [item for item in spec.build(ctx, {query.name: [] for query in spec.queries}) if isinstance(item, Document)]
    return {document.schema: json.loads(dumps(document.body)) for document in documents if document.schema}


# ---------------------------------------------------------------------------------------------- fields


class Fields:
    """The rows of a document's field table, walked from its JSON schema."""

    def __init__(self, name: str) -> None:
        self.shared = schemas.load("defs")
        self.defs = self.shared["$defs"]
        self.schema = self.shared if name == "defs" else schemas.load(name)

    def resolve(self, node: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """(the schema a $ref points to, whether it is one of this document's own definitions)."""
        ref = node.get("$ref")
        if ref is None:
            return node, True
        name = ref.rsplit("/", 1)[1]
        own = self.schema.get("$defs", {})
        if ref.startswith("#/$defs/") and name in own and self.schema is not self.shared:
            return own[name], True
        return self.defs[name], False  # a shared definition, or one defs.json refers to within itself

    def type_of(self, node: dict[str, Any]) -> str:
        target, local = self.resolve(node)
        if not local and "properties" in target:
            return "object (shared: " + node["$ref"].rsplit("/", 1)[1] + ")"
        if "enum" in target:
            return " \\| ".join("null" if value is None else f'`"{value}"`' for value in target["enum"])
        if "const" in target:
            return f'`{json.dumps(target["const"])}`'
        for key in ("anyOf", "oneOf"):
            if key in target:
                return " or ".join(self.type_of(option) for option in target[key])
        additional = target.get("additionalProperties")
        if isinstance(additional, dict):
            keys = ", ".join(f"`{key}`" for key in target.get("required", ())) or "any key"
            return f"object: {keys} → {self.type_of(additional)}"
        kinds = target.get("type", "object" if "properties" in target else "any")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        words = []
        for kind in kinds:
            if kind == "array":
                items = target.get("items")
                words.append("[] (empty)" if target.get("maxItems") == 0 else
                             f"array of {self.type_of(items) if isinstance(items, dict) else 'any'}")
            elif kind == "object" and target.get("maxProperties") == 0:
                words.append("{} (empty)")
            else:
                words.append(self.scalar(kind, target))
        return " or ".join(words)

    @staticmethod
    def scalar(kind: str, target: dict[str, Any]) -> str:
        word = {"number": "number", "integer": "integer", "string": "string", "boolean": "boolean", "null": "null"}.get(kind, kind)
        fmt = str(target.get("format", ""))
        if kind == "number" and fmt.startswith("float"):
            word += f" ({fmt[-1]} dp)"
        if kind in ("number", "integer") and "maximum" in target:
            word += f", {target.get('minimum', '')}–{target['maximum']}"
        elif kind == "integer" and target.get("minimum") == 0:
            word += " ≥ 0"
        if kind == "string" and target.get("pattern", "").startswith("^\\d{4}-\\d{2}-\\d{2}T"):
            word = "timestamp"
        elif kind == "string" and target.get("pattern") == "^\\d{4}-\\d{2}-\\d{2}$":
            word = "date"
        return word

    def rows(self, node: dict[str, Any] | None = None, prefix: str = "") -> Iterator[tuple[str, str, str]]:
        """(field path, type, meaning) of every field, depth first; `[]` marks the items of a list."""
        node = self.schema if node is None else node
        target, local = self.resolve(node)
        if not local:
            return
        target = self.object_form(target)
        required = set(target.get("required", ()))
        for name, field in target.get("properties", {}).items():
            path = f"{prefix}{name}"
            optional = "" if name in required else " *(optional: absent when it does not apply)*"
            yield path, self.type_of(field), field.get("description", "") + optional
            inner, inner_local = self.resolve(field)
            if inner.get("type") == "array" or (isinstance(inner.get("type"), list) and "array" in inner["type"]):
                items = inner.get("items")
                if isinstance(items, dict):
                    yield from self.rows(items, f"{path}[].")
            elif inner_local:
                yield from self.rows(field, f"{path}.")
        additional = target.get("additionalProperties")
        if isinstance(additional, dict):
            yield from self.rows(additional, f"{prefix}<key>.")

    def object_form(self, target: dict[str, Any]) -> dict[str, Any]:
        """An object schema, or the object alternative of `anyOf` (e.g. `{}` or an object)."""
        for key in ("anyOf", "oneOf"):
            for option in target.get(key, ()):
                resolved, local = self.resolve(option)
                if local and "properties" in resolved:
                    return resolved
        return target


def field_table(name: str) -> list[str]:
    lines = ["| Field | Type | Meaning |", "|---|---|---|"]
    lines += [f"| `{path}` | {kind} | {cell(meaning)} |" for path, kind, meaning in Fields(name).rows()]
    return lines


# ---------------------------------------------------------------------------------------------- endpoint facts


def hours(seconds: int) -> str:
    if seconds % (24 * HOUR) == 0 and seconds > 2 * 24 * HOUR:
        return f"{seconds // (24 * HOUR)} days"
    return f"{seconds // HOUR} h" if seconds % HOUR == 0 else f"{seconds} s"


def cell(text: str) -> str:
    """Text for a Markdown table cell."""
    return text.replace("|", "\\|")


def cache_lines(published: Published) -> list[str]:
    if not published.dated:
        return [f"`{published.path}`: `max-age={published.max_age}`."]
    final = f" and {published.final_when}" if published.final_when else ""
    if published.short_max_age == published.max_age:
        lines = [f"`{published.path}`: `max-age={published.max_age}` for every date."]
    else:
        lines = [f"`{published.path}`: `max-age={published.max_age}` once its date is before G{final}; "
                 f"`max-age={published.short_max_age}` until then."]
    if published.pointer:
        lines.append(f"`{published.pointer}`: `max-age={published.pointer_max_age}`.")
    return lines


def scope_lines(spec: ExportSpec) -> list[str]:
    lines = []
    for published in spec.documents:
        if published.dated:
            lines.append(f"`{published.path}` is written by live and replay runs (backfills too) for its date.")
            if published.pointer:
                targets = " or ".join("G" if offset == 0 else f"G {offset:+d}".replace("+", "+ ").replace("-", "− ")
                                      for offset in spec.pointer_offsets)
                guard = " It never moves back to an older date or to an empty day." if spec.pointer_guard else ""
                lines.append(f"`{published.pointer}` is written with it, with the same body, by live runs whose target "
                             f"date is {targets}.{guard}")
        else:
            lines.append(f"`{published.path}` is written by live runs only; replays and backfills never touch it.")
    if spec.entities:
        lines.append("One file per player is written, each on its own: a player whose data cannot be shaped is skipped "
                     "and reported, the others are written.")
    if spec.guard:
        lines.append("A file that has content is not replaced by an empty or much smaller one about the same day "
                     "(the run reports it; an operator can force it).")
    return lines


def trigger_lines(spec: ExportSpec, jobs: list[ScheduledJob]) -> list[str]:
    lines = []
    for job in jobs:
        requested = job.body.get("export_types") or (["players"] if job.body.get("players") else [])
        if spec.name in expand(requested):
            target = job.body.get("target_date", "today")
            lines.append(f"Scheduler job `{job.name}`: cron `{job.schedule}` ({job.time_zone}), target {target}.")
    if "tonight-set" in spec.groups:
        lines.append(f"Every predictions-complete event of the prediction pipeline (tonight-set for its game date, "
                     f"unless under {PHASE5_MIN_COMPLETION_PCT:g} % complete).")
    return lines or ["Only on request (an operator's run or message)."]


def paths_cell(spec: ExportSpec) -> str:
    return "<br>".join(f"`{path}`" for path in spec.paths)


def cache_cell(spec: ExportSpec) -> str:
    parts = []
    for published in spec.documents:
        if published.dated and published.short_max_age != published.max_age:
            parts.append(f"{published.max_age} / {published.short_max_age} (G or later)")
        else:
            parts.append(str(published.max_age))
        if published.pointer:
            parts.append(f"pointer {published.pointer_max_age}")
    return "; ".join(parts)


def index_table(specs: dict[str, ExportSpec]) -> list[str]:
    lines = ["| Endpoint | Paths | max-age (s) | Stale after | Summary |", "|---|---|---|---|---|"]
    for name, spec in specs.items():
        lines.append(f"| [{name}](#{name}) | {paths_cell(spec)} | {cache_cell(spec)} | {hours(spec.probe.sla_seconds)} | "
                     f"{spec.summary} |")
    lines.append(f"| [status](#status) | `{status.DOCUMENT.path}` | {status.DOCUMENT.max_age} | — | "
                 "Freshness of every endpoint and the last run's outcome; written at the end of every run. |")
    return lines


def poll_table(specs: dict[str, ExportSpec], jobs: list[ScheduledJob]) -> list[str]:
    lines = ["| To show | Poll | max-age (s) | Rewritten |", "|---|---|---|---|"]
    for name, spec in specs.items():
        published = spec.documents[0]
        path = published.pointer or published.path
        age = published.pointer_max_age if published.pointer else published.max_age
        when = "; ".join(line.split(": ", 1)[-1].rstrip(".") for line in trigger_lines(spec, jobs)
                         if line.startswith("Scheduler")) or "on request"
        if "tonight-set" in spec.groups:
            when += "; on each predictions-complete event"
        lines.append(f"| {spec.summary} | `{path}` | {age} | {when} |")
    lines.append(f"| Whether the data is fresh | `{status.DOCUMENT.path}` | {status.DOCUMENT.max_age} | at the end of every run |")
    return lines


# ---------------------------------------------------------------------------------------------- rendering


def example_block(title: str, body: Any) -> list[str]:
    return [title, "", "```json", json.dumps(trimmed(body), indent=2, ensure_ascii=False), "```", ""]


def section(name: str, spec: ExportSpec, bucket: LocalBucket, names: list[str], game_day: date,
            jobs: list[ScheduledJob]) -> list[str]:
    lines = [f"### {name}", "", spec.summary, ""]
    lines += ["**Paths.** " + ", ".join(f"`{path}`" for path in spec.paths), ""]
    lines += ["**Cache-Control.**", ""] + [f"- {line}" for published in spec.documents for line in cache_lines(published)] + [""]
    lines += ["**When it is written.**", ""] + [f"- {line}" for line in trigger_lines(spec, jobs) + scope_lines(spec)]
    lines += [f"- `status.json` reports it stale when `{spec.probe.path}` is older than {hours(spec.probe.sla_seconds)}.", ""]
    empty = empty_day(spec, game_day)
    for published in spec.documents:
        schema = schemas.load(published.schema)
        lines += [f"#### `{published.path}`" + (f" and `{published.pointer}`" if published.pointer else ""), "",
                  schema["description"] + f" Schema: `schemas/{published.schema}.json`.", ""]
        lines += field_table(published.schema) + [""]
        path = richest(bucket, published, names)
        if path:
            lines += example_block(f"Example from the demo season: `{path}` (lists trimmed to {EXAMPLE_LIST_ITEMS} items)",
                                   read(bucket, path))
        if published.schema in empty:
            lines += example_block("On a day without data (no games, or nothing in the warehouse yet):", empty[published.schema])
        else:
            lines += ["On a day without data no such file is written: there is no player to write one for.", ""]
    if spec.legacy:
        lines += ["**Differences from the legacy file.**", ""] + [f"- {line}" for line in spec.legacy] + [""]
    return lines


def status_section(bucket: LocalBucket) -> list[str]:
    published = status.DOCUMENT
    schema = schemas.load(published.schema)
    lines = ["### status", "", schema["description"], "", f"**Paths.** `{published.path}`", "",
             "**Cache-Control.**", ""] + [f"- {line}" for line in cache_lines(published)] + [""]
    lines += ["**When it is written.**", "", "- At the end of every run, whatever its mode, after the run's exports.",
              "- Ages are measured on the real clock against each probe object's write time, so in the example below "
              "`generated_at` is when the example was built, not the demo's frozen as-of day.", ""]
    lines += ["**Endpoints probed.**", "", "| export_type | Object probed | Stale after (sla_seconds) |", "|---|---|---|"]
    lines += [f"| {e.export_type} | `{e.probe}` | {e.sla_seconds} ({hours(e.sla_seconds)}) |" for e in status.endpoints()]
    lines += ["", "A probe with `{date}` is G's file, else G − 1's; one ending in `/` is the newest object directly "
              "under that folder.", ""]
    lines += field_table(published.schema) + [""]
    lines += example_block(f"Example: `{published.path}` (lists trimmed to {EXAMPLE_LIST_ITEMS} items)",
                           read(bucket, published.path))
    lines += ["**Differences from the legacy file.**", "",
              "- `game_day`, `publisher_build`, `run` and `endpoints` are new.",
              "- `grading` follows the results endpoint, `live_data` the live-grading endpoint; the legacy file probed "
              "`live/latest.json`, which is never written, so `live_data` was always unhealthy.", ""]
    return lines


def shared_objects() -> list[str]:
    defs = schemas.load("defs")["$defs"]
    lines = []
    for name in ("model_attribution", "model_version_info", "record", "record_windows_or_null", "bucket"):
        definition = defs[name]
        target = Fields("defs").object_form(definition) if "anyOf" in definition else definition
        lines += [f"#### {name}", "", definition.get("description", "") or "A record per window, or null.", "",
                  "| Field | Type | Meaning |", "|---|---|---|"]
        lines += [f"| `{field}` | {Fields('defs').type_of(schema)} | {cell(schema.get('description', ''))} |"
                  for field, schema in target.get("properties", {}).items()] + [""]
    return lines


def invalid_examples(bucket: LocalBucket, names: list[str], game_day: date) -> list[str]:
    problems = []
    for spec in catalog().values():
        for published in spec.documents:
            path = richest(bucket, published, names)
            if path:
                body = read(bucket, path)
                problems += contract.validate_document(path, body) + contract.hygiene_violations(path, body)
        for schema_name, body in empty_day(spec, game_day).items():
            problems += [f"empty {schema_name}: {problem}" for problem in contract.schema_errors(schema_name, body)]
    return problems


def render(bucket: LocalBucket, game_day: date) -> str:
    specs = catalog()
    names = sorted(info.name[3:] for info in bucket.list("v1/"))
    problems = invalid_examples(bucket, names, game_day)
    if problems:
        raise SystemExit("examples violate the contract:\n" + "\n".join(problems[:50]))
    jobs = load_jobs()
    conventions = (CONVENTIONS.read_text().replace("{base_url}", BASE_URL)
                   .replace("{gzip_min_bytes}", f"{GZIP_MIN_BYTES:,}")
                   .replace("{preview_origins}", ", ".join(f"`{o}`" for o in Settings().preview_cors_origins)))
    lines = [
        "# Public JSON API (v1): reference for website developers", "",
        f"Generated by `docs/build_api_reference.py` from the endpoint declarations (each exporter's `SPEC`), the JSON "
        f"schemas in `schemas/`, `scheduler/jobs.yaml` and the demo season (as-of game day {game_day}); do not edit by "
        "hand: `tests/test_api_reference.py` fails when this file is out of date. The conventions come from "
        "`docs/api-conventions.md`.", "",
        "## Endpoints", "", *index_table(specs), "",
        conventions.rstrip(), "",
        "## What to poll for what", "", *poll_table(specs, jobs), "",
        "## Shared objects", "", *shared_objects(),
        "## Endpoint reference", "",
    ]
    for name, spec in specs.items():
        lines += section(name, spec, bucket, names, game_day, jobs)
    lines += status_section(bucket)
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="an existing demo warehouse (copied, never modified)")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "api.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="api-reference-") as directory:
        work = Path(directory)
        warehouse = work / "demo.duckdb"
        if args.warehouse:
            shutil.copy(args.warehouse, warehouse)
        else:
            from phase6.demo import DemoParams, build_demo

            build_demo(warehouse, DemoParams())
        bucket, game_day = build_bucket(warehouse, work)
        args.output.write_text(render(bucket, game_day))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
