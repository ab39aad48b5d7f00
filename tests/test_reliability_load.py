"""Load: 200 replay messages in sequence through functions-framework (over 130 dates of the demo season), with the
server's memory, threads and open file descriptors sampled from /proc.

Bounds, from measurements on the demo season (docs/reliability.md), summed over the server's process tree: after
a 20-message warm-up RSS grew by 20-27 MB over the next 180 messages (DuckDB's buffer cache filling with more
dates; an in-process tracemalloc comparison of messages 200-400 shows no Python-level growth) and by 14 MB over
400 more; threads stayed between 15 and 18, descriptors at 23-24.
"""
from __future__ import annotations

import os
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import orjson
import pytest

from tests.servers import FunctionServer
from tests.test_reliability_corpus import as_json, post_message

MESSAGES = 200
WARM_UP = 20
RSS_GROWTH_BOUND_MB = 48
THREADS_BOUND = 24
DESCRIPTORS_GROWTH_BOUND = 2
TYPES = ["daily-signals", "predictions", "results"]


@dataclass(frozen=True)
class Sample:
    rss_mb: int
    threads: int
    descriptors: int


def process_tree(pid: int) -> list[int]:
    children = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as listing:
                children += [int(child) for child in listing.read().split()]
        except FileNotFoundError:  # the thread ended meanwhile
            continue
    return [pid, *(descendant for child in children for descendant in process_tree(child))]


def sample(pid: int) -> Sample:
    """The server's whole process tree (functions-framework's gunicorn master and its worker)."""
    rss = threads = descriptors = 0
    for member in process_tree(pid):
        with open(f"/proc/{member}/status") as status:
            fields = dict(line.split(":", 1) for line in status.read().splitlines() if ":" in line)
        rss += int(fields["VmRSS"].split()[0]) // 1024
        threads += int(fields["Threads"])
        descriptors += len(os.listdir(f"/proc/{member}/fd"))
    return Sample(rss, threads, descriptors)


@pytest.mark.slow
def test_200_messages_in_sequence_keep_memory_threads_and_descriptors_bounded(demo_db, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(demo_db, warehouse)
    server = FunctionServer(tmp_path, warehouse, now="2026-03-04T18:00:00+00:00")
    server.start()
    samples = {}
    try:
        for index in range(MESSAGES):
            day = date(2025, 10, 22) + timedelta(days=index % 130)
            payload = {"export_types": TYPES, "target_date": day.isoformat(), "mode": "replay"}
            assert post_message(server, {"data": as_json(payload)}, f"load-{index}") == 200
            if index + 1 in (WARM_UP, MESSAGES) or (index + 1) % 50 == 0:
                samples[index + 1] = sample(server.process.pid)
    finally:
        server.stop()

    events = [orjson.loads(line) for line in server.events.read_bytes().splitlines()]
    assert len(events) == MESSAGES and Counter(event["status"] for event in events) == {"success": MESSAGES}
    warm, last = samples[WARM_UP], samples[MESSAGES]
    assert last.rss_mb - warm.rss_mb <= RSS_GROWTH_BOUND_MB, samples
    assert max(point.threads for point in samples.values()) <= THREADS_BOUND, samples
    assert last.descriptors - warm.descriptors <= DESCRIPTORS_GROWTH_BOUND, samples
    print(f"load samples (messages: sample): {samples}")
