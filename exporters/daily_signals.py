"""daily-signals → signals/{date}.json (api.md §3.9): the champion's market signal for the date."""
from __future__ import annotations

from typing import Mapping

from phase6.catalog import ContentGuard, Document, ExportContext, ExportSpec, Query, Rows
from phase6.formats import integer
from phase6.vocab import codename, public_signal, public_skew

MAX_AGE = 300

SIGNAL_SQL = """
SELECT daily_signal, skew_category, high_edge_picks
FROM nba_predictions.daily_prediction_signals
WHERE game_date = @target_date AND system_id = @champion_system_id
ORDER BY calculated_at DESC
LIMIT 1
"""


def signal_params(ctx: ExportContext) -> dict:
    return {"target_date": ctx.target_date, "champion_system_id": ctx.champion_system_id}


def shape(ctx: ExportContext, signal_rows: Rows) -> dict:
    body: dict = {
        "date": ctx.target_date.isoformat(),
        "generated_at": ctx.generated_at,
        "model": codename(ctx.champion_system_id),
    }
    if not signal_rows:
        body["signal"] = "neutral"
        body["metrics"] = {"conditions": "unknown", "picks": 0}
        body["note"] = "No data available for this date"
        return body
    row = signal_rows[0]
    body["signal"] = public_signal(row["daily_signal"])
    body["metrics"] = {"conditions": public_skew(row["skew_category"]), "picks": integer(row["high_edge_picks"])}
    return body


def build(ctx: ExportContext, rows: Mapping[str, Rows]) -> list[Document]:
    body = shape(ctx, rows["signal"])
    return [Document(f"signals/{ctx.target_date.isoformat()}.json", body, MAX_AGE, "dated")]


SPEC = ExportSpec(
    name="daily-signals",
    cost="fast",
    priority=11,
    critical=True,
    queries=(Query("signal", SIGNAL_SQL, signal_params),),
    build=build,
    paths=("signals/{date}.json",),
    guard=ContentGuard(lambda body: 0 if "note" in body else 1),  # "No data available" counts none
    description="The champion's daily market signal, in public words.",
)
