"""monitoring/alerts.yaml: the offline checks, each alert's signal shown to fire on what a real failure emits, and
plan/apply/drift/prune through the official clients against an in-process fake of the gRPC APIs."""
from __future__ import annotations

import io
import json
import logging
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from croniter import croniter
from typer.testing import CliRunner

from deploy import verify
from exporters import catalog
from phase6 import cli_monitoring, logquery, status
from phase6 import monitoring as mon
from phase6 import monitoring_config as mc
from phase6 import schedules as sched
from phase6.app import open_app
from phase6.config import Settings
from phase6.events import EventsError, FileEvents
from phase6.jsonio import dumps
from phase6.messages import Envelope
from phase6.runtime import JsonLogFormatter, NothingCouldStart, handle
from phase6.state import StateError
from phase6.storage.base import ObjectInfo
from phase6.warehouse import WarehouseError
from tests.conftest import settings_for
from tests.fake_monitoring import FakeMonitoring

REPO = Path(__file__).resolve().parent.parent
CONFIG = mc.load()
TARGET = mon.Target("test-project", "test-bucket")
CHANNEL = "phase6 on-call"
BUILD = yaml.safe_load((REPO / "cloudbuild.yaml").read_text())
FUNCTION_METRICS = {m.name for m in CONFIG.metrics if m.source.name == mc.FUNCTION_SOURCE}


# --- the file checks itself -------------------------------------------------------------------------------------


def edited_copy(tmp_path: Path, edit) -> Path:
    document = yaml.safe_load(mc.ALERTS_FILE.read_text())
    edit(document)
    path = tmp_path / "alerts.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.mark.parametrize("edit, problem", [
    (lambda d: d["alerts"][4]["condition"].update(metric="pubsub.googleapis.com/subscription/oldest_unacked"),
     "neither a log metric of this file nor in monitoring/cloud_types.yaml"),
    (lambda d: d["alerts"][4]["condition"]["resource"].update(topic_id="x"), "has no label 'topic_id'"),
    (lambda d: d["alerts"][1]["condition"].update(group_by=["date"]), "has no label 'date'"),
    (lambda d: d["log_metrics"][5].update(filter='jsonPayload.status="failed"'), "'jsonPayload.status' is not a known field of cloud_scheduler_job"),
    (lambda d: d["log_metrics"][0].update(filter='jsonPayload.status="failed" AND'), "ends too early"),
    (lambda d: d["log_metrics"][0].update(filter="httpRequest.latency>1"), "'httpRequest.latency' is not a known field"),
    (lambda d: d["log_sources"]["scheduler"].update(resource_type="cloud_scheduler"), "'cloud_scheduler' is not in monitoring/cloud_types.yaml"),
    (lambda d: d["log_metrics"].append(dict(d["log_metrics"][0])), "'phase6/run_failed' is declared more than once"),
    (lambda d: d["log_metrics"][0].update(name="run_failed"), "name must match"),
    (lambda d: d["alerts"][0].update(severity="PAGE"), "severity must be one of"),
    (lambda d: d["alerts"][0]["condition"].update(absent_for="1h"), "exactly one of above, absent_for"),
    (lambda d: d["alerts"][0]["condition"].update(window="5 minutes"), "must look like 90s, 5m or 2h"),
    (lambda d: d["alerts"][10]["condition"].update(uptime_check="status"), "unknown uptime check 'status'"),
    (lambda d: d["uptime_checks"][0].update(content_matches="(?=lookahead)"), "not supported by Cloud Monitoring's RE2"),
    (lambda d: d["uptime_checks"][0].update(period="2m"), "period must be one of"),
    (lambda d: d["alerts"][0].update(todo=""), "todo must be non-empty text"),
])
def test_a_malformed_file_is_refused_with_the_problem_named(tmp_path, edit, problem):
    with pytest.raises(mc.MonitoringConfigError, match=re.escape(problem)):
        mc.load(edited_copy(tmp_path, edit))


def test_every_type_a_rendered_policy_reads_is_pinned_or_a_declared_log_metric():
    pinned = mc.load_types()
    declared = {metric.metric_type: metric.source.resource_type for metric in CONFIG.metrics}
    for alert in CONFIG.alerts:
        [condition] = mon.render_policy(alert, CONFIG, TARGET, mon.Refs()).conditions
        text = condition.condition_threshold.filter or condition.condition_absent.filter
        [metric_type] = re.findall(r'metric\.type="([^"]+)"', text)
        [resource_type] = re.findall(r'resource\.type="([^"]+)"', text)
        allowed = [declared[metric_type]] if metric_type in declared else pinned.metric_types[metric_type]["resource_types"]
        assert resource_type in allowed and resource_type in pinned.resource_types, alert.name
        for label in re.findall(r"resource\.label\.(\w+)", text):
            assert label in pinned.resource_types[resource_type], (alert.name, label)


def test_the_function_source_reads_exactly_the_deployed_functions():
    deployed = {step["args"][2] for step in verify.deploy_steps(BUILD)}
    source = CONFIG.sources[mc.FUNCTION_SOURCE]
    named = {value for c in logquery.comparisons(logquery.parse(source.filter)) for value in c.values}
    assert named == deployed
    [heartbeat] = [a for a in CONFIG.alerts if a.condition.metric == "run.googleapis.com/request_count"]
    assert set(heartbeat.condition.resource["service_name"]) == deployed


def test_the_dead_letter_alert_watches_the_subscription_the_build_creates():
    [dead_letters] = [a for a in CONFIG.alerts if "subscription_id" in a.condition.resource]
    [subscription] = dead_letters.condition.resource["subscription_id"]
    dead_letter_step = next(step for step in BUILD["steps"] if step["id"] == "dead-letter")
    topic = verify.flags(dead_letter_step["args"])["dead-letter-topic"]
    assert subscription == f"{topic}-sub"
    assert 'gcloud pubsub subscriptions create "$topic-sub" --topic="$topic"' in (REPO / "deploy" / "dead_letter.sh").read_text()


def test_the_scheduler_source_covers_every_job_of_the_jobs_file():
    source = CONFIG.sources["scheduler"]
    for job in sched.load_jobs():
        entry = {"resource": {"type": "cloud_scheduler_job", "labels": {"job_id": job.name}}}
        assert logquery.matches(source.filter, entry), job.name
    assert not logquery.matches(source.filter, {"resource": {"labels": {"job_id": "someone-elses"}}})


def test_the_docs_alert_tables_are_generated_from_the_file():
    document = mc.OPERATIONS_DOC.read_text()
    assert mc.with_docs_section(document, mc.docs_section(CONFIG)) == document, \
        "docs/operations.md is stale: run `python -m phase6 monitoring docs --write`"
    for alert in CONFIG.alerts:
        assert f"| **{alert.name}** |" in document


# --- the function's own log lines: real runs, as Cloud Logging stores them ---------------------------------------


class FailingWarehouse:
    """The real warehouse, except that queries of the named export (or the preflight) fail."""

    def __init__(self, inner, failing: str):
        self.inner, self.failing = inner, failing

    def query(self, sql, params=None, *, label=""):
        if label.split(".")[0] == self.failing:
            raise WarehouseError(f"denied: {label}")
        return self.inner.query(sql, params, label=label)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def cloud_run_entry(line: str, service: str) -> dict:
    """A stdout JSON line as Cloud Logging stores it for a Cloud Run service: `severity` and `time` become LogEntry
    fields, everything else (`message` included) stays in jsonPayload."""
    payload = json.loads(line)
    severity = payload.pop("severity")
    payload.pop("time", None)
    return {
        "logName": f"projects/{TARGET.project}/logs/run.googleapis.com%2Fstdout",
        "resource": {"type": "cloud_run_revision", "labels": {"service_name": service, "project_id": TARGET.project,
                                                               "location": "us-west2", "revision_name": f"{service}-00001-abc",
                                                               "configuration_name": service}},
        "severity": severity,
        "jsonPayload": payload,
    }


class LostEvents(FileEvents):
    """An events sink whose every completion publish fails."""

    def completed(self, event, timeout=None):
        raise EventsError("publish refused: 403 permission denied")


def deliver(app, tmp_path: Path, payload: dict, failing: str | None = None, events_type: type = FileEvents) -> list[dict]:
    """One real delivery through phase6/runtime.py; returns the log entries it emitted."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    real = app.backends.warehouse
    if failing:
        app.backends.warehouse = FailingWarehouse(real, failing)
    try:
        handle(Envelope.of_json(payload), app, events_type(tmp_path / "events.jsonl", tmp_path / "continuations.jsonl"))
    except NothingCouldStart:
        pass
    finally:
        app.backends.warehouse = real
        root.removeHandler(handler)
        root.setLevel(previous)
    return [cloud_run_entry(line, "phase6-export") for line in stream.getvalue().splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def real_runs(demo_db, tmp_path_factory) -> dict[str, list[dict]]:
    """Log entries of real deliveries on the demo season, one scenario per failure an alert is for."""
    folder = tmp_path_factory.mktemp("monitoring-runs")
    shutil.copy(demo_db, folder / "demo.duckdb")
    app = open_app(settings_for(folder, folder / "demo.duckdb"))
    good = {"export_types": ["subset-definitions"], "target_date": "today"}
    runs: dict[str, list[dict]] = {}
    try:
        runs["success"] = deliver(app, folder, good)
        runs["failed"] = deliver(app, folder, {"export_types": ["streaks"]}, failing="streaks")
        runs["partial"] = deliver(app, folder, {"export_types": ["streaks", "subset-definitions"]}, failing="streaks")
        runs["nothing could start"] = deliver(app, folder, good, failing="preflight")
        runs["rejected"] = deliver(app, folder, {"export_type": "results"})
        runs["state store down"] = deliver_with_claim_failing(app, folder, good)
        runs["event lost"] = deliver(app, folder, good, events_type=LostEvents)
        runs["continuation exhausted"] = deliver_out_of_time(app, folder, {**good, "continuation": {"of": "r0", "attempt": 5, "cursor": {}}})
        runs["breaker open"] = deliver(app, folder, {"export_types": ["streaks"]}, failing="streaks")  # streaks' third failure in a row
    finally:
        app.close()
    return runs


def deliver_with_claim_failing(app, folder: Path, payload: dict) -> list[dict]:
    state = app.backends.state
    original = state.claim_message

    def unavailable(*args, **kwargs):
        raise StateError("firestore unavailable")

    state.claim_message = unavailable
    try:
        return deliver(app, folder, payload)
    finally:
        state.claim_message = original


def deliver_out_of_time(app, folder: Path, payload: dict) -> list[dict]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("phase6.plan.fits", lambda needed, remaining: False)
        return deliver(app, folder, payload)


# Which function metrics each real failure must move, and nothing else: a success none, a state-store hiccup or a
# lost event only its own (neither is a failed run).
FIRES = {
    "success": set(),
    "failed": {"phase6/run_failed"},
    "partial": {"phase6/run_partial"},
    "nothing could start": {"phase6/run_failed"},
    "rejected": {"phase6/message_rejected"},
    "breaker open": {"phase6/run_failed", "phase6/breaker_open"},
    "state store down": {"phase6/state_store_degraded"},
    "event lost": {"phase6/completion_event_lost"},
    "continuation exhausted": {"phase6/continuation_exhausted"},
}


def test_each_function_metric_counts_exactly_the_failures_it_is_for(real_runs):
    assert set().union(*FIRES.values()) == FUNCTION_METRICS, "every function metric has a failure that fires it"
    for scenario, entries in real_runs.items():
        assert entries, f"{scenario}: the run logged nothing"
        fired = {m.name for m in CONFIG.metrics if m.source.name == mc.FUNCTION_SOURCE
                 and any(logquery.matches(TARGET.fill(m.full_filter()), entry) for entry in entries)}
        assert fired == FIRES[scenario], scenario


def test_each_function_metric_counts_one_line_per_delivery(real_runs):
    for scenario, entries in real_runs.items():
        for metric in CONFIG.metrics:
            counted = [e for e in entries if logquery.matches(TARGET.fill(metric.full_filter()), e)]
            assert len(counted) <= 1, (scenario, metric.name, counted)


def test_every_log_field_the_file_names_is_one_a_real_run_logs(real_runs):
    logged = {f"jsonPayload.{key}" for entries in real_runs.values() for entry in entries for key in entry["jsonPayload"]}
    named = set()
    for metric in CONFIG.metrics:
        if metric.source.name == mc.FUNCTION_SOURCE:
            named |= {f for f in logquery.fields(metric.filter) if f.startswith("jsonPayload.")}
            named |= {f for f in metric.labels.values() if f.startswith("jsonPayload.")}
    assert named and named <= logged, named - logged


def test_the_label_extractors_read_values_the_lines_carry(real_runs):
    [failed] = [e for e in real_runs["failed"] if e["jsonPayload"].get("completion")]
    assert failed["jsonPayload"]["target_date"] == "2026-03-04"
    [opened] = [e for e in real_runs["breaker open"] if e["jsonPayload"].get("completion")]
    assert opened["jsonPayload"]["breakers_open"] == "streaks"


# --- signals from outside the function, on the entries the platform writes ----------------------------------------


def metric(name: str) -> mc.LogMetric:
    return CONFIG.log_metric(name)


def test_status_json_writes_are_counted_from_the_buckets_audit_log():
    written = f"projects/_/buckets/{TARGET.bucket}/objects/{Settings().object_prefix}{status.STATUS_PATH}"

    def audit_entry(object_name: str, method: str = "storage.objects.create") -> dict:
        return {"logName": f"projects/{TARGET.project}/logs/cloudaudit.googleapis.com%2Fdata_access",
                "resource": {"type": "gcs_bucket", "labels": {"bucket_name": TARGET.bucket, "project_id": TARGET.project}},
                "protoPayload": {"serviceName": "storage.googleapis.com", "methodName": method, "resourceName": object_name}}

    counted = TARGET.fill(metric("phase6/status_json_written").full_filter())
    assert logquery.matches(counted, audit_entry(written))
    assert not logquery.matches(counted, audit_entry(written.replace("status.json", "picks/2026-03-04.json")))
    assert not logquery.matches(counted, audit_entry(written, method="storage.objects.get"))


def test_a_failed_scheduler_attempt_is_counted_for_phase6_jobs_only():
    counted = metric("phase6/scheduler_job_failed").full_filter()

    def attempt(job: str, severity: str) -> dict:
        return {"resource": {"type": "cloud_scheduler_job", "labels": {"job_id": job, "location": "us-west2"}},
                "severity": severity, "jsonPayload": {"status": "NOT_FOUND", "targetType": "PUB_SUB"}}

    assert logquery.matches(counted, attempt("phase6-status-backstop", "ERROR"))
    assert not logquery.matches(counted, attempt("phase6-status-backstop", "INFO"))
    assert not logquery.matches(counted, attempt("other-team-job", "ERROR"))


def test_the_verify_step_prints_the_line_the_deploy_alert_counts():
    verify_step = next(step for step in BUILD["steps"] if step["id"] == "verify")
    script = " ".join(verify_step["args"])
    [printed] = re.findall(r"echo '([^']+)'", script)
    entry = {"logName": f"projects/{TARGET.project}/logs/cloudbuild", "resource": {"type": "build"},
             "textPayload": printed, "labels": {"build_step": "Step #11 - \"verify\""}}
    assert logquery.matches(TARGET.fill(metric("phase6/deploy_verify_failed").full_filter()), entry)
    assert "phase6.cli_monitoring drift" in script and "phase6.cli_deploy drift" in script


# --- the uptime checks on real status.json bodies ----------------------------------------------------------------

NOW = datetime(2026, 3, 4, 18, 0, tzinfo=timezone.utc)
CRITICAL = sorted(name for name, spec in catalog().items() if spec.critical)


def status_body(stale: str | None = None, missing: str | None = None) -> str:
    """status.json as the runner builds and serializes it, every probe fresh except the named one."""
    probes = {}
    for export_type, candidates in status.probe_paths(NOW.date()):
        sla = next(e.sla_seconds for e in status.ENDPOINTS if e.export_type == export_type)
        age = sla + 60 if export_type == stale else 60
        probes[export_type] = None if export_type == missing else ObjectInfo(candidates[0], 10, NOW - timedelta(seconds=age), "public, max-age=300", "application/json")
    run = {"run_id": "r", "request": {"mode": "live", "target_date": "2026-03-04"}, "status": "success",
           "started_at": NOW, "finished_at": NOW, "exports": {}}
    body = status.build_status(generated_at=NOW, game_day=NOW.date(), publisher_build="abc", run=run, probes=probes)
    return dumps(body).decode()


def passes(check_name: str, body: str) -> bool:
    [check] = [c for c in CONFIG.checks if c.name == check_name]
    found = re.search(check.pattern, body) is not None
    return found == check.must_match


def test_the_uptime_checks_pass_on_a_healthy_status_json():
    body = status_body()
    assert json.loads(body)["overall_status"] == "healthy"
    assert passes("phase6 status.json healthy", body) and passes("phase6 tonight's files fresh", body)


@pytest.mark.parametrize("export_type", CRITICAL)
def test_tonights_files_check_fails_when_a_critical_file_is_stale_or_missing(export_type):
    assert not passes("phase6 tonight's files fresh", status_body(stale=export_type))
    assert not passes("phase6 tonight's files fresh", status_body(missing=export_type))
    assert not passes("phase6 status.json healthy", status_body(missing=export_type))


def test_a_stale_non_critical_file_fails_only_the_overall_check():
    body = status_body(stale="players")
    assert not passes("phase6 status.json healthy", body)
    assert passes("phase6 tonight's files fresh", body)


def test_the_uptime_checks_read_the_status_json_the_runner_writes():
    assert {check.path for check in CONFIG.checks} == {Settings().object_prefix + status.STATUS_PATH}


def test_tonights_files_are_flagged_by_the_second_promised_run_of_the_day():
    """A critical file's SLA is one day plus grace: yesterday's file goes stale before the second tonight run."""
    [tonight] = [job for job in sched.load_jobs() if "tonight-set" in job.body.get("export_types", [])]
    start = datetime(2026, 3, 4, 0, 0, tzinfo=ZoneInfo(tonight.time_zone))
    fires = croniter(tonight.schedule, start)
    first, second = fires.get_next(datetime), fires.get_next(datetime)
    for endpoint in status.ENDPOINTS:
        if endpoint.export_type in CRITICAL:
            written_yesterday = first - timedelta(days=1)
            assert written_yesterday + timedelta(seconds=endpoint.sla_seconds) <= second, endpoint.export_type


# --- plan / apply / drift / prune through the real clients and the fake gRPC server ------------------------------


@pytest.fixture()
def fake():
    server = FakeMonitoring(TARGET.project).start()
    server.add_channel(CHANNEL)
    yield server
    server.stop()


def apply_file(fake: FakeMonitoring, path: Path = mc.ALERTS_FILE, prune: bool = False) -> mon.Plan:
    return mon.apply(fake.clients(), mc.load(path), TARGET, prune=prune)


def live_plan(fake: FakeMonitoring, path: Path = mc.ALERTS_FILE) -> mon.Plan:
    return mon.plan(mc.load(path), TARGET, mon.Live.read(fake.clients(), TARGET), prune=True)


def test_first_apply_creates_everything_in_dependency_order_and_the_second_is_a_no_op(fake):
    done = apply_file(fake)
    created = [rpc for rpc, _ in fake.calls]
    assert created == (["CreateLogMetric"] * len(CONFIG.metrics) + ["CreateUptimeCheckConfig"] * len(CONFIG.checks)
                       + ["CreateAlertPolicy"] * len(CONFIG.alerts))
    assert {a.kind for a in done.actions()} == {"create"}
    [channel] = fake.channels
    assert all(list(p.notification_channels) == [channel] for p in fake.policies.values())
    check_ids = {c.name.rsplit("/", 1)[-1] for c in fake.checks.values()}
    uptime_filters = [p.conditions[0].condition_threshold.filter for p in fake.policies.values() if "check_id" in p.conditions[0].condition_threshold.filter]
    assert {re.search(r'check_id="([^"]+)"', f).group(1) for f in uptime_filters} == check_ids

    fake.calls.clear()
    again = apply_file(fake)
    assert {a.kind for a in again.actions()} == {"unchanged"}
    assert fake.calls == []
    assert mon.drift(live_plan(fake)) == []


def test_an_edited_alert_is_one_update_in_place_naming_only_the_changed_field(fake, tmp_path):
    apply_file(fake)
    before = {p.display_name: p.name for p in fake.policies.values()}
    conditions_before = {p.display_name: p.conditions[0].name for p in fake.policies.values()}
    fake.calls.clear()
    path = edited_copy(tmp_path, lambda d: d["alerts"][0].update(todo="Page the data team."))
    done = apply_file(fake, path)
    assert fake.calls == [("UpdateAlertPolicy", "phase6 run failed")]
    assert [(a.name, a.changed) for a in done.actions() if a.kind == "update"] == [("phase6 run failed", ("documentation",))]
    updated = next(p for p in fake.policies.values() if p.display_name == "phase6 run failed")
    assert "Page the data team." in updated.documentation.content
    assert {p.display_name: p.name for p in fake.policies.values()} == before
    assert updated.conditions[0].name == conditions_before["phase6 run failed"]


def test_edited_metric_threshold_and_matcher_update_each_resource_in_place(fake, tmp_path):
    apply_file(fake)
    fake.calls.clear()

    def edit(document):
        document["log_metrics"][2]["filter"] += ' AND severity>=ERROR'
        document["alerts"][2]["condition"]["above"] = 3
        document["uptime_checks"][0]["content_matches"] = '"overall_status":\\s*"(healthy|degraded)"'

    done = apply_file(fake, edited_copy(tmp_path, edit))
    assert sorted(fake.calls) == [("UpdateAlertPolicy", "phase6 message rejected"), ("UpdateLogMetric", "phase6/message_rejected"),
                                  ("UpdateUptimeCheckConfig", "phase6 status.json healthy")]
    assert sorted((a.resource.label, a.changed) for a in done.actions() if a.kind == "update") == [
        ("alert policy", ("conditions",)), ("log metric", ("filter",)), ("uptime check", ("content_matchers",))]
    policy = next(p for p in fake.policies.values() if p.display_name == "phase6 message rejected")
    assert policy.conditions[0].condition_threshold.threshold_value == 3
    assert fake.metrics[f"projects/{TARGET.project}/metrics/phase6/message_rejected"].filter.endswith("AND severity>=ERROR)")


def test_a_hand_made_policy_with_a_declared_name_is_taken_over_not_duplicated(fake):
    fake.clients().policies.create_alert_policy(name=f"projects/{TARGET.project}", alert_policy=mon.Policy(
        display_name="phase6 dead letters", combiner=mon.Policy.ConditionCombinerType.OR, conditions=[
            mon.Policy.Condition(display_name="hand-made", condition_threshold=mon.Policy.Condition.MetricThreshold(
                filter='metric.type="pubsub.googleapis.com/subscription/num_undelivered_messages"', threshold_value=0))]))
    hand_made = next(iter(fake.policies))
    done = apply_file(fake)
    [takeover] = [a for a in done.actions() if a.name == "phase6 dead letters"]
    assert takeover.kind == "update" and "user_labels" in takeover.changed
    assert sum(p.display_name == "phase6 dead letters" for p in fake.policies.values()) == 1
    assert fake.policies[hand_made].user_labels[mon.LABEL_KEY] == mon.LABEL_VALUE


def test_prune_deletes_only_what_the_file_dropped_policies_before_what_they_read(fake, tmp_path):
    apply_file(fake)
    clients = fake.clients()
    clients.policies.create_alert_policy(name=f"projects/{TARGET.project}", alert_policy=mon.Policy(
        display_name="someone else's alert", combiner=mon.Policy.ConditionCombinerType.OR, conditions=[
            mon.Policy.Condition(display_name="x", condition_threshold=mon.Policy.Condition.MetricThreshold(filter='metric.type="x"'))]))
    clients.metrics.create_log_metric(parent=f"projects/{TARGET.project}", metric=mon.LogMetric(name="other/errors", filter="severity>=ERROR"))

    def drop(document):
        document["alerts"] = [a for a in document["alerts"] if a["name"] not in ("phase6 run failed", "phase6 tonight's files late")]
        document["log_metrics"] = [m for m in document["log_metrics"] if m["name"] != "phase6/run_failed"]
        document["uptime_checks"] = [c for c in document["uptime_checks"] if c["name"] != "phase6 tonight's files fresh"]

    path = edited_copy(tmp_path, drop)
    fake.calls.clear()
    apply_file(fake, path, prune=False)
    assert fake.calls == [], "without --prune nothing is ever deleted"

    apply_file(fake, path, prune=True)
    assert fake.calls == [("DeleteAlertPolicy", "phase6 run failed"), ("DeleteAlertPolicy", "phase6 tonight's files late"),
                          ("DeleteUptimeCheckConfig", "phase6 tonight's files fresh"), ("DeleteLogMetric", "phase6/run_failed")]
    assert any(p.display_name == "someone else's alert" for p in fake.policies.values())
    assert f"projects/{TARGET.project}/metrics/other/errors" in fake.metrics
    assert mon.drift(live_plan(fake, path)) == []


def test_drift_names_missing_changed_and_extra_resources(fake):
    apply_file(fake)
    clients = fake.clients()
    dead_letters = next(p for p in fake.policies.values() if p.display_name == "phase6 dead letters")
    dead_letters.conditions[0].condition_threshold.threshold_value = 10
    del fake.metrics[f"projects/{TARGET.project}/metrics/phase6/breaker_open"]
    clients.checks.create_uptime_check_config(parent=f"projects/{TARGET.project}", uptime_check_config=mon.Check(
        display_name="phase6 old check", user_labels={mon.LABEL_KEY: mon.LABEL_VALUE}))
    lines = mon.drift(live_plan(fake))
    assert [line.split(":")[0] for line in lines] == [
        "missing    log metric 'phase6/breaker_open'",
        "changed    alert policy 'phase6 dead letters'",
        "extra      uptime check 'phase6 old check'",
    ]
    assert '"threshold_value": 10.0' in lines[1] and '"threshold_value": 0.0' not in lines[1]


def test_a_missing_notification_channel_fails_before_anything_is_written(fake):
    fake.channels.clear()
    fake.add_channel("someone else's pager")
    with pytest.raises(mon.MonitoringError, match="notification channel 'phase6 on-call' does not exist"):
        apply_file(fake)
    assert fake.calls == []


# --- the command line -------------------------------------------------------------------------------------------


def test_plan_offline_prints_every_metric_check_and_policy_without_credentials():
    result = CliRunner().invoke(cli_monitoring.monitoring, ["plan", "--offline"])
    assert result.exit_code == 0, result.output
    for metric_spec in CONFIG.metrics:
        assert f"create_log_metric(parent='projects/PROJECT', log metric '{metric_spec.name}'" in result.output
    for check in CONFIG.checks:
        assert f"create_uptime_check_config(parent='projects/PROJECT', uptime check {check.name!r}" in result.output
    for alert in CONFIG.alerts:
        assert f"create_alert_policy(parent='projects/PROJECT', alert policy {alert.name!r}" in result.output
    assert result.output.rstrip().endswith(f"{len(CONFIG.metrics) + len(CONFIG.checks) + len(CONFIG.alerts)} create, 0 update, 0 unchanged, 0 prune")


def test_cli_plan_apply_drift_round_trip(fake, monkeypatch):
    monkeypatch.setattr(cli_monitoring, "make_clients", fake.clients)
    runner = CliRunner()
    options = ["--project", TARGET.project, "--bucket", TARGET.bucket]
    drifted = runner.invoke(cli_monitoring.monitoring, ["drift", *options])
    assert drifted.exit_code == 1 and "missing    alert policy 'phase6 run failed'" in drifted.output
    assert fake.calls == []
    applied = runner.invoke(cli_monitoring.monitoring, ["apply", *options, "--prune"])
    assert applied.exit_code == 0, applied.output
    clean = runner.invoke(cli_monitoring.monitoring, ["drift", *options])
    assert clean.exit_code == 0 and "no drift" in clean.output


def test_cli_apply_without_the_channel_says_so_and_writes_nothing(fake, monkeypatch):
    fake.channels.clear()
    monkeypatch.setattr(cli_monitoring, "make_clients", fake.clients)
    result = CliRunner().invoke(cli_monitoring.monitoring, ["apply", "--project", TARGET.project, "--bucket", TARGET.bucket])
    assert result.exit_code == 1
    assert "nothing applied: notification channel 'phase6 on-call' does not exist" in result.output
    assert fake.calls == []


def test_online_commands_need_a_project_and_bucket(monkeypatch):
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.delenv("PHASE6_PUBLIC_BUCKET", raising=False)
    result = CliRunner().invoke(cli_monitoring.monitoring, ["drift"])
    assert result.exit_code != 0 and "--project and --bucket are required" in result.output
