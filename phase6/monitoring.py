"""Monitoring as config: monitoring/alerts.yaml → the exact log metrics, uptime checks and alert policies the Cloud
Logging and Cloud Monitoring APIs receive; plan / apply / drift like the scheduler jobs (phase6/schedules.py).

`plan` compares the file with what is live and lists one action per resource: create, update (in place, naming
the changed fields), unchanged, or prune (only with `prune=True`, and only for resources the file no longer
declares that carry the project's mark). Uptime checks and alert policies are matched by display name and marked
with the user label `managed-by: phase6`; log metrics have no labels, so their mark is the name prefix `phase6/`.
A hand-made policy or check with a declared name is taken over (updated in place and labelled), never duplicated.

An alert policy names its notification channels and uptime checks by resource name, which exist only in the
project: `apply` looks them up by display name (channels first, so a missing one fails before anything is
written) and renders the policies after creating the checks. Offline, both are shown as placeholders.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable, Iterable, Literal

from google.api import label_pb2, metric_pb2, monitored_resource_pb2
from google.cloud import monitoring_v3
from google.cloud.logging_v2.services.metrics_service_v2 import MetricsServiceV2Client
from google.cloud.logging_v2.types import LogMetric
from google.protobuf import field_mask_pb2, json_format

from .monitoring_config import Alert, Condition, MonitoringConfig, UptimeCheck
from .monitoring_config import LogMetric as LogMetricSpec
from .monitoring_config import METRIC_PREFIX

LABEL_KEY, LABEL_VALUE = "managed-by", "phase6"
UPTIME_HOST = "storage.googleapis.com"
UPTIME_METRIC = "monitoring.googleapis.com/uptime_check/check_passed"
UPTIME_WINDOW = timedelta(minutes=20)
UPTIME_FAILING_REGIONS = 1  # more than this many checker regions failing opens an incident
UPTIME_REGIONS = ("USA", "EUROPE", "ASIA_PACIFIC")

ActionKind = Literal["create", "update", "unchanged", "prune"]
Policy, Check, Channel = monitoring_v3.AlertPolicy, monitoring_v3.UptimeCheckConfig, monitoring_v3.NotificationChannel


class MonitoringError(RuntimeError):
    """Something the project must provide is missing (a notification channel) or ambiguous (two live policies with one name)."""


@dataclass(frozen=True)
class Target:
    project: str
    bucket: str

    @property
    def parent(self) -> str:
        return f"projects/{self.project}"

    def fill(self, text: str) -> str:
        return text.replace("{project}", self.project).replace("{bucket}", self.bucket)


@dataclass
class Clients:
    """The official clients; tests build them on an insecure channel to an in-process fake of the same gRPC APIs."""

    metrics: MetricsServiceV2Client
    checks: monitoring_v3.UptimeCheckServiceClient
    policies: monitoring_v3.AlertPolicyServiceClient
    channels: monitoring_v3.NotificationChannelServiceClient

    @classmethod
    def default(cls) -> "Clients":
        return cls(MetricsServiceV2Client(), monitoring_v3.UptimeCheckServiceClient(),
                   monitoring_v3.AlertPolicyServiceClient(), monitoring_v3.NotificationChannelServiceClient())


@dataclass
class Refs:
    """Resource names by display name, or None offline (placeholders are rendered instead)."""

    check_ids: dict[str, str] | None = None
    channels: dict[str, str] | None = None

    def check_id(self, name: str) -> str:
        return (self.check_ids or {}).get(name) or f"<id of uptime check {name!r}>"

    def channel(self, name: str) -> str:
        if self.channels is None:
            return f"<notification channel {name!r}>"
        if name not in self.channels:
            known = ", ".join(sorted(self.channels)) or "none"
            raise MonitoringError(f"notification channel {name!r} does not exist in the project (channels: {known}); create it once, see docs/deployment.md")
        return self.channels[name]


# --- rendering: the exact objects the APIs receive ---------------------------------------------------------------


def render_metric(spec: LogMetricSpec, target: Target) -> LogMetric:
    return LogMetric(
        name=spec.name,
        description=spec.description,
        filter=target.fill(spec.full_filter()),
        metric_descriptor=metric_pb2.MetricDescriptor(
            metric_kind=metric_pb2.MetricDescriptor.MetricKind.DELTA,
            value_type=metric_pb2.MetricDescriptor.ValueType.INT64,
            unit="1",
            labels=[label_pb2.LabelDescriptor(key=key, value_type=label_pb2.LabelDescriptor.ValueType.STRING) for key in spec.labels],
        ),
        label_extractors={key: f"EXTRACT({path})" for key, path in spec.labels.items()},
    )


def render_check(spec: UptimeCheck, target: Target) -> Check:
    matcher = Check.ContentMatcher.ContentMatcherOption
    return Check(
        display_name=spec.name,
        monitored_resource=monitored_resource_pb2.MonitoredResource(type="uptime_url", labels={"project_id": target.project, "host": UPTIME_HOST}),
        http_check=Check.HttpCheck(
            request_method=Check.HttpCheck.RequestMethod.GET,
            use_ssl=True,
            validate_ssl=True,
            port=443,
            path=f"/{target.bucket}/{spec.path}",
            accepted_response_status_codes=[Check.HttpCheck.ResponseStatusCode(status_class=Check.HttpCheck.ResponseStatusCode.StatusClass.STATUS_CLASS_2XX)],
        ),
        period=timedelta(seconds=spec.period_seconds),
        timeout=timedelta(seconds=spec.timeout_seconds),
        content_matchers=[Check.ContentMatcher(content=spec.pattern, matcher=matcher.MATCHES_REGEX if spec.must_match else matcher.NOT_MATCHES_REGEX)],
        selected_regions=[monitoring_v3.UptimeCheckRegion[region] for region in UPTIME_REGIONS],
        checker_type=Check.CheckerType.STATIC_IP_CHECKERS,
        user_labels={LABEL_KEY: LABEL_VALUE},
    )


def render_policy(alert: Alert, config: MonitoringConfig, target: Target, refs: Refs) -> Policy:
    return Policy(
        display_name=alert.name,
        documentation=Policy.Documentation(content=documentation(alert), mime_type="text/markdown"),
        user_labels={LABEL_KEY: LABEL_VALUE},
        conditions=[render_condition(alert, config, refs)],
        combiner=Policy.ConditionCombinerType.OR,
        enabled=True,
        notification_channels=[refs.channel(name) for name in alert.channels],
        severity=Policy.Severity[alert.severity],
    )


def documentation(alert: Alert) -> str:
    return f"**What it means:** {alert.means}\n\n**What to do:** {alert.todo}\n\nRunbook: docs/operations.md, \"Alerts and what they mean\"."


def render_condition(alert: Alert, config: MonitoringConfig, refs: Refs) -> Policy.Condition:
    condition = alert.condition
    if condition.uptime_check:
        return uptime_condition(condition.uptime_check, refs)
    metric_type, kind, resource_types, _ = config.metric_shape(condition.metric)
    series = " AND ".join([f'metric.type="{metric_type}"', f'resource.type="{resource_types[0]}"',
                           *(label_clause(f"resource.label.{k}", v) for k, v in condition.resource.items()),
                           *(label_clause(f"metric.label.{k}", v) for k, v in condition.labels.items())])
    aggregation = monitoring_v3.Aggregation(
        alignment_period=timedelta(seconds=condition.window_seconds),
        per_series_aligner=monitoring_v3.Aggregation.Aligner.ALIGN_SUM if kind == "DELTA" else monitoring_v3.Aggregation.Aligner.ALIGN_MAX,
        cross_series_reducer=monitoring_v3.Aggregation.Reducer.REDUCE_SUM if kind == "DELTA" else monitoring_v3.Aggregation.Reducer.REDUCE_MAX,
        group_by_fields=[f"metric.label.{label}" for label in condition.group_by],
    )
    trigger = Policy.Condition.Trigger(count=1)
    if condition.absent_for_seconds:
        return Policy.Condition(display_name=condition_name(condition), condition_absent=Policy.Condition.MetricAbsence(
            filter=series, aggregations=[aggregation], duration=timedelta(seconds=condition.absent_for_seconds), trigger=trigger))
    return Policy.Condition(display_name=condition_name(condition), condition_threshold=Policy.Condition.MetricThreshold(
        filter=series, aggregations=[aggregation], comparison=monitoring_v3.ComparisonType.COMPARISON_GT,
        threshold_value=condition.above, duration=timedelta(0), trigger=trigger))


def uptime_condition(check: str, refs: Refs) -> Policy.Condition:
    series = f'metric.type="{UPTIME_METRIC}" AND resource.type="uptime_url" AND metric.label.check_id="{refs.check_id(check)}"'
    aggregation = monitoring_v3.Aggregation(
        alignment_period=UPTIME_WINDOW,
        per_series_aligner=monitoring_v3.Aggregation.Aligner.ALIGN_NEXT_OLDER,
        cross_series_reducer=monitoring_v3.Aggregation.Reducer.REDUCE_COUNT_FALSE,
        group_by_fields=["resource.label.project_id", "resource.label.host"],
    )
    return Policy.Condition(display_name=f"uptime check {check!r} failing", condition_threshold=Policy.Condition.MetricThreshold(
        filter=series, aggregations=[aggregation], comparison=monitoring_v3.ComparisonType.COMPARISON_GT,
        threshold_value=UPTIME_FAILING_REGIONS, duration=timedelta(minutes=1), trigger=Policy.Condition.Trigger(count=1)))


def label_clause(name: str, values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return f'{name}="{values[0]}"'
    return f"{name}=one_of({', '.join(json.dumps(value) for value in values)})"


def condition_name(condition: Condition) -> str:
    if condition.absent_for_seconds:
        return f"{condition.metric} absent for {condition.absent_for_seconds}s"
    return f"{condition.metric} > {condition.above:g} in {condition.window_seconds}s"


# --- the three kinds of resource, as plan/apply see them --------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How one kind of resource is keyed, compared, marked and written."""

    label: str
    key: Callable[[Any], str]
    managed_fields: tuple[str, ...]
    is_marked: Callable[[Any], bool]
    server_owned: Callable[[dict], dict]  # drops what the server assigns, so live and desired compare

    def comparable(self, resource: Any) -> dict[str, Any]:
        document = self.server_owned(as_dict(resource))
        return {name: document.get(name) for name in self.managed_fields}


def as_dict(resource: Any) -> dict[str, Any]:
    return json_format.MessageToDict(type(resource).pb(resource), preserving_proto_field_name=True)


def without(document: dict, *names: str) -> dict:
    return {key: value for key, value in document.items() if key not in names}


def metric_server_owned(document: dict) -> dict:
    descriptor = document.get("metric_descriptor", {})
    kept = {key: descriptor[key] for key in ("metric_kind", "value_type", "unit", "labels") if key in descriptor}
    return {**without(document, "create_time", "update_time", "version"), "metric_descriptor": kept}


def policy_server_owned(document: dict) -> dict:
    conditions = [without(condition, "name") for condition in document.get("conditions", [])]
    return {**without(document, "name", "creation_record", "mutation_record"), "conditions": conditions}


def is_labelled(resource: Any) -> bool:
    return resource.user_labels.get(LABEL_KEY) == LABEL_VALUE


LOG_METRICS = Kind("log metric", lambda m: m.name,
                   ("description", "filter", "metric_descriptor", "label_extractors", "value_extractor", "bucket_options", "disabled"),
                   lambda m: m.name.startswith(METRIC_PREFIX), metric_server_owned)
UPTIME_CHECKS = Kind("uptime check", lambda c: c.display_name,
                     ("http_check", "monitored_resource", "period", "timeout", "content_matchers", "selected_regions", "checker_type", "user_labels"),
                     is_labelled, lambda document: without(document, "name"))
ALERT_POLICIES = Kind("alert policy", lambda p: p.display_name,
                      ("documentation", "user_labels", "conditions", "combiner", "enabled", "notification_channels", "severity"),
                      is_labelled, policy_server_owned)


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    resource: Kind
    desired: Any  # the declared resource (None for prune)
    live: Any = None  # the live one, when there is one
    changed: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.resource.key(self.desired if self.desired is not None else self.live)


def plan_kind(kind: Kind, desired: list, live: Iterable, prune: bool) -> list[Action]:
    """One action per declared resource, in file order; then prunes of marked live ones the file does not declare."""
    live_by_key: dict[str, Any] = {}
    for resource in live:
        key = kind.key(resource)
        if key in live_by_key:
            raise MonitoringError(f"two live {kind.label}s are named {key!r}; delete the extra one by hand")
        live_by_key[key] = resource
    actions = []
    for resource in desired:
        current = live_by_key.get(kind.key(resource))
        if current is None:
            actions.append(Action("create", kind, resource))
            continue
        wanted, found = kind.comparable(resource), kind.comparable(current)
        changed = tuple(name for name in kind.managed_fields if wanted[name] != found[name])
        actions.append(Action("update" if changed else "unchanged", kind, resource, current, changed))
    if prune:
        declared = {kind.key(resource) for resource in desired}
        actions.extend(Action("prune", kind, None, resource) for key, resource in sorted(live_by_key.items())
                       if key not in declared and kind.is_marked(resource))
    return actions


# --- live state --------------------------------------------------------------------------------------------------


@dataclass
class Live:
    metrics: list[LogMetric] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)

    @classmethod
    def read(cls, clients: Clients, target: Target) -> "Live":
        return cls(
            metrics=list(clients.metrics.list_log_metrics(parent=target.parent)),
            checks=list(clients.checks.list_uptime_check_configs(parent=target.parent)),
            policies=list(clients.policies.list_alert_policies(name=target.parent)),
            channels=list(clients.channels.list_notification_channels(name=target.parent)),
        )

    def refs(self) -> Refs:
        return Refs(check_ids={check.display_name: check.name.rsplit("/", 1)[-1] for check in self.checks},
                    channels=channel_names(self.channels))


def channel_names(channels: Iterable[Channel]) -> dict[str, str]:
    by_name: dict[str, str] = {}
    for channel in channels:
        if channel.display_name in by_name:
            raise MonitoringError(f"two notification channels are named {channel.display_name!r}; rename one")
        by_name[channel.display_name] = channel.name
    return by_name


@dataclass
class Plan:
    metrics: list[Action]
    checks: list[Action]
    policies: list[Action]

    def actions(self) -> list[Action]:
        """In the order apply performs them: creates and updates first, prunes of policies before what they read."""
        writes = [a for a in (*self.metrics, *self.checks, *self.policies) if a.kind != "prune"]
        prunes = [a for a in (*self.policies, *self.checks, *self.metrics) if a.kind == "prune"]
        return writes + prunes


def plan(config: MonitoringConfig, target: Target, live: Live | None, prune: bool = False) -> Plan:
    """Against `live`, or against nothing (offline: every resource is a create, references are placeholders)."""
    current = live or Live()
    refs = live.refs() if live else Refs()
    return Plan(
        metrics=plan_kind(LOG_METRICS, [render_metric(m, target) for m in config.metrics], current.metrics, prune),
        checks=plan_kind(UPTIME_CHECKS, [render_check(c, target) for c in config.checks], current.checks, prune),
        policies=plan_kind(ALERT_POLICIES, [render_policy(a, config, target, refs) for a in config.alerts], current.policies, prune),
    )


def apply(clients: Clients, config: MonitoringConfig, target: Target, prune: bool = False) -> Plan:
    """Metrics, then uptime checks, then policies rendered with the checks' ids; prunes last. Unchanged costs no call."""
    live = Live.read(clients, target)
    require_channels(config, live.refs())
    first = plan(config, target, live, prune)
    for action in (*first.metrics, *first.checks):
        if action.kind != "prune":
            perform(clients, target, action)
    live.checks = list(clients.checks.list_uptime_check_configs(parent=target.parent))
    done = Plan(first.metrics, first.checks, plan(config, target, live, prune).policies)
    for action in done.policies:
        if action.kind != "prune":
            perform(clients, target, action)
    for action in done.actions():
        if action.kind == "prune":
            perform(clients, target, action)
    return done


def require_channels(config: MonitoringConfig, refs: Refs) -> None:
    """Fails on the first channel the project lacks, before anything is written."""
    for alert in config.alerts:
        for name in alert.channels:
            refs.channel(name)


def perform(clients: Clients, target: Target, action: Action) -> None:
    if action.kind != "unchanged":
        CALLS[(action.resource.label, action.kind)](clients, target, action)


def update_mask(action: Action) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(action.changed))


def with_live_name(action: Action) -> Any:
    resource = type(action.desired)(action.desired)
    resource.name = action.live.name
    return resource


CALLS: dict[tuple[str, str], Callable[[Clients, Target, Action], Any]] = {
    ("log metric", "create"): lambda c, t, a: c.metrics.create_log_metric(parent=t.parent, metric=a.desired),
    ("log metric", "update"): lambda c, t, a: c.metrics.update_log_metric(metric_name=f"{t.parent}/metrics/{a.name}", metric=a.desired),
    ("log metric", "prune"): lambda c, t, a: c.metrics.delete_log_metric(metric_name=f"{t.parent}/metrics/{a.name}"),
    ("uptime check", "create"): lambda c, t, a: c.checks.create_uptime_check_config(parent=t.parent, uptime_check_config=a.desired),
    ("uptime check", "update"): lambda c, t, a: c.checks.update_uptime_check_config(
        request={"uptime_check_config": with_live_name(a), "update_mask": update_mask(a)}),
    ("uptime check", "prune"): lambda c, t, a: c.checks.delete_uptime_check_config(name=a.live.name),
    ("alert policy", "create"): lambda c, t, a: c.policies.create_alert_policy(name=t.parent, alert_policy=a.desired),
    ("alert policy", "update"): lambda c, t, a: c.policies.update_alert_policy(alert_policy=with_live_name(a), update_mask=update_mask(a)),
    ("alert policy", "prune"): lambda c, t, a: c.policies.delete_alert_policy(name=a.live.name),
}


# --- what plan prints and drift reports --------------------------------------------------------------------------

CALL_NAMES = {"log metric": ("create_log_metric", "update_log_metric", "delete_log_metric"),
              "uptime check": ("create_uptime_check_config", "update_uptime_check_config", "delete_uptime_check_config"),
              "alert policy": ("create_alert_policy", "update_alert_policy", "delete_alert_policy")}


def describe_call(action: Action, target: Target) -> str:
    """The API call an action makes, written out with the resource as JSON."""
    create, update, delete = CALL_NAMES[action.resource.label]
    if action.kind == "unchanged":
        return f"unchanged  {action.resource.label} {action.name!r}"
    if action.kind == "prune":
        return f"{delete}({action.resource.label} {action.name!r}, name={getattr(action.live, 'name', '')!r})"
    body = json.dumps(as_dict(action.desired), indent=2, ensure_ascii=False)
    if action.kind == "create":
        return f"{create}(parent={target.parent!r}, {action.resource.label} {action.name!r}: {body})"
    return f"{update}({action.resource.label} {action.name!r}, update_mask={json.dumps(list(action.changed))}: {body})"


def drift(found: Plan) -> list[str]:
    """Differences between the file and what is live, one line each; empty when they agree."""
    lines = []
    for action in found.actions():
        what = f"{action.resource.label} {action.name!r}"
        if action.kind == "create":
            lines.append(f"missing    {what}: declared in the file, not live")
        elif action.kind == "update":
            wanted, live = action.resource.comparable(action.desired), action.resource.comparable(action.live)
            lines.extend(f"changed    {what}: {name}: live {compact(live[name])} ≠ file {compact(wanted[name])}" for name in action.changed)
        elif action.kind == "prune":
            lines.append(f"extra      {what}: marked as phase6's live, not in the file")
    return lines


def compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def summary(found: Plan) -> str:
    actions = found.actions()
    return ", ".join(f"{sum(a.kind == kind for a in actions)} {kind}" for kind in ("create", "update", "unchanged", "prune"))
