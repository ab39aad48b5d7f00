"""model-registry → systems/models.json (api.md §3.13): which model files served each system in (G − 7, G]."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping

from phase6.catalog import ContentGuard, Document, ExportContext, ExportSpec, Query, Rows
from phase6.vocab import codename, model_info, system_metadata

from .common import model_attribution

MAX_AGE = 86400
WINDOW_DAYS = 7
DEPLOYMENT_KEYS = (
    "model_file_name", "model_version", "model_trained_at", "training_start_date", "training_end_date",
    "model_expected_mae", "model_expected_hit_rate", "build_commit_sha", "deployment_revision",
)


def window_params(ctx: ExportContext) -> dict[str, Any]:
    return {"from_date": ctx.game_day - timedelta(days=WINDOW_DAYS), "as_of_date": ctx.game_day}


DEPLOYMENTS = Query("deployments", """
SELECT system_id, model_file_name, model_version, model_trained_at, model_training_start_date,
       model_training_end_date, model_expected_mae, model_expected_hit_rate, build_commit_sha, deployment_revision,
       MIN(game_date) AS first_seen, MAX(game_date) AS last_seen, COUNT(*) AS predictions,
       LOGICAL_OR(is_latest) AS is_current
FROM (
  SELECT system_id, model_file_name, model_version, model_trained_at, model_training_start_date,
         model_training_end_date, model_expected_mae, model_expected_hit_rate, build_commit_sha, deployment_revision,
         game_date,
         ROW_NUMBER() OVER (PARTITION BY system_id ORDER BY game_date DESC, created_at DESC, prediction_id DESC) = 1
           AS is_latest
  FROM nba_predictions.player_prop_predictions
  WHERE game_date > @from_date AND game_date <= @as_of_date AND is_active = TRUE
)
GROUP BY system_id, model_file_name, model_version, model_trained_at, model_training_start_date,
         model_training_end_date, model_expected_mae, model_expected_hit_rate, build_commit_sha, deployment_revision
""", window_params)
"""One row per system and distinct deployment (D combination) of its active rows in the window."""


def deployment(row: Mapping[str, Any]) -> dict[str, Any]:
    attribution = model_attribution(row)
    return {key: attribution[key] for key in DEPLOYMENT_KEYS}


def version_entry(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **deployment(row),
        "first_seen": row["first_seen"].isoformat(),
        "last_seen": row["last_seen"].isoformat(),
        "predictions": int(row["predictions"]),
    }


def identity(system_id: str) -> tuple[str, str, str]:
    """(model_name, model_type, description): codename display info, else system metadata, else the system_id."""
    info = model_info(system_id)
    if info:
        return info.display_name, info.model_type, info.description
    metadata = system_metadata(system_id)
    return metadata.display_name, "unknown", metadata.description


def model_order_key(system_id: str, champion_system_id: str) -> tuple[int, str]:
    """The champion, then codenamed models by codename, then the others by system_id."""
    if system_id == champion_system_id:
        return (0, "")
    name = codename(system_id)
    return (1, name) if name else (2, system_id)


def version_order_key(version: Mapping[str, Any]) -> tuple:
    return (version["last_seen"], version["model_version"] or "", version["first_seen"], str(version["model_file_name"]))


def model_entry(ctx: ExportContext, system_id: str, rows: Rows) -> dict[str, Any]:
    name, model_type, description = identity(system_id)
    current = next(row for row in rows if row["is_current"])
    versions = sorted((version_entry(row) for row in rows), key=version_order_key, reverse=True)
    return {
        "model_id": codename(system_id),
        "system_id": system_id,
        "model_name": name,
        "model_type": model_type,
        "description": description,
        "is_champion": system_id == ctx.champion_system_id,
        "predictions_in_window": sum(int(row["predictions"]) for row in rows),
        "last_prediction_date": max(row["last_seen"] for row in rows).isoformat(),
        "current": deployment(current),
        "versions": versions,
    }


def shape(ctx: ExportContext, deployment_rows: Rows) -> dict[str, Any]:
    by_system: dict[str, Rows] = {}
    for row in deployment_rows:
        by_system.setdefault(row["system_id"], []).append(row)
    ordered = sorted(by_system, key=lambda system_id: model_order_key(system_id, ctx.champion_system_id))
    return {
        "generated_at": ctx.generated_at,
        "as_of_date": ctx.game_day.isoformat(),
        "window_days": WINDOW_DAYS,
        "champion": codename(ctx.champion_system_id),
        "models": [model_entry(ctx, system_id, by_system[system_id]) for system_id in ordered],
    }


def build(ctx: ExportContext, rows: Mapping[str, Rows]) -> list[Document]:
    return [Document("systems/models.json", shape(ctx, rows[DEPLOYMENTS.name]), MAX_AGE, "global")]


SPEC = ExportSpec(
    name="model-registry",
    cost="fast",
    priority=27,
    queries=(DEPLOYMENTS,),
    build=build,
    paths=("systems/models.json",),
    guard=ContentGuard(lambda body: len(body.get("models") or []), max_shrink=1.0),  # models retire: only "none" is kept
    description="Every system active in the last 7 days, with the model files and versions behind it.",
)
