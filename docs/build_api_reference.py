"""Writes docs/api.md, the website developers' reference of the public JSON files, with examples from the demo season.

    .venv/bin/python docs/build_api_reference.py [--warehouse .phase6/demo.duckdb] [--output docs/api.md]

Without --warehouse a fresh default demo season is built in a temporary directory. The script runs every implemented
export type live for the demo's yesterday and then its today (G) into a temporary bucket, validates every example
with phase6.contract, and renders one section per endpoint. Lists in examples are trimmed to 2 items.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script from anywhere: the repository's packages come first

from exporters import catalog  # noqa: E402
from phase6 import contract  # noqa: E402
from phase6.app import open_app  # noqa: E402
from phase6.config import Settings  # noqa: E402
from phase6.runner import RunRequest  # noqa: E402
from phase6.storage.local import LocalBucket  # noqa: E402

BASE_URL = "https://storage.googleapis.com/nba-props-platform-api/v1/"
EXAMPLE_LIST_ITEMS = 2


@dataclass(frozen=True)
class Endpoint:
    title: str
    export_type: str
    paths: tuple[str, ...]
    max_age: str
    scope: str
    schemas: tuple[str, ...]
    summary: str
    note: str = ""


# api.md §2 and §3, in the order of §3.
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("Results", "results", ("results/{date}.json", "results/latest.json"),
             "86400 (300 when the date is ≥ G); latest 300", "dated + pointer: latest moves to G − 1 or G, only to a non-empty day",
             ("results",), "The champion's graded predictions of one game day: summary, breakdowns by tier, every row, highlights."),
    Endpoint("System performance", "performance", ("systems/performance.json",), "3600", "global, as of G − 1",
             ("systems-performance",), "Accuracy of every prediction system over the last 7 and 30 days and the season."),
    Endpoint("Best bets", "best-bets", ("best-bets/{date}.json", "best-bets/latest.json"),
             "86400 once the date is < G and no pick is PENDING, otherwise 300; latest 300", "dated + pointer (G)",
             ("best-bets",), "Up to 25 tiered picks of the day (premium 5, strong 10, value 10), graded once the games are."),
    Endpoint("Predictions", "predictions", ("predictions/{date}.json", "predictions/today.json"),
             "3600 (300 when the date is ≥ G); today 300", "dated + pointer (G)",
             ("predictions",), "Every active champion prediction of the day, grouped by game."),
    Endpoint("Tonight", "tonight", ("tonight/{date}.json", "tonight/all-players.json"),
             "86400 (300 when the date is ≥ G); all-players 300", "dated + fixed (G)",
             ("tonight",), "Every game of the day and every player in it, with form, injury status, line and prediction."),
    Endpoint("Tonight player", "tonight-players", ("tonight/player/{date}/{lookup}.json", "tonight/player/{lookup}.json"),
             "86400 (300 when the date is ≥ G); fixed 300", "dated + fixed (G), one file per player of the day",
             ("tonight-player",), "One player's game context, numbers, fatigue, streak, factors, recent form and prediction."),
    Endpoint("Streaks", "streaks", ("streaks/{date}.json", "streaks/today.json"),
             "86400 (3600 when the date is ≥ G); today 3600", "dated + fixed (G); the date is as_of_date",
             ("streaks",), "Current OVER / UNDER streaks of 4+ games and the champion's prediction-hit streaks."),
    Endpoint("Subset picks", "subset-picks", ("picks/{date}.json",), "300", "dated",
             ("picks",), "Each model's curated subsets of the day with their records. Public ids and names only (§1.7)."),
    Endpoint("Daily signal", "daily-signals", ("signals/{date}.json",), "300", "dated",
             ("signals",), "The champion's market signal for the day (favorable / neutral / challenging)."),
    Endpoint("Subset performance", "subset-performance", ("subsets/performance.json",), "3600", "global, as of G",
             ("subsets-performance",), "Hit rate and ROI of every subset over 1, 3, 7, 14, 30 days and the season."),
    Endpoint("Subset definitions", "subset-definitions", ("systems/subsets.json",), "86400", "global",
             ("systems-subsets",), "The publishable models and their subsets, with public descriptions."),
    Endpoint("Season subsets", "season-subsets", ("subsets/season.json",), "3600", "global, [subset-season start, G)",
             ("subsets-season",), "Every published subset pick of the season with its outcome, per model and date."),
    Endpoint("Model registry", "model-registry", ("systems/models.json",), "86400", "global, window (G − 7, G]",
             ("systems-models",), "The models behind the predictions: codename, system, model files and versions."),
    Endpoint("Players", "players", ("players/index.json", "players/{lookup}.json"), "3600", "global",
             ("players-index", "player-profile"), "The index of players with graded predictions, and one profile per player."),
    Endpoint("Live grading", "live-grading", ("live-grading/{date}.json", "live-grading/latest.json"), "30",
             "dated + pointer (G)", ("live-grading",), "The day's predictions graded against the box scores as games progress."),
    Endpoint("Status", "none: written at the end of every run", ("status.json",), "60", "fixed, written at the end of every run",
             ("status",), "Freshness of every endpoint against its SLA, and the last run's outcome.",
             "Ages are measured on the real clock against each probe object's write time, so `generated_at` here is the "
             "time the example was built, not the demo's frozen as-of day."),
)

HEADER = """# Public JSON API (v1) — reference for website developers

Generated by `docs/build_api_reference.py` from the demo season (as-of game day {game_day}); do not edit by hand
(`tests/test_api_reference.py` fails when this file is out of date).
The contract itself is the shared API contract `api.md` (its section numbers are quoted here as §n); each endpoint's
JSON Schema (draft 2020-12) is in `schemas/`, with shared definitions in `schemas/defs.json`, and `phase6/contract.py`
validates files against the schemas and the contract's checklist (`validate_document`, `hygiene_violations`).

## Conventions

- Files: `{base_url}<path>`, public, `Content-Type: application/json`, UTF-8 with non-ASCII written as-is.
- Compression: a body of 1 KiB or more is stored gzip-compressed (`Content-Encoding: gzip`). Browsers receive it
  compressed and decode it themselves; Cloud Storage decompresses it for clients that do not accept gzip. Everything
  on this page describes the decoded body.
- `Cache-Control: public, max-age=<n>`, sent with the content. A dated file whose date is ≥ G (today on the America/New_York
  game-day clock) gets its short max-age.
- Scopes: **dated** files describe their date; **pointer / fixed** files (`latest`, `today`, `all-players`,
  `tonight/player/{{lookup}}.json`) are byte-identical (decoded) to their dated twin of the same run and never move back;
  **global** files are aggregates relative to G. Replays and backfills write dated files only.
- Timestamps: `2026-02-11T05:35:25.788356+00:00` (UTC, 6 fractional digits, never `Z`). Dates: `YYYY-MM-DD`.
- Numbers: floats rounded to 2 decimals unless the schema says `float1`/`float3`, and written as floats (`7.0`);
  counts, ranks, points and odds are integers. No NaN or Infinity: unknown values are `null`.
- Keys are always present unless optional; optional keys are absent (never `null`) when their condition fails.
  Lists are never `null`. New keys may appear at any time; existing keys never change name, type or scale.
- Confidence: 0–100 in predictions, tonight, tonight-player and live-grading; 0–1 in results, best-bets, player
  profiles and system performance.
- Subset and signal files (`picks/`, `signals/`, `subsets/performance.json`, `systems/subsets.json`,
  `subsets/season.json`) name models only by codename and subsets only by public id `"1"`…`"13"`.

## What changed with the contract amendments of 2026-12-02

- **A DNP is not a game.** A box-score row flagged as a DNP, or with 0 points in 0 or unknown minutes (not every DNP
  is flagged), is left out of every per-player game number and list: tonight's `games_played`, `season_ppg`,
  `last_5_ppg`, `last_10_points` and `last_10_results`; tonight-player's `recent_form`, `quick_numbers`,
  `current_streak` and `tonights_factors`; a profile's `game_log` and `splits` (rest days are counted between games
  played); and the games of streaks. Before, a DNP counted as a 0-point game everywhere but `games_played` and
  `season_ppg`, and ended a tonight-player `current_streak` that had started before it.
- **Voided predictions are not graded predictions.** A voided row (a DNP) is not counted in `players/index.json` or in a
  profile's `summary` and `our_track_record`. This was already so; it is now part of the contract.
- **One O/U label per game.** A game is `OVER` or `UNDER` by the warehouse's `over_under_result` in every file (tonight,
  tonight-player, streaks, profiles): OVER when points ≥ line, so a push on a whole-number line is an OVER. Streaks
  used to end at a push that the other files showed as OVER; now a push continues an OVER streak and ends an UNDER one.
  A profile's `over_under` is `"OVER"`, `"UNDER"` or `null`.
- **`status.json` services.** `grading` follows the results endpoint (it followed live-grading) and `live_data` follows
  live-grading (it probed `live/latest.json`, which this publisher never writes, so it was always unhealthy while
  `overall_status` said healthy). `overall_status` and every service come from the 15 endpoint probes alone.

## Endpoints

| Endpoint | Paths | max-age | Scope | Schema |
|---|---|---|---|---|
{table}
"""


def build_bucket(warehouse: Path, work: Path) -> tuple[LocalBucket, date]:
    """Runs every implemented export type live for G − 1, then for G, into an empty local bucket."""
    settings = Settings(
        warehouse_url=f"duckdb:///{warehouse.resolve()}",
        bucket_url=f"file://{(work / 'bucket').resolve()}",
        state_url=f"sqlite:///{(work / 'state.db').resolve()}",
        events_url=f"file://{(work / 'events.jsonl').resolve()}",
    )
    app = open_app(settings)
    try:
        game_day = app.clock.game_day()
        for target in (game_day - timedelta(days=1), game_day):
            app.runner.run(RunRequest(tuple(catalog()), target, mode="live"))
    finally:
        app.close()
    return LocalBucket(work / "bucket"), game_day


def read(bucket: LocalBucket, path: str) -> dict[str, Any] | None:
    data = bucket.read(f"v1/{path}")
    return json.loads(data) if data else None


def example_paths(bucket: LocalBucket, game_day: date) -> dict[str, str]:
    """Schema name → the demo object shown as its example."""
    names = [info.name[3:] for info in bucket.list("v1/")]
    chosen = {
        "results": "results/latest.json", "systems-performance": "systems/performance.json",
        "best-bets": "best-bets/latest.json", "predictions": "predictions/today.json", "tonight": "tonight/all-players.json",
        "streaks": "streaks/today.json", "picks": f"picks/{game_day}.json", "signals": f"signals/{game_day}.json",
        "subsets-performance": "subsets/performance.json", "systems-subsets": "systems/subsets.json",
        "subsets-season": "subsets/season.json", "systems-models": "systems/models.json", "players-index": "players/index.json",
        "live-grading": "live-grading/latest.json", "status": "status.json",
    }
    players = sorted(name for name in names if contract.schema_name(name) == "tonight-player" and name.count("/") == 2)
    with_prediction = [name for name in players if (read(bucket, name) or {}).get("prediction")]
    if with_prediction or players:
        chosen["tonight-player"] = (with_prediction or players)[0]
    index = read(bucket, "players/index.json")
    profiles = [f"players/{p['player_lookup']}.json" for p in (index or {}).get("players", [])]
    profile = next((path for path in profiles if path in names), None)
    if profile:
        chosen["player-profile"] = profile
    return {schema: path for schema, path in chosen.items() if path in names}


def trimmed(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: trimmed(value) for key, value in node.items()}
    if isinstance(node, list):
        return [trimmed(item) for item in node[:EXAMPLE_LIST_ITEMS]]
    return node


def section(endpoint: Endpoint, examples: dict[str, str], bucket: LocalBucket) -> str:
    lines = [f"### {endpoint.title}", "", endpoint.summary, "", f"- Export type: `{endpoint.export_type}`"]
    lines += [f"- Paths: {', '.join(f'`{path}`' for path in endpoint.paths)}", f"- Cache-Control max-age: {endpoint.max_age}",
              f"- Scope: {endpoint.scope}", f"- Schema: {', '.join(f'`schemas/{name}.json`' for name in endpoint.schemas)}", ""]
    if endpoint.note:
        lines += [endpoint.note, ""]
    for schema in endpoint.schemas:
        path = examples.get(schema)
        if path is None:
            lines += [f"Example of `{schema}`: generated later (the demo run did not write one yet).", ""]
            continue
        body = read(bucket, path)
        lines += [f"Example: `{path}` (lists trimmed to {EXAMPLE_LIST_ITEMS} items)", "", "```json",
                  json.dumps(trimmed(body), indent=2, ensure_ascii=False), "```", ""]
    return "\n".join(lines)


def table_row(endpoint: Endpoint) -> str:
    paths = "<br>".join(f"`{path}`" for path in endpoint.paths)
    schemas = "<br>".join(f"`schemas/{name}.json`" for name in endpoint.schemas)
    return f"| {endpoint.title} | {paths} | {endpoint.max_age} | {endpoint.scope} | {schemas} |"


def invalid_examples(bucket: LocalBucket, examples: dict[str, str]) -> list[str]:
    problems = []
    for path in examples.values():
        body = read(bucket, path)
        problems += contract.validate_document(path, body) + contract.hygiene_violations(path, body)
    return problems


def render(bucket: LocalBucket, game_day: date) -> str:
    examples = example_paths(bucket, game_day)
    problems = invalid_examples(bucket, examples)
    if problems:
        raise SystemExit("examples violate the contract:\n" + "\n".join(problems[:50]))
    head = HEADER.format(game_day=game_day, base_url=BASE_URL, table="\n".join(table_row(e) for e in ENDPOINTS))
    return head + "\n" + "\n".join(section(endpoint, examples, bucket) for endpoint in ENDPOINTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="an existing demo warehouse (copied, never modified)")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "api.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="api-reference-") as directory:
        work = Path(directory)
        warehouse = work / "demo.duckdb"
        if args.warehouse:
            shutil.copy(args.warehouse, warehouse)
        else:
            from phase6.demo import DemoParams, build_demo

            build_demo(warehouse, DemoParams())
        bucket, game_day = build_bucket(warehouse, work)
        args.output.write_text(render(bucket, game_day))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
