"""The run report (phase6/report.py) and the `report` command."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone

from typer.testing import CliRunner

from phase6.cli import app
from phase6.report import (
    GameDay,
    HitRates,
    export_bars,
    load_game_day,
    render_report,
    run_span,
    timeline_svg,
)
from phase6.runner import RunRequest
from phase6.storage.local import LocalBucket

NOW = datetime(2026, 11, 21, 18, 0, tzinfo=timezone.utc)
CLASSES = {"subset-picks": "critical", "results": "fast", "players": "fanout", "streaks": "fast"}


def export(status="ok", started_at=None, seconds=0.5, **extra):
    return {"status": status, "files": 2, "bytes": 2048, "unchanged": 1, "duration_seconds": seconds, "queries": 1,
            "rows_read": 10, "error": None, "warnings": [], "started_at": started_at, **extra}


RUN = {
    "run_id": "run123",
    "started_at": "2026-03-04T18:00:00+00:00",
    "finished_at": "2026-03-04T18:00:03+00:00",
    "status": "partial",
    "request": {"export_types": ["subset-picks", "results", "players", "streaks"], "target_date": "2026-03-04",
                "mode": "live", "update_latest": None, "min_games": 5, "correlation_id": "corr-7",
                "trigger_source": "scheduler"},
    "exports": {
        "subset-picks": export(started_at="2026-11-21T17:00:00+00:00", seconds=1.0),
        "results": export("failed", "2026-11-21T17:00:01+00:00", 0.25, error="WarehouseError: <script>boom</script>"),
        "players": export("deferred", "2026-11-21T17:00:01.500000+00:00", 1.5, warnings=["p1: KeyError: 'x'"]),
        "streaks": export("breaker_open", seconds=0.0, error="breaker open until 2026-11-21T18:00:00+00:00"),
    },
    "errors": ["results: WarehouseError: <script>boom</script>"],
    "deferred": ["players"],
    "cursor": {"players": {"next_index": 50, "next_entity": "lebronjames", "total": 240}},
    "breakers_open": ["streaks"],
    "queries": [
        {"export": "subset-picks", "name": "definitions", "started_at": "2026-11-21T17:00:00.100000+00:00",
         "seconds": 0.2, "rows": 13, "cached": False},
        {"export": "results", "name": "graded", "started_at": "2026-11-21T17:00:01+00:00", "seconds": 0.0, "rows": 66,
         "cached": True},
    ],
}
RATES = HitRates("Phoenix", "subsets/performance.json", (("season", "season", "#000"),),
                 [("Top Pick", {"season": 61.5}), ("All Picks", {"season": 50.0})])


def page(run=RUN, game_day=None, budget=540.0) -> str:
    return render_report(run, classes=CLASSES, budget_seconds=budget, game_day=game_day, generated_at=NOW)


def test_timeline_has_one_bar_per_started_export_on_the_wall_clock():
    bars = {bar.name: bar for bar in export_bars(RUN, CLASSES)}
    assert bars["subset-picks"].start == 0.0 and bars["results"].start == 1.0 and bars["players"].start == 1.5
    assert bars["streaks"].start is None  # the breaker kept it from starting
    assert run_span(list(bars.values())) == 3.0
    svg = timeline_svg(list(bars.values()), 540.0, 510.0)
    assert re.findall(r'data-export="([^"]+)"', svg) == ["subset-picks", "results", "players"]
    assert "not started: breaker_open" in svg
    assert "#e8590c" in svg and "#7048e8" in svg  # critical and fan-out colours


def test_the_deadline_and_budget_lines_appear_when_the_run_comes_near_them():
    near = [bar for bar in export_bars(RUN, CLASSES)]
    assert "deadline" not in timeline_svg(near, 540.0, 510.0)  # 3 s of 540: the run's own scale
    assert "deadline" in timeline_svg(near, 4.0, 3.6) and "budget" in timeline_svg(near, 4.0, 3.6)


def test_older_records_without_start_times_are_laid_end_to_end():
    run = {"exports": {"a": {"status": "ok", "duration_seconds": 1.0}, "b": {"status": "ok", "duration_seconds": 2.0},
                       "c": {"status": "deferred", "duration_seconds": 0.0}}}
    assert [(bar.start, bar.seconds) for bar in export_bars(run, {})] == [(0.0, 1.0), (1.0, 2.0), (None, 0.0)]


def test_the_page_has_every_section_and_escapes_recorded_text():
    html = page(game_day=GameDay(date(2026, 3, 4), {"signal": "favorable", "metrics": {"conditions": "balanced", "picks": 3}}, RATES))
    for section in ('id="summary"', 'id="budget"', 'id="timeline"', 'id="exports"', 'id="problems"', 'id="queries"',
                    'id="message"', 'id="game-day"'):
        assert section in html
    assert "<script>" not in html and "&lt;script&gt;boom" in html
    assert "lebronjames" in html and "corr-7" in html and "scheduler" in html
    assert html.count('class="hit-rate"') == 2 and "signal: favorable" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing to fetch at view time
    assert "0.19 %" in html  # players: 1.5 s of 540 s (its duration against the budget)


def test_queries_are_listed_in_order_with_their_timing():
    html = page()
    rows = re.findall(r"<tr><td class=n>(\d+)</td><td class=n>([^<]*)</td><td>([^<]+)</td><td>([^<]+)</td>", html)
    assert rows == [("1", "+0.100", "subset-picks", "definitions"), ("2", "+1.000", "results", "graded")]
    assert "2 queries, 1 answered from the run's cache" in html


def test_game_day_reads_the_published_files_and_falls_back_to_the_picks_records(tmp_path):
    bucket = LocalBucket(tmp_path)
    day = date(2026, 3, 4)
    assert load_game_day(bucket, "v1/", day) == GameDay(day, None, None)
    assert "No signal or subset files" in page(game_day=load_game_day(bucket, "v1/", day))
    record = {"season": {"pct": 60.0}, "month": {"pct": 55.0}, "week": {"pct": 40.0}}
    picks = {"model_groups": [{"model_name": "Phoenix", "subsets": [{"name": "Top 3", "record": record},
                                                                     {"name": "New", "record": None}]}]}
    bucket.write("v1/picks/2026-03-04.json", _json(picks), cache_control="public, max-age=300")
    bucket.write("v1/signals/2026-03-04.json", _json({"signal": "challenging", "metrics": {}}), cache_control="x")
    found = load_game_day(bucket, "v1/", day)
    assert found.signal["signal"] == "challenging"
    assert found.hit_rates.source == "picks/2026-03-04.json"
    assert found.hit_rates.subsets == [("Top 3", {"week": 40.0, "month": 55.0, "season": 60.0})]


def _json(body) -> bytes:
    return json.dumps(body).encode()


def test_report_latest_writes_the_page_into_the_local_bucket_and_to_out(cli_env, tmp_path):
    game_day = cli_env.clock.game_day()
    record = cli_env.runner.run(RunRequest(("daily-signals", "subset-performance", "results"), game_day))
    cli_env.close()
    out = tmp_path / "out" / "report.html"
    result = CliRunner().invoke(app, ["report", "--latest", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    stored = tmp_path / "bucket" / "reports" / f"{record.run_id}.html"
    assert stored.read_bytes() == out.read_bytes()
    html = out.read_text()
    assert all(f'data-export="{name}"' in html for name in record.exports)
    assert 'class="hit-rate"' in html and "signal: " in html
    assert LocalBucket(tmp_path / "bucket").metadata(f"reports/{record.run_id}.html")["content_type"].startswith("text/html")


def test_report_needs_a_known_run(cli_env):
    cli_env.close()
    assert CliRunner().invoke(app, ["report"]).exit_code == 2
    missing = CliRunner().invoke(app, ["report", "nope"])
    assert missing.exit_code == 1 and "no run 'nope'" in missing.output
