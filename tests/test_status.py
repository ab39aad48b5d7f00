"""status.json (api.md §3.16): the pure builder and the probe selection."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone

from phase6 import contract, status
from phase6.jsonio import dumps
from phase6.storage.base import ObjectInfo
from phase6.storage.local import LocalBucket

NOW = datetime(2026, 3, 4, 18, 0, 0, tzinfo=timezone.utc)
G = date(2026, 3, 4)
ORDER = [
    "results", "performance", "best-bets", "predictions", "tonight", "tonight-players", "streaks", "subset-picks",
    "daily-signals", "subset-performance", "subset-definitions", "season-subsets", "model-registry", "players",
    "live-grading",
]
RUN = {
    "run_id": "abc123", "started_at": "2026-03-04T17:59:00.000000+00:00", "finished_at": "2026-03-04T18:00:00.000000+00:00",
    "status": "partial",
    "request": {"export_types": ["results"], "target_date": "2026-03-04", "mode": "live", "correlation_id": "corr-1"},
    "exports": {
        "results": {"status": "ok", "error": None},
        "performance": {"status": "failed", "error": "WarehouseError: query nba_predictions.system_daily_performance catboost_v9"},
    },
    "errors": ["performance: WarehouseError: nba_predictions.system_daily_performance"],
}


def info(path: str, age: timedelta) -> ObjectInfo:
    return ObjectInfo(path, 10, NOW - age, "public, max-age=300", "application/json")


def all_fresh() -> dict[str, ObjectInfo]:
    return {export_type: info(candidates[0], timedelta(minutes=5)) for export_type, candidates in status.probe_paths(G)}


def build(probes):
    return status.build_status(generated_at=NOW, game_day=G, publisher_build="build-7", run=RUN, probes=probes)


def test_healthy_when_every_probe_is_fresh():
    body = build(all_fresh())
    assert list(body) == [
        "updated_at", "generated_at", "game_day", "publisher_build", "overall_status", "services", "known_issues",
        "maintenance_windows", "run", "endpoints"]
    assert body["overall_status"] == "healthy" and body["known_issues"] == [] and body["maintenance_windows"] == []
    assert body["updated_at"] == body["generated_at"] == NOW and body["game_day"] == "2026-03-04"
    assert [entry["export_type"] for entry in body["endpoints"]] == ORDER
    assert all(entry["status"] == "ok" and entry["age_seconds"] == 300 for entry in body["endpoints"])
    assert list(body["services"]) == ["tonight_data", "grading", "predictions", "live_data"]
    assert all(service == {"status": "healthy", "message": "Last updated 0.1 hours ago", "last_update": NOW - timedelta(minutes=5),
                           "age_minutes": 5.0, "is_stale": False} for service in body["services"].values())


def test_sla_table():
    slas = {entry["export_type"]: entry["sla_seconds"] for entry in build(all_fresh())["endpoints"]}
    assert slas["results"] == slas["performance"] == 108000
    assert slas["tonight"] == slas["tonight-players"] == 43200
    assert slas["subset-definitions"] == slas["model-registry"] == 172800
    assert slas["players"] == 691200
    assert {slas[name] for name in ("best-bets", "predictions", "streaks", "subset-picks", "daily-signals",
                                    "subset-performance", "season-subsets", "live-grading")} == {93600}


def test_stale_endpoint_degrades():
    probes = all_fresh()
    probes["tonight"] = info("tonight/all-players.json", timedelta(hours=12, seconds=1))
    probes["results"] = info("results/latest.json", timedelta(hours=30))  # exactly at the SLA: still ok
    body = build(probes)
    entries = {entry["export_type"]: entry for entry in body["endpoints"]}
    assert entries["results"]["status"] == "ok"
    assert entries["tonight"]["status"] == "stale" and entries["tonight"]["age_seconds"] == 43201
    assert body["overall_status"] == "degraded"
    tonight = body["services"]["tonight_data"]
    assert tonight["status"] == "degraded" and tonight["is_stale"] is True and tonight["age_minutes"] == 720.0
    assert [issue["severity"] for issue in body["known_issues"]] == ["degraded"]
    assert body["known_issues"][0]["detected_at"] == NOW


def test_missing_endpoint_is_unhealthy_and_stale():
    probes = all_fresh()
    probes["predictions"] = None
    probes["tonight"] = info("tonight/all-players.json", timedelta(days=2))
    body = build(probes)
    entry = body["endpoints"][ORDER.index("predictions")]
    assert entry == {"export_type": "predictions", "path": "predictions/today.json", "last_written_at": None,
                     "age_seconds": None, "sla_seconds": 93600, "status": "stale"}
    assert body["overall_status"] == "unhealthy"
    assert body["services"]["predictions"]["status"] == "unhealthy"
    assert body["services"]["predictions"]["last_update"] is None
    assert sorted(issue["severity"] for issue in body["known_issues"]) == ["degraded", "unhealthy"]


def test_each_service_follows_its_endpoint():
    """tonight_data ← tonight, grading ← results, predictions ← predictions, live_data ← live-grading."""
    probes = all_fresh()
    probes["results"] = info("results/latest.json", timedelta(hours=31))
    probes["live-grading"] = info("live-grading/latest.json", timedelta(hours=27))
    probes["tonight"] = None
    services = build(probes)["services"]
    assert (services["grading"]["status"], services["grading"]["is_stale"], services["grading"]["age_minutes"]) == (
        "degraded", True, 1860.0)
    assert (services["live_data"]["status"], services["live_data"]["is_stale"]) == ("degraded", True)
    assert services["live_data"]["last_update"] == NOW - timedelta(hours=27)
    assert (services["tonight_data"]["status"], services["tonight_data"]["last_update"]) == ("unhealthy", None)
    assert services["predictions"]["status"] == "healthy"


def test_only_the_endpoint_probes_make_the_status_unhealthy():
    """A stale live-grading degrades overall and live_data alike; nothing outside the 15 probes is looked at."""
    body = status.build_status(generated_at=NOW, game_day=G, publisher_build=None, run=RUN, probes=all_fresh())
    assert body["overall_status"] == "healthy" and body["services"]["live_data"]["status"] == "healthy"
    assert body["publisher_build"] is None
    probes = all_fresh()
    probes["live-grading"] = None
    body = build(probes)
    assert body["overall_status"] == body["services"]["live_data"]["status"] == "unhealthy"


def test_missing_dated_probe_reports_the_first_candidate():
    probes = all_fresh()
    probes["subset-picks"] = None
    probes["daily-signals"] = info("signals/2026-03-03.json", timedelta(hours=20))
    entries = {entry["export_type"]: entry for entry in build(probes)["endpoints"]}
    assert entries["subset-picks"]["path"] == "picks/2026-03-04.json"
    assert entries["daily-signals"]["path"] == "signals/2026-03-03.json" and entries["daily-signals"]["status"] == "ok"


def test_probe_paths():
    paths = dict(status.probe_paths(G))
    assert list(paths) == ORDER
    assert paths["subset-picks"] == ["picks/2026-03-04.json", "picks/2026-03-03.json"]
    assert paths["daily-signals"] == ["signals/2026-03-04.json", "signals/2026-03-03.json"]
    assert paths["tonight-players"] == ["tonight/player/"]


def test_run_section_keeps_statuses_only():
    run = build(all_fresh())["run"]
    assert run == {
        "run_id": "abc123", "correlation_id": "corr-1", "mode": "live", "target_date": "2026-03-04", "status": "partial",
        "started_at": RUN["started_at"], "finished_at": RUN["finished_at"],
        "exports": {"results": "ok", "performance": "failed"},
    }


def test_no_error_text_table_names_or_system_ids():
    probes = all_fresh()
    probes["players"] = None
    text = dumps(build(probes)).decode()
    for token in ("Error", "nba_", "catboost", "system_id", "Traceback"):
        assert token not in text
    timestamps = re.findall(r'"(\d{4}-\d{2}-\d{2}T[^"]*)"', text)
    assert timestamps and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00", value) for value in timestamps)
    json.loads(text)


def test_newest_object_directly_under_the_prefix():
    objects = [
        info("tonight/player/a.json", timedelta(hours=3)),
        info("tonight/player/b.json", timedelta(hours=1)),
        info("tonight/player/2026-03-04/c.json", timedelta(minutes=1)),
    ]
    assert status.newest_directly_under("tonight/player/", objects).name == "tonight/player/b.json"
    assert status.newest_directly_under("tonight/player/", objects[2:]) is None


def test_collect_probes_on_a_local_bucket(tmp_path):
    bucket = LocalBucket(tmp_path)
    for name in ("v1/picks/2026-03-03.json", "v1/tonight/player/x.json", "v1/tonight/player/2026-03-04/x.json",
                 "v1/results/latest.json"):
        bucket.write(name, b"{}", cache_control="public, max-age=60")
    bucket.write("v1/live/latest.json", b"{}", cache_control="public, max-age=60")  # the legacy publisher's; not probed
    probes = status.collect_probes(bucket, "v1/", G)
    assert list(probes) == ORDER
    assert probes["subset-picks"].name == "picks/2026-03-03.json"
    assert probes["tonight-players"].name == "tonight/player/x.json"
    assert probes["results"].name == "results/latest.json"
    assert probes["predictions"] is None


def test_bodies_pass_the_contract_checks():
    probes = all_fresh()
    probes["players"] = None
    probes["results"] = info("results/latest.json", timedelta(days=3))
    for body in (build(all_fresh()), build(probes)):
        data = dumps(body)
        assert contract.validate_document("status.json", json.loads(data)) + contract.raw_violations(data) == []
