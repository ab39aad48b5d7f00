"""The edge days of issue 3 on the demo season, found through the generator's own record of its edge cases:
no games, games but no lines, a push, a voided prediction, a player traded mid-season, two active rows."""
from __future__ import annotations

import json
from datetime import date

import pytest

from phase6.runner import RunRequest
from tests.support import contract_problems, published


@pytest.fixture()
def edge_cases(demo_app) -> dict:
    row = demo_app.backends.warehouse.query("SELECT params FROM phase6_demo.settings", label="edge_cases")[0]
    return json.loads(row["params"])["edge_cases"]


def replay(app, types: tuple[str, ...], day: date):
    record = app.runner.run(RunRequest(types, day, mode="replay"))
    assert {name: result.status for name, result in record.exports.items()} == {name: "ok" for name in types}, record.errors
    return record


def test_a_day_without_games_publishes_empty_skeletons(demo_app, edge_cases):
    day = date.fromisoformat(edge_cases["all_star_break"][2])
    replay(demo_app, ("tonight", "predictions", "best-bets", "results", "live-grading"), day)
    assert published(demo_app, f"tonight/{day}.json")["games"] == []
    assert published(demo_app, f"predictions/{day}.json")["total_games"] == 0
    assert published(demo_app, f"best-bets/{day}.json")["total_picks"] == 0
    assert published(demo_app, f"results/{day}.json")["results"] == []
    assert contract_problems(demo_app, "") == []


def test_games_without_lines_list_players_but_no_props(demo_app, edge_cases):
    day = date.fromisoformat(edge_cases["no_lines_day"])
    replay(demo_app, ("tonight", "best-bets", "subset-picks"), day)
    tonight = published(demo_app, f"tonight/{day}.json")
    players = [player for game in tonight["games"] for player in game["players"]]
    assert tonight["games"] and players
    assert tonight["total_with_lines"] == 0
    assert not [player for player in players if "props" in player or "prediction" in player]
    assert published(demo_app, f"best-bets/{day}.json")["picks"] == []
    picks = published(demo_app, f"picks/{day}.json")
    assert all(subset["picks"] == [] for group in picks["model_groups"] for subset in group["subsets"])
    assert contract_problems(demo_app, "") == []


@pytest.mark.parametrize("case", ["push_example", "void_example"])
def test_pushes_and_voids_are_push_rows_outside_the_win_rate(demo_app, edge_cases, case):
    example = edge_cases[case]
    day = date.fromisoformat(example["game_date"])
    replay(demo_app, ("results",), day)
    body = published(demo_app, f"results/{day}.json")
    rows = [row for row in body["results"] if row["player_lookup"] == example["player_lookup"]]
    assert [row["result"] for row in rows] == ["PUSH"]
    decided = [row for row in body["results"] if row["result"] in ("WIN", "LOSS")]
    summary = body["summary"]
    assert summary["correct"] + summary["incorrect"] == len(decided)
    assert summary["win_rate"] == round(summary["correct"] / len(decided), 3)


def test_a_traded_player_appears_once_with_his_latest_team(demo_app, edge_cases):
    warehouse = demo_app.backends.warehouse
    lookup = edge_cases["traded_players"][0]
    teams = warehouse.query(
        "SELECT team_abbr, MAX(game_date) AS last FROM nba_analytics.player_game_summary "
        "WHERE game_date BETWEEN @start AND @end AND player_lookup = @p GROUP BY team_abbr ORDER BY last",
        {"start": date(2025, 10, 1), "end": date(2026, 3, 3), "p": lookup},
    )
    assert len(teams) == 2, "the generator records this player as traded"
    game_day = demo_app.clock.game_day()
    record = demo_app.runner.run(RunRequest(("players", "tonight"), game_day))
    assert record.exports["players"].status == "ok"
    index = published(demo_app, "players/index.json")["players"]
    entries = [player for player in index if player["player_lookup"] == lookup]
    assert len(entries) == 1
    tonight = published(demo_app, "tonight/all-players.json")
    on_tonight = [p for game in tonight["games"] for p in game["players"] if p["player_lookup"] == lookup]
    assert len(on_tonight) <= 1 and all(p["team"] == teams[-1]["team_abbr"] for p in on_tonight)


def test_two_active_rows_for_one_player_publish_one_prediction(demo_app, edge_cases):
    case = edge_cases["two_active_rows"][0]
    day = date.fromisoformat(case["game_date"])
    replay(demo_app, ("predictions",), day)
    rows = [
        row for game in published(demo_app, f"predictions/{day}.json")["games"] for row in game["predictions"]
        if row["player_lookup"] == case["player_lookup"]
    ]
    assert len(rows) == 1
