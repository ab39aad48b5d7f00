"""The run report: one self-contained HTML page (inline CSS and SVG, no scripts, no network) from a run record.

It shows a timeline of every export against the budget and the deadline, per-export outcomes, every warehouse
query with its timing, breakers, deferrals and errors, the message that started the run, and — read from the
files published for the target date, not from the warehouse — the daily signal and the subsets' hit rates.
The markup is phase6/templates/report.html.j2 (autoescaped); this module computes what it shows and where.

Times on the timeline are wall-clock seconds from the first recorded export or query start (t = 0).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping

from .plan import safety_margin
from .storage.base import Bucket
from .pages import template

REPORTS_PREFIX = "reports/"
CLASS_COLOURS = {"critical": "#e8590c", "fast": "#1c7ed6", "fanout": "#7048e8"}
STATUS_COLOURS = {"ok": "#2b8a3e", "success": "#2b8a3e", "failed": "#c92a2a", "partial": "#e67700"}
SIGNAL_COLOURS = {"favorable": "#2b8a3e", "neutral": "#868e96", "challenging": "#c92a2a"}
HIT_RATE_WINDOWS = (("last_7_days", "7 days", "#74c0fc"), ("last_30_days", "30 days", "#1c7ed6"), ("season", "season", "#0b3d91"))
RECORD_WINDOWS = (("week", "week", "#74c0fc"), ("month", "month", "#1c7ed6"), ("season", "season", "#0b3d91"))
BREAK_EVEN_HIT_RATE = 52.4  # at −110 odds
LABEL_WIDTH = 170
PLOT_WIDTH = 640
ROW_HEIGHT = 22


@dataclass(frozen=True)
class ExportBar:
    name: str
    cost_class: str  # critical | fast | fanout
    status: str
    start: float | None  # seconds from t = 0; None when the export never started
    seconds: float


@dataclass(frozen=True)
class HitRates:
    model: str
    source: str  # the published file the rates come from
    windows: tuple[tuple[str, str, str], ...]  # (key, label, colour)
    subsets: list[tuple[str, dict[str, float]]]  # subset name → window key → hit rate (0–100)


@dataclass(frozen=True)
class GameDay:
    day: date
    signal: Mapping[str, Any] | None  # signals/{date}.json
    hit_rates: HitRates | None


def cost_class(critical: bool, cost: str) -> str:
    return "critical" if critical else cost


def parse_time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def time_origin(run: Mapping[str, Any]) -> datetime | None:
    starts = [parse_time(result.get("started_at")) for result in run["exports"].values()]
    starts += [parse_time(query.get("started_at")) for query in run.get("queries", [])]
    return min((start for start in starts if start), default=None)


def export_bars(run: Mapping[str, Any], classes: Mapping[str, str]) -> list[ExportBar]:
    """One bar per export in run order; records without start times (older runs) are laid end to end."""
    origin = time_origin(run)
    bars, cursor = [], 0.0
    for name, result in run["exports"].items():
        seconds = float(result.get("duration_seconds") or 0.0)
        started = parse_time(result.get("started_at"))
        if started and origin:
            start: float | None = (started - origin).total_seconds()
        elif result["status"] in ("breaker_open", "deferred", "leased_elsewhere", "skipped") and not seconds:
            start = None
        else:
            start = cursor
        if start is not None:
            cursor = start + seconds
        bars.append(ExportBar(name, classes.get(name, "fast"), result["status"], start, seconds))
    return bars


def run_span(bars: list[ExportBar]) -> float:
    return max((bar.start + bar.seconds for bar in bars if bar.start is not None), default=0.0)


def tick_step(span: float) -> float:
    """A round step giving about five ticks over `span`."""
    raw = max(span, 1e-9) / 5
    exponent = 10.0 ** int(f"{raw:e}".split("e")[1])
    return next(factor * exponent for factor in (1, 2, 2.5, 5, 10) if raw <= factor * exponent)


def ticks(scale_end: float) -> list[tuple[float, str]]:
    """(x, label) of the vertical grid lines, in seconds."""
    step, found, value = tick_step(scale_end), [], 0.0
    while value <= scale_end * 1.0001:
        found.append((LABEL_WIDTH + PLOT_WIDTH * value / scale_end, f"{value:g} s"))
        value = round(value + step, 10)
    return found


def timeline_view(bars: list[ExportBar], budget: float, deadline: float) -> dict[str, Any]:
    """Every export as a bar on the run's own scale; the deadline and budget lines when they are in range."""
    scale_end = run_span(bars) * 1.1 or 1.0
    if deadline <= scale_end * 1.5:
        scale_end = max(scale_end, budget * 1.02)
    rows = []
    for index, bar in enumerate(bars):
        row = {"name": bar.name, "y": index * ROW_HEIGHT + 4, "status": bar.status, "x": None}
        if bar.start is not None:
            width = max(PLOT_WIDTH * bar.seconds / scale_end, 1.5)
            row.update(x=LABEL_WIDTH + PLOT_WIDTH * bar.start / scale_end, width=width, seconds=bar.seconds,
                       fill=CLASS_COLOURS.get(bar.cost_class, "#868e96"), failed=bar.status != "ok",
                       title=f"{bar.name} ({bar.cost_class}): {bar.status}, {bar.seconds:.3f} s from +{bar.start:.3f} s")
        rows.append(row)
    limits = [(LABEL_WIDTH + PLOT_WIDTH * at / scale_end, text, colour)
              for at, text, colour in ((deadline, "deadline", "#e67700"), (budget, "budget", "#c92a2a")) if at <= scale_end]
    bottom = ROW_HEIGHT * len(bars) + 4
    return {"width": LABEL_WIDTH + PLOT_WIDTH + 90, "height": ROW_HEIGHT * len(bars) + 30, "bottom": bottom,
            "label_width": LABEL_WIDTH, "bar_height": ROW_HEIGHT - 6, "ticks": ticks(scale_end), "rows": rows,
            "limits": limits}


def timeline_svg(bars: list[ExportBar], budget: float, deadline: float) -> str:
    return str(template("report_parts.html.j2").module.timeline(timeline_view(bars, budget, deadline)))


def budget_view(used: float, budget: float, deadline: float) -> dict[str, Any]:
    """The whole budget on one bar: the time used, the deadline (budget minus the safety margin) and the budget."""
    def x(seconds: float) -> float:
        return LABEL_WIDTH + PLOT_WIDTH * min(seconds, budget) / budget

    return {"width": LABEL_WIDTH + PLOT_WIDTH + 90, "label_width": LABEL_WIDTH, "plot_width": PLOT_WIDTH,
            "used_width": max(x(used) - LABEL_WIDTH, 1.5), "colour": "#c92a2a" if used > deadline else "#2b8a3e",
            "deadline_x": x(deadline), "used": used, "budget": budget, "deadline": deadline,
            "share": 100 * used / budget}


def summary_facts(run: Mapping[str, Any], used: float, budget: float) -> list[tuple[str, Any]]:
    exports = run["exports"].values()
    request = run["request"]
    return [
        ("status", run["status"]),
        ("target date", request.get("target_date")),
        ("mode", request.get("mode")),
        ("started", run.get("started_at")),
        ("finished", run.get("finished_at")),
        ("wall time of the exports", f"{used:.2f} s of {budget:g} s"),
        ("files", f"{sum(r.get('files', 0) for r in exports):,}"),
        ("bytes", f"{sum(r.get('bytes', 0) for r in exports):,}"),
        ("unchanged (skipped)", f"{sum(r.get('unchanged', 0) for r in exports):,}"),
        ("warehouse queries", str(sum(r.get("queries", 0) for r in exports))),
    ]


def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "#e67700")


def export_rows(run: Mapping[str, Any], bars: list[ExportBar], budget: float) -> list[dict[str, Any]]:
    rows = []
    for bar in bars:
        result = run["exports"][bar.name]
        warnings = result.get("warnings", [])
        notes = ([result["error"]] if result.get("error") else []) + warnings[:3]
        if len(warnings) > 3:
            notes.append(f"… and {len(warnings) - 3} more warnings")
        rows.append({
            "name": bar.name, "cost_class": bar.cost_class, "class_colour": CLASS_COLOURS.get(bar.cost_class),
            "status": bar.status, "status_colour": status_colour(bar.status),
            "start": "" if bar.start is None else f"+{bar.start:.3f}", "seconds": bar.seconds,
            "share": 100 * bar.seconds / budget, "files": result.get("files", 0), "bytes": result.get("bytes", 0),
            "unchanged": result.get("unchanged", 0), "queries": result.get("queries", 0),
            "rows_read": result.get("rows_read", 0), "notes": notes,
        })
    return rows


def query_rows(run: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every query in the order it ran, with its start, duration, rows and whether the run's cache answered it."""
    queries = run.get("queries", [])
    origin = time_origin(run)
    slowest = max((float(query["seconds"]) for query in queries), default=0.0) or 1.0
    rows = []
    for query in queries:
        started = parse_time(query.get("started_at"))
        rows.append({"start": f"+{(started - origin).total_seconds():.3f}" if started and origin else "",
                     "export": query["export"], "name": query["name"], "ms": 1000 * float(query["seconds"]),
                     "share": 100 * float(query["seconds"]) / slowest, "rows": int(query["rows"]),
                     "cached": bool(query.get("cached"))})
    return rows


def problem_facts(run: Mapping[str, Any]) -> list[tuple[str, str]]:
    items = [
        ("breakers open", ", ".join(run.get("breakers_open", [])) or "none"),
        ("deferred to a continuation", ", ".join(run.get("deferred", [])) or "none"),
    ]
    return items + [(f"cursor of {name}", json.dumps(cursor)) for name, cursor in run.get("cursor", {}).items()]


def load_game_day(bucket: Bucket, object_prefix: str, day: date) -> GameDay:
    """The daily signal and subset hit rates as published for `day` (signals/, subsets/performance.json, picks/)."""
    signal = read_json(bucket, f"{object_prefix}signals/{day.isoformat()}.json")
    performance = read_json(bucket, f"{object_prefix}subsets/performance.json")
    hit_rates = performance_hit_rates(performance) if performance else None
    if hit_rates is None:
        picks = read_json(bucket, f"{object_prefix}picks/{day.isoformat()}.json")
        hit_rates = picks_hit_rates(picks, day) if picks else None
    return GameDay(day, signal, hit_rates)


def read_json(bucket: Bucket, name: str) -> Any:
    data = bucket.read(name)
    return json.loads(data) if data else None


def performance_hit_rates(body: Mapping[str, Any]) -> HitRates | None:
    """The first model group (the champion) of subsets/performance.json."""
    groups = body.get("model_groups") or []
    if not groups:
        return None
    model = groups[0]
    subsets: dict[str, dict[str, float]] = {}
    for key, _, _ in HIT_RATE_WINDOWS:
        for group in model["windows"].get(key, {}).get("groups", []):
            subsets.setdefault(group["name"], {})[key] = group["stats"]["hit_rate"]
    return HitRates(model["model_name"], "subsets/performance.json", HIT_RATE_WINDOWS, list(subsets.items()))


def picks_hit_rates(body: Mapping[str, Any], day: date) -> HitRates | None:
    """The champion's subset records (week, month, season) of picks/{date}.json."""
    groups = body.get("model_groups") or []
    if not groups:
        return None
    model = groups[0]
    subsets = [(subset["name"], {key: subset["record"][key]["pct"] for key, _, _ in RECORD_WINDOWS})
               for subset in model["subsets"] if subset.get("record")]
    return HitRates(model["model_name"], f"picks/{day.isoformat()}.json", RECORD_WINDOWS, subsets)


HIT_BAR = 7  # height of one window's bar
HIT_TOP = 48
HIT_WIDTH = 400


def hit_rate_x(rate: float) -> float:
    return LABEL_WIDTH + HIT_WIDTH * rate / 100


def game_day_view(game_day: GameDay) -> dict[str, Any]:
    """The day's signal as a badge and the champion's subset hit rates as grouped bars, with the break-even line."""
    rates = game_day.hit_rates
    subsets = rates.subsets if rates else []
    group_height = HIT_BAR * 3 + 8
    signal = game_day.signal or {}
    metrics = signal.get("metrics") or {}
    name = signal.get("signal", "no signal file")
    groups = []
    for index, (subset, values) in enumerate(subsets):
        y = HIT_TOP + index * group_height
        groups.append({"subset": subset, "y": y, "bars": [
            {"y": y + offset * HIT_BAR, "width": hit_rate_x(values[key]) - LABEL_WIDTH, "colour": colour, "label": label,
             "value": values[key]}
            for offset, (key, label, colour) in enumerate(rates.windows) if key in values]})
    return {
        "width": LABEL_WIDTH + HIT_WIDTH + 120, "bottom": HIT_TOP + group_height * len(subsets), "top": HIT_TOP,
        "label_width": LABEL_WIDTH, "bar_height": HIT_BAR - 1,
        "signal": name, "signal_colour": SIGNAL_COLOURS.get(name, "#adb5bd"),
        "signal_detail": (f"conditions {metrics.get('conditions', '?')}, high-edge picks {metrics.get('picks', '?')}"
                          if game_day.signal else ""),
        "grid": [(hit_rate_x(pct), pct) for pct in (0, 25, 50, 75, 100)], "even_x": hit_rate_x(BREAK_EVEN_HIT_RATE),
        "break_even": BREAK_EVEN_HIT_RATE, "groups": groups,
        "legend": [(LABEL_WIDTH + 200 + i * 80, label, colour) for i, (_, label, colour) in enumerate(rates.windows)] if rates else [],
        "model": rates.model if rates else "", "source": rates.source if rates else "",
    }


STYLE = """body{font:14px system-ui,sans-serif;margin:2em;color:#212529;max-width:1200px}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #dee2e6}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #dee2e6;padding:3px 8px;text-align:left;vertical-align:top}
td,th{white-space:nowrap}td:last-child{white-space:normal}thead th{background:#f1f3f5}table.facts th{background:#f8f9fa;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.badge{color:#fff;border-radius:8px;padding:1px 8px}.key{display:inline-block;width:10px;height:10px;margin:0 4px 0 8px}
.label{font-size:12px;fill:#212529}.tick,.status{font-size:11px;fill:#495057}.badge-text{font-size:12px;fill:#fff}
td.spark{width:120px}td.spark span{display:block;height:8px;background:#1c7ed6;min-width:1px}.errors{color:#c92a2a}"""


def render_report(run: Mapping[str, Any], *, classes: Mapping[str, str], budget_seconds: float,
                  game_day: GameDay | None, generated_at: datetime) -> str:
    """The page for one RunRecord document; `classes` maps export type → critical | fast | fanout."""
    bars = export_bars(run, classes)
    used = run_span(bars)
    deadline = budget_seconds - safety_margin(budget_seconds)
    queries = query_rows(run)
    return template("report.html.j2").render(
        title=f"Run {run['run_id']} · {run['request'].get('target_date')} · {run['status']}",
        style=STYLE,
        generated_at=generated_at.isoformat(timespec="seconds"),
        summary=summary_facts(run, used, budget_seconds),
        status_colour=status_colour(run["status"]),
        class_colours=list(CLASS_COLOURS.items()),
        budget_view=budget_view(used, budget_seconds, deadline),
        timeline_view=timeline_view(bars, budget_seconds, deadline),
        exports=export_rows(run, bars, budget_seconds),
        problems=problem_facts(run),
        errors=run.get("errors", []),
        target_date=run["request"].get("target_date"),
        game_day_view=game_day_view(game_day) if game_day and (game_day.signal or game_day.hit_rates) else None,
        queries=queries,
        cached=sum(1 for query in queries if query["cached"]),
        query_seconds=sum(query["ms"] for query in queries) / 1000,
        message=[(name, json.dumps(value)) for name, value in run["request"].items()],
    ) + "\n"
