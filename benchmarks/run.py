"""The publisher's benchmark: `python -m benchmarks.run` (or `make bench`). Not a test: it prints measurements.

1. Sizes: demo warehouses with 5, 10 and 20 players per team (players ×1, ×2, ×4) on a busy as-of day, and the
   default demo's own as-of day; per size `run --types all` several times on fresh embedded backends (median wall
   time), then once more on the same backends (the unchanged-skip run); queries, rows read, files, bytes,
   unchanged, per-export timings.
2. Simulated production: the tonight group on the largest size with a latency per query and per upload.
3. Season replay: every dated export for every day of the season (or --replay-days days), embedded backends,
   each table read once per chunk of days; and a week of replay with simulated-production latencies, day by day
   against the warehouse versus one range read per table.
4. gzip: what the adapters' compression (JSON bodies of 1 KiB or more) stores and costs on the default demo's
   as-of day and on the largest size: decoded against stored bytes, and the CPU seconds of compressing a run's
   bodies at the adapters' level and at level 9.
Interpreter start-up and imports are reported separately from the export time.
"""
from __future__ import annotations

import argparse
from contextlib import contextmanager
import cProfile
import gzip
import logging
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

STARTED = time.perf_counter()

from exporters import catalog, expand  # noqa: E402
from phase6.app import make_clock  # noqa: E402
from phase6.backfill import DEFAULT_CHUNK_DAYS, backfill, dated_export_types  # noqa: E402
from phase6.config import Settings  # noqa: E402
from phase6.demo import DemoParams, build_demo  # noqa: E402
from phase6.runner import Backends, RunRecord, RunRequest, Runner  # noqa: E402
from phase6.simulated import SlowBucket, SlowWarehouse  # noqa: E402
from phase6.state.sqlite import SQLiteState  # noqa: E402
from phase6.storage.base import GZIP_LEVEL, JSON_CONTENT_TYPE, stored_form  # noqa: E402
from phase6.storage.local import LocalBucket  # noqa: E402
from phase6.warehouse.duckdb_backend import DuckDBWarehouse  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - STARTED
BUSY_DAY = date(2026, 1, 27)  # an 11-game day of the demo schedule: 20 players per team gives ≈ 440 players
SIZES = {"x1": 5, "x2": 10, "x4": 20}  # players per team
LARGE_FILE_BYTES = 16 * 1024  # the files whose download time a browser notices


SCRATCH = Path(tempfile.mkdtemp(prefix="phase6-bench-"))


@contextmanager
def scratch() -> Iterator[str]:
    """A fresh folder per run, all removed when the benchmark ends: removing thousands of files while the next run
    writes makes the kernel's work part of that run's time (sys time tripled on this machine)."""
    yield tempfile.mkdtemp(dir=SCRATCH)


def demo_path(cache: Path, players_per_team: int, as_of: date = BUSY_DAY) -> Path:
    path = cache / f"bench-{players_per_team}ppt-{as_of.isoformat()}.duckdb"
    if not path.exists():
        started = time.perf_counter()
        build_demo(path, DemoParams(players_per_team=players_per_team, as_of_date=as_of))
        print(f"built {path.name} in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def open_runner(demo: Path, work: Path, query_latency: float = 0.0, upload_latency: float = 0.0) -> Runner:
    """Fresh embedded backends in `work`, on a copy of the demo (subset-picks appends to the warehouse)."""
    warehouse_path = work / "warehouse.duckdb"
    shutil.copyfile(demo, warehouse_path)
    warehouse = DuckDBWarehouse(warehouse_path)
    bucket = LocalBucket(work / "bucket")
    if query_latency:
        warehouse = SlowWarehouse(warehouse, query_latency)
    if upload_latency:
        bucket = SlowBucket(bucket, upload_latency)
    settings = replace(Settings(), warehouse_url=f"duckdb:///{warehouse_path}", bucket_url=f"file://{work / 'bucket'}",
                       state_url=f"sqlite:///{work / 'state.db'}")
    backends = Backends(warehouse, bucket, SQLiteState(work / "state.db"))
    return Runner(settings, backends, make_clock(settings, warehouse), catalog())


def close(runner: Runner) -> None:
    runner.backends.warehouse.close()
    runner.backends.state.close()


def timed_run(runner: Runner, types: tuple[str, ...], day: date) -> tuple[RunRecord, float, float]:
    """The record, wall seconds and this process's CPU seconds (all threads; other processes' load excluded)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    record = runner.run(RunRequest(types, day))
    return record, time.perf_counter() - started, time.process_time() - cpu_started


def totals(record: RunRecord) -> dict[str, int]:
    results = record.exports.values()
    return {key: sum(getattr(result, key) for result in results)
            for key in ("queries", "rows_read", "files", "bytes", "unchanged")}


def print_exports(record: RunRecord) -> None:
    print(f"    {'export':20} {'status':8} {'files':>6} {'unchanged':>9} {'bytes':>11} {'queries':>7} {'rows':>8} {'s':>6}")
    for name, result in record.exports.items():
        print(f"    {name:20} {result.status:8} {result.files:6} {result.unchanged:9} {result.bytes:11,} "
              f"{result.queries:7} {result.rows_read:8,} {result.duration_seconds:6.3f}")


def bench_size(label: str, path: Path, repeats: int, day: date = BUSY_DAY) -> dict:
    types = tuple(expand(["all"]))
    walls, cpus, record = [], [], None
    for _ in range(repeats):
        with scratch() as work:
            runner = open_runner(path, Path(work))
            record, wall, cpu = timed_run(runner, types, day)
            walls.append(wall)
            cpus.append(cpu)
            again, again_wall, _ = timed_run(runner, types, day)
            close(runner)
    players = len({row["player_lookup"] for row in DuckDBWarehouse(path, read_only=True).query(
        "SELECT player_lookup FROM nba_analytics.upcoming_player_game_context WHERE game_date = @d", {"d": day})})
    stats = {"label": label, "players": players, "median": statistics.median(walls), "cpu": statistics.median(cpus),
             **totals(record), "second": totals(again), "second_wall": again_wall}
    print(f"\n== size {label}: {players} players on {day}, run --types all, {repeats} runs")
    print(f"  wall: median {stats['median']:.2f} s (runs: {', '.join(f'{w:.2f}' for w in walls)}); "
          f"CPU of this process: median {stats['cpu']:.2f} s; load average {os.getloadavg()[0]:.1f}")
    print(f"  queries {stats['queries']}, rows read {stats['rows_read']:,}, files {stats['files']}, "
          f"bytes {stats['bytes']:,}, unchanged {stats['unchanged']}")
    print(f"  second identical run: {again_wall:.2f} s, files uploaded {stats['second']['files']}, "
          f"unchanged {stats['second']['unchanged']}")
    print("  per export (last first run):")
    print_exports(record)
    return stats


def bench_simulated(path: Path, query_latency: float, upload_latency: float) -> None:
    types = tuple(expand(["tonight-set"]))
    with scratch() as work:
        runner = open_runner(path, Path(work), query_latency, upload_latency)
        record, wall, _ = timed_run(runner, types, BUSY_DAY)
        close(runner)
    total = totals(record)
    print(f"\n== simulated production: tonight-set, {query_latency:.2f} s per query, "
          f"{upload_latency * 1000:.0f} ms per upload")
    print(f"  wall {wall:.2f} s; queries {total['queries']}, files {total['files']}, bytes {total['bytes']:,}")
    print_exports(record)


def bench_replay(path: Path, days: int | None) -> None:
    """The default-size demo season from its first day to its as-of day, read once per table per chunk."""
    with scratch() as work:
        runner = open_runner(path, Path(work))
        start, last = DemoParams().season_start, DemoParams().as_of_date
        end = last if days is None else min(last, start + timedelta(days=days - 1))
        types = dated_export_types(runner.catalog)
        started = time.perf_counter()
        summary = backfill(runner, start, end, types)
        wall = time.perf_counter() - started
        close(runner)
    print(f"\n== season replay {start}..{end}: {summary.days} days of {', '.join(types)}")
    print(f"  wall {wall:.1f} s ({wall / summary.days:.2f} s per day); warehouse reads {summary.warehouse_reads} "
          f"({summary.chunks} chunks of {DEFAULT_CHUNK_DAYS} days), rows copied {summary.warehouse_rows:,}; "
          f"day queries on the snapshots {summary.queries} ({summary.queries / summary.days:.1f} per day), "
          f"files {summary.files}, bytes {summary.bytes:,}, failed exports {len(summary.failed)}")
    for failure in summary.failed[:5]:
        print(f"  failed: {failure}")


def bench_simulated_replay(path: Path, days: int, query_latency: float, upload_latency: float) -> None:
    """A week of replay with production-like latencies: day by day against the warehouse (one replay request per
    day, as `backfill --via pubsub` sends them) versus one range read per table for the whole week."""
    start = DemoParams().as_of_date - timedelta(days=days)
    end = start + timedelta(days=days - 1)
    types = dated_export_types(catalog())
    print(f"\n== simulated production replay {start}..{end} ({days} days), {query_latency:.2f} s per warehouse "
          f"read, {upload_latency * 1000:.0f} ms per upload")
    with scratch() as work:
        runner = open_runner(path, Path(work), query_latency, upload_latency)
        started = time.perf_counter()
        records = [runner.run(RunRequest(types, start + timedelta(days=offset), mode="replay", update_latest=False))
                   for offset in range(days)]
        wall = time.perf_counter() - started
        close(runner)
    queries = sum(totals(record)["queries"] for record in records)
    print(f"  day by day:   wall {wall:6.1f} s; warehouse queries {queries}")
    with scratch() as work:
        runner = open_runner(path, Path(work), query_latency, upload_latency)
        started = time.perf_counter()
        summary = backfill(runner, start, end, types, chunk_days=days)
        wall = time.perf_counter() - started
        close(runner)
    print(f"  range reads:  wall {wall:6.1f} s; warehouse reads {summary.warehouse_reads} "
          f"(rows copied {summary.warehouse_rows:,}), day queries on the snapshot {summary.queries}")


def profile_run(path: Path) -> None:
    """Where the time of one `run --types all` on the largest size goes: the project's functions by cumulative time."""
    with scratch() as work:
        runner = open_runner(path, Path(work))
        profiler = cProfile.Profile()
        profiler.enable()
        timed_run(runner, tuple(expand(["all"])), BUSY_DAY)
        profiler.disable()
        close(runner)
    print("\n== profile of one run --types all on the largest size (cumulative seconds, under cProfile)")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(r"phase6|exporters|duckdb_backend|local\.py", 30)


def bench_gzip(label: str, path: Path, day: date) -> None:
    with scratch() as work:
        runner = open_runner(path, Path(work))
        timed_run(runner, tuple(expand(["all"])), day)
        close(runner)
        bucket = runner.backends.bucket
        objects = [(info.size, bucket.read(info.name)) for info in bucket.list("v1/")]
    large = [(stored, body) for stored, body in objects if len(body) >= LARGE_FILE_BYTES]
    bodies = [body for _, body in objects]
    started = time.process_time()
    compressed = [body for body in bodies if stored_form(body, JSON_CONTENT_TYPE)[1]]
    cpu = time.process_time() - started
    started = time.process_time()
    best = sum(len(gzip.compress(body, 9, mtime=0)) for body in compressed)
    cpu_best = time.process_time() - started
    level = sum(len(stored_form(body, JSON_CONTENT_TYPE)[0]) for body in compressed)

    def share(stored: int, decoded: int) -> str:
        return f"{decoded:,} → {stored:,} bytes ({stored / max(decoded, 1):.1%})"

    print(f"\n== gzip on {label} {day} (run --types all, {len(objects)} files, {len(compressed)} compressed)")
    print(f"  all files:          {share(sum(size for size, _ in objects), sum(map(len, bodies)))}")
    print(f"  {len(large):3} files ≥ {LARGE_FILE_BYTES // 1024} KiB: "
          f"{share(sum(size for size, _ in large), sum(len(body) for _, body in large))}")
    print(f"  CPU to compress a run's bodies: {cpu:.3f} s at level {GZIP_LEVEL} (the adapters'), {cpu_best:.3f} s at "
          f"level 9 ({best:,} bytes against {level:,})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="runs per size for the median")
    parser.add_argument("--cache", type=Path, default=Path(".phase6/bench"), help="where demo warehouses are kept")
    parser.add_argument("--query-latency", type=float, default=1.0, help="simulated seconds per warehouse query")
    parser.add_argument("--upload-latency", type=float, default=0.060, help="simulated seconds per upload")
    parser.add_argument("--replay-days", type=int, default=None, help="replay only the first N days of the season")
    parser.add_argument("--simulated-replay-days", type=int, default=7, help="days in the simulated-production replay")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["sizes", "simulated", "replay", "simulated-replay", "gzip"])
    parser.add_argument("--profile", action="store_true", help="also profile one run on the largest size")
    args = parser.parse_args()
    logging.getLogger("phase6").setLevel(logging.CRITICAL)  # failures are counted and listed, not logged
    print(f"interpreter start-up and imports: {IMPORT_SECONDS:.2f} s (not included below)")
    paths = {label: demo_path(args.cache, players) for label, players in SIZES.items()}
    largest = paths["x4"]
    default_size = demo_path(args.cache, DemoParams().players_per_team, DemoParams().as_of_date)
    if "sizes" not in args.skip:
        results = [bench_size(label, path, args.repeats) for label, path in paths.items()]
        results.append(bench_size("demo", default_size, args.repeats, DemoParams().as_of_date))
        print("\n== scaling (run --types all)")
        print(f"  {'size':5} {'players':>7} {'median s':>8} {'cpu s':>6} {'queries':>7} {'rows read':>10} {'files':>6} "
              f"{'bytes':>12}")
        for item in results:
            print(f"  {item['label']:5} {item['players']:7} {item['median']:8.2f} {item['cpu']:6.2f} {item['queries']:7} "
                  f"{item['rows_read']:10,} {item['files']:6} {item['bytes']:12,}")
    if "simulated" not in args.skip:
        bench_simulated(largest, args.query_latency, args.upload_latency)
    if "gzip" not in args.skip:
        bench_gzip("the default demo's as-of day", default_size, DemoParams().as_of_date)
        bench_gzip("size x4", largest, BUSY_DAY)
    if args.profile:
        profile_run(largest)
    if "replay" not in args.skip:
        bench_replay(default_size, args.replay_days)
    if "simulated-replay" not in args.skip:
        bench_simulated_replay(default_size, args.simulated_replay_days, args.query_latency, args.upload_latency)
    sys.stdout.flush()
    shutil.rmtree(SCRATCH, ignore_errors=True)


if __name__ == "__main__":
    main()
