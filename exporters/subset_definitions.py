"""subset-definitions → systems/subsets.json (api.md §3.11): the active subsets by public model, with public descriptions."""
from __future__ import annotations

from typing import Mapping

from phase6.catalog import ContentGuard, Document, ExportContext, ExportSpec, Notice, Rows

from .common import ACTIVE_SUBSET_DEFINITIONS, PublicModelGroup, left_out_notices, public_model_groups


MAX_AGE = 86400


def shape_group(group: PublicModelGroup) -> dict:
    return {
        "model_id": group.model.codename,
        "model_name": group.model.display_name,
        "model_type": group.model.model_type,
        "description": group.model.description,
        "subsets": [
            {"id": subset.info.public_id, "name": subset.info.name, "description": subset.info.description}
            for subset in group.subsets
            if subset.info.description
        ],
    }


def shape(ctx: ExportContext, groups: list[PublicModelGroup]) -> dict:
    shaped = [shape_group(group) for group in groups]
    return {
        "generated_at": ctx.generated_at,
        "version": 2,
        "model_groups": [group for group in shaped if group["subsets"]],
    }


def build(ctx: ExportContext, rows: Mapping[str, Rows]) -> list[Document | Notice]:
    groups, left_out = public_model_groups(rows[ACTIVE_SUBSET_DEFINITIONS.name], ctx.champion_system_id)
    return [*left_out_notices(left_out), Document("systems/subsets.json", shape(ctx, groups), MAX_AGE, "global")]


SPEC = ExportSpec(
    name="subset-definitions",
    cost="fast",
    priority=25,
    queries=(ACTIVE_SUBSET_DEFINITIONS,),
    build=build,
    paths=("systems/subsets.json",),
    guard=ContentGuard(lambda body: sum(len(group["subsets"]) for group in body.get("model_groups") or [])),
    description="The active subsets of every public model, with their public descriptions.",
)
