"""The embedded state store: one SQLite file, JSON documents keyed like their Firestore twins.

Every read-modify-write runs in `BEGIN IMMEDIATE`, which takes the write lock up front, so two processes (or two
store objects on one file) serialize exactly like Firestore transactions do.
"""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import orjson

from ..breakers import DEFAULT_POLICY, BreakerPolicy, after_outcome, current
from ..formats import ts
from .base import (
    DURATION_HISTORY,
    HEARTBEAT_TIME_FIELDS,
    Breaker,
    MessageState,
    StateError,
    breaker_document,
    breaker_from_document,
    claim_is_stale,
    high_percentile,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS heartbeats (
    run_id TEXT PRIMARY KEY,
    last_beat TEXT,
    document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS breakers (
    export_type TEXT PRIMARY KEY,
    document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    key TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    message_id TEXT PRIMARY KEY,
    document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS durations (
    export_type TEXT PRIMARY KEY,
    seconds TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS published (
    name TEXT PRIMARY KEY,
    hash TEXT NOT NULL
);
"""


# How long a call waits for another writer's lock before failing (then the delivery goes on without the store).
BUSY_TIMEOUT_SECONDS = 5.0


class SQLiteState:
    def __init__(self, path: Path, policy: BreakerPolicy = DEFAULT_POLICY):
        self.path = path
        self.policy = policy
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; a commit no longer waits on fsync
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise StateError(f"cannot open state store {path}: {error}") from error

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """The connection, for one call; every failure inside (the database's, or a corrupt document's) is a
        StateError."""
        with self._lock:
            try:
                yield self._db
            except StateError:
                raise
            except Exception as error:
                raise StateError(f"state store {self.path}: {type(error).__name__}: {error}") from error

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._read() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # Runs

    def save_run(self, run_id: str, record: dict[str, Any]) -> None:
        with self._read() as db:
            db.execute(
                "INSERT INTO runs (run_id, started_at, document) VALUES (?, ?, ?) "
                "ON CONFLICT(run_id) DO UPDATE SET document = excluded.document",
                (run_id, record.get("started_at", ""), _dumps(record)),
            )

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        with self._read() as db:
            row = db.execute("SELECT document FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            return orjson.loads(row[0]) if row else None

    def recent_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        with self._read() as db:
            rows = db.execute(
                "SELECT document FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?", (limit,)
            ).fetchall()
            return [orjson.loads(row[0]) for row in rows]

    # Heartbeats

    def beat(self, run_id: str, fields: dict[str, Any]) -> None:
        with self._transaction() as db:
            row = db.execute("SELECT document FROM heartbeats WHERE run_id = ?", (run_id,)).fetchone()
            document = _merge(orjson.loads(row[0]) if row else {"run_id": run_id}, orjson.loads(_dumps(fields)))
            db.execute(
                "INSERT INTO heartbeats (run_id, last_beat, document) VALUES (?, ?, ?) "
                "ON CONFLICT(run_id) DO UPDATE SET last_beat = excluded.last_beat, document = excluded.document",
                (run_id, document.get("last_beat"), _dumps(document)),
            )

    def heartbeats(self, limit: int = 50) -> list[dict[str, Any]]:
        with self._read() as db:
            rows = db.execute(
                "SELECT document FROM heartbeats ORDER BY last_beat DESC, run_id DESC LIMIT ?", (limit,)
            ).fetchall()
            return [_times(orjson.loads(row[0]), HEARTBEAT_TIME_FIELDS) for row in rows]

    # Breakers

    def breaker(self, export_type: str, now: datetime) -> Breaker:
        with self._read() as db:
            return current(self._breaker(db, export_type), now)

    def record_outcome(self, export_type: str, ok: bool, now: datetime) -> Breaker:
        with self._transaction() as db:
            updated = after_outcome(self._breaker(db, export_type), ok, now, self.policy)
            db.execute(
                "INSERT INTO breakers (export_type, document) VALUES (?, ?) "
                "ON CONFLICT(export_type) DO UPDATE SET document = excluded.document",
                (export_type, _dumps(breaker_document(updated))),
            )
        return current(updated, now)

    def reset_breaker(self, export_type: str) -> None:
        with self._read() as db:
            db.execute("DELETE FROM breakers WHERE export_type = ?", (export_type,))

    def breakers(self, now: datetime) -> list[Breaker]:
        with self._read() as db:
            rows = db.execute("SELECT export_type, document FROM breakers ORDER BY export_type").fetchall()
            return [current(_breaker_from(row[0], orjson.loads(row[1])), now) for row in rows]

    def _breaker(self, db: sqlite3.Connection, export_type: str) -> Breaker:
        row = db.execute("SELECT document FROM breakers WHERE export_type = ?", (export_type,)).fetchone()
        return _breaker_from(export_type, orjson.loads(row[0]) if row else None)

    # Leases

    def acquire_lease(self, key: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        with self._transaction() as db:
            row = db.execute("SELECT holder, expires_at FROM leases WHERE key = ?", (key,)).fetchone()
            if row and row[0] != holder and datetime.fromisoformat(row[1]) > now:
                return False
            db.execute(
                "INSERT INTO leases (key, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "holder = excluded.holder, expires_at = excluded.expires_at",
                (key, holder, ts(now + timedelta(seconds=ttl_seconds))),
            )
        return True

    def release_lease(self, key: str, holder: str) -> None:
        with self._read() as db:
            db.execute("DELETE FROM leases WHERE key = ? AND holder = ?", (key, holder))

    # Processed messages

    def claim_message(self, message_id: str, run_id: str, now: datetime) -> MessageState:
        with self._transaction() as db:
            row = db.execute("SELECT document FROM messages WHERE message_id = ?", (message_id,)).fetchone()
            if row:
                claim = orjson.loads(row[0])
                if claim["state"] == "finished":
                    return "finished"
                if not claim_is_stale(datetime.fromisoformat(claim["claimed_at"]), now):
                    return "running"
            claim = {"message_id": message_id, "state": "running", "run_id": run_id, "claimed_at": ts(now)}
            db.execute(
                "INSERT INTO messages (message_id, document) VALUES (?, ?) "
                "ON CONFLICT(message_id) DO UPDATE SET document = excluded.document",
                (message_id, _dumps(claim)),
            )
        return "new"

    def finish_message(self, message_id: str, status: str, now: datetime) -> None:
        with self._transaction() as db:
            row = db.execute("SELECT document FROM messages WHERE message_id = ?", (message_id,)).fetchone()
            claim = orjson.loads(row[0]) if row else {"message_id": message_id}
            claim.update(state="finished", status=status, finished_at=ts(now))
            db.execute(
                "INSERT INTO messages (message_id, document) VALUES (?, ?) "
                "ON CONFLICT(message_id) DO UPDATE SET document = excluded.document",
                (message_id, _dumps(claim)),
            )

    def release_message(self, message_id: str, run_id: str) -> None:
        with self._transaction() as db:
            row = db.execute("SELECT document FROM messages WHERE message_id = ?", (message_id,)).fetchone()
            claim = orjson.loads(row[0]) if row else {}
            if claim.get("state") == "running" and claim.get("run_id") == run_id:
                db.execute("DELETE FROM messages WHERE message_id = ?", (message_id,))

    # Durations

    def record_duration(self, export_type: str, seconds: float, now: datetime) -> None:
        with self._transaction() as db:
            row = db.execute("SELECT seconds FROM durations WHERE export_type = ?", (export_type,)).fetchone()
            recent = [*(orjson.loads(row[0]) if row else []), float(seconds)][-DURATION_HISTORY:]
            db.execute(
                "INSERT INTO durations (export_type, seconds) VALUES (?, ?) "
                "ON CONFLICT(export_type) DO UPDATE SET seconds = excluded.seconds",
                (export_type, _dumps(recent)),
            )

    def expected_duration(self, export_type: str) -> float | None:
        with self._read() as db:
            row = db.execute("SELECT seconds FROM durations WHERE export_type = ?", (export_type,)).fetchone()
            return high_percentile(orjson.loads(row[0])) if row else None

    # Published hashes

    def published_hashes(self, names: list[str]) -> dict[str, str]:
        with self._read() as db:
            rows = db.execute(
                "SELECT name, hash FROM published WHERE name IN (SELECT value FROM json_each(?))", (_dumps(names),)
            ).fetchall()
            return dict(rows)

    def record_published(self, hashes: dict[str, str]) -> None:
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO published (name, hash) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET hash = excluded.hash",
                hashes.items(),
            )

    def close(self) -> None:
        self._db.close()


def _dumps(value: Any) -> bytes:
    """Datetimes as fixed-width UTC strings, so that they sort as text."""
    return orjson.dumps(value, default=_encode, option=orjson.OPT_PASSTHROUGH_DATETIME)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return ts(value)
    raise TypeError(f"cannot store {type(value).__name__} in the state store")


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Nested merge, as Firestore's `set(..., merge=True)` does."""
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged



def _breaker_from(export_type: str, document: dict[str, Any] | None) -> Breaker:
    return breaker_from_document(export_type, document and _times(document, ("opened_at", "retry_after")))


def _times(document: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    for name in names:
        if isinstance(document.get(name), str):
            document[name] = datetime.fromisoformat(document[name])
    return document
