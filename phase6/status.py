"""status.json (api.md §3.16): the freshness of every endpoint's probe object and the run's own result.

`probe_paths` says which objects to stat; `build_status` is the pure builder from what was found.
The body carries no error text, table name or system id.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Mapping

from .formats import r1
from .storage.base import Bucket, ObjectInfo

STATUS_PATH = "status.json"
STATUS_MAX_AGE = 60
HOUR = 3600


@dataclass(frozen=True)
class Endpoint:
    export_type: str
    probe: str  # a path; with "{date}": G, else G − 1; ending in "/": the newest object directly under it
    sla_seconds: int


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("results", "results/latest.json", 30 * HOUR),
    Endpoint("performance", "systems/performance.json", 30 * HOUR),
    Endpoint("best-bets", "best-bets/latest.json", 26 * HOUR),
    Endpoint("predictions", "predictions/today.json", 26 * HOUR),
    Endpoint("tonight", "tonight/all-players.json", 12 * HOUR),
    Endpoint("tonight-players", "tonight/player/", 12 * HOUR),
    Endpoint("streaks", "streaks/today.json", 26 * HOUR),
    Endpoint("subset-picks", "picks/{date}.json", 26 * HOUR),
    Endpoint("daily-signals", "signals/{date}.json", 26 * HOUR),
    Endpoint("subset-performance", "subsets/performance.json", 26 * HOUR),
    Endpoint("subset-definitions", "systems/subsets.json", 48 * HOUR),
    Endpoint("season-subsets", "subsets/season.json", 26 * HOUR),
    Endpoint("model-registry", "systems/models.json", 48 * HOUR),
    Endpoint("players", "players/index.json", 8 * 24 * HOUR),
    Endpoint("live-grading", "live-grading/latest.json", 26 * HOUR),
)

# The legacy status.json services, each following one endpoint; overall status and services read only the probes.
SERVICES = (("tonight_data", "tonight"), ("grading", "results"), ("predictions", "predictions"), ("live_data", "live-grading"))


def probe_paths(game_day: date) -> list[tuple[str, list[str]]]:
    """Per export type, the candidate paths (relative to v1/) in order of preference: the first that exists is
    probed. A candidate ending in "/" means the newest object directly under that prefix."""
    candidates = []
    for endpoint in ENDPOINTS:
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
) -> dict[str, Any]:
    """`probes`: export type → the object found for it (name relative to v1/) or None; `run`: RunRecord.document()."""
    candidates = dict(probe_paths(game_day))
    endpoints = [
        endpoint_entry(endpoint, candidates[endpoint.export_type], probes.get(endpoint.export_type), generated_at)
        for endpoint in ENDPOINTS
    ]
    by_type = {entry["export_type"]: entry for entry in endpoints}
    services = {name: endpoint_service(by_type[export_type]) for name, export_type in SERVICES}
    return {
        "updated_at": generated_at,
        "generated_at": generated_at,
        "game_day": game_day.isoformat(),
        "publisher_build": publisher_build,
        "overall_status": overall_status(endpoints),
        "services": services,
        "known_issues": known_issues(endpoints, generated_at),
        "maintenance_windows": [],
        "run": run_section(run),
        "endpoints": endpoints,
    }


def collect_probes(bucket: Bucket, object_prefix: str, game_day: date) -> dict[str, ObjectInfo | None]:
    """Stats every endpoint's candidates (the first that exists wins); names come back relative to v1/."""
    probes: dict[str, ObjectInfo | None] = {}
    for export_type, candidates in probe_paths(game_day):
        probes[export_type] = next(
            (found for found in (stat_candidate(bucket, object_prefix, path) for path in candidates) if found), None
        )
    return probes


def stat_candidate(bucket: Bucket, object_prefix: str, path: str) -> ObjectInfo | None:
    if path.endswith("/"):
        found = newest_directly_under(object_prefix + path, bucket.list(object_prefix + path, recursive=False))
    else:
        found = bucket.stat(object_prefix + path)
    return replace(found, name=found.name[len(object_prefix):]) if found else None
