"""subset-picks and subset-definitions: selection and shapes on hand-made rows, the
materialisation on a tiny warehouse, and the contract on the demo season."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from exporters import subset_definitions, subset_picks
from exporters.common import public_model_groups
from phase6.app import open_app
from phase6.catalog import ExportContext
from phase6.runner import RunRequest
from phase6.vocab import SUBSETS
from phase6.warehouse.schema import create_schema
from phase6.storage.local import LocalBucket
from tests.conftest import settings_for
from tests.support import forbidden_tokens

G = date(2026, 3, 4)
NOW = datetime(2026, 3, 4, 18, 0, 5, 123456, tzinfo=timezone.utc)
CHAMPION = "catboost_v9"
AURORA = "catboost_v9_q43_train1102_0131"

def ctx(target: date = G, mode: str = "live", now: datetime = NOW) -> ExportContext:
    return ExportContext(target, G, now, CHAMPION, mode)

PICK_KEYS = {"player", "team", "opponent", "prediction", "line", "direction"}


def definition(subset_id: str, system_id: str = CHAMPION, **overrides) -> dict:
    row = dict(subset_id=subset_id, subset_name=subset_id, subset_description="internal", system_id=system_id,
               use_ranking=False, top_n=None, min_edge=None, min_confidence=None, signal_condition="ANY",
               direction="ANY", pct_over_min=None, pct_over_max=None)
    row.update(overrides)
    return row


def candidate(lookup: str, edge: float, confidence: float = 80.0, recommendation: str = "OVER") -> dict:
    return dict(player_lookup=lookup, game_id="20260304_LAL_BOS", edge=edge, confidence_score=confidence,
                recommendation=recommendation, composite_score=edge * 10 + confidence * 0.5)


def prediction(lookup: str, predicted: float, line: float | None = 10.5, system_id: str = CHAMPION, **overrides) -> dict:
    recommendation = "OVER" if line is not None and predicted > line else "UNDER"
    row = dict(prediction_id=f"{system_id}-{lookup}", system_id=system_id, player_lookup=lookup,
               game_id="20260304_LAL_BOS", game_date=G, prediction_version=1, predicted_points=predicted,
               confidence_score=84.0, recommendation=recommendation, current_points_line=line,
               line_source="ACTUAL_PROP", model_version="v9_a", default_feature_count=0, prediction_run_mode="SAME_DAY",
               quality_alert_level="green", prediction_made_before_game=True, is_active=True,
               created_at=datetime(2026, 3, 4, 15, tzinfo=timezone.utc))
    row.update(overrides)
    return row


def team(lookup: str, team_abbr: str = "BOS", opponent: str = "LAL") -> dict:
    return dict(player_lookup=lookup, game_id="20260304_LAL_BOS", team_abbr=team_abbr, opponent_team_abbr=opponent,
                home_game=team_abbr == "BOS")


def quality(lookup: str, score: float | None = 90.0) -> dict:
    return dict(player_lookup=lookup, feature_quality_score=score)


# ---- candidates and selection ----

def test_modal_version_prefers_the_most_frequent_then_the_greatest_string():
    rows = [prediction("a", 20, model_version="v9_a"), prediction("b", 20, model_version="v9_b"),
            prediction("c", 20, model_version="v9_b"), prediction("d", 20, system_id=AURORA, model_version="x"),
            prediction("e", 20, system_id=AURORA, model_version="y")]
    assert subset_picks.modal_versions(rows) == {CHAMPION: "v9_b", AURORA: "y"}


def test_candidates_keep_the_latest_active_row_with_team_quality_and_modal_version():
    later = datetime(2026, 3, 4, 16, tzinfo=timezone.utc)
    rows = [
        prediction("keep", 20.0),
        prediction("keep", 22.0, prediction_id="newer", created_at=later),
        prediction("pass", 11.0, recommendation="PASS"),
        prediction("noteam", 25.0),
        prediction("lowquality", 25.0),
        prediction("noquality", 25.0),
        prediction("stale", 30.0, model_version="v9_old"),
        prediction("other", 18.0),
    ]
    teams = [team(lookup) for lookup in ("keep", "pass", "lowquality", "noquality", "stale", "other")]
    features = [quality("keep"), quality("pass"), quality("lowquality", 84.9), quality("noquality", None),
                quality("stale"), quality("other", 85.0)]
    candidates = subset_picks.subset_candidates(rows, teams, features)
    assert list(candidates) == [CHAMPION]
    chosen = candidates[CHAMPION]
    assert [c["player_lookup"] for c in chosen] == ["keep", "other"]
    assert chosen[0]["prediction_id"] == "newer"
    assert chosen[0]["edge"] == pytest.approx(11.5)
    assert chosen[0]["composite_score"] == pytest.approx(11.5 * 10 + 84 * 0.5)
    assert (chosen[0]["team"], chosen[0]["opponent"], chosen[0]["feature_quality_score"]) == ("BOS", "LAL", 90.0)


def test_edges_are_exact_for_thresholds_and_ties():
    rows = [prediction("a", 20.4, line=15.4), prediction("b", 29.9, line=24.9)]
    chosen = subset_picks.subset_candidates(rows, [team("a"), team("b")], [quality("a"), quality("b")])[CHAMPION]
    assert [(c["player_lookup"], c["edge"], c["composite_score"]) for c in chosen] == [("a", 5.0, 92.0), ("b", 5.0, 92.0)]
    assert len(subset_picks.select_subset(definition("x", min_edge=5.0), chosen, None)) == 2


def test_candidate_order_is_composite_then_edge_then_player():
    rows = [prediction("b", 16.5), prediction("a", 16.5), prediction("c", 17.5, confidence_score=74.0)]
    chosen = subset_picks.subset_candidates(rows, [team(x) for x in "abc"], [quality(x) for x in "abc"])[CHAMPION]
    # c: edge 7, composite 107; a and b: edge 6, composite 102
    assert [c["player_lookup"] for c in chosen] == ["c", "a", "b"]


def test_selection_filters_in_order_then_top_n():
    candidates = [candidate("a", 8.0), candidate("b", 6.0, recommendation="UNDER"), candidate("c", 5.5, confidence=70.0),
                  candidate("d", 4.0), candidate("e", 2.0)]
    pick = lambda d, signal=None: [c["player_lookup"] for c in subset_picks.select_subset(d, candidates, signal)]
    assert pick(definition("x")) == ["a", "b", "c", "d", "e"]
    assert pick(definition("x", min_edge=0.0)) == ["a", "b", "c", "d", "e"]
    assert pick(definition("x", min_edge=5.0)) == ["a", "b", "c"]
    assert pick(definition("x", min_confidence=75.0)) == ["a", "b", "d", "e"]
    assert pick(definition("x", direction="OVER")) == ["a", "c", "d", "e"]
    assert pick(definition("x", direction="UNDER", min_edge=5.0)) == ["b"]
    assert pick(definition("x", min_edge=3.0, top_n=2, use_ranking=False)) == ["a", "b"]


def test_signal_condition_applies_only_with_a_signal_row():
    candidates = [candidate("a", 8.0)]
    for condition, daily_signal, expected in [
        ("GREEN_OR_YELLOW", "GREEN", True), ("GREEN_OR_YELLOW", "YELLOW", True), ("GREEN_OR_YELLOW", "RED", False),
        ("GREEN", "YELLOW", False), ("RED", "RED", True), ("ANY", "RED", True), (None, "RED", True),
    ]:
        signal = {"daily_signal": daily_signal, "pct_over": 30.0}
        chosen = subset_picks.select_subset(definition("x", signal_condition=condition), candidates, signal)
        assert bool(chosen) is expected, (condition, daily_signal)
    assert subset_picks.select_subset(definition("x", signal_condition="GREEN"), candidates, None) == candidates


def test_pct_over_bounds_apply_only_when_pct_over_is_known():
    candidates = [candidate("a", 8.0)]
    bounded = definition("x", pct_over_min=25.0, pct_over_max=40.0)
    assert subset_picks.select_subset(bounded, candidates, {"daily_signal": "GREEN", "pct_over": 40.0})
    assert not subset_picks.select_subset(bounded, candidates, {"daily_signal": "GREEN", "pct_over": 45.0})
    assert not subset_picks.select_subset(bounded, candidates, {"daily_signal": "GREEN", "pct_over": 20.0})
    assert subset_picks.select_subset(bounded, candidates, {"daily_signal": "GREEN", "pct_over": None})
    assert subset_picks.select_subset(bounded, candidates, None)


def test_public_model_groups_order_and_left_out_definitions():
    definitions = [definition("q43_all_picks", AURORA), definition("all_picks"), definition("top_pick"),
                   definition("mystery"), definition("q45_all_picks", "zone_matchup_v1")]
    groups, left_out = public_model_groups(definitions, CHAMPION)
    assert [g.model.codename for g in groups] == ["phoenix", "aurora"]
    assert [s.info.public_id for s in groups[0].subsets] == ["1", "8"]
    assert len(left_out) == 2 and "mystery" in left_out[0] and "zone_matchup_v1" in left_out[1]


# ---- versions and the materialisation ----

def test_version_id_is_the_run_second_or_one_after_the_latest():
    assert subset_picks.next_version(NOW, None) == ("v_20260304_180005", NOW)
    assert subset_picks.next_version(NOW, "v_20260304_170000")[0] == "v_20260304_180005"
    same = subset_picks.next_version(NOW, "v_20260304_180005")
    assert same == ("v_20260304_180006", datetime(2026, 3, 4, 18, 0, 6, tzinfo=timezone.utc))
    assert subset_picks.next_version(NOW, "v_20260304_235959")[0] == "v_20260305_000000"


def materialization_rows_by_name(predictions=None, definitions=None, signal=None, version_state=None) -> dict:
    predictions = predictions if predictions is not None else [prediction("a", 17.0), prediction("b", 14.0)]
    return {
        "subset_definitions": definitions if definitions is not None else [definition("top_pick", top_n=1, min_edge=5.0),
                                                                           definition("all_picks", min_edge=3.0)],
        "champion_signal": signal if signal is not None else [{"daily_signal": "GREEN", "pct_over": 30.0}],
        "subset_predictions": predictions,
        "team_lookup": [team(row["player_lookup"]) for row in predictions],
        "feature_quality": [quality(row["player_lookup"]) for row in predictions],
        "registry_names": [{"player_lookup": "a", "player_name": "Ärne Á"}],
        "version_state": version_state or [{"max_version_id": None, "row_count": 0}],
    }


def test_compute_stamps_one_version_with_public_names_and_ranks():
    insert = subset_picks.compute(ctx(), materialization_rows_by_name())
    assert subset_picks.SPEC.materialization.table == "nba_predictions.current_subset_picks" and insert.warning is None
    rows = insert.rows
    assert {row["version_id"] for row in rows} == {"v_20260304_180005"}
    assert [(r["subset_id"], r["subset_name"], r["player_lookup"], r["rank_in_subset"]) for r in rows] == [
        ("top_pick", "Top Pick", "a", 1), ("all_picks", "All Picks", "a", 1), ("all_picks", "All Picks", "b", 2)]
    first = rows[0]
    assert first["player_name"] == "Ärne Á" and rows[2]["player_name"] == "b"
    assert first["trigger_source"] == "export" and first["computed_at"] == NOW
    assert first["daily_signal"] == "GREEN" and first["pct_over"] == 30.0 and first["total_predictions_available"] == 2
    assert first["edge"] == pytest.approx(6.5) and first["composite_score"] == pytest.approx(65 + 42)


def test_compute_reports_left_out_subsets():
    definitions = [definition("all_picks", min_edge=3.0), definition("mystery")]
    insert = subset_picks.compute(ctx(), materialization_rows_by_name(definitions=definitions))
    assert {row["subset_id"] for row in insert.rows} == {"all_picks"}
    assert "mystery" in insert.warning


def test_empty_selection_never_replaces_a_version_with_rows():
    state = [{"max_version_id": "v_20260304_150000", "row_count": 12}]
    insert = subset_picks.compute(ctx(), materialization_rows_by_name(predictions=[], version_state=state))
    assert insert.rows == [] and "v_20260304_150000" in insert.warning


def test_materialisation_applies_to_live_g_and_to_replays_without_a_version():
    none = {"version_state": [{"max_version_id": None, "row_count": 0}]}
    some = {"version_state": [{"max_version_id": "v_20260301_120000", "row_count": 3}]}
    past = G - timedelta(days=3)
    assert subset_picks.applies(ctx(G), some)
    assert not subset_picks.applies(ctx(past), none)
    assert not subset_picks.applies(ctx(G + timedelta(days=1)), none)
    assert subset_picks.applies(ctx(past, "replay"), none)
    assert not subset_picks.applies(ctx(past, "replay"), some)


# ---- picks/{date}.json shape ----

def test_record_windows_and_new_subsets():
    assert subset_picks.subset_record(None) is None
    record = subset_picks.subset_record(dict(season_wins=7, season_graded=9, month_wins=0, month_graded=0,
                                             week_wins=1, week_graded=3))
    assert record == {"season": {"wins": 7, "losses": 2, "pct": 77.8}, "month": {"wins": 0, "losses": 0, "pct": 0.0},
                      "week": {"wins": 1, "losses": 2, "pct": 33.3}}


def test_shape_lists_every_public_subset_and_exact_pick_keys():
    groups, _ = public_model_groups([definition("all_picks"), definition("top_pick"), definition("q43_all_picks", AURORA)],
                                    CHAMPION)
    published = [dict(system_id=None, subset_id="all_picks", player_lookup="a", player_name="Ärne RED-edge", team="BOS",
                      opponent="LAL", predicted_points=17.04, current_points_line=10.5, recommendation="OVER",
                      rank_in_subset=1, created_at=NOW),
                 dict(system_id=CHAMPION, subset_id="all_picks", player_lookup="b", player_name=None, team="BOS",
                      opponent="LAL", predicted_points=13.0, current_points_line=10.5, recommendation="OVER",
                      rank_in_subset=2, created_at=None)]
    picks = subset_picks.published_picks_by_subset(list(reversed(published)))
    body = subset_picks.shape(ctx(), groups, picks, {}, {"daily_signal": "RED", "pct_over": 10.0})
    assert list(body) == ["date", "generated_at", "version", "model_groups"] and body["version"] == 2
    phoenix, aurora = body["model_groups"]
    assert (phoenix["model_id"], phoenix["model_type"], phoenix["signal"]) == ("phoenix", "primary", "challenging")
    assert aurora["signal"] == "challenging" and aurora["subsets"][0]["picks"] == []
    assert [s["id"] for s in phoenix["subsets"]] == ["1", "8"]
    assert phoenix["subsets"][0] == {"id": "1", "name": "Top Pick", "record": None, "picks": []}
    first, second = phoenix["subsets"][1]["picks"]
    assert set(first) == PICK_KEYS | {"created_at"} and set(second) == PICK_KEYS
    assert (first["player"], first["prediction"], second["player"]) == ("Ärne RED-edge", 17.0, "b")
    assert forbidden_tokens(body) == []


def test_no_public_definitions_gives_no_model_groups():
    body = subset_picks.shape(ctx(), [], {}, {}, None)
    assert body["model_groups"] == []


def test_fallback_selection_uses_the_same_rules():
    rows = materialization_rows_by_name()
    groups, _, candidates, signal = subset_picks.selection_inputs(ctx(), rows)
    picks = subset_picks.computed_picks_by_subset(subset_picks.selections(groups, candidates, signal), {"a": "Arne"})
    materialised = subset_picks.compute(ctx(), rows).rows
    assert {key: [p["player_lookup"] for p in chosen] for key, chosen in picks.items()} == {
        (CHAMPION, subset): [r["player_lookup"] for r in materialised if r["subset_id"] == subset]
        for subset in ("top_pick", "all_picks")
    }
    assert picks[(CHAMPION, "top_pick")][0]["player_name"] == "Arne"


def test_subset_definitions_shape_has_public_descriptions_only():
    groups, _ = public_model_groups([definition("top_5"), definition("q45_all_picks", "catboost_v9_q45_train1102_0131"),
                                     definition("mystery")], CHAMPION)
    body = subset_definitions.shape(ctx(), groups)
    assert list(body) == ["generated_at", "version", "model_groups"]
    assert [(g["model_id"], [s["id"] for s in g["subsets"]]) for g in body["model_groups"]] == [("phoenix", ["3"]), ("summit", ["13"])]
    assert body["model_groups"][0]["subsets"][0]["description"] == "Top 5 picks of the day"
    assert forbidden_tokens(body) == []
    assert subset_definitions.shape(ctx(), [])["model_groups"] == []


# ---- the materialisation on a tiny warehouse ----

def insert(connection, table: str, rows: list[dict]) -> None:
    for row in rows:
        columns = ", ".join(row)
        connection.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))


def tiny_warehouse(path: Path, predictions: list[dict], versions: list[dict] = ()) -> Path:
    """Two champion definitions, a GREEN signal and, on the predictions' date, team, summary and feature rows."""
    day = predictions[0]["game_date"]
    connection = duckdb.connect(str(path))
    connection.execute("SET TimeZone='UTC'")
    create_schema(connection)
    defs = [definition("top_pick", top_n=1, use_ranking=True, min_edge=5.0, direction="OVER",
                       signal_condition="GREEN_OR_YELLOW"), definition("all_picks", min_edge=3.0)]
    insert(connection, "nba_predictions.dynamic_subset_definitions", [{**d, "is_active": True} for d in defs])
    insert(connection, "nba_predictions.daily_prediction_signals",
           [dict(game_date=day, system_id=CHAMPION, daily_signal="GREEN", pct_over=30.0)])
    insert(connection, "nba_predictions.player_prop_predictions",
           predictions)
    players = sorted({row["player_lookup"] for row in predictions})
    insert(connection, "nba_analytics.upcoming_player_game_context", [{**team(p), "game_date": day} for p in players])
    insert(connection, "nba_analytics.player_game_summary",
           [dict(player_lookup=p, game_id="20260304_LAL_BOS", game_date=day, team_abbr="BOS", opponent_team_abbr="LAL",
                 season_year=2025, starter_flag=True, win_flag=True, is_active=True) for p in players])
    insert(connection, "nba_predictions.ml_feature_store_v2",
           [dict(player_lookup=p, game_id="20260304_LAL_BOS", game_date=day, feature_count=37, feature_version="v2",
                 feature_quality_score=92.0, data_source="phase4") for p in players])
    insert(connection, "nba_predictions.current_subset_picks", list(versions))
    connection.close()
    return path


def run(tmp_path: Path, warehouse: Path, target: date = G, mode: str = "live"):
    app = open_app(settings_for(tmp_path, warehouse))
    try:
        record = app.runner.run(RunRequest(("subset-picks",), target, mode=mode))
        versions = app.backends.warehouse.query(
            "SELECT version_id, COUNT(*) AS n FROM nba_predictions.current_subset_picks GROUP BY version_id ORDER BY version_id")
    finally:
        app.close()
    body = json.loads(LocalBucket(tmp_path / "bucket").read(f"v1/picks/{target}.json"))
    return record.exports["subset-picks"], versions, body


def old_version(version_id: str, game_date: date = G) -> dict:
    return dict(game_date=game_date, subset_id="all_picks", player_lookup="zed", system_id=CHAMPION, version_id=version_id,
                computed_at=datetime(2026, 3, 4, 12, tzinfo=timezone.utc), player_name="Zed", team="BOS", opponent="LAL",
                predicted_points=20.0, current_points_line=15.5, recommendation="OVER", rank_in_subset=1,
                subset_name="All Picks", prediction_id="gone")


def test_live_run_appends_one_version_and_publishes_it(tmp_path):
    predictions = [prediction("a", 17.0), prediction("b", 14.0), prediction("c", 14.0, is_active=False)]
    warehouse = tiny_warehouse(tmp_path / "w.duckdb", predictions)
    result, versions, body = run(tmp_path, warehouse)
    assert result.status == "ok", result.error
    assert [v["n"] for v in versions] == [3] and versions[0]["version_id"].startswith("v_20260304_")
    phoenix = body["model_groups"][0]
    assert [(s["name"], [p["player"] for p in s["picks"]]) for s in phoenix["subsets"]] == [
        ("Top Pick", ["a"]), ("All Picks", ["a", "b"])]
    assert phoenix["subsets"][1]["picks"][0]["created_at"] == "2026-03-04T15:00:00.000000+00:00"

    second, versions, _ = run(tmp_path, warehouse)
    assert second.status == "ok" and len(versions) == 2 and versions[1]["version_id"] > versions[0]["version_id"]


def test_empty_rematerialisation_keeps_the_good_version(tmp_path):
    warehouse = tiny_warehouse(tmp_path / "w.duckdb", [prediction("a", 11.0)], [old_version("v_20260304_120000")])
    result, versions, body = run(tmp_path, warehouse)
    assert [v["version_id"] for v in versions] == ["v_20260304_120000"]
    assert any("v_20260304_120000" in warning for warning in result.warnings)
    assert body["model_groups"][0]["subsets"][1]["picks"][0]["player"] == "Zed"


def test_replay_of_a_date_with_a_version_adds_none(tmp_path):
    past = G - timedelta(days=2)
    predictions = [prediction("a", 17.0, game_date=past)]
    warehouse = tiny_warehouse(tmp_path / "w.duckdb", predictions, [old_version("v_20260302_120000", past)])
    result, versions, body = run(tmp_path, warehouse, past, "replay")
    assert result.status == "ok" and [v["version_id"] for v in versions] == ["v_20260302_120000"]
    assert body["model_groups"][0]["subsets"][1]["picks"][0]["player"] == "Zed"


def test_replay_of_a_date_without_a_version_materialises_it(tmp_path):
    past = G - timedelta(days=2)
    warehouse = tiny_warehouse(tmp_path / "w.duckdb", [prediction("a", 17.0, game_date=past)])
    result, versions, _ = run(tmp_path, warehouse, past, "replay")
    assert result.status == "ok" and len(versions) == 1


def test_live_run_for_another_date_falls_back_without_writing(tmp_path):
    past = G - timedelta(days=1)
    warehouse = tiny_warehouse(tmp_path / "w.duckdb", [prediction("a", 17.0, game_date=past)])
    result, versions, body = run(tmp_path, warehouse, past)
    assert result.status == "ok" and versions == []
    assert [p["player"] for p in body["model_groups"][0]["subsets"][1]["picks"]] == ["a"]


# ---- contract on the demo season ----

@pytest.fixture(scope="module")
def demo_picks(tmp_path_factory, demo_db):
    """One live run for G, a second one, and the picks file of the first run."""
    tmp_path = tmp_path_factory.mktemp("subsets")
    warehouse = tmp_path / "demo.duckdb"
    warehouse.write_bytes(Path(demo_db).read_bytes())
    app = open_app(settings_for(tmp_path, warehouse))
    count = "SELECT version_id, COUNT(*) AS n FROM nba_predictions.current_subset_picks WHERE game_date = @d GROUP BY version_id"
    try:
        game_day = app.clock.game_day()
        before = app.backends.warehouse.query(count, {"d": game_day})
        first = app.runner.run(RunRequest(("subset-picks", "subset-definitions"), game_day))
        body = json.loads(app.backends.bucket.read(f"v1/picks/{game_day}.json"))
        definitions = json.loads(app.backends.bucket.read("v1/systems/subsets.json"))
        after_first = app.backends.warehouse.query(count, {"d": game_day})
        app.runner.run(RunRequest(("subset-picks",), game_day))
        after_second = app.backends.warehouse.query(count, {"d": game_day})
        names = app.backends.warehouse.query(
            "SELECT DISTINCT subset_name FROM nba_predictions.current_subset_picks WHERE game_date = @d", {"d": game_day})
    finally:
        app.close()
    return dict(first=first, body=body, definitions=definitions, before=before, after_first=after_first,
                after_second=after_second, names={row["subset_name"] for row in names})


@pytest.mark.slow
def test_demo_materialisations_append_later_versions_with_public_names(demo_picks):
    assert demo_picks["first"].exports["subset-picks"].status == "ok"
    first_new = {v["version_id"] for v in demo_picks["after_first"]} - {v["version_id"] for v in demo_picks["before"]}
    second_new = {v["version_id"] for v in demo_picks["after_second"]} - {v["version_id"] for v in demo_picks["after_first"]}
    assert len(first_new) == 1 and len(second_new) == 1
    assert min(second_new) > max(v["version_id"] for v in demo_picks["after_first"])
    assert demo_picks["names"] <= {info.name for info in SUBSETS.values()}


@pytest.mark.slow
def test_demo_picks_file_follows_the_contract(demo_picks):
    body = demo_picks["body"]
    assert list(body) == ["date", "generated_at", "version", "model_groups"] and body["version"] == 2
    assert forbidden_tokens(body) == []
    groups = body["model_groups"]
    assert groups and groups[0]["model_id"] == "phoenix"
    assert [g["model_id"] for g in groups[1:]] == sorted(g["model_id"] for g in groups[1:])
    total = 0
    for group in groups:
        assert group["model_type"] in ("primary", "specialist", "unknown")
        assert group["signal"] in ("favorable", "neutral", "challenging")
        ids = [int(s["id"]) for s in group["subsets"]]
        assert ids == sorted(ids) and all(1 <= i <= 13 for i in ids)
        for subset in group["subsets"]:
            assert set(subset) == {"id", "name", "record", "picks"}
            if subset["record"] is not None:
                for window in ("season", "month", "week"):
                    r = subset["record"][window]
                    assert set(r) == {"wins", "losses", "pct"} and 0 <= r["pct"] <= 100 and r["losses"] >= 0
            for pick in subset["picks"]:
                total += 1
                assert set(pick) in (PICK_KEYS, PICK_KEYS | {"created_at"})
                assert pick["direction"] in ("OVER", "UNDER") and pick["team"] and pick["opponent"]
                if "created_at" in pick:
                    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$", pick["created_at"])
    assert total > 0


@pytest.mark.slow
def test_demo_subset_definitions_file_follows_the_contract(demo_picks):
    body = demo_picks["definitions"]
    assert forbidden_tokens(body) == []
    assert body["version"] == 2 and body["model_groups"][0]["model_id"] == "phoenix"
    subsets = [s for g in body["model_groups"] for s in g["subsets"]]
    assert len(subsets) == 13
    assert all(s["description"] and s["description"] != "Curated selection" for s in subsets)
