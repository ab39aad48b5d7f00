"""The public API contract (api.md) as executable checks, independent of the exporters that produce the files.

- `schema_name(path)`: which `schemas/<name>.json` describes an object path (relative to `v1/`).
- `validate_document(path, body)`: JSON Schema errors plus the §5 checklist rules a schema cannot express
  (timestamp/date formats everywhere, counts that must agree, orders, derived values).
- `hygiene_violations(path, body)`: the §1.7 token scan of the five subset and signal files.
- `raw_violations(data)`: §1.2 encoding rules on the published bytes (UTF-8, no NaN/Infinity, 2-space indent).
- `dated_twin(path, body)` and `expected_cache_control(path, body, game_day)`: §2.2 and §2.3.
- `expected_content_encoding(data)`: gzip for a decoded body of 1 KiB or more, none below.

`jsonschema` is a development dependency: it is imported only inside the functions that validate.
"""
from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

from . import vocab

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE = r"\d{4}-\d{2}-\d{2}"
_LOOKUP = r"[a-z0-9]+"

# Object path (relative to v1/) → schema name, in match order (players/index.json before players/{lookup}.json).
ROUTES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(f"^{pattern}$"), name)
    for pattern, name in (
        (rf"results/({_DATE}|latest)\.json", "results"),
        (r"systems/performance\.json", "systems-performance"),
        (rf"best-bets/({_DATE}|latest)\.json", "best-bets"),
        (rf"predictions/({_DATE}|today)\.json", "predictions"),
        (rf"tonight/({_DATE}|all-players)\.json", "tonight"),
        (rf"tonight/player/({_DATE}/)?{_LOOKUP}\.json", "tonight-player"),
        (rf"streaks/({_DATE}|today)\.json", "streaks"),
        (rf"picks/{_DATE}\.json", "picks"),
        (rf"signals/{_DATE}\.json", "signals"),
        (r"subsets/performance\.json", "subsets-performance"),
        (r"systems/subsets\.json", "systems-subsets"),
        (r"subsets/season\.json", "subsets-season"),
        (r"systems/models\.json", "systems-models"),
        (r"players/index\.json", "players-index"),
        (rf"players/{_LOOKUP}\.json", "player-profile"),
        (rf"live-grading/({_DATE}|latest)\.json", "live-grading"),
        (r"status\.json", "status"),
    )
)
SCHEMA_NAMES: tuple[str, ...] = tuple(name for _, name in ROUTES)

CHAMPION_CODENAME = "phoenix"  # api.md §0: the default champion, catboost_v9
HYGIENE_SCHEMAS = frozenset({"picks", "signals", "subsets-performance", "systems-subsets", "subsets-season"})
FORBIDDEN_TOKENS = (
    "system_id", "subset_id", "prediction_id", "composite_score", "confidence_score", "catboost", "v9_",
    "GREEN", "YELLOW", "RED", "edge", "confidence",
)

# §1.3: keys whose values are timestamps wherever they appear.
TIMESTAMP_KEYS = frozenset({
    "generated_at", "updated_at", "created_at", "predicted_at", "last_written_at", "model_trained_at", "started_at",
    "finished_at", "detected_at", "last_update",
})
DATE_KEYS = frozenset({"date", "game_day", "first_seen", "last_seen"})

# §2.3: (long max-age of a dated file, short max-age when its date is >= G or it is not final, pointer max-age).
DATED_CACHE = {
    "results": (86400, 300, 300),
    "best-bets": (86400, 300, 300),
    "predictions": (3600, 300, 300),
    "tonight": (86400, 300, 300),
    "tonight-player": (86400, 300, 300),
    "streaks": (86400, 3600, 3600),
}
FIXED_CACHE = {
    "systems-performance": 3600, "picks": 300, "signals": 300, "subsets-performance": 3600, "systems-subsets": 86400,
    "subsets-season": 3600, "systems-models": 86400, "players-index": 3600, "player-profile": 3600, "live-grading": 30,
    "status": 60,
}

# §2.2: pointer / fixed path → (dated twin template, body key holding the twin's date).
POINTERS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"^results/latest\.json$"), "results/{date}.json", "game_date"),
    (re.compile(r"^best-bets/latest\.json$"), "best-bets/{date}.json", "game_date"),
    (re.compile(r"^predictions/today\.json$"), "predictions/{date}.json", "game_date"),
    (re.compile(r"^live-grading/latest\.json$"), "live-grading/{date}.json", "game_date"),
    (re.compile(r"^tonight/all-players\.json$"), "tonight/{date}.json", "game_date"),
    (re.compile(rf"^tonight/player/(?P<lookup>{_LOOKUP})\.json$"), "tonight/player/{date}/{lookup}.json", "game_date"),
    (re.compile(r"^streaks/today\.json$"), "streaks/{date}.json", "as_of_date"),
)


# ---------------------------------------------------------------------------------------------- routing


def schema_name(path: str) -> str | None:
    """The schema of an object path relative to v1/, or None when the path is not in the contract."""
    for pattern, name in ROUTES:
        if pattern.match(path):
            return name
    return None


def dated_twin(path: str, body: Any) -> str | None:
    """The dated twin a pointer or fixed file must be byte-identical to (§2.2), or None for other paths."""
    for pattern, template, date_key in POINTERS:
        match = pattern.match(path)
        if match:
            twin_date = body.get(date_key) if isinstance(body, dict) else None
            return template.format(date=twin_date, **match.groupdict()) if isinstance(twin_date, str) else None
    return None


def expected_cache_control(path: str, body: Any, game_day: date) -> str | None:
    """The Cache-Control §2.3 requires for an object, or None for a path outside the contract."""
    name = schema_name(path)
    if name is None:
        return None
    if name in FIXED_CACHE:
        return f"public, max-age={FIXED_CACHE[name]}"
    long_age, short_age, pointer_age = DATED_CACHE[name]
    path_date = re.search(_DATE, path)
    if path_date is None:
        return f"public, max-age={pointer_age}"
    final = not (name == "best-bets" and any(pick.get("result") == "PENDING" for pick in body.get("picks", [])))
    long_lived = final and date.fromisoformat(path_date.group(0)) < game_day
    return f"public, max-age={long_age if long_lived else short_age}"


def expected_content_encoding(data: bytes) -> str | None:
    """The Content-Encoding an object whose decoded body is `data` is stored with."""
    return "gzip" if len(data) >= 1024 else None


# ---------------------------------------------------------------------------------------------- schemas


def load_schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{name}.json").read_text())


def schema_files() -> list[Path]:
    return sorted(SCHEMA_DIR.glob("*.json"))


@lru_cache(maxsize=None)
def _validator(name: str) -> Any:
    """A draft 2020-12 validator for one schema: $refs to defs.json resolved from schemas/, integers are integer
    literals only (7.0 is not a count), and the float1/float2/float3 formats asserted (§1.4)."""
    import jsonschema
    from referencing import Registry, Resource

    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in (json.loads(p.read_text()) for p in schema_files())
    )
    base = jsonschema.Draft202012Validator
    strict_types = base.TYPE_CHECKER.redefine(
        "integer", lambda checker, value: isinstance(value, int) and not isinstance(value, bool)
    )
    validator_class = jsonschema.validators.extend(base, {"required": _required_in_shape_order}, type_checker=strict_types)
    formats = jsonschema.FormatChecker(formats=())
    for digits in (1, 2, 3):
        formats.checks(f"float{digits}")(_float_with(digits))
    return validator_class(load_schema(name), registry=registry, format_checker=formats)


def _required_in_shape_order(validator: Any, required: list[str], instance: Any, schema: Any) -> Iterator[Any]:
    """'required', plus §1.2: the keys appear in the order of the shape (every schema lists them in that order)."""
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        return
    for name in required:
        if name not in instance:
            yield ValidationError(f"{name!r} is a required property")
    present = [key for key in instance if key in required]
    if present != [key for key in required if key in instance]:
        yield ValidationError(f"keys {present} are not in the order of the shape {required} (§1.2)")


def _float_with(digits: int) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return True  # "type" reports non-numbers
        return isinstance(value, float) and round(value, digits) == value

    return check


def schema_errors(name: str, body: Any) -> list[str]:
    errors = sorted(_validator(name).iter_errors(body), key=lambda error: list(error.absolute_path))
    return [f"{_pointer(error.absolute_path)}: {_describe(error)}" for error in errors]


def _describe(error: Any) -> str:
    if error.validator == "not" and "description" in error.schema:
        return f"{error.instance!r}: {error.schema['description']}"
    if error.validator == "format":
        return f"{error.instance!r} is not a JSON float with at most {error.validator_value[-1]} decimals (§1.4)"
    return error.message


def _pointer(parts: Any) -> str:
    return "/" + "/".join(str(part) for part in parts)


# ---------------------------------------------------------------------------------------------- documents


def validate_document(path: str, body: Any) -> list[str]:
    """Every contract violation of one parsed document: schema, global value formats and the endpoint's invariants."""
    name = schema_name(path)
    if name is None:
        return [f"{path}: not a path of the contract"]
    problems = schema_errors(name, body) + value_format_violations(body) + _path_identity_problems(path, body)
    if name in INVARIANTS:
        problems += _invariant_problems(name, body, schema_valid=not problems)
    return [f"{path} [{name}] {problem}" for problem in problems]


def _path_identity_problems(path: str, body: Any) -> list[str]:
    """A dated path's date is the date the body describes; a per-player path's lookup is the body's player."""
    if not isinstance(body, dict):
        return []
    problems = []
    path_date = re.search(_DATE, path)
    body_date = body.get("game_date", body.get("date", body.get("as_of_date")))
    if path_date and body_date != path_date.group(0):
        problems.append(f"/: the path's date {path_date.group(0)} is not the body's date {body_date}")
    lookup = re.match(rf"^(?:tonight/player/(?:{_DATE}/)?|players/)({_LOOKUP})\.json$", path)
    if lookup and lookup.group(1) != "index" and body.get("player_lookup") != lookup.group(1):
        problems.append(f"/player_lookup: {body.get('player_lookup')!r} is not the path's {lookup.group(1)!r}")
    return problems


def _invariant_problems(name: str, body: Any, schema_valid: bool) -> list[str]:
    """The endpoint's invariants; on a document the schema rejected they may not apply, which is then said."""
    try:
        return INVARIANTS[name](body)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        if schema_valid:
            raise
        return [f"invariants not checked on a schema-invalid document ({type(error).__name__}: {error})"]


def walk(node: Any, pointer: str = "") -> Iterator[tuple[str, str | int, Any]]:
    """Every (pointer, key or index, value) below node, depth first."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        child = f"{pointer}/{key}"
        yield child, key, value
        yield from walk(value, child)


def value_format_violations(body: Any) -> list[str]:
    """§1.3 everywhere: timestamp keys hold §1.3 timestamps, date keys hold dates, and any string that starts like a
    date is exactly a date or a §1.3 timestamp (no 'Z', no naive or space-separated datetimes)."""
    problems = []
    for pointer, key, value in walk(body):
        if not isinstance(value, str):
            continue
        if key in TIMESTAMP_KEYS and not TIMESTAMP.match(value):
            problems.append(f"{pointer}: {value!r} is not a §1.3 timestamp")
        elif isinstance(key, str) and (key in DATE_KEYS or key.endswith("_date")) and not DATE.match(value):
            problems.append(f"{pointer}: {value!r} is not a YYYY-MM-DD date")
        elif re.match(_DATE, value) and not (DATE.match(value) or TIMESTAMP.match(value)):
            problems.append(f"{pointer}: {value!r} is neither a date nor a §1.3 timestamp")
    return problems


def raw_violations(data: bytes) -> list[str]:
    """§1.2 on the bytes: UTF-8 JSON without NaN/Infinity tokens, 2-space indent, non-ASCII written as-is."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return [f"body is not UTF-8: {error}"]
    problems = []
    try:
        json.loads(text, parse_constant=_reject_constant)
    except ValueError as error:
        return [f"body is not strict JSON: {error}"]
    second_line = text.split("\n", 2)[1] if text.count("\n") >= 2 else ""
    if second_line and not re.match(r"^  [^ ]", second_line):
        problems.append("body is not indented with 2 spaces")
    if re.search(r"(?<!\\)\\u(?!00[0-7])[0-9a-fA-F]{4}", text):
        problems.append("non-ASCII characters are escaped (ensure_ascii must be False)")
    return problems


def _reject_constant(token: str) -> Any:
    raise ValueError(f"non-finite token {token}")


# ---------------------------------------------------------------------------------------------- hygiene (§1.7)


def hygiene_violations(path: str, body: Any) -> list[str]:
    """§1.7 for the five subset and signal files; [] for every other path."""
    if schema_name(path) not in HYGIENE_SCHEMAS:
        return []
    codenames = {info.codename for info in vocab.MODELS.values()}
    public_ids = {info.public_id for info in vocab.SUBSETS.values()}
    raw_ids = set(vocab.MODELS) | set(vocab.SUBSETS)
    problems = []
    for pointer, key, value in walk(body):
        if isinstance(key, str):
            problems += [f"{pointer}: key contains {token!r}" for token in FORBIDDEN_TOKENS if token in key]
        if not isinstance(value, str) or key == "player":
            continue
        problems += [f"{pointer}: value {value!r} contains {token!r}" for token in FORBIDDEN_TOKENS if token in value]
        problems += [f"{pointer}: value {value!r} leaks the raw id {raw!r}" for raw in sorted(raw_ids) if raw in value]
        if key in ("model_id", "model") and value not in codenames:
            problems.append(f"{pointer}: {value!r} is not a known codename")
        if key in ("id", "subset") and value not in public_ids:
            problems.append(f"{pointer}: {value!r} is not a public subset id")
        if key in ("name", "model_name") and value == "Other":
            problems.append(f"{pointer}: the placeholder name 'Other' is published")
    return [f"{path} [hygiene] {problem}" for problem in problems]


# ---------------------------------------------------------------------------------------------- invariants (§3, §5)

ROUNDING_SLACK = 0.0051  # a value rounded to 2 dp differs from the exact one by at most 0.005


def _near(a: float | None, b: float | None, tolerance: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tolerance + 1e-9


def _sorted_by(items: list[Any], key: Callable[[Any], tuple[Any, ...]], rounded: tuple[int, ...] = ()) -> bool:
    """Whether items are in key order. Positions in `rounded` hold values published rounded from an unrounded sort
    key: two equal rounded values may stand for different sort values, so they leave the rest of the order open."""
    keys = [key(item) for item in items]
    return all(_in_order(first, second, rounded) for first, second in zip(keys, keys[1:]))


def _in_order(first: tuple[Any, ...], second: tuple[Any, ...], rounded: tuple[int, ...]) -> bool:
    for position, (a, b) in enumerate(zip(first, second)):
        if a != b:
            return a < b
        if position in rounded:
            return True
    return True


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _record_problems(record: dict[str, Any] | None, where: str) -> list[str]:
    if record is None:
        return []
    problems = []
    for window, r in record.items():
        graded = r["wins"] + r["losses"]
        expected = round(100 * r["wins"] / graded, 1) if graded else 0.0
        if not _near(r["pct"], expected, 0.051):
            problems.append(f"{where}/record/{window}: pct {r['pct']} != 100·wins/(wins+losses) = {expected}")
    return problems


def _model_group_order(groups: list[dict[str, Any]], where: str = "/model_groups") -> list[str]:
    """Champion first, then codename ascending (§1.9)."""
    ids = [group["model_id"] for group in groups]
    expected = sorted(ids, key=lambda model_id: (model_id != CHAMPION_CODENAME, model_id))
    if ids != expected or len(set(ids)) != len(ids):
        return [f"{where}: model groups {ids} are not champion first, then codename ascending, without duplicates"]
    return []


def _subset_id_order(ids: list[str], where: str) -> list[str]:
    if [int(i) for i in ids] != sorted(int(i) for i in ids) or len(set(ids)) != len(ids):
        return [f"{where}: subset ids {ids} are not unique and ordered by numeric id"]
    return []


def _vocab_model_problems(group: dict[str, Any], where: str) -> list[str]:
    info = next((m for m in vocab.MODELS.values() if m.codename == group["model_id"]), None)
    if info is None:
        return []
    problems = []
    if group["model_name"] != info.display_name:
        problems.append(f"{where}: model_name {group['model_name']!r} != display name {info.display_name!r} (§1.9)")
    if "model_type" in group and group["model_type"] != info.model_type:
        problems.append(f"{where}: model_type {group['model_type']!r} != {info.model_type!r} (§1.9)")
    return problems


def _subset_vocab_problems(subset: dict[str, Any], where: str, with_description: bool = False) -> list[str]:
    info = next((s for s in vocab.SUBSETS.values() if s.public_id == subset["id"]), None)
    if info is None:
        return []
    problems = []
    if subset["name"] != info.name:
        problems.append(f"{where}: subset {subset['id']} name {subset['name']!r} != {info.name!r} (§1.9)")
    if with_description and subset["description"] != info.description:
        problems.append(f"{where}: subset {subset['id']} description {subset['description']!r} != {info.description!r}")
    return problems


def _fatigue_level(score: float | None, when_null: str | None) -> str | None:
    if score is None:
        return when_null
    return "fresh" if score >= 95 else "normal" if score >= 75 else "tired"


def _confidence_scale_problems(values: list[float], where: str) -> list[str]:
    """§1.6: a 0–100 field whose every value is ≤ 1 was published on the 0–1 scale."""
    if values and max(values) <= 1.0 and any(values):
        return [f"{where}: every 0–100 confidence is ≤ 1 (published on the 0–1 scale?)"]
    return []


def results_invariants(body: dict[str, Any]) -> list[str]:
    rows, summary = body["results"], body["summary"]
    problems = []
    counts = {
        "total_predictions": len(rows),
        "recommendations": sum(row["recommendation"] in ("OVER", "UNDER") for row in rows),
        "correct": sum(row["result"] == "WIN" for row in rows),
        "incorrect": sum(row["result"] == "LOSS" for row in rows),
        "pass_count": sum(row["result"] == "PASS" for row in rows),
    }
    problems += [f"/summary/{key}: {summary[key]} != {value} counted in results" for key, value in counts.items() if summary[key] != value]
    expected_rate = _ratio(counts["correct"], counts["correct"] + counts["incorrect"])
    if not _near(summary["win_rate"], expected_rate, 0.0006):
        problems.append(f"/summary/win_rate: {summary['win_rate']} != correct/(correct+incorrect) = {expected_rate:.4f}")
    for n in (3, 5):
        expected = _ratio(summary[f"within_{n}_points"], len(rows))
        if not _near(summary[f"within_{n}_pct"], expected, 0.0006):
            problems.append(f"/summary/within_{n}_pct: {summary[f'within_{n}_pct']} != within_{n}_points/total = {expected:.4f}")
    for index, row in enumerate(rows):
        problems += [f"/results/{index}: {problem}" for problem in _result_row_problems(row)]
    if not _sorted_by(rows, lambda row: (row["game_id"], row["player_lookup"])):
        problems.append("/results: not ordered by game_id, then player_lookup")
    for group, buckets in body["breakdowns"].items():
        for bucket_name, bucket in buckets.items():
            if bucket["wins"] + bucket["losses"] + bucket["pushes"] > bucket["total"]:
                problems.append(f"/breakdowns/{group}/{bucket_name}: wins + losses + pushes > total")
            rate = _ratio(bucket["wins"], bucket["wins"] + bucket["losses"])
            if not _near(bucket["win_rate"], rate, 0.0006):
                problems.append(f"/breakdowns/{group}/{bucket_name}: win_rate {bucket['win_rate']} != wins/(wins+losses)")
    by_recommendation = body["breakdowns"]["by_recommendation"]
    if by_recommendation["over"]["total"] + by_recommendation["under"]["total"] != counts["recommendations"]:
        problems.append("/breakdowns/by_recommendation: over + under totals != OVER/UNDER rows")
    has_error = any(row["error"] is not None for row in rows)
    if bool(body["highlights"]) != has_error:
        problems.append("/highlights: must be {} exactly when no row has an error")
    return problems


def _result_row_problems(row: dict[str, Any]) -> list[str]:
    problems = []
    is_call = row["recommendation"] in ("OVER", "UNDER")
    if (row["result"] == "PASS") == is_call:
        problems.append(f"result {row['result']} for recommendation {row['recommendation']} (PASS iff not OVER/UNDER)")
    tiers = _labels(row["confidence"], ((0.70, "high"), (0.55, "medium")), 0.005, below="low")
    if row["confidence_tier"] not in tiers:
        problems.append(f"confidence_tier {row['confidence_tier']} for confidence {row['confidence']}")
    if row["actual"] is not None and row["bias"] is not None and not _near(row["bias"], row["predicted"] - row["actual"], 0.011):
        problems.append(f"bias {row['bias']} != predicted − actual")
    if row["bias"] is not None and row["error"] is not None and not _near(row["error"], abs(row["bias"]), 0.011):
        problems.append(f"error {row['error']} != |bias|")
    return problems


BEST_BETS_TIERS = ("premium", "strong", "value")
TIER_LINES = {
    "premium": "Premium pick: edge of 5+ points",
    "strong": "Strong pick: edge of 3-5 points",
    "value": "Value pick: edge under 3 points",
}


def _edge_tier(edge: float) -> set[str]:
    """The tiers an edge rounded to 2 dp may belong to (both sides of a boundary within rounding)."""
    tiers = set()
    if edge >= 5 - 0.005:
        tiers.add("premium")
    if 3 - 0.005 <= edge < 5 + 0.005:
        tiers.add("strong")
    if edge < 3 + 0.005:
        tiers.add("value")
    return tiers


def best_bets_invariants(body: dict[str, Any]) -> list[str]:
    picks = body["picks"]
    problems = []
    if body["total_picks"] != len(picks):
        problems.append(f"/total_picks: {body['total_picks']} != len(picks) {len(picks)}")
    for tier in BEST_BETS_TIERS:
        count = sum(pick["tier"] == tier for pick in picks)
        if body["tier_summary"][tier] != count:
            problems.append(f"/tier_summary/{tier}: {body['tier_summary'][tier]} != {count} picks of that tier")
    if [pick["rank"] for pick in picks] != list(range(1, len(picks) + 1)):
        problems.append("/picks: rank is not 1..n")
    order = lambda pick: (BEST_BETS_TIERS.index(pick["tier"]), -pick["composite_score"], pick["player_lookup"])  # noqa: E731
    if not _sorted_by(picks, order, rounded=(1,)):
        problems.append("/picks: not ordered by tier, composite_score desc, player_lookup")
    for index, pick in enumerate(picks):
        problems += [f"/picks/{index}: {problem}" for problem in _best_bet_pick_problems(pick)]
    return problems


def _best_bet_pick_problems(pick: dict[str, Any]) -> list[str]:
    problems = []
    if (pick["result"] == "PENDING") != (pick["actual"] is None):
        problems.append(f"result {pick['result']} with actual {pick['actual']} (PENDING iff actual is null)")
    if pick["result"] == "PENDING" and pick["error"] is not None:
        problems.append("a PENDING pick has an error")
    if not _near(pick["edge"], abs(pick["predicted"] - pick["line"]), 0.011):
        problems.append(f"edge {pick['edge']} != |predicted − line|")
    if pick["tier"] not in _edge_tier(pick["edge"]):
        problems.append(f"tier {pick['tier']} does not match edge {pick['edge']}")
    if pick["rationale"][0] != TIER_LINES[pick["tier"]]:
        problems.append(f"rationale starts with {pick['rationale'][0]!r}, not the tier line")
    if pick["fatigue_level"] != _fatigue_level(pick["fatigue_score"], None):
        problems.append(f"fatigue_level {pick['fatigue_level']} does not match fatigue_score {pick['fatigue_score']}")
    if pick["confidence"] == 0.89 or pick["line"] == 20.0:
        problems.append(f"confidence {pick['confidence']} / line {pick['line']} is excluded from the candidates (§3.3)")
    problems += _rationale_problems(pick)
    sample = pick["player_sample_size"]
    hist = pick["player_historical_accuracy"] if sample is not None and sample >= 5 else 0.85
    if hist is not None:
        expected = pick["confidence"] * min(1.5, 1 + pick["edge"] / 10) * hist
        if not _near(pick["composite_score"], expected, 0.015):
            problems.append(f"composite_score {pick['composite_score']} != confidence × min(1.5, 1 + edge/10) × hist ≈ {expected:.3f}")
    return problems


def _labels(value: float | None, bands: tuple[tuple[float, str], ...], slack: float, below: str | None = None) -> set[str | None]:
    """The labels a rounded value may carry: (threshold, label) bands, highest first, tried at value ± slack."""
    if value is None:
        return {below}
    return {next((label for threshold, label in bands if probe >= threshold), below) for probe in (value - slack, value + slack)}


RATIONALE_RULES: tuple[tuple[str, ...], ...] = (
    ("High confidence (", "Good confidence ("),
    ("Strong edge (", "Solid edge (", "Moderate edge ("),
    ("Bench player (", "Rotation player ("),
    ("Strong track record (", "Good track record ("),
    ("Well-rested (", "Elevated fatigue ("),
)


def _rationale_problems(pick: dict[str, Any]) -> list[str]:
    """§3.3 rationale: the tier line, then rules 2–6 in order when they hold, else "Meets selection criteria"."""
    sample, accuracy = pick["player_sample_size"], pick["player_historical_accuracy"]
    expected = [
        _labels(pick["confidence"], ((0.90, "High confidence ("), (0.80, "Good confidence (")), 0.005),
        _labels(pick["edge"], ((5, "Strong edge ("), (4, "Solid edge ("), (2, "Moderate edge (")), 0.005),
        {"Bench player (" if pick["predicted"] < 12 else "Rotation player (" if pick["predicted"] < 18 else None},
        _labels(accuracy if sample is not None and sample >= 5 else None,
                ((0.80, "Strong track record ("), (0.70, "Good track record (")), 0.005),
        {None} if pick["fatigue_score"] is None
        else _labels(pick["fatigue_score"], ((95, "Well-rested ("), (75, None)), 0.005, below="Elevated fatigue ("),
    ]
    rest = pick["rationale"][1:]
    if rest == ["Meets selection criteria"]:
        return [] if all(None in labels for labels in expected) else ["'Meets selection criteria' although a rule holds"]
    found: list[str | None] = []
    for prefixes in RATIONALE_RULES:
        item = next((line for line in rest if line.startswith(prefixes)), None)
        found.append(next(prefix for prefix in prefixes if item.startswith(prefix)) if item else None)
    problems = [f"rationale rule {index + 2}: {label!r} not in {sorted(map(str, labels))}"
                for index, (label, labels) in enumerate(zip(found, expected)) if label not in labels]
    present = [line for line in rest if line.startswith(tuple(p for rule in RATIONALE_RULES for p in rule))]
    if present != rest or [rest.index(line) for line in present] != sorted(rest.index(line) for line in present):
        problems.append(f"rationale {rest} has lines outside §3.3 or out of order")
    order = [next(i for i, rule in enumerate(RATIONALE_RULES) if line.startswith(rule)) for line in present]
    if order != sorted(set(order)):
        problems.append(f"rationale lines {rest} are not in the §3.3 order")
    return problems


def _side_problems(team: str | None, is_home: bool | None, home: str | None, away: str | None) -> list[str]:
    """A player's team is one side of his game, and is_home says which."""
    if team is None or home is None or away is None:
        return []
    if team not in (home, away):
        return [f"team {team} plays in neither side of {away}@{home}"]
    if is_home is not None and is_home != (team == home):
        return [f"is_home {is_home} but team {team} and home team {home}"]
    return []


def predictions_invariants(body: dict[str, Any]) -> list[str]:
    games = body["games"]
    problems = []
    if body["total_games"] != len(games):
        problems.append(f"/total_games: {body['total_games']} != len(games) {len(games)}")
    total = sum(game["prediction_count"] for game in games)
    if body["total_predictions"] != total:
        problems.append(f"/total_predictions: {body['total_predictions']} != Σ prediction_count {total}")
    if not _sorted_by(games, lambda game: (game["game_id"],)):
        problems.append("/games: not ordered by game_id")
    seen: set[tuple[str, str]] = set()
    model_ids = set()
    confidences = []
    for g, game in enumerate(games):
        rows = game["predictions"]
        if game["prediction_count"] != len(rows):
            problems.append(f"/games/{g}/prediction_count: {game['prediction_count']} != {len(rows)} rows")
        breakdown = {key: sum(row["prediction"]["recommendation"] == key.upper() for row in rows) for key in ("over", "under", "pass")}
        if game["recommendation_breakdown"] != breakdown:
            problems.append(f"/games/{g}/recommendation_breakdown: {game['recommendation_breakdown']} != counted {breakdown}")
        match = re.match(r"^\d{8}_([A-Z]+)_([A-Z]+)$", game["game_id"])
        if match and (game["away_team"], game["home_team"]) != match.groups():
            problems.append(f"/games/{g}: home/away teams do not match game_id {game['game_id']}")
        if not _sorted_by(rows, lambda row: (-row["prediction"]["confidence"], row["player_lookup"]), rounded=(0,)):
            problems.append(f"/games/{g}/predictions: not ordered by confidence desc, then player_lookup")
        for p, row in enumerate(rows):
            key = (game["game_id"], row["player_lookup"])
            if key in seen:
                problems.append(f"/games/{g}/predictions/{p}: second row for {key}")
            seen.add(key)
            model_ids.add(row["model_attribution"]["model_id"])
            confidences.append(row["prediction"]["confidence"])
            problems += [f"/games/{g}/predictions/{p}: {x}" for x in _side_problems(row["team"], row["is_home"], game["home_team"], game["away_team"])]
            prediction = row["prediction"]
            expected_edge = None if prediction["line"] is None else prediction["points"] - prediction["line"]
            if not _near(prediction["edge"], expected_edge, 0.06):
                problems.append(f"/games/{g}/predictions/{p}/prediction/edge: {prediction['edge']} != points − line")
    if len(model_ids) > 1:
        problems.append(f"model_attribution.model_id differs between rows {sorted(map(str, model_ids))} (single-model export)")
    return problems + _confidence_scale_problems(confidences, "/games/*/predictions/*/prediction/confidence")


def _last_10_record(results: list[str]) -> str | None:
    overs, unders = results.count("O"), results.count("U")
    return f"{overs}-{unders}" if overs or unders else None


def tonight_invariants(body: dict[str, Any]) -> list[str]:
    games = body["games"]
    players = [player for game in games for player in game["players"]]
    problems = []
    if body["total_players"] != len(players):
        problems.append(f"/total_players: {body['total_players']} != {len(players)} players")
    with_lines = sum(player["has_line"] for player in players)
    if body["total_with_lines"] != with_lines:
        problems.append(f"/total_with_lines: {body['total_with_lines']} != {with_lines} players with has_line")
    compact_date = body["game_date"].replace("-", "")
    if not _sorted_by(games, lambda game: (_tip_off_minutes(game["game_time"]), game["game_id"])):
        problems.append("/games: not ordered by tip-off, then game_id")
    confidences = []
    for g, game in enumerate(games):
        if game["player_count"] != len(game["players"]):
            problems.append(f"/games/{g}/player_count: {game['player_count']} != {len(game['players'])}")
        if game["game_id"] != f"{compact_date}_{game['away_team']}_{game['home_team']}":
            problems.append(f"/games/{g}/game_id: {game['game_id']} is not {compact_date}_AWAY_HOME")
        if not _sorted_by(game["players"], _tonight_player_order, rounded=(2, 3)):
            problems.append(f"/games/{g}/players: not ordered by has_line, out last, confidence desc, season_ppg desc, lookup")
        for p, player in enumerate(game["players"]):
            problems += [f"/games/{g}/players/{p}: {problem}" for problem in _tonight_player_problems(player)]
            problems += [f"/games/{g}/players/{p}: {x}" for x in _side_problems(player["team"], player["is_home"], game["home_team"], game["away_team"])]
            if "prediction" in player:
                confidences.append(player["prediction"]["confidence"])
    return problems + _confidence_scale_problems(confidences, "/games/*/players/*/prediction/confidence")


def _tip_off_minutes(game_time: str | None) -> float:
    """'7:30 PM ET' → minutes after midnight; an unknown time sorts last."""
    if game_time is None:
        return math.inf
    clock, meridiem, _ = game_time.split(" ")
    hour, minute = (int(part) for part in clock.split(":"))
    return (hour % 12 + (12 if meridiem == "PM" else 0)) * 60 + minute


def _tonight_player_order(player: dict[str, Any]) -> tuple[Any, ...]:
    confidence = player["prediction"]["confidence"] if "prediction" in player else None
    return (
        not player["has_line"],
        player["injury_status"] == "out",
        -(confidence if confidence is not None else -math.inf),
        -(player["season_ppg"] or 0),
        player["player_lookup"],
    )


def _tonight_player_problems(player: dict[str, Any]) -> list[str]:
    problems = []
    if player["limited_data"] != (player["games_played"] < 10):
        problems.append(f"limited_data {player['limited_data']} with games_played {player['games_played']}")
    if player["fatigue_level"] != _fatigue_level(player["fatigue_score"], "normal"):
        problems.append(f"fatigue_level {player['fatigue_level']} does not match fatigue_score {player['fatigue_score']}")
    if "last_10_results" in player:
        results = player["last_10_results"]
        if len(results) != len(player["last_10_points"]):
            problems.append(f"len(last_10_results) {len(results)} != len(last_10_points) {len(player['last_10_points'])}")
        if player["last_10_record"] != _last_10_record(results):
            problems.append(f"last_10_record {player['last_10_record']!r} != O-U count of last_10_results {_last_10_record(results)!r}")
    expected = _mean(player["last_10_points"][:5])
    if not _near(player["last_5_ppg"], expected, ROUNDING_SLACK):
        problems.append(f"last_5_ppg {player['last_5_ppg']} != the mean of the first 5 of last_10_points {expected}")
    return problems


def _mean(values: list[Any]) -> float | None:
    known = [value for value in values if value is not None]
    return sum(known) / len(known) if known else None


def _streak(recent_form: list[dict[str, Any]]) -> dict[str, Any]:
    """§3.6 current_streak from recent_form, newest first."""
    kind, length = None, 0
    for game in recent_form:
        result = game["over_under"]
        if result is None:
            if kind is None:
                continue
            break
        if kind is None:
            kind = result
        if result != kind:
            break
        length += 1
    return {"type": kind.lower() if kind else None, "length": length}


DEFENSE_TIERS = ((5, "elite", "negative"), (10, "good", "negative"), (20, "average", "neutral"), (math.inf, "weak", "positive"))
FACTOR_ORDER = ("back_to_back", "location", "vs_opponent", "well_rested", "fatigue", "fresh", "opponent_defense")


def tonight_player_invariants(body: dict[str, Any]) -> list[str]:
    problems = []
    if body["limited_data"] != (body["games_played"] < 10):
        problems.append(f"/limited_data: {body['limited_data']} with games_played {body['games_played']}")
    context = body["game_context"]
    sides = re.match(r"^\d{8}_([A-Z]+)_([A-Z]+)$", context["game_id"]) if context else None
    if sides:
        away, home = sides.groups()
        problems += [f"/game_context: {x}" for x in _side_problems(context["team_abbr"], context["home_game"], home, away)]
        if {context["team_abbr"], context["opponent"]} != {home, away}:
            problems.append(f"/game_context: team {context['team_abbr']} and opponent {context['opponent']} are not the sides of {context['game_id']}")
    quick = body["quick_numbers"]
    if quick and quick["games_played"] != body["games_played"]:
        problems.append("/quick_numbers/games_played differs from games_played")
    if quick:
        problems += _quick_numbers_problems(quick, body["recent_form"])
    fatigue = body["fatigue"]
    if fatigue["level"] != _fatigue_level(fatigue["score"], "normal"):
        problems.append(f"/fatigue/level: {fatigue['level']} does not match score {fatigue['score']}")
    if fatigue["context"] is not None and fatigue["context_data"] is not None:
        if json.loads(fatigue["context"]) != fatigue["context_data"]:
            problems.append("/fatigue/context_data is not the parsed context")
    recent = body["recent_form"]
    if body["current_streak"] != _streak(recent):
        problems.append(f"/current_streak: {body['current_streak']} != {_streak(recent)} walked from recent_form")
    dates = [game["game_date"] for game in recent]
    if dates != sorted(dates, reverse=True) or any(d >= body["game_date"] for d in dates):
        problems.append("/recent_form: not newest first, strictly before game_date")
    for index, game in enumerate(recent):
        expected = None if game["points"] is None or game["line"] is None else game["points"] - game["line"]
        if not _near(game["margin"], expected, 0.051):
            problems.append(f"/recent_form/{index}/margin: {game['margin']} != points − line")
    factors = [factor["factor"] for factor in body["tonights_factors"]]
    if factors != sorted(factors, key=FACTOR_ORDER.index) or len(set(factors)) != len(factors):
        problems.append(f"/tonights_factors: {factors} not unique in the §3.6 order")
    for index, factor in enumerate(body["tonights_factors"]):
        problems += [f"/tonights_factors/{index}: {problem}" for problem in _factor_problems(factor)]
    prediction = body["prediction"]
    if prediction is not None:
        problems += _confidence_scale_problems([prediction["confidence_score"]], "/prediction/confidence_score")
    return problems


def _quick_numbers_problems(quick: dict[str, Any], recent_form: list[dict[str, Any]]) -> list[str]:
    """§3.6: the last-10 and last-5 numbers average the games recent_form lists (published minutes are rounded)."""
    expected = {
        "last_10_ppg": (_mean([game["points"] for game in recent_form]), ROUNDING_SLACK),
        "last_5_ppg": (_mean([game["points"] for game in recent_form[:5]]), ROUNDING_SLACK),
        "last_10_mpg": (_mean([game["minutes"] for game in recent_form]), 2 * ROUNDING_SLACK),
        "last_5_mpg": (_mean([game["minutes"] for game in recent_form[:5]]), 2 * ROUNDING_SLACK),
    }
    return [f"/quick_numbers/{key}: {quick[key]} != the mean over recent_form {value}"
            for key, (value, slack) in expected.items() if not _near(quick[key], value, slack)]


def _factor_problems(factor: dict[str, Any]) -> list[str]:
    if factor["factor"] == "back_to_back":
        expected = "negative" if factor["impact"] < 0 else "positive"
        return [] if factor["direction"] == expected else [f"back_to_back direction {factor['direction']} with impact {factor['impact']}"]
    if factor["factor"] != "opponent_defense":
        return []
    _, tier, direction = next(entry for entry in DEFENSE_TIERS if factor["defense_rank"] <= entry[0])
    if (factor["defense_tier"], factor["direction"]) != (tier, direction):
        return [f"defense rank {factor['defense_rank']} gives tier {tier}/{direction}, not {factor['defense_tier']}/{factor['direction']}"]
    return []


def streaks_invariants(body: dict[str, Any]) -> list[str]:
    streaks, summary = body["streaks"], body["summary"]
    problems = []
    for list_name, total_key, longest_key in (
        ("over", "total_over_streaks", "longest_over"),
        ("under", "total_under_streaks", "longest_under"),
        ("prediction_hits", "total_prediction_streaks", "longest_prediction"),
    ):
        entries = streaks[list_name]
        lookups = [entry["player_lookup"] for entry in entries]
        if len(set(lookups)) != len(lookups):
            problems.append(f"/streaks/{list_name}: a player_lookup appears twice")
        if summary[total_key] != len(entries):
            problems.append(f"/summary/{total_key}: {summary[total_key]} != {len(entries)}")
        longest = max((entry["streak_length"] for entry in entries), default=0)
        if summary[longest_key] != longest:
            problems.append(f"/summary/{longest_key}: {summary[longest_key]} != {longest}")
    for list_name, sign in (("over", 1), ("under", -1)):
        entries = streaks[list_name]
        if not _sorted_by(entries, lambda e: (-e["streak_length"], -e["avg_margin"], e["player_lookup"]), rounded=(1,)):
            problems.append(f"/streaks/{list_name}: not ordered by length desc, avg_margin desc, player_lookup")
        for index, entry in enumerate(entries):
            problems += [f"/streaks/{list_name}/{index}: {p}" for p in _ou_streak_problems(entry, sign, body["as_of_date"])]
    if not _sorted_by(streaks["prediction_hits"], lambda e: (-e["streak_length"], e["player_lookup"])):
        problems.append("/streaks/prediction_hits: not ordered by length desc, player_lookup")
    return problems


def _ou_streak_problems(entry: dict[str, Any], sign: int, as_of: str) -> list[str]:
    problems = []
    if entry["avg_margin"] * sign < 0:
        problems.append(f"avg_margin {entry['avg_margin']} has the wrong sign for the streak direction")
    dates = [game["game_date"] for game in entry["games"]]
    if dates != sorted(dates, reverse=True) or any(d > as_of for d in dates):
        problems.append("games are not newest first up to as_of_date")
    if len(entry["games"]) > entry["streak_length"]:
        problems.append("more games than the streak length")
    if any((game["points"] >= game["line"]) != (sign > 0) for game in entry["games"]):  # warehouse: OVER iff points ≥ line
        problems.append("a listed game of the streak is not on the streak's side of its line")
    return problems


def picks_invariants(body: dict[str, Any]) -> list[str]:
    groups = body["model_groups"]
    problems = _model_group_order(groups)
    if len({group["signal"] for group in groups}) > 1:
        problems.append("/model_groups: the signal differs between model groups (it is the champion's)")
    for g, group in enumerate(groups):
        where = f"/model_groups/{g}"
        problems += _vocab_model_problems(group, where)
        problems += _subset_id_order([subset["id"] for subset in group["subsets"]], f"{where}/subsets")
        for s, subset in enumerate(group["subsets"]):
            problems += _subset_vocab_problems(subset, f"{where}/subsets/{s}")
            problems += _record_problems(subset["record"], f"{where}/subsets/{s}")
            problems += [f"{where}/subsets/{s}/picks/{p}: {x}" for p, pick in enumerate(subset["picks"]) for x in _direction_problems(pick)]
    return problems


def _direction_problems(pick: dict[str, Any]) -> list[str]:
    """A pick's direction agrees with the sign of prediction − line (warehouse invariant behind edge = |pred − line|)."""
    sign = 1 if pick["direction"] == "OVER" else -1
    return [] if (pick["prediction"] - pick["line"]) * sign >= -0.1 else [f"{pick['direction']} with prediction {pick['prediction']} and line {pick['line']}"]


def subsets_performance_invariants(body: dict[str, Any]) -> list[str]:
    groups = body["model_groups"]
    problems = _model_group_order(groups)
    for g, group in enumerate(groups):
        where = f"/model_groups/{g}"
        problems += _vocab_model_problems(group, where)
        windows = group["windows"]
        end_dates = {window["end_date"] for window in windows.values()}
        if len(end_dates) != 1:
            problems.append(f"{where}/windows: end dates differ {sorted(end_dates)} (all end on G − 1)")
        for name, window in windows.items():
            problems += _window_problems(name, window, f"{where}/windows/{name}")
    return problems


def _window_problems(name: str, window: dict[str, Any], where: str) -> list[str]:
    problems = []
    start, end = date.fromisoformat(window["start_date"]), date.fromisoformat(window["end_date"])
    days = re.match(r"last_(\d+)_days?$", name)
    if days and (end - start).days != int(days.group(1)) - 1:
        problems.append(f"{where}: [{start}, {end}] does not cover {days.group(1)} days")
    if name == "season" and (start.month, start.day) != (11, 1):
        problems.append(f"{where}: the season window starts {start}, not on November 1")
    problems += _subset_id_order([group["id"] for group in window["groups"]], f"{where}/groups")
    for index, group in enumerate(window["groups"]):
        problems += _subset_vocab_problems(group, f"{where}/groups/{index}")
        stats = group["stats"]
        expected_roi = 1.909 * stats["hit_rate"] - 100 if stats["picks"] else 0.0
        if not _near(stats["roi"], expected_roi, 0.25):
            problems.append(f"{where}/groups/{index}/stats: roi {stats['roi']} inconsistent with hit_rate {stats['hit_rate']} at −110")
    return problems


def systems_subsets_invariants(body: dict[str, Any]) -> list[str]:
    groups = body["model_groups"]
    problems = _model_group_order(groups)
    for g, group in enumerate(groups):
        where = f"/model_groups/{g}"
        problems += _vocab_model_problems(group, where)
        problems += _subset_id_order([subset["id"] for subset in group["subsets"]], f"{where}/subsets")
        for s, subset in enumerate(group["subsets"]):
            problems += _subset_vocab_problems(subset, f"{where}/subsets/{s}", with_description=True)
    return problems


def _season_result(pick: dict[str, Any]) -> str | None:
    actual, line = pick["actual"], pick["line"]
    if actual is None:
        return None
    if actual == line:
        return "push"
    over = actual > line
    return "hit" if over == (pick["direction"] == "OVER") else "miss"


def subsets_season_invariants(body: dict[str, Any]) -> list[str]:
    groups = body["model_groups"]
    problems = _model_group_order(groups)
    start_year, end_year = (int(part) for part in body["season"].split("-"))
    if (start_year + 1) % 100 != end_year:
        problems.append(f"/season: {body['season']} is not a YYYY-YY label")
    signals: dict[str, set[str]] = {}
    for g, group in enumerate(groups):
        where = f"/model_groups/{g}"
        problems += _vocab_model_problems(group, where)
        problems += _record_problems(group["record"], where)
        dates = [entry["date"] for entry in group["dates"]]
        if dates != sorted(set(dates), reverse=True):
            problems.append(f"{where}/dates: not unique and newest first")
        for d, entry in enumerate(group["dates"]):
            signals.setdefault(entry["date"], set()).add(entry["signal"])
            subsets = [int(pick["subset"]) for pick in entry["picks"]]
            if subsets != sorted(subsets):
                problems.append(f"{where}/dates/{d}/picks: not ordered by numeric subset id")
            for p, pick in enumerate(entry["picks"]):
                problems += [f"{where}/dates/{d}/picks/{p}: {x}" for x in _direction_problems(pick)]
                if pick["result"] != _season_result(pick):
                    problems.append(f"{where}/dates/{d}/picks/{p}: result {pick['result']} != {_season_result(pick)} from actual and line")
    problems += [f"/model_groups/*/dates: signals {sorted(s)} differ on {day}" for day, s in signals.items() if len(s) > 1]
    return problems


def systems_models_invariants(body: dict[str, Any]) -> list[str]:
    models = body["models"]
    problems = []
    champions = [index for index, model in enumerate(models) if model["is_champion"]]
    if champions not in ([], [0]):
        problems.append(f"/models: champion entries at {champions} (at most one, first)")
    if champions and models[0]["model_id"] != body["champion"]:
        problems.append(f"/models/0/model_id: {models[0]['model_id']} != champion {body['champion']}")
    rest = models[1:] if champions else models
    order = [(model["model_id"] is None, model["model_id"] or model["system_id"]) for model in rest]
    if order != sorted(order):
        problems.append("/models: not champion first, then codenames, then system ids")
    for index, model in enumerate(models):
        problems += [f"/models/{index}: {problem}" for problem in _model_entry_problems(model, body["as_of_date"])]
    return problems


D_KEYS = ("model_file_name", "model_version", "model_trained_at", "training_start_date", "training_end_date",
          "model_expected_mae", "model_expected_hit_rate", "build_commit_sha", "deployment_revision")


def _model_entry_problems(model: dict[str, Any], as_of: str) -> list[str]:
    versions = model["versions"]
    problems = []
    if model["model_id"] is not None:
        problems += _vocab_model_problems(model, "")
    if sum(version["predictions"] for version in versions) != model["predictions_in_window"]:
        problems.append("Σ versions.predictions != predictions_in_window")
    if max(version["last_seen"] for version in versions) != model["last_prediction_date"]:
        problems.append("last_prediction_date != the latest versions.last_seen")
    window_start = (date.fromisoformat(as_of) - timedelta(days=7)).isoformat()
    if any(not (window_start < v["first_seen"] <= v["last_seen"] <= as_of) for v in versions):
        problems.append("a version is seen outside the window (as_of − 7, as_of] or first_seen > last_seen")
    if not _sorted_by(versions, lambda v: (_descending(v["last_seen"]), _descending(v["model_version"] or ""))):
        problems.append("versions are not ordered by last_seen desc, then model_version desc")
    current = {key: model["current"][key] for key in D_KEYS}
    if all({key: version[key] for key in D_KEYS} != current for version in versions):
        problems.append("current is not one of the versions")
    return problems


def _descending(text: str) -> tuple[int, ...]:
    return tuple(-ord(character) for character in text) + (1,)


def systems_performance_invariants(body: dict[str, Any]) -> list[str]:
    systems = body["systems"]
    problems = []
    order = [(vocab.system_metadata(system["system_id"]).rank, system["system_id"]) for system in systems]
    if order != sorted(order):
        problems.append("/systems: not ordered by the §3.2 rank, then system_id")
    for index, system in enumerate(systems):
        problems += [f"/systems/{index}: {problem}" for problem in _system_problems(system)]
    if bool(systems) != bool(body["comparison"]):
        problems.append("/comparison: must be {} exactly when systems is empty")
    if body["comparison"]:
        problems += _comparison_problems(systems, body["comparison"])
    return problems


def _system_problems(system: dict[str, Any]) -> list[str]:
    metadata = vocab.system_metadata(system["system_id"])
    problems = []
    if (system["display_name"], system["description"]) != (metadata.display_name, metadata.description):
        problems.append(f"display_name/description {system['display_name']!r} differ from the §3.2 table")
    if system["model_id"] != vocab.codename(system["system_id"]):
        problems.append(f"model_id {system['model_id']} is not the codename of {system['system_id']}")
    if system["is_primary"] != (system["model_id"] == CHAMPION_CODENAME):
        problems.append(f"is_primary {system['is_primary']} for {system['system_id']}")
    for name, window in system["windows"].items():
        counts = (window["predictions"], window["recommendations"], window["correct"])
        if None not in counts and not counts[0] >= counts[1] >= counts[2]:
            problems.append(f"windows/{name}: not predictions ≥ recommendations ≥ correct")
        if window["win_rate"] is not None and window["recommendations"]:
            if not _near(window["win_rate"], window["correct"] / window["recommendations"], ROUNDING_SLACK):
                problems.append(f"windows/{name}: win_rate {window['win_rate']} != correct/recommendations")
    tiers = system["tier_breakdown"]
    if sum(tiers[key]["picks"] for key in ("high_quality", "medium_quality", "low_quality")) != tiers["all_predictions"]["picks"]:
        problems.append("tier_breakdown: the three tiers' picks do not add up to all_predictions")
    if (date.fromisoformat(tiers["end_date"]) - date.fromisoformat(tiers["start_date"])).days != 29:
        problems.append("tier_breakdown: start_date is not end_date − 29")
    for key in ("high_quality", "medium_quality", "low_quality", "all_predictions"):
        tier = tiers[key]
        rates = (tier["hit_rate"], tier["avg_edge"], tier["mae"], tier["roi_pct"])
        if (tier["picks"] == 0) != all(rate is None for rate in rates):
            problems.append(f"tier_breakdown/{key}: the rates are null iff picks is 0")
        elif tier["picks"] and not _near(tier["roi_pct"], 1.909 * tier["hit_rate"] - 100, 0.25):
            problems.append(f"tier_breakdown/{key}: roi_pct {tier['roi_pct']} inconsistent with hit_rate {tier['hit_rate']} at −110")
    return problems


def _comparison_problems(systems: list[dict[str, Any]], comparison: dict[str, Any]) -> list[str]:
    """§3.2 comparison over the season windows: min mae, max win_rate, min |bias|; ties to the lower rank (list order)."""
    def best(field: str, key: Callable[[float], float]) -> dict[str, Any] | None:
        candidates = [(key(s["windows"]["season"][field]), index, s) for index, s in enumerate(systems)
                      if s["windows"]["season"][field] is not None]
        if not candidates:
            return None
        _, _, winner = min(candidates, key=lambda item: item[:2])
        return {"system_id": winner["system_id"], "value": winner["windows"]["season"][field]}

    expected = {
        "best_mae": best("mae", lambda value: value),
        "best_win_rate": best("win_rate", lambda value: -value),
        "lowest_bias": best("bias", abs),
    }
    return [f"/comparison/{key}: {comparison.get(key)} != {value}" for key, value in expected.items()
            if value is not None and comparison.get(key) != value]


def players_index_invariants(body: dict[str, Any]) -> list[str]:
    players = body["players"]
    problems = []
    if body["total_players"] != len(players):
        problems.append(f"/total_players: {body['total_players']} != {len(players)}")
    if not _sorted_by(players, lambda player: (-player["games_predicted"], player["player_lookup"])):
        problems.append("/players: not ordered by games_predicted desc, player_lookup")
    return problems


def player_profile_invariants(body: dict[str, Any]) -> list[str]:
    summary, interpretation = body["summary"], body["interpretation"]
    problems = []
    if (summary is None) != ("error" in interpretation):
        problems.append("/interpretation: the error form must appear exactly when summary is null")
    if summary is not None:
        if ("bias" in interpretation) != (summary["bias"] is not None):
            problems.append("/interpretation/bias: present iff summary.bias is not null")
        accuracy_due = summary["win_rate"] is not None and summary["total_recommendations"] >= 5
        if ("accuracy" in interpretation) != accuracy_due:
            problems.append("/interpretation/accuracy: present iff win_rate is not null and total_recommendations ≥ 5")
    dates = [game["game_date"] for game in body["game_log"]]
    if dates != sorted(dates, reverse=True):
        problems.append("/game_log: not newest first")
    for index, game in enumerate(body["game_log"]):
        expected = None if game["points"] is None or game["line"] is None else game["points"] - game["line"]
        if not _near(game["margin"], expected, ROUNDING_SLACK):
            problems.append(f"/game_log/{index}/margin: {game['margin']} != points − line")
    opponents = body["splits"].get("opponents", [])
    if not _sorted_by(opponents, lambda o: (-o["games"], -(o["avg"] if o["avg"] is not None else -math.inf)), rounded=(1,)):
        problems.append("/splits/opponents: not ordered by games desc, then avg desc")
    return problems


LIVE_STATUS_ORDER = ("correct", "incorrect", "trending_correct", "trending_incorrect", "in_progress", "graded", "pending")


def live_grading_invariants(body: dict[str, Any]) -> list[str]:
    rows, summary = body["predictions"], body["summary"]
    problems = []
    counts = {
        "total_predictions": len(rows),
        "graded": sum(row["actual"] is not None for row in rows),
        **{status: sum(row["status"] == status for row in rows) for status in LIVE_STATUS_ORDER[:4]},
    }
    counts["pending"] = counts["total_predictions"] - counts["graded"]
    problems += [f"/summary/{key}: {summary[key]} != {value} counted in predictions" for key, value in counts.items() if summary[key] != value]
    decided = counts["correct"] + counts["incorrect"]
    expected_rate = counts["correct"] / decided if decided else None
    if not _near(summary["win_rate"], expected_rate, 0.0006):
        problems.append(f"/summary/win_rate: {summary['win_rate']} != correct/(correct+incorrect) or null")
    errors = [abs(row["error"]) for row in rows if row["error"] is not None]
    if not _near(summary["avg_error"], sum(errors) / len(errors) if errors else None, 0.1):
        problems.append(f"/summary/avg_error: {summary['avg_error']} != mean |error|")
    order = lambda row: (LIVE_STATUS_ORDER.index(row["status"]), -row["confidence"], row["player_lookup"])  # noqa: E731
    if not _sorted_by(rows, order, rounded=(1,)):
        problems.append("/predictions: not ordered by status, confidence desc, player_lookup")
    for index, row in enumerate(rows):
        problems += [f"/predictions/{index}: {problem}" for problem in _live_row_problems(row)]
    return problems + _confidence_scale_problems([row["confidence"] for row in rows], "/predictions/*/confidence")


def _live_row_problems(row: dict[str, Any]) -> list[str]:
    """§3.15 grading: margin_vs_line null when pending, actual − line with a call and a line, absent otherwise."""
    status, actual, line = row["status"], row["actual"], row["line"]
    problems = _side_problems(row["team"], None, row["home_team"], row["away_team"])
    if status == "pending":
        return problems  # the schema requires actual, minutes, error and margin_vs_line to be null
    if actual is not None and not _near(row["error"], row["predicted"] - actual, 0.06):
        problems.append(f"error {row['error']} != predicted − actual")
    has_call = row["recommendation"] in ("OVER", "UNDER") and line is not None
    if not has_call:
        if "margin_vs_line" in row:
            problems.append("margin_vs_line present on a row without an OVER/UNDER call and a line")
        if status not in ("graded", "in_progress"):
            problems.append(f"status {status} on a row without an OVER/UNDER call and a line")
        return problems
    if "margin_vs_line" not in row:
        return problems + ["margin_vs_line absent on a row with live data, a call and a line"]
    expected_margin = None if actual is None else actual - line
    if not _near(row["margin_vs_line"], expected_margin, 0.06):
        problems.append(f"margin_vs_line {row['margin_vs_line']} != actual − line")
    if status == "graded":
        problems.append("status graded on a row with an OVER/UNDER call and a line")
    if status in ("correct", "incorrect"):
        over = actual is not None and actual > line
        under = actual is not None and actual < line
        won = over if row["recommendation"] == "OVER" else under
        if row["game_status"] != "final" or (status == "correct") != won:
            problems.append(f"status {status} with actual {actual}, line {line}, game {row['game_status']}")
    return problems


def status_invariants(body: dict[str, Any]) -> list[str]:
    problems = []
    if body["updated_at"] != body["generated_at"]:
        problems.append("/updated_at != generated_at")
    generated = datetime.fromisoformat(body["generated_at"])
    endpoints = body["endpoints"]
    for index, endpoint in enumerate(endpoints):
        problems += [f"/endpoints/{index}: {problem}" for problem in _endpoint_problems(endpoint, generated)]
    expected = _health(endpoints)
    if body["overall_status"] != expected:
        problems.append(f"/overall_status: {body['overall_status']} != {expected} derived from endpoints")
    not_ok = sum(endpoint["status"] != "ok" for endpoint in endpoints)
    if len(body["known_issues"]) != not_ok:
        problems.append(f"/known_issues: {len(body['known_issues'])} entries for {not_ok} non-ok endpoints")
    by_type = {endpoint["export_type"]: endpoint for endpoint in endpoints}
    for service, export_type in STATUS_SERVICES.items():
        problems += [f"/services/{service}: {problem}" for problem in _service_problems(body["services"][service], by_type[export_type])]
    leaked = [value for _, _, value in walk(body) if isinstance(value, str) and _leaks_internals(value)]
    problems += [f"internal name published in status.json: {value!r}" for value in leaked]
    return problems


# §3.16: each legacy service follows one endpoint probe; nothing else makes a service or the overall status unhealthy.
STATUS_SERVICES = {"tonight_data": "tonight", "grading": "results", "predictions": "predictions", "live_data": "live-grading"}


def _health(endpoints: list[dict[str, Any]]) -> str:
    """unhealthy if a probe object is missing, degraded if an endpoint is stale, healthy otherwise."""
    if any(endpoint["last_written_at"] is None for endpoint in endpoints):
        return "unhealthy"
    return "degraded" if any(endpoint["status"] == "stale" for endpoint in endpoints) else "healthy"


def _service_problems(service: dict[str, Any], endpoint: dict[str, Any]) -> list[str]:
    age = endpoint["age_seconds"]
    expected = {
        "status": _health([endpoint]),
        "last_update": endpoint["last_written_at"],
        "age_minutes": None if age is None else round(age / 60, 1),
        "is_stale": endpoint["status"] == "stale",
    }
    return [f"{key} {service[key]!r} does not follow the {endpoint['export_type']} endpoint ({value!r})"
            for key, value in expected.items() if service[key] != value]


def _endpoint_problems(endpoint: dict[str, Any], generated: datetime) -> list[str]:
    written = endpoint["last_written_at"]
    if written is None:
        return []
    age = (generated - datetime.fromisoformat(written)).total_seconds()
    problems = []
    if endpoint["age_seconds"] is None or abs(endpoint["age_seconds"] - math.floor(age)) > 1:
        problems.append(f"age_seconds {endpoint['age_seconds']} != ⌊generated_at − last_written_at⌋ = {math.floor(age)}")
    if (endpoint["status"] == "ok") != (age <= endpoint["sla_seconds"]):
        problems.append(f"status {endpoint['status']} with age {age:.0f}s and sla {endpoint['sla_seconds']}s")
    return problems


def _leaks_internals(value: str) -> bool:
    return "nba_" in value or any(system_id in value for system_id in vocab.MODELS)


INVARIANTS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "results": results_invariants,
    "systems-performance": systems_performance_invariants,
    "best-bets": best_bets_invariants,
    "predictions": predictions_invariants,
    "tonight": tonight_invariants,
    "tonight-player": tonight_player_invariants,
    "streaks": streaks_invariants,
    "picks": picks_invariants,
    "subsets-performance": subsets_performance_invariants,
    "systems-subsets": systems_subsets_invariants,
    "subsets-season": subsets_season_invariants,
    "systems-models": systems_models_invariants,
    "players-index": players_index_invariants,
    "player-profile": player_profile_invariants,
    "live-grading": live_grading_invariants,
    "status": status_invariants,
}


# ---------------------------------------------------------------------------------------------- one run's catalogue

POINTER_OFFSETS = {"results": (-1, 0)}  # §2.2: target dates (G + offset) that may write the pointer; others G only


def scope_violations(bodies: dict[str, Any], mode: str, target_date: date, game_day: date) -> list[str]:
    """§2.1–§2.2 for the objects one run wrote into an empty bucket: dated files for the target date only; pointers,
    fixed and global files only in live runs, pointers only for their allowed target dates; no empty results pointer."""
    problems = []
    offset = (target_date - game_day).days
    for path, body in bodies.items():
        name = schema_name(path)
        if name is None:
            problems.append(f"{path}: written, but outside the contract")
            continue
        path_date = re.search(_DATE, path)
        if name == "status":
            continue
        if path_date:
            if path_date.group(0) != target_date.isoformat():
                problems.append(f"{path}: a run for {target_date} wrote a dated file for another date")
            continue
        if mode != "live":
            problems.append(f"{path}: a {mode} run wrote a pointer, fixed or global file (§2.1)")
        elif dated_twin(path, body) is not None and offset not in POINTER_OFFSETS.get(name, (0,)):
            problems.append(f"{path}: pointer written for target G{offset:+d} (§2.2)")
    latest = bodies.get("results/latest.json")
    if latest is not None and not latest.get("results"):
        problems.append("results/latest.json: the pointer moved to a day without results (§2.2)")
    return problems


def as_of_violations(bodies: dict[str, Any], game_day: date) -> list[str]:
    """The dates global files are anchored on (§3.2, §3.10, §3.12–§3.14, §3.16), relative to G."""
    last_day = game_day - timedelta(days=1)
    season_start = date(game_day.year if game_day.month >= 11 else game_day.year - 1, 11, 1)
    expected: list[tuple[str, Any, Any]] = []
    performance = bodies.get("systems/performance.json")
    if performance is not None:
        expected.append(("systems/performance.json as_of_date", performance["as_of_date"], last_day.isoformat()))
        expected += [(f"systems/performance.json {s['system_id']} tier_breakdown end_date", s["tier_breakdown"]["end_date"],
                      last_day.isoformat()) for s in performance["systems"]]
    subsets = bodies.get("subsets/performance.json")
    for group in subsets["model_groups"] if subsets else []:
        for name, window in group["windows"].items():
            days = re.match(r"last_(\d+)_days?$", name)
            start = game_day - timedelta(days=int(days.group(1))) if days else season_start
            expected.append((f"subsets/performance.json {group['model_id']} {name}", (window["start_date"], window["end_date"]),
                             (start.isoformat(), last_day.isoformat())))
    models = bodies.get("systems/models.json")
    if models is not None:
        expected.append(("systems/models.json as_of_date", models["as_of_date"], game_day.isoformat()))
    season = bodies.get("subsets/season.json")
    if season is not None:
        expected.append(("subsets/season.json season", season["season"], f"{season_start.year}-{(season_start.year + 1) % 100:02d}"))
        dates = [entry["date"] for group in season["model_groups"] for entry in group["dates"]]
        outside = [d for d in dates if not season_start.isoformat() <= d < game_day.isoformat()]
        expected.append(("subsets/season.json dates outside [season start, G)", outside[:3], []))
    status = bodies.get("status.json")
    if status is not None:
        expected.append(("status.json game_day", status["game_day"], game_day.isoformat()))
    expected += _records_of_g(bodies, game_day)
    for path, body in bodies.items():
        if schema_name(path) == "player-profile" and body["next_game"] is not None and body["next_game"]["game_date"] < game_day.isoformat():
            expected.append((f"{path} next_game before G", body["next_game"]["game_date"], f">= {game_day}"))
    return [f"{what}: {actual} != {wanted}" for what, actual, wanted in expected if actual != wanted]


BROADEST_SUBSET = {"phoenix": "8", "aurora": "11", "summit": "13"}  # §3.12: the record of each model in season.json


def _records_of_g(bodies: dict[str, Any], game_day: date) -> list[tuple[str, Any, Any]]:
    """picks/{G}.json records cover game_date < G, like season.json's records and subsets/performance.json's season
    window [season start, G − 1]: the three files must agree."""
    picks = bodies.get(f"picks/{game_day}.json")
    if picks is None:
        return []
    records = {(g["model_id"], s["id"]): s["record"] for g in picks["model_groups"] for s in g["subsets"]}
    expected: list[tuple[str, Any, Any]] = []
    season = bodies.get("subsets/season.json")
    for group in season["model_groups"] if season else []:
        key = (group["model_id"], BROADEST_SUBSET.get(group["model_id"]))
        if key in records:
            expected.append((f"subsets/season.json {key[0]} record vs picks/{game_day}.json subset {key[1]}", group["record"], records[key]))
    performance = bodies.get("subsets/performance.json")
    for group in performance["model_groups"] if performance else []:
        stats = {g["id"]: g["stats"] for g in group["windows"]["season"]["groups"]}
        for (model_id, subset_id), record in records.items():
            if model_id != group["model_id"]:
                continue
            published = stats.get(subset_id)
            wanted = None if record is None else {"picks": record["season"]["wins"] + record["season"]["losses"], "hit_rate": record["season"]["pct"]}
            if record is not None and record["season"]["wins"] + record["season"]["losses"] == 0 and published is None:
                continue  # view rows before the season only: a record, but no group in the season window
            actual = None if published is None else {"picks": published["picks"], "hit_rate": published["hit_rate"]}
            expected.append((f"subsets/performance.json {model_id} season group {subset_id} vs picks/{game_day}.json record.season", actual, wanted))
    return expected


def catalogue_violations(raw: dict[str, bytes], min_games: int = 5) -> list[str]:
    """Rules across the files of one bucket: pointers byte-identical to their dated twins (§1.2) and the same facts
    told the same way by different endpoints."""
    bodies = {path: json.loads(data) for path, data in raw.items()}
    problems = []
    for path, body in bodies.items():
        twin = dated_twin(path, body)
        if twin is not None and raw.get(twin) != raw[path]:
            problems.append(f"{path}: not byte-identical to its dated twin {twin} (§1.2)")
    for check in (_best_bets_vs_predictions, _best_bets_vs_results, _tonight_vs_players, _tonight_vs_predictions,
                  _live_grading_vs_predictions, _subset_files_agree,
                  _picks_vs_season, _players_index_vs_profiles, _streaks_vs_profiles, _status_vs_bucket):
        problems += check(bodies, min_games)
    return problems


def _dated(bodies: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Dated bodies of one endpoint by date: 'best-bets/' → {'2026-03-04': body}."""
    found = {}
    for path, body in bodies.items():
        match = re.match(rf"^{re.escape(prefix)}({_DATE})\.json$", path)
        if match:
            found[match.group(1)] = body
    return found


def _same_day(bodies: dict[str, Any], prefix: str, other_prefix: str) -> Iterator[tuple[str, Any, Any]]:
    """(date, body, other body) for every date both endpoints have a dated file for."""
    others = _dated(bodies, other_prefix)
    for day, body in sorted(_dated(bodies, prefix).items()):
        if day in others:
            yield day, body, others[day]


def _best_bets_vs_predictions(bodies: dict[str, Any], _: int) -> list[str]:
    """§3.3/§4: a best bet is one of the champion's active rows, the same row predictions publishes."""
    problems = []
    for day, best_bets, predictions in _same_day(bodies, "best-bets/", "predictions/"):
        rows = {(row["player_lookup"], game["game_id"]): row for game in predictions["games"] for row in game["predictions"]}
        for pick in best_bets["picks"]:
            row = rows.get((pick["player_lookup"], pick["game_id"]))
            where = f"best-bets/{day}.json pick {pick['player_lookup']}"
            if row is None:
                problems.append(f"{where}: not among predictions/{day}.json rows")
            elif (row["prediction"]["points"], row["prediction"]["line"], row["model_attribution"]) != (
                pick["predicted"], pick["line"], pick["model_attribution"]):
                problems.append(f"{where}: predicted/line/model_attribution differ from predictions/{day}.json")
    return problems


def _best_bets_vs_results(bodies: dict[str, Any], _: int) -> list[str]:
    """§3.3 grading: a graded pick's actual is the graded row's actual points, as results publishes it."""
    problems = []
    for day, best_bets, results in _same_day(bodies, "best-bets/", "results/"):
        actuals = {(row["player_lookup"], row["game_id"]): row["actual"] for row in results["results"]}
        for pick in best_bets["picks"]:
            key = (pick["player_lookup"], pick["game_id"])
            if pick["result"] != "PENDING" and key in actuals and actuals[key] != pick["actual"]:
                problems.append(f"best-bets/{day}.json pick {key[0]}: actual {pick['actual']} != results' {actuals[key]}")
    return problems


def _tonight_vs_players(bodies: dict[str, Any], _: int) -> list[str]:
    """§3.5/§3.6: both describe every context player of the date, from the same rows."""
    problems = []
    for day, tonight in _dated(bodies, "tonight/").items():
        players = {player["player_lookup"]: (game, player) for game in tonight["games"] for player in game["players"]}
        files = _dated_player_files(bodies, day)
        if files and set(players) != set(files):
            missing, extra = sorted(set(players) - set(files)), sorted(set(files) - set(players))
            problems.append(f"tonight/{day}.json players and tonight/player/{day}/ files differ: missing {missing[:5]}, extra {extra[:5]}")
        for lookup in sorted(set(players) & set(files)):
            problems += [f"tonight/player/{day}/{lookup}.json vs tonight/{day}.json: {p}" for p in _tonight_player_agrees(*players[lookup], files[lookup])]
    return problems


def _tonight_vs_predictions(bodies: dict[str, Any], _: int) -> list[str]:
    """§3.4/§3.5: tonight's prediction is the champion's active latest row, the one predictions publishes."""
    problems = []
    for day, tonight, predictions in _same_day(bodies, "tonight/", "predictions/"):
        rows = {(row["player_lookup"], game["game_id"]): row["prediction"] for game in predictions["games"] for row in game["predictions"]}
        for game in tonight["games"]:
            for player in game["players"]:
                row = rows.get((player["player_lookup"], game["game_id"]))
                shown = player.get("prediction")
                published = None if row is None else {"predicted": row["points"], "confidence": row["confidence"]}
                if shown is not None and {"predicted": shown["predicted"], "confidence": shown["confidence"]} != published:
                    problems.append(f"tonight/{day}.json {player['player_lookup']}: prediction {shown} differs from predictions/{day}.json {published}")
                if player["has_line"] and (row is None or row["line"] is None):
                    problems.append(f"tonight/{day}.json {player['player_lookup']}: has_line without a line in predictions/{day}.json")
    return problems


def _live_grading_vs_predictions(bodies: dict[str, Any], _: int) -> list[str]:
    """§3.4/§3.15: both list the champion's active predictions of the date."""
    problems = []
    for day, live, predictions in _same_day(bodies, "live-grading/", "predictions/"):
        graded = {row["player_lookup"] for row in live["predictions"]}
        published = {row["player_lookup"] for game in predictions["games"] for row in game["predictions"]}
        if graded != published:
            problems.append(f"live-grading/{day}.json players differ from predictions/{day}.json: "
                            f"missing {sorted(published - graded)[:5]}, extra {sorted(graded - published)[:5]}")
    return problems


def _dated_player_files(bodies: dict[str, Any], day: str) -> dict[str, Any]:
    prefix = f"tonight/player/{day}/"
    return {path[len(prefix):-5]: body for path, body in bodies.items() if path.startswith(prefix)}


def _tonight_player_agrees(game: dict[str, Any], player: dict[str, Any], detail: dict[str, Any]) -> list[str]:
    context = detail["game_context"] or {}
    prediction = detail["prediction"] or {}
    pairs = {
        "games_played": (player["games_played"], detail["games_played"]),
        "limited_data": (player["limited_data"], detail["limited_data"]),
        "fatigue_score": (player["fatigue_score"], detail["fatigue"]["score"]),
        "injury_status": (player["injury_status"], context.get("injury_status")),
        "team": (player["team"], context.get("team_abbr")),
        "game_id": (game["game_id"], context.get("game_id")),
        "has_line": (player["has_line"], context.get("line") is not None),
    }
    if "prediction" in player:
        pairs["predicted"] = (player["prediction"]["predicted"], prediction.get("predicted_points"))
        pairs["confidence"] = (player["prediction"]["confidence"], prediction.get("confidence_score"))
        pairs["line"] = (player["props"][0]["line"], context.get("line"))
    scored = [game for game in detail["recent_form"] if game["points"] is not None]
    pairs["recent games with points"] = (player["last_10_points"][:len(scored)], [game["points"] for game in scored])
    if "last_10_results" in player:
        labels = [{"OVER": "O", "UNDER": "U"}.get(game["over_under"], "-") for game in scored]
        pairs["O/U labels of those games"] = (player["last_10_results"][:len(scored)], labels)
    return [f"{key} {a!r} != {b!r}" for key, (a, b) in pairs.items() if a != b]


def _subset_files_agree(bodies: dict[str, Any], _: int) -> list[str]:
    """§3.8–§3.11: the same publishable models and subsets everywhere; one champion signal per date."""
    problems = []
    definitions = bodies.get("systems/subsets.json")
    signals = _dated(bodies, "signals/")
    for day, picks in _dated(bodies, "picks/").items():
        if day in signals and any(group["signal"] != signals[day]["signal"] for group in picks["model_groups"]):
            problems.append(f"picks/{day}.json: a model group's signal differs from signals/{day}.json")
        if definitions is not None and _subset_sets(picks) != _subset_sets(definitions):
            problems.append(f"picks/{day}.json: models/subsets differ from systems/subsets.json")
    performance = bodies.get("subsets/performance.json")
    if definitions is not None and performance is not None:
        if [g["model_id"] for g in performance["model_groups"]] != [g["model_id"] for g in definitions["model_groups"]]:
            problems.append("subsets/performance.json: model groups differ from systems/subsets.json")
    return problems


def _subset_sets(body: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(g["model_id"], [(s["id"], s["name"]) for s in g["subsets"]]) for g in body["model_groups"]]


def _picks_vs_season(bodies: dict[str, Any], _: int) -> list[str]:
    """§3.8/§3.12: for a date in the season file, the same latest version's picks, subset by subset."""
    season = bodies.get("subsets/season.json")
    if season is None:
        return []
    problems = []
    for day, picks in _dated(bodies, "picks/").items():
        for group in season["model_groups"]:
            entry = next((e for e in group["dates"] if e["date"] == day), None)
            published = next((g for g in picks["model_groups"] if g["model_id"] == group["model_id"]), None)
            if entry is None or published is None:
                continue
            in_season = [(p["subset"], {k: v for k, v in p.items() if k not in ("actual", "result", "subset")}) for p in entry["picks"]]
            in_picks = [(s["id"], p) for s in published["subsets"] for p in s["picks"]]
            if in_season != in_picks:
                problems.append(f"subsets/season.json {group['model_id']} {day}: picks differ from picks/{day}.json")
    return problems


def _players_index_vs_profiles(bodies: dict[str, Any], min_games: int) -> list[str]:
    """§3.14: a profile for every index player with ≥ min_games graded dates, and no other."""
    index = bodies.get("players/index.json")
    if index is None:
        return []
    profiles = {path[8:-5]: body for path, body in bodies.items() if schema_name(path) == "player-profile"}
    due = {player["player_lookup"]: player for player in index["players"] if player["games_predicted"] >= min_games}
    problems = []
    if set(profiles) != set(due):
        problems.append(f"players/: profiles {len(profiles)} != index players with ≥ {min_games} games {len(due)} "
                        f"(missing {sorted(set(due) - set(profiles))[:5]}, extra {sorted(set(profiles) - set(due))[:5]})")
    for lookup in sorted(set(profiles) & set(due)):
        summary = profiles[lookup]["summary"] or {}
        if summary.get("games_predicted") != due[lookup]["games_predicted"]:
            problems.append(f"players/{lookup}.json: games_predicted differs from players/index.json")
    return problems


STREAK_LOOKBACK, STREAK_LIST_CAP, GAME_LOG_CAP = 20, 50, 50  # §3.7, §3.14


def _streaks_vs_profiles(bodies: dict[str, Any], _: int) -> list[str]:
    """§1.8/§3.7/§3.14: one O/U label per game. A profile's game log (DNPs already left out) walked like §3.7 (stats-season
    games up to as_of with points and an O/U label, the last 20, newest first, until the label changes) gives the
    player's streak in streaks/today.json, which profiles share G with."""
    streaks = bodies.get("streaks/today.json")
    if streaks is None:
        return []
    as_of = date.fromisoformat(streaks["as_of_date"])
    season_start = date(as_of.year if as_of.month >= 10 else as_of.year - 1, 10, 1).isoformat()
    listed = {(kind, entry["player_lookup"]): entry["streak_length"] for kind in ("over", "under") for entry in streaks["streaks"][kind]}
    problems = []
    for path, profile in sorted(bodies.items()):
        if schema_name(path) != "player-profile" or not profile["game_log"]:
            continue
        walked = _walked_streak(profile["game_log"], season_start, as_of.isoformat())
        if walked is None:
            continue
        lookup = profile["player_lookup"]
        published = {kind: listed.get((kind, lookup)) for kind in ("over", "under")}
        expected = {kind: None for kind in ("over", "under")}
        if walked[1] >= streaks["min_streak_length"]:
            expected[walked[0]] = walked[1]
        for kind in ("over", "under"):
            full_list = len(streaks["streaks"][kind]) == STREAK_LIST_CAP
            if published[kind] != expected[kind] and not (published[kind] is None and full_list):
                problems.append(f"streaks/today.json {kind} streak of {lookup}: {published[kind]}, but {path}'s game log "
                                f"gives {expected[kind]}")
    return problems


def _walked_streak(game_log: list[dict[str, Any]], season_start: str, as_of: str) -> tuple[str, int] | None:
    """(over|under, length) of the leading run of equal labels, or None when the log is too short to tell."""
    labelled = [game["over_under"] for game in game_log
                if season_start <= game["game_date"] <= as_of and game["over_under"] and game["points"] is not None]
    labelled = labelled[:STREAK_LOOKBACK]
    run = next((index for index, label in enumerate(labelled) if label != labelled[0]), len(labelled))
    log_may_continue = len(game_log) == GAME_LOG_CAP and game_log[-1]["game_date"] >= season_start
    if run == len(labelled) < STREAK_LOOKBACK and log_may_continue:
        return None
    return (labelled[0].lower() if labelled else "over", run)


def _status_vs_bucket(bodies: dict[str, Any], _: int) -> list[str]:
    """§3.16: last_written_at is null exactly when the probed object does not exist."""
    status = bodies.get("status.json")
    if status is None:
        return []
    problems = []
    for endpoint in status["endpoints"]:
        exists = endpoint["path"] in bodies
        if exists == (endpoint["last_written_at"] is None):
            problems.append(f"status.json {endpoint['export_type']}: last_written_at {endpoint['last_written_at']} but "
                            f"{endpoint['path']} {'exists' if exists else 'is missing'}")
    return problems
