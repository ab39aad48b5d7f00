"""The same behaviour from both state stores: SQLite in a temp dir, Firestore on the local emulator."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from phase6.breakers import BreakerPolicy
from phase6.state import StateError, open_state_url
from phase6.state.base import is_stale


NOW = datetime(2026, 3, 4, 18, 0, tzinfo=timezone.utc)
POLICY = BreakerPolicy(failure_threshold=3, cooldown=timedelta(minutes=15), max_cooldown=timedelta(hours=2))


def state_url(kind: str, request, tmp_path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    request.getfixturevalue("firestore_emulator")
    return f"firestore://test-{uuid.uuid4().hex[:12]}"  # one emulator project per test: nothing shared


@pytest.fixture(params=["sqlite", pytest.param("firestore", marks=pytest.mark.emulator)])
def url(request, tmp_path) -> str:
    return state_url(request.param, request, tmp_path)


@pytest.fixture()
def store(url):
    state = open_state_url(url, POLICY)
    yield state
    state.close()


def test_runs_round_trip_newest_first(store):
    for run_id, started in (("a", "2026-03-04T10:00:00.000000+00:00"), ("b", "2026-03-04T12:00:00.000000+00:00")):
        store.save_run(run_id, {"run_id": run_id, "started_at": started, "status": "running", "exports": {}})
    store.save_run("a", {"run_id": "a", "started_at": "2026-03-04T10:00:00.000000+00:00", "status": "success",
                         "exports": {"best-bets": {"status": "ok", "files": 2}}})
    assert store.get_run("a")["exports"]["best-bets"] == {"status": "ok", "files": 2}
    assert store.get_run("missing") is None
    assert [run["run_id"] for run in store.recent_runs()] == ["b", "a"]
    assert [run["run_id"] for run in store.recent_runs(limit=1)] == ["b"]


def test_heartbeats_merge_and_detect_stale_runs(store):
    store.beat("r1", {"status": "running", "started_at": NOW, "last_beat": NOW, "exports": {"results": {"status": "ok"}},
                      "progress": {"done": 1, "total": 3}, "expires_at": NOW + timedelta(days=7)})
    store.beat("r1", {"last_beat": NOW + timedelta(seconds=30), "exports": {"best-bets": {"status": "failed"}},
                      "progress": {"done": 2, "total": 3}})
    store.beat("r2", {"status": "success", "started_at": NOW, "last_beat": NOW + timedelta(seconds=10)})
    beats = store.heartbeats()
    assert [beat["run_id"] for beat in beats] == ["r1", "r2"]
    first = beats[0]
    assert first["exports"] == {"results": {"status": "ok"}, "best-bets": {"status": "failed"}}
    assert first["progress"] == {"done": 2, "total": 3}
    assert first["last_beat"] == NOW + timedelta(seconds=30)
    assert first["expires_at"] == NOW + timedelta(days=7)
    assert not is_stale(first, NOW + timedelta(minutes=5))
    assert is_stale(first, NOW + timedelta(minutes=5, seconds=31))
    assert not is_stale(beats[1], NOW + timedelta(hours=1))  # finished runs are never stale


def test_breaker_opens_half_opens_closes_and_resets(store):
    assert store.breaker("results", NOW).status == "closed"
    for _ in range(2):
        store.record_outcome("results", False, NOW)
    assert store.breaker("results", NOW).consecutive_failures == 2
    opened = store.record_outcome("results", False, NOW)
    assert (opened.status, opened.trips, opened.retry_after) == ("open", 1, NOW + timedelta(minutes=15))
    assert store.breaker("results", NOW + timedelta(minutes=10)).status == "open"
    trial_at = NOW + timedelta(minutes=15)
    assert store.breaker("results", trial_at).status == "half_open"
    reopened = store.record_outcome("results", False, trial_at)
    assert (reopened.status, reopened.trips, reopened.retry_after) == ("open", 2, trial_at + timedelta(minutes=30))
    later = trial_at + timedelta(minutes=30)
    assert store.record_outcome("results", True, later).status == "closed"
    store.record_outcome("players", False, NOW)
    store.record_outcome("tonight", False, NOW)
    assert [(b.export_type, b.consecutive_failures) for b in store.breakers(NOW)] == [
        ("players", 1), ("results", 0), ("tonight", 1),
    ]
    store.reset_breaker("players")
    assert store.breaker("players", NOW).consecutive_failures == 0
    assert [b.export_type for b in store.breakers(NOW)] == ["results", "tonight"]


def test_reset_opens_nothing_and_clears_an_open_breaker(store):
    for _ in range(3):
        store.record_outcome("streaks", False, NOW)
    assert store.breaker("streaks", NOW).status == "open"
    store.reset_breaker("streaks")
    assert store.breaker("streaks", NOW).status == "closed"
    store.reset_breaker("never-seen")


def test_lease_is_exclusive_until_it_expires_or_is_released(store):
    key = "2026-03-04/tonight-players"
    assert store.acquire_lease(key, "run-a", 60, NOW)
    assert not store.acquire_lease(key, "run-b", 60, NOW + timedelta(seconds=59))
    assert store.acquire_lease(key, "run-a", 60, NOW + timedelta(seconds=30))  # the holder extends it
    assert not store.acquire_lease(key, "run-b", 60, NOW + timedelta(seconds=89))
    assert store.acquire_lease(key, "run-b", 60, NOW + timedelta(seconds=91))  # expired
    store.release_lease(key, "run-a")  # not the holder: no effect
    assert not store.acquire_lease(key, "run-c", 60, NOW + timedelta(seconds=92))
    store.release_lease(key, "run-b")
    assert store.acquire_lease(key, "run-c", 60, NOW + timedelta(seconds=92))
    assert store.acquire_lease("2026-03-05/tonight-players", "run-d", 60, NOW)  # keys are independent


def test_two_threads_racing_for_one_lease_exactly_one_wins(url):
    stores = [open_state_url(url, POLICY) for _ in range(2)]  # two instances of the function
    barrier = threading.Barrier(len(stores))
    won: list[bool] = []

    def race(index: int) -> None:
        barrier.wait()
        won.append(stores[index].acquire_lease("2026-03-04/best-bets", f"run-{index}", 60, NOW))

    threads = [threading.Thread(target=race, args=(index,)) for index in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for state in stores:
        state.close()
    assert sorted(won) == [False, True]


def test_claim_message_new_running_finished(store):
    assert store.claim_message("m1", "run-a", NOW) == "new"
    assert store.claim_message("m1", "run-b", NOW + timedelta(seconds=5)) == "running"
    store.finish_message("m1", "success", NOW + timedelta(seconds=10))
    assert store.claim_message("m1", "run-c", NOW + timedelta(seconds=20)) == "finished"
    assert store.claim_message("m2", "run-d", NOW) == "new"


def test_a_stale_claim_is_taken_over(store):
    assert store.claim_message("m1", "run-a", NOW) == "new"
    assert store.claim_message("m1", "run-b", NOW + timedelta(minutes=9)) == "running"
    assert store.claim_message("m1", "run-b", NOW + timedelta(minutes=11)) == "new"


def test_duration_history_gives_a_high_percentile_of_recent_runs(store):
    assert store.expected_duration("results") is None
    for seconds in range(1, 11):  # 1..10
        store.record_duration("results", float(seconds), NOW)
    assert store.expected_duration("results") == 9.0
    for _ in range(20):
        store.record_duration("results", 2.0, NOW)
    assert store.expected_duration("results") == 2.0  # only the recent history counts
    assert store.expected_duration("players") is None


def test_published_hashes_are_read_and_recorded_in_batches(store):
    assert store.published_hashes(["v1/a.json", "v1/b.json"]) == {}
    store.record_published({"v1/a.json": "h1", "v1/b/c.json": "h2"})
    store.record_published({"v1/a.json": "h3"})
    assert store.published_hashes(["v1/a.json", "v1/b/c.json", "v1/missing.json"]) == {"v1/a.json": "h3",
                                                                                       "v1/b/c.json": "h2"}
    assert store.published_hashes([]) == {}


def test_published_hashes_record_more_than_one_firestore_batch(store):
    hashes = {f"v1/tonight/player/{index}.json": f"h{index}" for index in range(620)}
    store.record_published(hashes)
    assert store.published_hashes(list(hashes)) == hashes


def test_an_unreachable_sqlite_store_raises_state_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StateError):
        open_state_url(f"sqlite:///{blocker / 'state.db'}")


def test_sqlite_errors_become_state_errors(tmp_path):
    store = open_state_url(f"sqlite:///{tmp_path / 'state.db'}")
    store.close()
    with pytest.raises(StateError):
        store.beat("r1", {"status": "running"})
