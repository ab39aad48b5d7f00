"""The run report: one self-contained HTML page (inline CSS and SVG, no scripts, no network) from a run record.

It shows a timeline of every export against the budget and the deadline, per-export outcomes, every warehouse
query with its timing, breakers, deferrals and errors, the message that started the run, and — read from the
files published for the target date, not from the warehouse — the daily signal and the subsets' hit rates.

Times on the timeline are wall-clock seconds from the first recorded export or query start (t = 0).
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping

from .plan import safety_margin
from .storage.base import Bucket

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


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def axis(scale_end: float, top: float, bottom: float) -> str:
    """Vertical grid lines with second labels under the plot."""
    step = tick_step(scale_end)
    parts, value = [], 0.0
    while value <= scale_end * 1.0001:
        x = LABEL_WIDTH + PLOT_WIDTH * value / scale_end
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#e9ecef"/>'
                     f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" class="tick">{value:g} s</text>')
        value = round(value + step, 10)
    return "".join(parts)


def tick_step(span: float) -> float:
    """A round step giving about five ticks over `span`."""
    raw = max(span, 1e-9) / 5
    exponent = 10.0 ** int(f"{raw:e}".split("e")[1])
    return next(factor * exponent for factor in (1, 2, 2.5, 5, 10) if raw <= factor * exponent)


def timeline_svg(bars: list[ExportBar], budget: float, deadline: float) -> str:
    """Every export as a bar on the run's own scale; the deadline and budget lines appear when they are in range."""
    span = run_span(bars)
    scale_end = span * 1.1 or 1.0
    if deadline <= scale_end * 1.5:
        scale_end = max(scale_end, budget * 1.02)
    height = ROW_HEIGHT * len(bars) + 30
    rows = []
    for index, bar in enumerate(bars):
        y = index * ROW_HEIGHT + 4
        label = f'<text x="{LABEL_WIDTH - 8}" y="{y + 13}" text-anchor="end" class="label">{esc(bar.name)}</text>'
        if bar.start is None:
            rows.append(label + f'<text x="{LABEL_WIDTH + 4}" y="{y + 13}" class="status" fill="#c92a2a">'
                        f'not started: {esc(bar.status)}</text>')
            continue
        x = LABEL_WIDTH + PLOT_WIDTH * bar.start / scale_end
        width = max(PLOT_WIDTH * bar.seconds / scale_end, 1.5)
        stroke = ' stroke="#c92a2a" stroke-width="2"' if bar.status not in ("ok",) else ""
        title = f"{bar.name} ({bar.cost_class}): {bar.status}, {bar.seconds:.3f} s from +{bar.start:.3f} s"
        rows.append(label + f'<rect class="bar" data-export="{esc(bar.name)}" x="{x:.1f}" y="{y}" width="{width:.1f}" '
                    f'height="{ROW_HEIGHT - 6}" fill="{CLASS_COLOURS.get(bar.cost_class, "#868e96")}"{stroke}>'
                    f'<title>{esc(title)}</title></rect>'
                    f'<text x="{x + width + 4:.1f}" y="{y + 13}" class="status">{bar.seconds:.2f} s {esc(bar.status)}</text>')
    bottom = ROW_HEIGHT * len(bars) + 4
    limits = "".join(
        limit_line(LABEL_WIDTH + PLOT_WIDTH * at / scale_end, bottom, text, colour)
        for at, text, colour in ((deadline, "deadline", "#e67700"), (budget, "budget", "#c92a2a")) if at <= scale_end
    )
    return (f'<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="{LABEL_WIDTH + PLOT_WIDTH + 90}" '
            f'height="{height}" role="img" aria-label="export timeline">{axis(scale_end, 0, bottom)}{"".join(rows)}'
            f'{limits}</svg>')


def limit_line(x: float, bottom: float, text: str, colour: str) -> str:
    return (f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{bottom}" stroke="{colour}" stroke-dasharray="4 3"/>'
            f'<text x="{x + 3:.1f}" y="10" class="tick" fill="{colour}">{text}</text>')


def budget_svg(used: float, budget: float, deadline: float) -> str:
    """The whole budget on one bar: the time used, the deadline (budget minus the safety margin) and the budget."""
    def x(seconds: float) -> float:
        return LABEL_WIDTH + PLOT_WIDTH * min(seconds, budget) / budget

    colour = "#c92a2a" if used > deadline else "#2b8a3e"
    return (f'<svg id="budget" xmlns="http://www.w3.org/2000/svg" width="{LABEL_WIDTH + PLOT_WIDTH + 90}" height="52" '
            f'role="img" aria-label="budget used">'
            f'<text x="{LABEL_WIDTH - 8}" y="21" text-anchor="end" class="label">budget used</text>'
            f'<rect x="{LABEL_WIDTH}" y="8" width="{PLOT_WIDTH}" height="18" fill="#f1f3f5" stroke="#ced4da"/>'
            f'<rect x="{LABEL_WIDTH}" y="8" width="{max(x(used) - LABEL_WIDTH, 1.5):.1f}" height="18" fill="{colour}"/>'
            f'{limit_line(x(deadline), 30, "", "#e67700")}'
            f'<text x="{LABEL_WIDTH}" y="44" class="tick">{used:.2f} s of {budget:g} s '
            f'({100 * used / budget:.1f} %); deadline at {deadline:g} s</text></svg>')


def legend() -> str:
    return "".join(f'<span class="key" style="background:{colour}"></span>{name} '
                   for name, colour in CLASS_COLOURS.items())


def summary_section(run: Mapping[str, Any], used: float, budget: float) -> str:
    exports = run["exports"].values()
    request = run["request"]
    facts = [
        ("status", badge(run["status"])),
        ("target date", esc(request.get("target_date"))),
        ("mode", esc(request.get("mode"))),
        ("started", esc(run.get("started_at"))),
        ("finished", esc(run.get("finished_at"))),
        ("wall time of the exports", f"{used:.2f} s of {budget:g} s"),
        ("files", f"{sum(r.get('files', 0) for r in exports):,}"),
        ("bytes", f"{sum(r.get('bytes', 0) for r in exports):,}"),
        ("unchanged (skipped)", f"{sum(r.get('unchanged', 0) for r in exports):,}"),
        ("warehouse queries", str(sum(r.get("queries", 0) for r in exports))),
    ]
    return '<table id="summary" class="facts">' + "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in facts) + "</table>"


def badge(status: str) -> str:
    return f'<span class="badge" style="background:{STATUS_COLOURS.get(status, "#e67700")}">{esc(status)}</span>'


def exports_table(run: Mapping[str, Any], bars: list[ExportBar], budget: float) -> str:
    rows = []
    for bar in bars:
        result = run["exports"][bar.name]
        notes = [esc(result["error"])] if result.get("error") else []
        notes += [esc(warning) for warning in result.get("warnings", [])[:3]]
        more = len(result.get("warnings", [])) - 3
        if more > 0:
            notes.append(f"… and {more} more warnings")
        start = "" if bar.start is None else f"+{bar.start:.3f}"
        rows.append(
            f'<tr><td>{esc(bar.name)}</td><td><span class="key" style="background:{CLASS_COLOURS.get(bar.cost_class)}"></span>'
            f"{esc(bar.cost_class)}</td><td>{badge(bar.status)}</td><td class=n>{start}</td><td class=n>{bar.seconds:.3f}</td>"
            f"<td class=n>{100 * bar.seconds / budget:.2f} %</td><td class=n>{result.get('files', 0):,}</td>"
            f"<td class=n>{result.get('bytes', 0):,}</td><td class=n>{result.get('unchanged', 0):,}</td>"
            f"<td class=n>{result.get('queries', 0)}</td><td class=n>{result.get('rows_read', 0):,}</td>"
            f"<td>{'<br>'.join(notes)}</td></tr>"
        )
    head = "".join(f"<th>{name}</th>" for name in ("export", "class", "status", "start s", "seconds", "of budget", "files",
                                                    "bytes", "unchanged", "queries", "rows read", "error / warnings"))
    return f'<table id="exports"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def queries_table(run: Mapping[str, Any]) -> str:
    """Every query in the order it ran, with its start, duration, rows and whether the run's cache answered it."""
    queries = run.get("queries", [])
    if not queries:
        return '<p id="queries">This run record carries no query trace.</p>'
    origin = time_origin(run)
    slowest = max(float(query["seconds"]) for query in queries) or 1.0
    rows = []
    for number, query in enumerate(queries, 1):
        started = parse_time(query.get("started_at"))
        start = f"+{(started - origin).total_seconds():.3f}" if started and origin else ""
        share = 100 * float(query["seconds"]) / slowest
        rows.append(
            f"<tr><td class=n>{number}</td><td class=n>{start}</td><td>{esc(query['export'])}</td><td>{esc(query['name'])}</td>"
            f"<td class=n>{1000 * float(query['seconds']):.1f}</td>"
            f'<td class="spark"><span style="width:{share:.1f}%"></span></td>'
            f"<td class=n>{int(query['rows']):,}</td><td>{'cached' if query.get('cached') else ''}</td></tr>"
        )
    total = sum(float(query["seconds"]) for query in queries)
    cached = sum(1 for query in queries if query.get("cached"))
    head = "".join(f"<th>{name}</th>" for name in ("#", "start s", "export", "query", "ms", "", "rows", "cache"))
    return (f"<p>{len(queries)} queries, {cached} answered from the run's cache, {total:.3f} s in total.</p>"
            f'<table id="queries"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def problems_section(run: Mapping[str, Any]) -> str:
    items = [
        ("breakers open", ", ".join(run.get("breakers_open", [])) or "none"),
        ("deferred to a continuation", ", ".join(run.get("deferred", [])) or "none"),
    ]
    items += [(f"cursor of {name}", json.dumps(cursor)) for name, cursor in run.get("cursor", {}).items()]
    rows = "".join(f"<tr><th>{esc(name)}</th><td>{esc(value)}</td></tr>" for name, value in items)
    errors = "".join(f"<li>{esc(error)}</li>" for error in run.get("errors", []))
    return (f'<table id="problems" class="facts">{rows}</table>'
            + (f'<ul class="errors">{errors}</ul>' if errors else "<p>No errors.</p>"))


def message_section(run: Mapping[str, Any]) -> str:
    rows = "".join(f"<tr><th>{esc(name)}</th><td><code>{esc(json.dumps(value))}</code></td></tr>"
                   for name, value in run["request"].items())
    return f'<table id="message" class="facts">{rows}</table>'


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


def game_day_svg(game_day: GameDay) -> str:
    """The day's signal as a badge and the champion's subset hit rates as grouped bars, with the break-even line."""
    rates = game_day.hit_rates
    subsets = rates.subsets if rates else []
    group_height = HIT_BAR * 3 + 8
    bottom = HIT_TOP + group_height * len(subsets)
    parts = [signal_badge(game_day.signal)]
    if rates and subsets:
        parts.append(hit_rate_grid(bottom))
        for index, (subset, values) in enumerate(subsets):
            parts.append(hit_rate_group(subset, values, rates.windows, HIT_TOP + index * group_height))
        parts.append(hit_rate_legend(rates, bottom))
    return (f'<svg id="game-day" xmlns="http://www.w3.org/2000/svg" width="{LABEL_WIDTH + HIT_WIDTH + 120}" '
            f'height="{bottom + 40}" role="img" aria-label="daily signal and subset hit rates">{"".join(parts)}</svg>')


def signal_badge(signal: Mapping[str, Any] | None) -> str:
    name = (signal or {}).get("signal", "no signal file")
    metrics = (signal or {}).get("metrics") or {}
    detail = f"conditions {metrics.get('conditions', '?')}, high-edge picks {metrics.get('picks', '?')}" if signal else ""
    return (f'<rect x="0" y="0" width="150" height="24" rx="12" fill="{SIGNAL_COLOURS.get(name, "#adb5bd")}"/>'
            f'<text x="75" y="16" text-anchor="middle" class="badge-text">signal: {esc(name)}</text>'
            f'<text x="160" y="16" class="tick">{esc(detail)}</text>')


def hit_rate_x(rate: float) -> float:
    return LABEL_WIDTH + HIT_WIDTH * rate / 100


def hit_rate_grid(bottom: float) -> str:
    grid = "".join(f'<line x1="{hit_rate_x(pct):.1f}" y1="{HIT_TOP - 4}" x2="{hit_rate_x(pct):.1f}" y2="{bottom}" '
                   f'stroke="#e9ecef"/><text x="{hit_rate_x(pct):.1f}" y="{HIT_TOP - 8}" text-anchor="middle" '
                   f'class="tick">{pct} %</text>' for pct in (0, 25, 50, 75, 100))
    even = hit_rate_x(BREAK_EVEN_HIT_RATE)
    return grid + (f'<line x1="{even:.1f}" y1="{HIT_TOP - 4}" x2="{even:.1f}" y2="{bottom}" stroke="#c92a2a" '
                   f'stroke-dasharray="3 3"/><text x="{even + 3:.1f}" y="{bottom + 12}" class="tick" fill="#c92a2a">'
                   f'break-even {BREAK_EVEN_HIT_RATE} %</text>')


def hit_rate_group(subset: str, values: Mapping[str, float], windows: tuple[tuple[str, str, str], ...], y: float) -> str:
    bars = "".join(f'<rect class="hit-rate" x="{LABEL_WIDTH}" y="{y + offset * HIT_BAR}" width="{hit_rate_x(values[key]) - LABEL_WIDTH:.1f}" '
                   f'height="{HIT_BAR - 1}" fill="{colour}"><title>{esc(subset)}, {label}: {values[key]:.1f} %</title></rect>'
                   for offset, (key, label, colour) in enumerate(windows) if key in values)
    return f'<text x="{LABEL_WIDTH - 8}" y="{y + 14}" text-anchor="end" class="label">{esc(subset)}</text>{bars}'


def hit_rate_legend(rates: HitRates, bottom: float) -> str:
    keys = "".join(f'<rect x="{LABEL_WIDTH + 200 + i * 80}" y="{bottom + 20}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{LABEL_WIDTH + 214 + i * 80}" y="{bottom + 29}" class="tick">{label}</text>'
                   for i, (_, label, colour) in enumerate(rates.windows))
    return keys + f'<text x="0" y="{bottom + 29}" class="tick">hit rate, {esc(rates.model)} ({esc(rates.source)})</text>'


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
    title = f"Run {run['run_id']} · {run['request'].get('target_date')} · {run['status']}"
    chart = (game_day_svg(game_day) if game_day and (game_day.signal or game_day.hit_rates)
             else "<p>No signal or subset files were published for this date.</p>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title><style>{STYLE}</style></head>
<body><h1>{esc(title)}</h1>
<p>Report generated {esc(generated_at.isoformat(timespec="seconds"))}. Times are wall-clock seconds from the first
export's start; the deadline is the budget minus its safety margin.</p>
{summary_section(run, used, budget_seconds)}
<h2>Timeline</h2><p>{legend()}</p>
{budget_svg(used, budget_seconds, deadline)}
{timeline_svg(bars, budget_seconds, deadline)}
<h2>Exports</h2>{exports_table(run, bars, budget_seconds)}
<h2>Breakers, deferrals and errors</h2>{problems_section(run)}
<h2>Game day {esc(run['request'].get('target_date'))}: daily signal and subset hit rates</h2>{chart}
<h2>Queries</h2>{queries_table(run)}
<h2>The message that started it</h2>{message_section(run)}
</body></html>
"""
