"""An in-process fake of the gRPC APIs phase6/monitoring.py calls, served on loopback and reached by the real clients.

It implements the RPCs of google.logging.v2.MetricsServiceV2 and of google.monitoring.v3 AlertPolicyService,
UptimeCheckService and NotificationChannelService that plan/apply/drift use, with the server's behaviour that
matters to them: it assigns resource names, condition names and timestamps (fields a plan must ignore), applies
update masks, refuses duplicates and unknown names, refuses a policy whose notification channel, log-based metric
or uptime check does not exist, and refuses to delete an uptime check a policy still reads.
"""
from __future__ import annotations

import re
from concurrent import futures
from datetime import datetime, timezone
from typing import Any, Callable

import grpc
from google.api_core.client_options import ClientOptions
from google.cloud import monitoring_v3
from google.cloud.logging_v2.services.metrics_service_v2 import MetricsServiceV2Client
from google.cloud.logging_v2.services.metrics_service_v2.transports import MetricsServiceV2GrpcTransport
from google.cloud.logging_v2 import types as logging_types
from google.cloud.monitoring_v3.services.alert_policy_service.transports import AlertPolicyServiceGrpcTransport
from google.cloud.monitoring_v3.services.notification_channel_service.transports import NotificationChannelServiceGrpcTransport
from google.cloud.monitoring_v3.services.uptime_check_service.transports import UptimeCheckServiceGrpcTransport
from google.protobuf import empty_pb2

from phase6.monitoring import Clients

USER_METRIC = re.compile(r'metric\.type="logging\.googleapis\.com/user/([^"]+)"')
CHECK_ID = re.compile(r'metric\.label\.check_id="([^"]*)"')


class Refused(Exception):
    def __init__(self, code: grpc.StatusCode, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


class FakeMonitoring:
    """Stored resources by resource name, and every write call as (rpc, resource name)."""

    def __init__(self, project: str):
        self.project = project
        self.metrics: dict[str, logging_types.LogMetric] = {}
        self.checks: dict[str, monitoring_v3.UptimeCheckConfig] = {}
        self.policies: dict[str, monitoring_v3.AlertPolicy] = {}
        self.channels: dict[str, monitoring_v3.NotificationChannel] = {}
        self.calls: list[tuple[str, str]] = []
        self._next_id = 0
        self._server: grpc.Server | None = None
        self.address = ""

    # --- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> "FakeMonitoring":
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self._server.add_generic_rpc_handlers(self._handlers())
        port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        self.address = f"127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self._server:
            self._server.stop(grace=None)

    def clients(self) -> Clients:
        """The official clients on an insecure channel to this server."""
        options = ClientOptions(api_endpoint=self.address)

        def transport(kind):
            return kind(host=self.address, channel=grpc.insecure_channel(self.address))

        return Clients(
            metrics=MetricsServiceV2Client(client_options=options, transport=transport(MetricsServiceV2GrpcTransport)),
            checks=monitoring_v3.UptimeCheckServiceClient(client_options=options, transport=transport(UptimeCheckServiceGrpcTransport)),
            policies=monitoring_v3.AlertPolicyServiceClient(client_options=options, transport=transport(AlertPolicyServiceGrpcTransport)),
            channels=monitoring_v3.NotificationChannelServiceClient(client_options=options, transport=transport(NotificationChannelServiceGrpcTransport)),
        )

    def add_channel(self, display_name: str) -> str:
        name = f"projects/{self.project}/notificationChannels/{self._new_id()}"
        self.channels[name] = monitoring_v3.NotificationChannel(name=name, display_name=display_name, type_="email",
                                                                labels={"email_address": "oncall@example.com"})
        return name

    def record(self, rpc: str, key: str) -> None:
        """Write calls only, by the resource's metric name or display name."""
        self.calls.append((rpc, key))

    # --- gRPC plumbing ---------------------------------------------------------------------------------------

    def _handlers(self) -> list[grpc.GenericRpcHandler]:
        m, lt = monitoring_v3, logging_types
        services = {
            "google.logging.v2.MetricsServiceV2": {
                "ListLogMetrics": (lt.ListLogMetricsRequest, lt.ListLogMetricsResponse, self.list_log_metrics),
                "CreateLogMetric": (lt.CreateLogMetricRequest, lt.LogMetric, self.create_log_metric),
                "UpdateLogMetric": (lt.UpdateLogMetricRequest, lt.LogMetric, self.update_log_metric),
                "DeleteLogMetric": (lt.DeleteLogMetricRequest, None, self.delete_log_metric),
            },
            "google.monitoring.v3.UptimeCheckService": {
                "ListUptimeCheckConfigs": (m.ListUptimeCheckConfigsRequest, m.ListUptimeCheckConfigsResponse, self.list_checks),
                "CreateUptimeCheckConfig": (m.CreateUptimeCheckConfigRequest, m.UptimeCheckConfig, self.create_check),
                "UpdateUptimeCheckConfig": (m.UpdateUptimeCheckConfigRequest, m.UptimeCheckConfig, self.update_check),
                "DeleteUptimeCheckConfig": (m.DeleteUptimeCheckConfigRequest, None, self.delete_check),
            },
            "google.monitoring.v3.AlertPolicyService": {
                "ListAlertPolicies": (m.ListAlertPoliciesRequest, m.ListAlertPoliciesResponse, self.list_policies),
                "CreateAlertPolicy": (m.CreateAlertPolicyRequest, m.AlertPolicy, self.create_policy),
                "UpdateAlertPolicy": (m.UpdateAlertPolicyRequest, m.AlertPolicy, self.update_policy),
                "DeleteAlertPolicy": (m.DeleteAlertPolicyRequest, None, self.delete_policy),
            },
            "google.monitoring.v3.NotificationChannelService": {
                "ListNotificationChannels": (m.ListNotificationChannelsRequest, m.ListNotificationChannelsResponse, self.list_channels),
            },
        }
        return [grpc.method_handlers_generic_handler(service, {name: self._unary(name, *spec) for name, spec in methods.items()})
                for service, methods in services.items()]

    def _unary(self, rpc: str, request_type, response_type, method: Callable[[Any], Any]) -> grpc.RpcMethodHandler:
        def handle(request, context):
            try:
                return method(request)
            except Refused as refused:
                context.abort(refused.code, refused.detail)

        def serialize(response) -> bytes:
            return response.SerializeToString() if response_type is None else response_type.serialize(response)

        return grpc.unary_unary_rpc_method_handler(handle, request_deserializer=request_type.deserialize, response_serializer=serialize)

    def _new_id(self) -> str:
        self._next_id += 1
        return f"{self._next_id:06d}"

    # --- MetricsServiceV2 ------------------------------------------------------------------------------------

    def list_log_metrics(self, request):
        return logging_types.ListLogMetricsResponse(metrics=[copy(m) for m in self.metrics.values()])

    def create_log_metric(self, request):
        metric = copy(request.metric)
        self.record("CreateLogMetric", metric.name)
        name = f"{request.parent}/metrics/{metric.name}"
        if name in self.metrics:
            raise Refused(grpc.StatusCode.ALREADY_EXISTS, f"metric {metric.name} already exists")
        return self._store_metric(name, metric)

    def update_log_metric(self, request):
        self.record("UpdateLogMetric", request.metric.name)
        if request.metric_name not in self.metrics:
            raise Refused(grpc.StatusCode.NOT_FOUND, request.metric_name)
        return self._store_metric(request.metric_name, copy(request.metric))

    def _store_metric(self, name: str, metric):
        metric.metric_descriptor.name = f"projects/{self.project}/metricDescriptors/logging.googleapis.com/user/{metric.name}"
        metric.metric_descriptor.type = f"logging.googleapis.com/user/{metric.name}"
        metric.create_time = metric.update_time = now()
        self.metrics[name] = metric
        return copy(metric)

    def delete_log_metric(self, request):
        self.record("DeleteLogMetric", request.metric_name.split("/metrics/", 1)[-1])
        self._pop(self.metrics, request.metric_name)
        return empty_pb2.Empty()

    # --- UptimeCheckService ----------------------------------------------------------------------------------

    def list_checks(self, request):
        return monitoring_v3.ListUptimeCheckConfigsResponse(uptime_check_configs=[copy(c) for c in self.checks.values()])

    def create_check(self, request):
        check = copy(request.uptime_check_config)
        self.record("CreateUptimeCheckConfig", check.display_name)
        slug = re.sub(r"[^a-z0-9]+", "-", check.display_name.lower()).strip("-")
        check.name = f"{request.parent}/uptimeCheckConfigs/{slug}-{self._new_id()}"
        self.checks[check.name] = check
        return copy(check)

    def update_check(self, request):
        self.record("UpdateUptimeCheckConfig", request.uptime_check_config.display_name)
        return copy(masked_update(self.checks, request.uptime_check_config, request.update_mask.paths))

    def delete_check(self, request):
        self.record("DeleteUptimeCheckConfig", self.checks[request.name].display_name if request.name in self.checks else request.name)
        check_id = request.name.rsplit("/", 1)[-1]
        readers = [p.display_name for p in self.policies.values() if check_id in referenced_check_ids(p)]
        if readers:
            raise Refused(grpc.StatusCode.FAILED_PRECONDITION, f"uptime check {check_id} is used by alert policies {readers}")
        self._pop(self.checks, request.name)
        return empty_pb2.Empty()

    # --- AlertPolicyService ----------------------------------------------------------------------------------

    def list_policies(self, request):
        return monitoring_v3.ListAlertPoliciesResponse(alert_policies=[copy(p) for p in self.policies.values()])

    def create_policy(self, request):
        policy = copy(request.alert_policy)
        self.record("CreateAlertPolicy", policy.display_name)
        self._check_references(policy)
        policy.name = f"{request.name}/alertPolicies/{self._new_id()}"
        self._name_conditions(policy)
        policy.creation_record = monitoring_v3.MutationRecord(mutate_time=now(), mutated_by="fake")
        self.policies[policy.name] = policy
        return copy(policy)

    def update_policy(self, request):
        self.record("UpdateAlertPolicy", request.alert_policy.display_name)
        self._check_references(request.alert_policy)
        stored = masked_update(self.policies, request.alert_policy, request.update_mask.paths)
        self._name_conditions(stored)
        stored.mutation_record = monitoring_v3.MutationRecord(mutate_time=now(), mutated_by="fake")
        return copy(stored)

    def delete_policy(self, request):
        self.record("DeleteAlertPolicy", self.policies[request.name].display_name if request.name in self.policies else request.name)
        self._pop(self.policies, request.name)
        return empty_pb2.Empty()

    def _name_conditions(self, policy) -> None:
        for condition in policy.conditions:
            if not condition.name:
                condition.name = f"{policy.name}/conditions/{self._new_id()}"

    def _check_references(self, policy) -> None:
        for channel in policy.notification_channels:
            if channel not in self.channels:
                raise Refused(grpc.StatusCode.NOT_FOUND, f"notification channel {channel} does not exist")
        metric_ids = {metric.name for metric in self.metrics.values()}
        check_ids = {name.rsplit("/", 1)[-1] for name in self.checks}
        for condition in policy.conditions:
            text = condition.condition_threshold.filter or condition.condition_absent.filter
            for metric in USER_METRIC.findall(text):
                if metric not in metric_ids:
                    raise Refused(grpc.StatusCode.NOT_FOUND, f"log-based metric {metric} does not exist")
            for check_id in CHECK_ID.findall(text):
                if check_id not in check_ids:
                    raise Refused(grpc.StatusCode.INVALID_ARGUMENT, f"uptime check {check_id} does not exist")

    # --- NotificationChannelService --------------------------------------------------------------------------

    def list_channels(self, request):
        return monitoring_v3.ListNotificationChannelsResponse(notification_channels=[copy(c) for c in self.channels.values()])

    def _pop(self, store: dict, name: str) -> None:
        if store.pop(name, None) is None:
            raise Refused(grpc.StatusCode.NOT_FOUND, name)


def masked_update(store: dict, resource, paths) -> Any:
    """Applies the named top-level fields (all of them for an empty mask), as the Monitoring API does."""
    if resource.name not in store:
        raise Refused(grpc.StatusCode.NOT_FOUND, resource.name)
    if not paths:
        store[resource.name] = copy(resource)
        return store[resource.name]
    stored = store[resource.name]
    for path in paths:
        if path not in type(resource).meta.fields:
            raise Refused(grpc.StatusCode.INVALID_ARGUMENT, f"unknown field in update mask: {path}")
        setattr(stored, path, getattr(resource, path))
    return stored


def referenced_check_ids(policy) -> set[str]:
    return {check_id for c in policy.conditions for check_id in CHECK_ID.findall(c.condition_threshold.filter)}


def copy(message):
    return type(message).deserialize(type(message).serialize(message))


def now() -> datetime:
    return datetime.now(timezone.utc)
