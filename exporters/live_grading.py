"""live-grading → live-grading/{date}.json and live-grading/latest.json (api.md §3.15): the champion's predictions of
the date graded against the warehouse box scores (no external HTTP), final or trending."""
from __future__ import annotations

from typing import Any, Mapping

from exporters.common import REGISTRY_NAMES, champion_date_params, date_params, player_names
from exporters.tonight import SCHEDULE, average, platform_game_id, public_game_status
from phase6.catalog import ContentGuard, Document, ExportContext, ExportSpec, Query, Rows, dated_and_pointer
from phase6.formats import integer, number, r1, r3

MAX_AGE = 30
TRENDING_MARGIN = 5
STATUS_ORDER = ("correct", "incorrect", "trending_correct", "trending_incorrect", "in_progress", "graded", "pending")

LIVE_PREDICTIONS = Query(
    "live_predictions",
    """
SELECT player_lookup, game_id, predicted_points, current_points_line, recommendation, confidence_score, line_source
FROM nba_predictions.player_prop_predictions
WHERE game_date = @target_date AND system_id = @champion_system_id AND is_active = TRUE
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY player_lookup
  ORDER BY prediction_version DESC, updated_at DESC, created_at DESC, prediction_id DESC) = 1
""",
    champion_date_params,
)
"""The champion's latest active prediction per player on the date (by prediction_version, then updated_at)."""

BOX_SCORES = Query(
    "box_scores",
    """
SELECT player_lookup, game_id, team_abbr, home_team_abbr, away_team_abbr, game_status, period, minutes,
       minutes_played, points
FROM (
  SELECT player_lookup, game_id, team_abbr, home_team_abbr, away_team_abbr, game_status, period, minutes,
         CAST(NULL AS FLOAT64) AS minutes_played, points, 1 AS source_rank, processed_at
  FROM nba_raw.bdl_player_boxscores
  WHERE game_date = @target_date
  UNION ALL
  SELECT player_lookup, game_id, team_abbr, CAST(NULL AS STRING) AS home_team_abbr,
         CAST(NULL AS STRING) AS away_team_abbr, 'Final' AS game_status, CAST(NULL AS INT64) AS period,
         CAST(NULL AS STRING) AS minutes, CAST(minutes_played AS FLOAT64) AS minutes_played, points,
         2 AS source_rank, CAST(NULL AS TIMESTAMP) AS processed_at
  FROM nba_analytics.player_game_summary
  WHERE game_date = @target_date
)
WHERE TRUE  -- BigQuery accepts QUALIFY only next to a WHERE, GROUP BY or HAVING clause
QUALIFY ROW_NUMBER() OVER (PARTITION BY player_lookup ORDER BY source_rank, processed_at DESC, game_id) = 1
""",
    date_params,
)
"""One live row per player of the date: his latest box-score row, else his summary row (written after the game,
so its status is final; minutes_played instead of the minutes string)."""


def box_score_state(box: Mapping[str, Any]) -> str:
    """warehouse.md §2.16: "final" in the feed text, else in progress once a period has started, else scheduled."""
    if "final" in (box.get("game_status") or "").lower():
        return "final"
    return "in_progress" if (integer(box.get("period")) or 0) > 0 else "scheduled"


def minutes_text(box: Mapping[str, Any]) -> str | None:
    """The box-score minutes string, or the summary's minutes_played written as M:SS."""
    if box.get("minutes") is not None:
        return box["minutes"]
    played = number(box.get("minutes_played"))
    if played is None:
        return None
    seconds = int(round(played * 60))
    return f"{seconds // 60}:{seconds % 60:02d}"


def grade(recommendation: str, line: float, actual: float, game_state: str) -> str:
    if recommendation == "OVER":
        ahead, far_behind = actual > line, actual < line - TRENDING_MARGIN
    else:
        ahead, far_behind = actual < line, actual > line + TRENDING_MARGIN
    if game_state == "final":
        return "correct" if ahead else "incorrect"
    if ahead:
        return "trending_correct"
    return "trending_incorrect" if far_behind else "in_progress"


def graded_fields(prediction: Mapping[str, Any], box: Mapping[str, Any] | None, game_state: str) -> dict[str, Any]:
    """actual, minutes, error, margin_vs_line (absent without an OVER/UNDER call and a line) and status."""
    line = number(prediction.get("current_points_line"))
    has_call = prediction["recommendation"] in ("OVER", "UNDER") and line is not None
    actual = number(box.get("points")) if box else None
    if game_state == "scheduled" or actual is None:
        return {"actual": None, "minutes": None, "error": None, "margin_vs_line": None, "status": "pending"}
    fields = {
        "actual": integer(actual),
        "minutes": minutes_text(box),
        "error": r1(number(prediction["predicted_points"]) - actual),
    }
    if has_call:
        fields["margin_vs_line"] = r1(actual - line)
        fields["status"] = grade(prediction["recommendation"], line, actual, game_state)
    else:
        fields["status"] = "graded" if game_state == "final" else "in_progress"
    return fields


def shape_row(
    prediction: Mapping[str, Any],
    name: str | None,
    game: Mapping[str, Any] | None,
    box: Mapping[str, Any] | None,
) -> dict[str, Any]:
    if game is not None:
        game_state = public_game_status(game["game_status"])
        home, away = game["home_team_tricode"], game["away_team_tricode"]
    else:
        game_state = box_score_state(box) if box else "scheduled"
        home, away = (box or {}).get("home_team_abbr"), (box or {}).get("away_team_abbr")
    line = number(prediction.get("current_points_line"))
    return {
        "player_lookup": prediction["player_lookup"],
        "player_name": name or prediction["player_lookup"],
        "team": (box or {}).get("team_abbr"),
        "home_team": home,
        "away_team": away,
        "game_status": game_state,
        "period": integer((box or {}).get("period")),
        "time_remaining": None,
        "predicted": r1(prediction["predicted_points"]),
        "line": r1(line),
        "recommendation": prediction["recommendation"],
        "confidence": r3(prediction["confidence_score"]),
        "has_line": line is not None,
        "line_source": prediction.get("line_source"),
        **graded_fields(prediction, box, game_state),
    }


def row_order(row: Mapping[str, Any]) -> tuple:
    return (STATUS_ORDER.index(row["status"]), -(row["confidence"] or 0.0), row["player_lookup"])


def summary(rows: list[dict[str, Any]], schedule: Rows) -> dict[str, Any]:
    statuses = [row["status"] for row in rows]
    correct, incorrect = statuses.count("correct"), statuses.count("incorrect")
    graded = sum(1 for row in rows if row["actual"] is not None)
    game_states = [public_game_status(game["game_status"]) for game in schedule]
    return {
        "total_predictions": len(rows),
        "graded": graded,
        "pending": len(rows) - graded,
        "correct": correct,
        "incorrect": incorrect,
        "trending_correct": statuses.count("trending_correct"),
        "trending_incorrect": statuses.count("trending_incorrect"),
        "win_rate": r3(correct / (correct + incorrect)) if correct + incorrect else None,
        "avg_error": r1(average(abs(row["error"]) for row in rows if row["error"] is not None)),
        "games_in_progress": game_states.count("in_progress"),
        "games_final": game_states.count("final"),
    }


def shape_live_grading(ctx: ExportContext, rows: Mapping[str, Rows]) -> dict[str, Any]:
    names = player_names(rows[REGISTRY_NAMES.name])
    games = {platform_game_id(game): game for game in rows[SCHEDULE.name]}
    boxes = {box["player_lookup"]: box for box in rows[BOX_SCORES.name]}
    graded = [
        shape_row(prediction, names.get(prediction["player_lookup"]), games.get(prediction["game_id"]),
                  boxes.get(prediction["player_lookup"]))
        for prediction in rows[LIVE_PREDICTIONS.name]
    ]
    graded.sort(key=row_order)
    return {
        "updated_at": ctx.generated_at,
        "game_date": ctx.target_date.isoformat(),
        "summary": summary(graded, rows[SCHEDULE.name]),
        "predictions": graded,
    }


def build(ctx: ExportContext, rows: Mapping[str, Rows]) -> list[Document]:
    return dated_and_pointer(
        ctx,
        shape_live_grading(ctx, rows),
        f"live-grading/{ctx.target_date.isoformat()}.json",
        "live-grading/latest.json",
        long_age=MAX_AGE,
        short_age=MAX_AGE,
        pointer_age=MAX_AGE,
    )


SPEC = ExportSpec(
    name="live-grading",
    cost="fast",
    priority=28,
    queries=(LIVE_PREDICTIONS, REGISTRY_NAMES, SCHEDULE, BOX_SCORES),
    build=build,
    paths=("live-grading/{date}.json", "live-grading/latest.json"),
    guard=ContentGuard(lambda body: len(body.get("predictions") or [])),
    description="The champion's predictions of the date graded live against the warehouse box scores.",
)
