"""streaks (api.md §3.7): O/U runs and champion hit runs as of the target date, dated twin and fixed file."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from exporters import streaks
from phase6.catalog import ExportContext
from phase6.queries import QueryRunner
from tests.support import run_and_read

G = date(2026, 3, 4)
CTX = ExportContext(target_date=G, game_day=G, generated_at=datetime(2026, 3, 4, 18, tzinfo=timezone.utc),
                    champion_system_id="catboost_v9")


def games(lookup, results, team="BOS", points=25, line=20.5):
    """results newest first: 'O' / 'U'; one game a day ending on G − 1."""
    return [
        dict(player_lookup=lookup, game_date=G - timedelta(days=index + 1), recency=index + 1, points=points if result == "O" else 10,
             points_line=line, over_under_result="OVER" if result == "O" else "UNDER", opponent_team_abbr=f"T{index:02d}",
             current_team=team)
        for index, result in enumerate(results)
    ]


def calls(lookup, outcomes):
    """outcomes newest first: True / False / None."""
    return [dict(player_lookup=lookup, game_date=G - timedelta(days=index + 1), recency=index + 1, prediction_correct=outcome)
            for index, outcome in enumerate(outcomes)]


def test_empty():
    body = streaks.shape(CTX, [], [], {})
    assert body == {
        "generated_at": CTX.generated_at, "as_of_date": "2026-03-04", "min_streak_length": 4,
        "streaks": {"over": [], "under": [], "prediction_hits": []},
        "summary": {"total_over_streaks": 0, "total_under_streaks": 0, "total_prediction_streaks": 0,
                    "longest_over": 0, "longest_under": 0, "longest_prediction": 0},
    }


def test_over_under_runs_from_the_most_recent_game():
    rows = (games("amy", "OOOOOOUO", points=26) + games("bob", "OOOU") + games("cal", "UUUUO")
            + games("dan", "OOOOO", points=23))
    body = streaks.shape(CTX, rows, [], {"amy": "Amy Adams"})
    over, under = body["streaks"]["over"], body["streaks"]["under"]
    assert [(entry["player_lookup"], entry["streak_length"]) for entry in over] == [("amy", 6), ("dan", 5)]
    assert [(entry["player_lookup"], entry["streak_length"]) for entry in under] == [("cal", 4)]
    amy = over[0]
    assert list(amy) == ["player_lookup", "player_full_name", "team", "streak_length", "avg_margin", "games"]
    assert (amy["player_full_name"], amy["team"], amy["avg_margin"]) == ("Amy Adams", "BOS", 5.5)
    assert over[1]["player_full_name"] == "dan"
    assert len(amy["games"]) == 5
    assert amy["games"][0] == {"game_date": "2026-03-03", "points": 26, "line": 20.5, "opponent": "T00"}
    assert [game["game_date"] for game in amy["games"]] == sorted((game["game_date"] for game in amy["games"]), reverse=True)
    assert under[0]["avg_margin"] == -10.5
    assert body["summary"]["longest_over"] == 6 and body["summary"]["total_over_streaks"] == 2


def test_a_push_counts_as_the_table_records_it():
    """The label is over_under_result: a push (points == line) filed as OVER continues an OVER run and breaks an
    UNDER run; its margin of 0 counts in avg_margin."""
    amy = games("amy", "OOOOOO")
    amy[2].update(points=20, points_line=20.0)
    cal = games("cal", "UUUUUU")
    cal[1].update(points=20, points_line=20.0, over_under_result="OVER")
    body = streaks.shape(CTX, amy + cal, [], {})["streaks"]
    assert [(entry["player_lookup"], entry["streak_length"]) for entry in body["over"]] == [("amy", 6)]
    assert body["over"][0]["games"][2] == {"game_date": "2026-03-01", "points": 20, "line": 20.0, "opponent": "T02"}
    assert body["over"][0]["avg_margin"] == round((5 * 4.5 + 0) / 6, 1)
    assert body["under"] == []  # cal: UNDER, then the push filed as OVER ends the run at 1


def test_ties_order_by_margin_then_lookup():
    rows = games("zed", "OOOO", points=30) + games("amy", "OOOO", points=25) + games("bob", "OOOO", points=25)
    over = streaks.shape(CTX, rows, [], {})["streaks"]["over"]
    assert [entry["player_lookup"] for entry in over] == ["zed", "amy", "bob"]


def test_lists_are_capped():
    rows = [row for index in range(60) for row in games(f"p{index:02d}", "OOOO")]
    hits = [row for index in range(40) for row in calls(f"p{index:02d}", [True] * 4)]
    body = streaks.shape(CTX, rows, hits, {})
    assert len(body["streaks"]["over"]) == 50 and len(body["streaks"]["prediction_hits"]) == 30
    assert body["summary"]["total_over_streaks"] == 50


def test_prediction_hits_break_on_miss_or_null():
    call_rows = calls("amy", [True, True, True, True, True, False]) + calls("bob", [True, True, True, None, True])
    call_rows += calls("cal", [True] * 4) + calls("dan", [False] + [True] * 6)
    body = streaks.shape(CTX, games("cal", "OU", team="NYK"), call_rows, {})
    hits = body["streaks"]["prediction_hits"]
    assert hits == [
        {"player_lookup": "amy", "player_full_name": "amy", "team": "", "streak_length": 5, "streak_type": "prediction_hits"},
        {"player_lookup": "cal", "player_full_name": "cal", "team": "NYK", "streak_length": 4, "streak_type": "prediction_hits"},
    ]
    assert body["summary"]["longest_prediction"] == 5


def test_documents_dated_twin_and_fixed():
    rows = {"recent_results": [], "recent_calls": [], "registry_names": []}
    dated, fixed = streaks.build(CTX, rows)
    assert (dated.path, dated.max_age, dated.scope) == ("streaks/2026-03-04.json", 3600, "dated")
    assert (fixed.path, fixed.max_age, fixed.scope) == ("streaks/today.json", 3600, "pointer")
    past = streaks.build(ExportContext(date(2026, 3, 1), G, CTX.generated_at, "catboost_v9"), rows)[0]
    assert past.max_age == 86400


def test_sql_traded_player_appears_once_with_his_current_team(tiny_warehouse):
    def game(days_ago, team, result="OVER", line=20.5):
        day = G - timedelta(days=days_ago)
        return dict(player_lookup="trade", game_id=f"{day:%Y%m%d}_X_{team}", game_date=day, team_abbr=team, opponent_team_abbr="LAL",
                    season_year=2025, points=25, points_line=line, over_under_result=result, starter_flag=True, win_flag=True,
                    is_active=True)

    summary = [game(days, "BOS") for days in range(5, 9)] + [game(days, "NYK") for days in range(2, 5)]
    summary += [game(1, "NYK", result=None, line=None), game(200, "BOS")]  # no line; last season
    summary += [game(-1, "NYK")]  # after the as-of date
    tiny_warehouse.insert_rows("nba_analytics.player_game_summary", summary)
    tiny_warehouse.insert_rows("nba_reference.nba_players_registry", [
        dict(player_lookup="trade", player_name="Tra De", team_abbr="BOS", season="2025-26", games_played=30),
        dict(player_lookup="trade", player_name="Tra De", team_abbr="NYK", season="2025-26", games_played=10),
        dict(player_lookup="trade", player_name="Old Name", team_abbr="BOS", season="2024-25", games_played=70),
    ])
    ctx = ExportContext(G - timedelta(days=1), G, CTX.generated_at, "catboost_v9")
    runner = QueryRunner(tiny_warehouse)
    rows = {query.name: runner.run("streaks", query, ctx) for query in streaks.SPEC.queries}
    body = streaks.build(ctx, rows)[0].body
    assert body["as_of_date"] == "2026-03-03"
    [entry] = body["streaks"]["over"]
    assert (entry["player_lookup"], entry["player_full_name"], entry["team"], entry["streak_length"]) == ("trade", "Tra De", "NYK", 7)


def test_demo_season_contract(demo_app):
    game_day = demo_app.clock.game_day()
    dated = run_and_read(demo_app, "streaks", game_day, f"streaks/{game_day.isoformat()}.json")
    assert dated == demo_app.backends.bucket.read(demo_app.settings.object_prefix + "streaks/today.json")
    body = json.loads(dated)
    assert body["as_of_date"] == game_day.isoformat()
    assert body["streaks"]["over"] or body["streaks"]["under"]
    for name in ("over", "under", "prediction_hits"):
        lookups = [entry["player_lookup"] for entry in body["streaks"][name]]
        assert len(lookups) == len(set(lookups))
        assert all(entry["streak_length"] >= 4 for entry in body["streaks"][name])
    for entry in body["streaks"]["over"] + body["streaks"]["under"]:
        assert 1 <= len(entry["games"]) <= 5 and entry["team"]
        assert all(game["points"] >= game["line"] for game in entry["games"]) or entry in body["streaks"]["under"]
    assert body["summary"]["total_over_streaks"] == len(body["streaks"]["over"])
