"""status.json (docs/api.md, "Status"): the freshness of every endpoint's probe object and the run's own result.

Which endpoints, which object each one probes and its SLA come from the catalogue (each spec's `probe`):
`endpoints()`. `probe_paths` says which objects to stat; `build_status` is the pure builder from what was found;
`schema()` is schemas/status.json with the catalogue's export types filled in. The body carries no error text,
table name or system id.
"""
from __future__ import annotations

import copy
import math
import re
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping

from exporters import catalog

from .catalog import ExportSpec, Published
from .formats import r1
from .storage.base import Bucket, ObjectInfo

DOCUMENT = Published("status.json", "status", max_age=60)  # written at the end of every run, whatever its mode
STATUS_PATH = DOCUMENT.path
STATUS_MAX_AGE = DOCUMENT.max_age
HOUR = 3600


@dataclass(frozen=True)
class Endpoint:
    export_type: str
    probe: str  # a path; with "{date}": G, else G − 1; ending in "/": the newest object directly under it
    sla_seconds: int


def endpoints(specs: Iterable[ExportSpec] | None = None) -> tuple[Endpoint, ...]:
    """One entry per spec that declares a probe (every spec of the catalogue does), in catalogue order."""
    chosen = catalog().values() if specs is None else specs
    return tuple(Endpoint(spec.name, spec.probe.path, spec.probe.sla_seconds) for spec in chosen if spec.probe)


# The legacy status.json services, each following one endpoint; overall status and services read only the probes.
SERVICES = (("tonight_data", "tonight"), ("grading", "results"), ("predictions", "predictions"), ("live_data", "live-grading"))


def probe_paths(game_day: date, probed: Iterable[Endpoint] | None = None) -> list[tuple[str, list[str]]]:
    """Per export type, the candidate paths (relative to v1/) in order of preference: the first that exists is
    probed. A candidate ending in "/" means the newest object directly under that prefix."""
    candidates = []
    for endpoint in endpoints() if probed is None else probed:
        if "{date}" in endpoint.probe:
            days = (game_day, game_day - timedelta(days=1))
            candidates.append((endpoint.export_type, [endpoint.probe.format(date=day.isoformat()) for day in days]))
        else:
            candidates.append((endpoint.export_type, [endpoint.probe]))
    return candidates


def newest_directly_under(prefix: str, objects: list[ObjectInfo]) -> ObjectInfo | None:
    """The most recently updated object whose name is `prefix` followed by a name without "/"."""
    direct = [info for info in objects if info.name.startswith(prefix) and "/" not in info.name[len(prefix):]]
    return max(direct, key=lambda info: (info.updated, info.name), default=None)


def endpoint_entry(endpoint: Endpoint, candidates: list[str], found: ObjectInfo | None, now: datetime) -> dict[str, Any]:
    age = age_seconds(found, now)
    return {
        "export_type": endpoint.export_type,
        "path": found.name if found else candidates[0],
        "last_written_at": found.updated if found else None,
        "age_seconds": age,
        "sla_seconds": endpoint.sla_seconds,
        "status": "ok" if age is not None and age <= endpoint.sla_seconds else "stale",
    }


def age_seconds(found: ObjectInfo | None, now: datetime) -> int | None:
    return None if found is None else math.floor((now - found.updated).total_seconds())


def health(entry: Mapping[str, Any]) -> str:
    if entry["last_written_at"] is None:
        return "unhealthy"
    return "degraded" if entry["status"] == "stale" else "healthy"


def describe(age: int | None, sla_seconds: int | None = None) -> str:
    if age is None:
        return "No data published yet"
    text = f"Last updated {age / HOUR:.1f} hours ago"
    if sla_seconds is not None and age > sla_seconds:
        text += f", later than expected ({sla_seconds // HOUR} hours)"
    return text


def service(status: str, age: int | None, last_update: datetime | None, is_stale: bool, sla: int | None) -> dict[str, Any]:
    return {
        "status": status,
        "message": describe(age, sla),
        "last_update": last_update,
        "age_minutes": r1(age / 60) if age is not None else None,
        "is_stale": is_stale,
    }


def endpoint_service(entry: Mapping[str, Any]) -> dict[str, Any]:
    stale = entry["status"] == "stale"
    return service(health(entry), entry["age_seconds"], entry["last_written_at"], stale, entry["sla_seconds"])


def overall_status(endpoints: list[dict[str, Any]]) -> str:
    states = {health(entry) for entry in endpoints}
    for status in ("unhealthy", "degraded"):
        if status in states:
            return status
    return "healthy"


def known_issues(endpoints: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "severity": health(entry),
            "message": f"{entry['export_type']}: {describe(entry['age_seconds'], entry['sla_seconds'])}",
            "detected_at": now,
        }
        for entry in endpoints
        if entry["status"] != "ok"
    ]


def run_section(run: Mapping[str, Any]) -> dict[str, Any]:
    """The run summary from a RunRecord.document(): statuses only, never error text."""
    request = run["request"]
    return {
        "run_id": run["run_id"],
        "correlation_id": request.get("correlation_id") or run["run_id"],
        "mode": request["mode"],
        "target_date": str(request["target_date"]),
        "status": run["status"],
        "started_at": run["started_at"],
        "finished_at": run["finished_at"],
        "exports": {name: result["status"] for name, result in run["exports"].items()},
    }


def build_status(
    *,
    generated_at: datetime,
    game_day: date,
    publisher_build: str | None,
    run: Mapping[str, Any],
    probes: Mapping[str, ObjectInfo | None],
    probed: Iterable[Endpoint] | None = None,
) -> dict[str, Any]:
    """`probes`: export type → the object found for it (name relative to v1/) or None; `run`: RunRecord.document();
    `probed`: the endpoints listed (default: the catalogue's)."""
    listed = endpoints() if probed is None else tuple(probed)
    candidates = dict(probe_paths(game_day, listed))
    entries = [
        endpoint_entry(endpoint, candidates[endpoint.export_type], probes.get(endpoint.export_type), generated_at)
        for endpoint in listed
    ]
    by_type = {entry["export_type"]: entry for entry in entries}
    services = {name: endpoint_service(by_type[export_type]) if export_type in by_type else missing_service()
                for name, export_type in SERVICES}
    return {
        "updated_at": generated_at,
        "generated_at": generated_at,
        "game_day": game_day.isoformat(),
        "publisher_build": publisher_build,
        "overall_status": overall_status(entries),
        "services": services,
        "known_issues": known_issues(entries, generated_at),
        "maintenance_windows": [],
        "run": run_section(run),
        "endpoints": entries,
    }


def missing_service() -> dict[str, Any]:
    """A legacy service whose endpoint this deployment does not publish."""
    return service("unhealthy", None, None, True, None)


def collect_probes(bucket: Bucket, object_prefix: str, game_day: date, probed: Iterable[Endpoint] | None = None,
                   pool: Executor | None = None) -> dict[str, ObjectInfo | None]:
    """Stats every endpoint's candidates (the first that exists wins); names come back relative to v1/. With a
    `pool`, the endpoints are probed at once (each stat is a round trip)."""
    paths = probe_paths(game_day, probed)

    def first_found(candidates: list[str]) -> ObjectInfo | None:
        return next((found for found in (stat_candidate(bucket, object_prefix, path) for path in candidates) if found),
                    None)

    found = (pool.map if pool else map)(first_found, [candidates for _, candidates in paths])
    return {export_type: info for (export_type, _), info in zip(paths, found)}


def stat_candidate(bucket: Bucket, object_prefix: str, path: str) -> ObjectInfo | None:
    if path.endswith("/"):
        found = newest_directly_under(object_prefix + path, bucket.list(object_prefix + path, recursive=False))
    else:
        found = bucket.stat(object_prefix + path)
    return replace(found, name=found.name[len(object_prefix):]) if found else None


def schema(base: Mapping[str, Any], probed: Iterable[Endpoint] | None = None) -> dict[str, Any]:
    """schemas/status.json (`base`) with what the catalogue decides: the export types a run or an endpoint entry
    may name, and the endpoints in order, each with its probe path and SLA."""
    listed = endpoints() if probed is None else tuple(probed)
    bound = copy.deepcopy(dict(base))
    bound["$defs"]["export_type"]["enum"] = [endpoint.export_type for endpoint in listed]
    entries = bound["properties"]["endpoints"]
    entries["minItems"] = len(listed)
    entries["prefixItems"] = [
        {"$ref": "#/$defs/endpoint", "properties": {
            "export_type": {"const": endpoint.export_type}, "path": probed_path(endpoint.probe),
            "sla_seconds": {"const": endpoint.sla_seconds}}}
        for endpoint in listed
    ]
    entries["items"] = False
    return bound


def probed_path(probe: str) -> dict[str, str]:
    """The schema of an entry's `path`: the probe itself, a dated file for a "{date}" probe, or the prefix or one
    object directly under it."""
    if "{date}" in probe:
        before, after = probe.split("{date}")
        return {"pattern": "^" + re.escape(before) + r"\d{4}-\d{2}-\d{2}" + re.escape(after) + "$"}
    if probe.endswith("/"):
        return {"pattern": "^" + re.escape(probe) + r"([a-z0-9]+\.json)?$"}
    return {"const": probe}
