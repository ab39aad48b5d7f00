"""The embedded state store: one SQLite file, JSON documents keyed like their Firestore twins."""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import orjson

from .base import StateError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    document TEXT NOT NULL
);
"""


class SQLiteState:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(str(path), timeout=30, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise StateError(f"cannot open state store {path}: {error}") from error

    def save_run(self, run_id: str, record: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO runs (run_id, started_at, document) VALUES (?, ?, ?) "
                "ON CONFLICT(run_id) DO UPDATE SET document = excluded.document",
                (run_id, record.get("started_at", ""), orjson.dumps(record)),
            )

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT document FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def recent_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT document FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [orjson.loads(row[0]) for row in rows]

    def close(self) -> None:
        self._db.close()
