"""monitoring/alerts.yaml → typed, checked declarations; and the alert tables of docs/operations.md made from them.

Checked offline when loaded: exact keys, unique names, known severities and durations; every log filter parses
(phase6/logquery.py) and names only LogEntry fields of monitoring/cloud_types.yaml, labels of its source's resource
type or, for the function's own logs, `jsonPayload` fields; every metric, resource type and label a condition
names is a log metric of the file or pinned in cloud_types.yaml. tests/test_monitoring.py checks the `jsonPayload`
fields against the lines a real run logs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from . import logquery

REPO = Path(__file__).resolve().parent.parent
ALERTS_FILE = REPO / "monitoring" / "alerts.yaml"
TYPES_FILE = REPO / "monitoring" / "cloud_types.yaml"
OPERATIONS_DOC = REPO / "docs" / "operations.md"
METRIC_PREFIX = "phase6/"
USER_METRIC = "logging.googleapis.com/user/"
FUNCTION_SOURCE = "function"
SEVERITIES = ("CRITICAL", "ERROR", "WARNING")
DURATION = re.compile(r"^(\d+)(s|m|h)$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
METRIC_NAME = re.compile(r"^phase6/[A-Za-z0-9_.-]{1,90}$")
UPTIME_PERIODS = (60, 300, 600, 900)
RE2_UNSUPPORTED = re.compile(r"\(\?<?[=!]|\\[1-9]")

SOURCE_KEYS = ("resource_type", "filter")
METRIC_KEYS = ("name", "source", "description", "filter", "labels")
CHECK_KEYS = ("name", "path", "period", "timeout")
MATCHER_KEYS = ("content_matches", "content_does_not_match")
ALERT_KEYS = ("name", "severity", "channels", "condition", "means", "todo", "fire")
CONDITION_KEYS = ("metric", "uptime_check", "resource", "labels", "window", "group_by", "above", "absent_for")


class MonitoringConfigError(ValueError):
    """The monitoring file is malformed; the message lists every problem found."""


@dataclass(frozen=True)
class CloudTypes:
    metric_types: dict[str, dict[str, Any]]
    resource_types: dict[str, list[str]]
    log_entry_fields: tuple[str, ...]


@dataclass(frozen=True)
class LogSource:
    name: str
    resource_type: str
    filter: str


@dataclass(frozen=True)
class LogMetric:
    name: str
    source: LogSource
    description: str
    filter: str
    labels: dict[str, str]  # label → the LogEntry field its value is extracted from

    @property
    def metric_type(self) -> str:
        return USER_METRIC + self.name

    def full_filter(self) -> str:
        """What Cloud Logging counts: the source's resource and clause, then the metric's own filter."""
        return f'resource.type="{self.source.resource_type}" AND {self.source.filter} AND ({self.filter})'


@dataclass(frozen=True)
class UptimeCheck:
    name: str
    path: str  # in the bucket
    period_seconds: int
    timeout_seconds: int
    pattern: str
    must_match: bool  # False: the check fails when the body matches


@dataclass(frozen=True)
class Condition:
    metric: str | None
    uptime_check: str | None
    resource: dict[str, tuple[str, ...]]
    labels: dict[str, tuple[str, ...]]
    window_seconds: int
    group_by: tuple[str, ...]
    above: float | None
    absent_for_seconds: int | None


@dataclass(frozen=True)
class Alert:
    name: str
    severity: str
    channels: tuple[str, ...]
    condition: Condition
    means: str
    todo: str
    fire: str


@dataclass(frozen=True)
class MonitoringConfig:
    sources: dict[str, LogSource]
    metrics: list[LogMetric]
    checks: list[UptimeCheck]
    alerts: list[Alert]
    types: CloudTypes

    def log_metric(self, name: str) -> LogMetric | None:
        return next((metric for metric in self.metrics if metric.name == name), None)

    def metric_shape(self, name: str) -> tuple[str, str, list[str], list[str]] | None:
        """(metric type, kind, resource types, metric labels) of a log metric of the file or a pinned type."""
        metric = self.log_metric(name)
        if metric:
            return metric.metric_type, "DELTA", [metric.source.resource_type], list(metric.labels)
        pinned = self.types.metric_types.get(name)
        if pinned:
            return name, pinned["kind"], list(pinned["resource_types"]), list(pinned["labels"])
        return None


def load_types(path: Path = TYPES_FILE) -> CloudTypes:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return CloudTypes(document["metric_types"], document["resource_types"], tuple(document["log_entry_fields"]))


def load(path: Path = ALERTS_FILE, types_path: Path = TYPES_FILE) -> MonitoringConfig:
    """Read and check the monitoring file; raises MonitoringConfigError listing every problem."""
    types = load_types(types_path)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise MonitoringConfigError(f"{path}: expected a mapping with log_sources, log_metrics, uptime_checks, alerts")
    problems: list[str] = []
    sources = {name: source for name, entry in (document.get("log_sources") or {}).items()
               if (source := check_source(name, entry, types, problems))}
    metrics = checked_list(document, "log_metrics", lambda where, entry: check_metric(where, entry, sources, types, problems), problems)
    checks = checked_list(document, "uptime_checks", lambda where, entry: check_uptime(where, entry, problems), problems)
    partial = MonitoringConfig(sources, metrics, checks, [], types)
    alerts = checked_list(document, "alerts", lambda where, entry: check_alert(where, entry, partial, problems), problems)
    if problems:
        raise MonitoringConfigError(f"{path}:\n" + "\n".join(f"- {problem}" for problem in problems))
    return MonitoringConfig(sources, metrics, checks, alerts, types)


def checked_list(document: dict, key: str, check: Callable[[str, dict], Any], problems: list[str]) -> list:
    entries = document.get(key)
    if not isinstance(entries, list) or not entries:
        problems.append(f"expected a non-empty list '{key}'")
        return []
    items = []
    for index, entry in enumerate(entries):
        where = f"{key}[{index}] ({entry.get('name', '?') if isinstance(entry, dict) else '?'})"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping")
        elif (item := check(where, entry)) is not None:
            items.append(item)
    names = [item.name for item in items]
    problems.extend(f"{key}: name {name!r} is declared more than once" for name in sorted({n for n in names if names.count(n) > 1}))
    return items


def keys_problems(where: str, entry: dict, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[str]:
    missing = [key for key in required if key not in entry]
    unknown = sorted(set(entry) - set(required) - set(optional))
    return ([f"{where}: missing {', '.join(missing)}"] if missing else []) + ([f"{where}: unknown keys {', '.join(unknown)}"] if unknown else [])


def check_source(name: str, entry: Any, types: CloudTypes, problems: list[str]) -> LogSource | None:
    where = f"log_sources.{name}"
    if not isinstance(entry, dict):
        problems.append(f"{where}: expected a mapping")
        return None
    found = keys_problems(where, entry, SOURCE_KEYS)
    if not found and entry["resource_type"] not in types.resource_types:
        found.append(f"{where}: resource type {entry['resource_type']!r} is not in monitoring/cloud_types.yaml")
    if not found:
        source = LogSource(name, entry["resource_type"], entry["filter"])
        found.extend(f"{where}: {problem}" for problem in filter_problems(source.filter, source, types))
    problems.extend(found)
    return None if found else source


def filter_problems(text: str, source: LogSource, types: CloudTypes) -> list[str]:
    """A filter that does not parse, or names a field that is neither pinned nor the source's own."""
    try:
        named = logquery.fields(text)
    except logquery.QueryError as error:
        return [str(error)]
    return [f"field {name!r} is not a known field of {source.resource_type} log entries" for name in sorted(named)
            if not is_known_field(name, source, types)]


def is_known_field(name: str, source: LogSource, types: CloudTypes) -> bool:
    if name.startswith("jsonPayload."):
        return source.name == FUNCTION_SOURCE  # which fields: checked against a real run's lines in the tests
    if name.startswith("resource.labels."):
        return name.removeprefix("resource.labels.") in types.resource_types[source.resource_type]
    return name in types.log_entry_fields


def check_metric(where: str, entry: dict, sources: dict[str, LogSource], types: CloudTypes, problems: list[str]) -> LogMetric | None:
    found = keys_problems(where, entry, METRIC_KEYS)
    if found:
        problems.extend(found)
        return None
    if not METRIC_NAME.match(str(entry["name"])):
        found.append(f"{where}: name must match {METRIC_NAME.pattern} (the prefix is how --prune knows its metrics)")
    source = sources.get(entry["source"])
    if source is None:
        found.append(f"{where}: unknown source {entry['source']!r}; declared: {', '.join(sorted(sources))}")
    if not isinstance(entry["labels"], dict):
        found.append(f"{where}: labels must be a mapping of label → LogEntry field")
    if found:
        problems.extend(found)
        return None
    found.extend(f"{where}: {problem}" for problem in filter_problems(entry["filter"], source, types))
    found.extend(f"{where}: label {label}: field {field!r} is not a known field of {source.resource_type} log entries"
                 for label, field in entry["labels"].items() if not is_known_field(str(field), source, types))
    problems.extend(found)
    return None if found else LogMetric(entry["name"], source, entry["description"], entry["filter"], dict(entry["labels"]))


def check_uptime(where: str, entry: dict, problems: list[str]) -> UptimeCheck | None:
    found = keys_problems(where, entry, CHECK_KEYS, MATCHER_KEYS)
    matchers = [key for key in MATCHER_KEYS if key in entry]
    if len(matchers) != 1:
        found.append(f"{where}: exactly one of {', '.join(MATCHER_KEYS)} (Cloud Monitoring uses only the first matcher)")
    if found:
        problems.extend(found)
        return None
    period, timeout = seconds(entry["period"], where, found), seconds(entry["timeout"], where, found)
    if period is not None and period not in UPTIME_PERIODS:
        found.append(f"{where}: period must be one of {', '.join(f'{p}s' for p in UPTIME_PERIODS)}")
    if timeout is not None and not 1 <= timeout <= 60:
        found.append(f"{where}: timeout must be from 1s to 60s")
    pattern = entry[matchers[0]]
    try:
        re.compile(pattern)
    except re.error as error:
        found.append(f"{where}: {matchers[0]} is not a regular expression: {error}")
    if RE2_UNSUPPORTED.search(pattern):
        found.append(f"{where}: {matchers[0]} uses a lookaround or backreference, not supported by Cloud Monitoring's RE2")
    problems.extend(found)
    if found:
        return None
    return UptimeCheck(entry["name"], str(entry["path"]).lstrip("/"), period, timeout, pattern, matchers[0] == "content_matches")


def check_alert(where: str, entry: dict, config: MonitoringConfig, problems: list[str]) -> Alert | None:
    found = keys_problems(where, entry, ALERT_KEYS)
    if found:
        problems.extend(found)
        return None
    if entry["severity"] not in SEVERITIES:
        found.append(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
    channels = entry["channels"]
    if not isinstance(channels, list) or not channels or not all(isinstance(c, str) and c for c in channels):
        found.append(f"{where}: channels must be a non-empty list of notification channel display names")
    for key in ("means", "todo", "fire"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            found.append(f"{where}: {key} must be non-empty text")
    condition = check_condition(where, entry["condition"], config, found)
    problems.extend(found)
    if found:
        return None
    return Alert(entry["name"], entry["severity"], tuple(channels), condition, entry["means"].strip(), entry["todo"].strip(), entry["fire"].strip())


def check_condition(where: str, entry: Any, config: MonitoringConfig, found: list[str]) -> Condition | None:
    where = f"{where}: condition"
    if not isinstance(entry, dict):
        found.append(f"{where}: expected a mapping")
        return None
    before = len(found)
    found.extend(keys_problems(where, entry, (), CONDITION_KEYS))
    if ("metric" in entry) == ("uptime_check" in entry):
        found.append(f"{where}: exactly one of metric, uptime_check")
    elif "uptime_check" in entry:
        if entry["uptime_check"] not in {check.name for check in config.checks}:
            found.append(f"{where}: unknown uptime check {entry['uptime_check']!r}")
        extra = sorted(set(entry) - {"uptime_check"})
        if extra:
            found.append(f"{where}: an uptime check condition takes nothing else, found {', '.join(extra)}")
    else:
        metric_condition_problems(where, entry, config, found)
    if len(found) > before:
        return None
    return Condition(
        metric=entry.get("metric"),
        uptime_check=entry.get("uptime_check"),
        resource={key: as_tuple(value) for key, value in (entry.get("resource") or {}).items()},
        labels={key: as_tuple(value) for key, value in (entry.get("labels") or {}).items()},
        window_seconds=seconds(entry.get("window", "5m"), where, found) or 300,
        group_by=tuple(entry.get("group_by") or ()),
        above=float(entry["above"]) if "above" in entry else None,
        absent_for_seconds=seconds(entry["absent_for"], where, found) if "absent_for" in entry else None,
    )


def metric_condition_problems(where: str, entry: dict, config: MonitoringConfig, found: list[str]) -> None:
    shape = config.metric_shape(entry["metric"])
    if shape is None:
        found.append(f"{where}: metric {entry['metric']!r} is neither a log metric of this file nor in monitoring/cloud_types.yaml")
        return
    _, _, resource_types, metric_labels = shape
    if ("above" in entry) == ("absent_for" in entry):
        found.append(f"{where}: exactly one of above, absent_for")
    if "above" in entry and not isinstance(entry["above"], (int, float)):
        found.append(f"{where}: above must be a number")
    for key in ("window", "absent_for"):
        if key in entry:
            seconds(entry[key], where, found)
    resource_labels = {label for resource_type in resource_types for label in config.types.resource_types[resource_type]}
    for key in entry.get("resource") or {}:
        if key not in resource_labels:
            found.append(f"{where}: {', '.join(resource_types)} has no label {key!r}")
    for key in [*(entry.get("labels") or {}), *(entry.get("group_by") or [])]:
        if key not in metric_labels:
            found.append(f"{where}: metric {entry['metric']!r} has no label {key!r}")


def as_tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, list) else (str(value),)


def seconds(text: Any, where: str, found: list[str]) -> int | None:
    match = DURATION.match(str(text))
    if not match:
        found.append(f"{where}: duration {text!r} must look like 90s, 5m or 2h")
        return None
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


# --- docs/operations.md -----------------------------------------------------------------------------------------

DOC_BEGIN = "<!-- alerts: generated from monitoring/alerts.yaml by `python -m phase6 monitoring docs --write`; do not edit by hand -->"
DOC_END = "<!-- alerts: end of generated section -->"


def duration_text(total: int) -> str:
    for unit, size in (("h", 3600), ("min", 60)):
        if total % size == 0:
            return f"{total // size} {unit}"
    return f"{total} s"


def cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def condition_text(condition: Condition) -> str:
    if condition.uptime_check:
        return f"uptime check **{condition.uptime_check}** failing from more than one region"
    where = "".join(f" on {key} {' or '.join(f'`{v}`' for v in values)}" for key, values in condition.resource.items())
    where += "".join(f", {key} {' or '.join(f'`{v}`' for v in values)}" for key, values in condition.labels.items())
    if condition.absent_for_seconds:
        return f"no `{condition.metric}`{where} for {duration_text(condition.absent_for_seconds)}"
    per = f" per {', '.join(condition.group_by)}" if condition.group_by else ""
    return f"`{condition.metric}`{where} > {condition.above:g} in {duration_text(condition.window_seconds)}{per}"


def docs_section(config: MonitoringConfig) -> str:
    """The generated part of docs/operations.md's alert section, markers included."""
    lines = [DOC_BEGIN, "", "| alert | severity | condition | what it means | what to do |", "|---|---|---|---|---|"]
    lines += [f"| **{alert.name}** | {alert.severity} | {cell(condition_text(alert.condition))} | {cell(alert.means)} | {cell(alert.todo)} |"
              for alert in config.alerts]
    lines += ["", "Log-based metrics (counters, one per matching log entry; `{project}` and `{bucket}` are filled in at apply time):", "",
              "| metric | counts | filter |", "|---|---|---|"]
    lines += [f"| `{metric.name}` | {cell(metric.description)} | `{cell(metric.full_filter())}` |" for metric in config.metrics]
    lines += ["", "Uptime checks (HTTPS, from three regions, on `https://storage.googleapis.com/{bucket}/...`):", "",
              "| check | path | period | passes when the body |", "|---|---|---|---|"]
    lines += [f"| **{check.name}** | `{check.path}` | {duration_text(check.period_seconds)} | "
              f"{'matches' if check.must_match else 'does not match'} `{cell(check.pattern)}` |" for check in config.checks]
    lines += ["", "### Fire each alert on purpose (staging)", "",
              "In a staging project deployed by the same build (`TRIGGER=pubsub://STAGING/phase6-export-trigger`), each of "
              "these makes its alert open an incident within a few minutes of the condition's window:", "",
              "| alert | how |", "|---|---|"]
    lines += [f"| **{alert.name}** | {cell(alert.fire)} |" for alert in config.alerts]
    return "\n".join([*lines, "", DOC_END])


def with_docs_section(document: str, section: str) -> str:
    """`document` with its generated section replaced; raises when the markers are missing."""
    start, end = document.find(DOC_BEGIN), document.find(DOC_END)
    if start < 0 or end < start:
        raise MonitoringConfigError(f"the alert section markers are missing from {OPERATIONS_DOC.name}")
    return document[:start] + section + document[end + len(DOC_END):]
