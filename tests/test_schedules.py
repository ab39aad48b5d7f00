"""scheduler/jobs.yaml: the config checks, and plan/apply/drift/prune against an in-process fake Scheduler."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from croniter import croniter
from google.api_core import exceptions
from google.cloud import scheduler_v1
from typer.testing import CliRunner

from exporters import expand, export_types
from phase6 import cli_deploy
from phase6 import schedules as sched
from phase6.clock import Clock
from phase6.messages import Accepted, Envelope, parse

PROJECT, LOCATION = "test-project", "us-west2"
EASTERN = ZoneInfo("America/New_York")
RAW_JOBS = yaml.safe_load(sched.JOBS_FILE.read_text())["jobs"]


class FakeScheduler:
    """The CloudSchedulerClient methods the module calls; stores jobs as the server would and records each call."""

    def __init__(self) -> None:
        self.jobs: dict[str, scheduler_v1.Job] = {}
        self.calls: list[tuple[str, str]] = []

    def get_job(self, *, name: str) -> scheduler_v1.Job:
        if name not in self.jobs:
            raise exceptions.NotFound(name)
        return scheduler_v1.Job(self.jobs[name])

    def list_jobs(self, *, parent: str) -> list[scheduler_v1.Job]:
        self.calls.append(("list_jobs", parent))
        return [scheduler_v1.Job(job) for name, job in self.jobs.items() if name.startswith(parent + "/jobs/")]

    def create_job(self, *, parent: str, job: scheduler_v1.Job) -> scheduler_v1.Job:
        self.calls.append(("create_job", job.name))
        if job.name in self.jobs:
            raise exceptions.AlreadyExists(job.name)
        stored = scheduler_v1.Job(job)
        stored.state = scheduler_v1.Job.State.ENABLED  # server-owned fields the plan must ignore
        stored.user_update_time = datetime.now(EASTERN)
        self.jobs[job.name] = stored
        return stored

    def update_job(self, *, job: scheduler_v1.Job, update_mask) -> scheduler_v1.Job:
        self.calls.append(("update_job", job.name))
        stored = self.jobs[job.name]
        for path in update_mask.paths:
            setattr(stored, path, getattr(job, path))
        return stored

    def delete_job(self, *, name: str) -> None:
        self.calls.append(("delete_job", name))
        del self.jobs[name]

    def writes(self) -> list[tuple[str, str]]:
        return [call for call in self.calls if call[0] != "list_jobs"]


def desired(path: Path = sched.JOBS_FILE) -> list[scheduler_v1.Job]:
    return [sched.render(job, PROJECT, LOCATION) for job in sched.load_jobs(path)]


def apply_file(client: FakeScheduler, path: Path = sched.JOBS_FILE, prune: bool = False) -> list[sched.Action]:
    actions = sched.plan(desired(path), sched.live_jobs(client, PROJECT, LOCATION), prune=prune)
    sched.apply(client, PROJECT, LOCATION, actions)
    return actions


def edited_copy(tmp_path: Path, edit) -> Path:
    document = yaml.safe_load(sched.JOBS_FILE.read_text())
    edit(document["jobs"])
    path = tmp_path / "jobs.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def fire_times(schedule: str, count: int) -> list[datetime]:
    start = datetime(2026, 3, 1, 0, 0, tzinfo=EASTERN)  # a Sunday
    iterator = croniter(schedule, start)
    return [iterator.get_next(datetime) for _ in range(count)]


# --- the four config checks -------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", RAW_JOBS, ids=[entry["name"] for entry in RAW_JOBS])
def test_every_body_passes_the_functions_own_validator(entry):
    payload = json.dumps(entry["body"]).encode()
    outcome = parse(Envelope.of_bytes(payload, "scheduler-test"), Clock())
    assert isinstance(outcome, Accepted), getattr(outcome, "problems", outcome)


@pytest.mark.parametrize("entry", RAW_JOBS, ids=[entry["name"] for entry in RAW_JOBS])
def test_every_cron_parses_in_the_game_day_time_zone(entry):
    assert croniter.is_valid(entry["schedule"]), entry["schedule"]
    assert len(entry["schedule"].split()) == 5, "Cloud Scheduler takes unix-cron: five fields"
    assert entry["time_zone"] == "America/New_York"


def test_every_export_type_has_a_time_based_backstop():
    reached = {name for entry in RAW_JOBS for name in expand(entry["body"].get("export_types", ["players"]))}
    assert set(export_types()) - reached == set()


def test_job_names_are_unique():
    names = [entry["name"] for entry in RAW_JOBS]
    assert len(names) == len(set(names))


# --- the jobs the issue names -----------------------------------------------------------------------------


def jobs_running(export_type: str, target_date: str | None) -> list[dict]:
    return [
        entry for entry in RAW_JOBS
        if export_type in entry["body"].get("export_types", [])
        and entry["body"].get("target_date", "today") == (target_date or entry["body"].get("target_date", "today"))
    ]


def test_overnight_results_for_yesterday_at_five():
    [job] = jobs_running("results-set", "yesterday")
    assert {(t.hour, t.minute) for t in fire_times(job["schedule"], 7)} == {(5, 0)}


def test_tonight_set_at_eleven_thirteen_and_seventeen():
    [job] = jobs_running("tonight-set", "today")
    assert {(t.hour, t.minute) for t in fire_times(job["schedule"], 9)} == {(11, 0), (13, 0), (17, 0)}


def test_weekly_player_profiles_on_sunday_at_six():
    [job] = jobs_running("players", None)
    times = fire_times(job["schedule"], 3)
    assert {(t.weekday(), t.hour, t.minute) for t in times} == {(6, 6, 0)}


def test_a_status_backstop_runs_at_least_hourly():
    [job] = [entry for entry in RAW_JOBS if "status" in entry["name"]]
    times = fire_times(job["schedule"], 25)
    assert max(later - earlier for earlier, later in zip(times, times[1:])).total_seconds() <= 3600


def test_every_job_targets_the_export_trigger_topic():
    assert {entry["topic"] for entry in RAW_JOBS} == {"phase6-export-trigger"}


# --- loading rejects what the legacy scheduler let through ------------------------------------------------


def test_a_singular_export_type_body_is_refused_with_the_validators_hint(tmp_path):
    path = edited_copy(tmp_path, lambda jobs: jobs[0]["body"].update({"export_type": "results"}))
    with pytest.raises(sched.SchedulesError, match="did you mean export_types"):
        sched.load_jobs(path)


def test_two_jobs_with_one_name_are_refused(tmp_path):
    path = edited_copy(tmp_path, lambda jobs: jobs.append(dict(jobs[1], description="a second owner")))
    with pytest.raises(sched.SchedulesError, match="declared more than once"):
        sched.load_jobs(path)


def test_an_unknown_time_zone_is_refused(tmp_path):
    path = edited_copy(tmp_path, lambda jobs: jobs[0].update({"time_zone": "Eastern"}))
    with pytest.raises(sched.SchedulesError, match="not an IANA time zone"):
        sched.load_jobs(path)


def test_an_unknown_key_is_refused(tmp_path):
    path = edited_copy(tmp_path, lambda jobs: jobs[0].update({"timezone": "UTC"}))
    with pytest.raises(sched.SchedulesError, match="unknown keys timezone"):
        sched.load_jobs(path)


# --- rendering --------------------------------------------------------------------------------------------


def test_render_gives_the_exact_job_the_api_receives():
    job = sched.ScheduledJob("nightly", "d", "0 5 * * *", "America/New_York", "phase6-export-trigger", {"export_types": ["results"]})
    rendered = sched.render(job, "p", "us-west2")
    assert rendered.name == "projects/p/locations/us-west2/jobs/nightly"
    assert rendered.pubsub_target.topic_name == "projects/p/topics/phase6-export-trigger"
    assert json.loads(rendered.pubsub_target.data) == {"export_types": ["results"]}
    assert dict(rendered.pubsub_target.attributes) == {"managed-by": "phase6"}
    assert (rendered.schedule, rendered.time_zone, rendered.description) == ("0 5 * * *", "America/New_York", "d")


# --- plan, apply, drift, prune against the fake -----------------------------------------------------------


def test_first_apply_creates_every_job_and_the_second_is_a_no_op():
    client = FakeScheduler()
    first = apply_file(client)
    assert [action.kind for action in first] == ["create"] * len(RAW_JOBS)
    assert len(client.jobs) == len(RAW_JOBS)
    client.calls.clear()
    second = apply_file(client)
    assert {action.kind for action in second} == {"unchanged"}
    assert client.writes() == []


def test_an_edited_body_becomes_one_update_in_place_never_delete_and_create(tmp_path):
    client = FakeScheduler()
    apply_file(client)
    client.calls.clear()
    path = edited_copy(tmp_path, lambda jobs: jobs[0]["body"].update({"export_types": ["results"]}))
    actions = apply_file(client, path)
    name = f"projects/{PROJECT}/locations/{LOCATION}/jobs/{RAW_JOBS[0]['name']}"
    assert client.writes() == [("update_job", name)]
    assert [a.changed for a in actions if a.kind == "update"] == [("pubsub_target",)]
    assert json.loads(client.jobs[name].pubsub_target.data)["export_types"] == ["results"]
    assert client.jobs[name].state == scheduler_v1.Job.State.ENABLED


def test_a_changed_schedule_updates_only_that_field(tmp_path):
    client = FakeScheduler()
    apply_file(client)
    path = edited_copy(tmp_path, lambda jobs: jobs[1].update({"schedule": "0 12 * * *"}))
    actions = apply_file(client, path)
    assert [(a.kind, a.changed) for a in actions if a.kind != "unchanged"] == [("update", ("schedule",))]


def test_prune_deletes_only_labelled_jobs_missing_from_the_file(tmp_path):
    client = FakeScheduler()
    apply_file(client)
    foreign = scheduler_v1.Job(name=f"projects/{PROJECT}/locations/{LOCATION}/jobs/someone-elses", schedule="0 1 * * *")
    client.jobs[foreign.name] = foreign
    path = edited_copy(tmp_path, lambda jobs: jobs.pop())
    dropped = f"projects/{PROJECT}/locations/{LOCATION}/jobs/{RAW_JOBS[-1]['name']}"

    client.calls.clear()
    apply_file(client, path, prune=False)
    assert client.writes() == [], "without --prune nothing is ever deleted"

    apply_file(client, path, prune=True)
    assert client.writes() == [("delete_job", dropped)]
    assert foreign.name in client.jobs


def test_drift_names_missing_changed_and_extra_jobs(tmp_path):
    client = FakeScheduler()
    apply_file(client)
    assert sched.drift(*plan_against(client)) == []
    first, second = (f"projects/{PROJECT}/locations/{LOCATION}/jobs/{RAW_JOBS[i]['name']}" for i in (0, 1))
    client.jobs[first].schedule = "0 6 * * *"
    del client.jobs[second]
    stray = sched.render(sched.ScheduledJob("phase6-old", "d", "0 1 * * *", "America/New_York", "t-topic", {}), PROJECT, LOCATION)
    client.jobs[stray.name] = stray
    lines = sched.drift(*plan_against(client))
    assert lines == [
        f'changed    {first}: schedule: live "0 6 * * *" ≠ file "0 5 * * *"',
        f"missing    {second}: declared in the file, not live",
        f"extra      {stray.name}: labelled managed-by=phase6 live, not in the file",
    ]


def plan_against(client: FakeScheduler) -> tuple[list[sched.Action], list[scheduler_v1.Job]]:
    live = sched.live_jobs(client, PROJECT, LOCATION)
    return sched.plan(desired(), live, prune=True), live


# --- the command line -------------------------------------------------------------------------------------


def test_cli_plan_apply_drift_round_trip(monkeypatch):
    client = FakeScheduler()
    monkeypatch.setattr(cli_deploy, "make_client", lambda: client)
    runner = CliRunner()
    options = ["--project", PROJECT, "--location", LOCATION]

    planned = runner.invoke(cli_deploy.schedules, ["plan", *options])
    assert planned.exit_code == 0, planned.output
    assert planned.output.count("create_job(") == len(RAW_JOBS)
    assert client.writes() == [], "plan never writes"

    drifted = runner.invoke(cli_deploy.schedules, ["drift", *options])
    assert drifted.exit_code == 1 and "missing" in drifted.output

    applied = runner.invoke(cli_deploy.schedules, ["apply", *options])
    assert applied.exit_code == 0, applied.output
    assert f"{len(RAW_JOBS)} create" in applied.output

    clean = runner.invoke(cli_deploy.schedules, ["drift", *options])
    assert clean.exit_code == 0 and "no drift" in clean.output
