"""model-registry: systems/models.json from the deployments of the last 7 days."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from exporters import model_registry
from phase6.catalog import ExportContext
from phase6.queries import QueryRunner
from tests.support import run_and_read

G = date(2026, 3, 4)
CTX = ExportContext(target_date=G, game_day=G, generated_at=datetime(2026, 3, 4, 18, tzinfo=timezone.utc),
                    champion_system_id="catboost_v9")


def deployment(system_id, version, first_days_ago, last_days_ago, predictions=10, current=False, **overrides):
    row = dict(
        system_id=system_id, model_file_name=f"{version}.cbm", model_version=version,
        model_trained_at=datetime(2026, 2, 1, 1, 10, 18, tzinfo=timezone.utc), model_training_start_date=date(2025, 11, 2),
        model_training_end_date=date(2026, 1, 31), model_expected_mae=4.8123, model_expected_hit_rate=62.44,
        build_commit_sha="a" * 40, deployment_revision="worker-00042", first_seen=G - timedelta(days=first_days_ago),
        last_seen=G - timedelta(days=last_days_ago), predictions=predictions, is_current=current,
    )
    row.update(overrides)
    return row


def test_empty():
    body = model_registry.shape(CTX, [])
    assert body == {"generated_at": CTX.generated_at, "as_of_date": "2026-03-04", "window_days": 7, "champion": "phoenix",
                    "models": []}


def test_entry_current_and_versions():
    body = model_registry.shape(CTX, [
        deployment("catboost_v9", "v9_20260120_000000", 6, 3, predictions=30),
        deployment("catboost_v9", "v9_20260201_011018", 2, 0, predictions=20, current=True, model_expected_hit_rate=0.6244),
    ])
    [model] = body["models"]
    assert list(model) == ["model_id", "system_id", "model_name", "model_type", "description", "is_champion",
                           "predictions_in_window", "last_prediction_date", "current", "versions"]
    assert (model["model_id"], model["model_name"], model["model_type"], model["is_champion"]) == ("phoenix", "Phoenix", "primary", True)
    assert model["predictions_in_window"] == 50 and model["last_prediction_date"] == "2026-03-04"
    assert model["current"]["model_version"] == "v9_20260201_011018"
    assert model["current"]["model_expected_hit_rate"] == 62.4 and model["current"]["model_expected_mae"] == 4.81
    assert list(model["current"]) == list(model_registry.DEPLOYMENT_KEYS)
    assert [version["model_version"] for version in model["versions"]] == ["v9_20260201_011018", "v9_20260120_000000"]
    assert model["versions"][1] == {**model_registry.deployment(deployment("catboost_v9", "v9_20260120_000000", 6, 3)),
                                         "first_seen": "2026-02-26", "last_seen": "2026-03-01", "predictions": 30}


def test_versions_with_the_same_last_seen_order_by_model_version_desc():
    body = model_registry.shape(CTX, [
        deployment("catboost_v8", "a", 3, 1), deployment("catboost_v8", "c", 3, 1, current=True), deployment("catboost_v8", "b", 3, 1),
    ])
    assert [version["model_version"] for version in body["models"][0]["versions"]] == ["c", "b", "a"]


def test_order_and_identity_of_unnamed_systems():
    body = model_registry.shape(CTX, [
        deployment("zone_matchup_v1", "v1", 3, 1, current=True, model_file_name=None, model_expected_mae=None),
        deployment("brand_new_v1", "v1", 3, 1, current=True),
        deployment("catboost_v9_q45_train1102_0131", "q45", 3, 1, current=True),
        deployment("catboost_v9_q43_train1102_0131", "q43", 3, 1, current=True),
        deployment("catboost_v9", "v9", 3, 1, current=True),
        deployment("ensemble_v1", "ensemble_v1", 3, 1, current=True),
    ])
    assert [model["system_id"] for model in body["models"]] == [
        "catboost_v9", "catboost_v9_q43_train1102_0131", "ensemble_v1", "catboost_v9_q45_train1102_0131", "brand_new_v1",
        "zone_matchup_v1"]
    by_id = {model["system_id"]: model for model in body["models"]}
    assert (by_id["zone_matchup_v1"]["model_id"], by_id["zone_matchup_v1"]["model_name"], by_id["zone_matchup_v1"]["model_type"]) == (
        None, "Zone Matchup", "unknown")
    assert by_id["zone_matchup_v1"]["description"] == "Shot zone analysis against opponent defense"
    assert (by_id["brand_new_v1"]["model_name"], by_id["brand_new_v1"]["description"]) == ("brand_new_v1", "")
    assert (by_id["ensemble_v1"]["model_id"], by_id["ensemble_v1"]["model_type"]) == ("echo", "unknown")
    assert by_id["zone_matchup_v1"]["current"]["model_file_name"] is None


def test_sql_groups_deployments_and_marks_the_latest_row(tiny_warehouse):
    base = dict(player_lookup="p", game_id="g", prediction_version=1, predicted_points=20.0, confidence_score=84.0,
                recommendation="OVER", system_id="catboost_v9", is_active=True)

    def row(prediction_id, days_ago, version, hour, **overrides):
        return dict(base, prediction_id=prediction_id, game_date=G - timedelta(days=days_ago), model_version=version,
                    created_at=datetime(2026, 2, 20, hour, tzinfo=timezone.utc), **overrides)

    tiny_warehouse.insert_rows("nba_predictions.player_prop_predictions", [
        row("1", 5, "old", 1), row("2", 4, "old", 1), row("3", 1, "new", 1), row("4", 1, "old", 2),
        row("5", 0, "new", 3, is_active=False),
        row("6", 7, "outside", 9),
    ])
    rows = QueryRunner(tiny_warehouse).run("model-registry", model_registry.DEPLOYMENTS, CTX)
    body = model_registry.shape(CTX, rows)
    [model] = body["models"]
    assert model["predictions_in_window"] == 4 and model["last_prediction_date"] == "2026-03-03"
    assert model["current"]["model_version"] == "old"  # the latest row on 03-03 was created at 02:00
    versions = {version["model_version"]: version for version in model["versions"]}
    assert set(versions) == {"old", "new"}
    assert (versions["old"]["first_seen"], versions["old"]["last_seen"], versions["old"]["predictions"]) == ("2026-02-27", "2026-03-03", 3)


def test_demo_season_contract(demo_app):
    game_day = demo_app.clock.game_day()
    body = json.loads(run_and_read(demo_app, "model-registry", game_day, "systems/models.json"))
    assert body["champion"] == "phoenix" and body["window_days"] == 7 and body["as_of_date"] == game_day.isoformat()
    assert body["models"][0]["is_champion"] and body["models"][0]["system_id"] == demo_app.settings.champion_system_id
    assert sum(model["is_champion"] for model in body["models"]) == 1
    for model in body["models"]:
        assert model["model_type"] in {"primary", "specialist", "unknown"}
        assert set(model["current"]) == set(model_registry.DEPLOYMENT_KEYS)
        assert model["predictions_in_window"] == sum(version["predictions"] for version in model["versions"])
        rate = model["current"]["model_expected_hit_rate"]
        assert rate is None or 1 < rate <= 100

    expected = demo_app.backends.warehouse.query(
        "SELECT system_id, COUNT(*) AS predictions FROM nba_predictions.player_prop_predictions "
        "WHERE game_date > @start AND game_date <= @end AND is_active = TRUE GROUP BY system_id",
        {"start": game_day - timedelta(days=7), "end": game_day},
    )
    assert {model["system_id"]: model["predictions_in_window"] for model in body["models"]} == {
        row["system_id"]: row["predictions"] for row in expected}
