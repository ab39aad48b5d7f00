"""The production state store: Firestore, with the client library's transactions (and their retries) for every
read-modify-write. One collection per concern; document ids are the keys, percent-quoted.

Heartbeats carry `expires_at` (a timestamp): configure a TTL policy on `phase6_heartbeats.expires_at`.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator
from urllib.parse import quote

from google.api_core.retry import Retry, if_transient_error
from google.cloud import firestore

from ..breakers import DEFAULT_POLICY, BreakerPolicy, after_outcome, current
from .base import (
    DURATION_HISTORY,
    Breaker,
    MessageState,
    StateError,
    breaker_document,
    breaker_from_document,
    claim_is_stale,
    high_percentile,
)

RUNS = "phase6_runs"
HEARTBEATS = "phase6_heartbeats"
BREAKERS = "phase6_breakers"
LEASES = "phase6_leases"
MESSAGES = "phase6_messages"
DURATIONS = "phase6_durations"
PUBLISHED = "phase6_published"
BATCH_LIMIT = 500  # Firestore's most writes in one batch
TRANSACTION_ATTEMPTS = 20  # the emulator aborts contended transactions often; production rarely retries


class FirestoreState:
    def __init__(
        self,
        project: str,
        database: str | None = None,
        policy: BreakerPolicy = DEFAULT_POLICY,
        timeout: float = 10.0,
    ):
        self.policy = policy
        # The library's default retry keeps trying for 60 s; a run's budget cannot afford that per call.
        self._calls = {"retry": Retry(predicate=if_transient_error, maximum=2.0, timeout=timeout), "timeout": timeout}
        with self._errors("opening"):
            self._client = firestore.Client(project=project, database=database)

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except StateError:
            raise
        # Anything else the client or a stored document throws (API and auth errors, a transaction that could not
        # begin nor roll back, a document missing a field) is this adapter's error.
        except Exception as error:
            raise StateError(f"Firestore {action} failed: {type(error).__name__}: {error}") from error

    def _doc(self, collection: str, key: str) -> firestore.DocumentReference:
        return self._client.collection(collection).document(quote(key, safe=""))

    def _transact(self, action: str, body: Callable[[firestore.Transaction], Any]) -> Any:
        with self._errors(action):
            transaction = self._client.transaction(max_attempts=TRANSACTION_ATTEMPTS)
            return firestore.transactional(body)(transaction)

    def _get(self, ref: firestore.DocumentReference, transaction: firestore.Transaction | None = None) -> dict | None:
        snapshot = ref.get(transaction=transaction, **self._calls)
        return snapshot.to_dict() if snapshot.exists else None

    def _latest(self, collection: str, field: str, limit: int) -> list[dict[str, Any]]:
        query = self._client.collection(collection).order_by(field, direction=firestore.Query.DESCENDING).limit(limit)
        with self._errors(f"reading {collection}"):
            return [snapshot.to_dict() for snapshot in query.stream(**self._calls)]

    # Runs

    def save_run(self, run_id: str, record: dict[str, Any]) -> None:
        with self._errors(f"saving run {run_id}"):
            self._doc(RUNS, run_id).set(record, **self._calls)

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        with self._errors(f"reading run {run_id}"):
            return self._get(self._doc(RUNS, run_id))

    def recent_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        return self._latest(RUNS, "started_at", limit)

    # Heartbeats: a merge is a single atomic write, no transaction needed.

    def beat(self, run_id: str, fields: dict[str, Any]) -> None:
        with self._errors(f"heartbeat of {run_id}"):
            self._doc(HEARTBEATS, run_id).set({"run_id": run_id, **fields}, merge=True, **self._calls)

    def heartbeats(self, limit: int = 50) -> list[dict[str, Any]]:
        return self._latest(HEARTBEATS, "last_beat", limit)

    # Breakers

    def breaker(self, export_type: str, now: datetime) -> Breaker:
        with self._errors(f"reading breaker {export_type}"):
            return current(breaker_from_document(export_type, self._get(self._doc(BREAKERS, export_type))), now)

    def record_outcome(self, export_type: str, ok: bool, now: datetime) -> Breaker:
        ref = self._doc(BREAKERS, export_type)

        def update(transaction: firestore.Transaction) -> Breaker:
            updated = after_outcome(breaker_from_document(export_type, self._get(ref, transaction)), ok, now, self.policy)
            transaction.set(ref, breaker_document(updated))
            return updated

        return current(self._transact(f"updating breaker {export_type}", update), now)

    def reset_breaker(self, export_type: str) -> None:
        with self._errors(f"resetting breaker {export_type}"):
            self._doc(BREAKERS, export_type).delete(**self._calls)

    def breakers(self, now: datetime) -> list[Breaker]:
        with self._errors("listing breakers"):
            snapshots = list(self._client.collection(BREAKERS).stream(**self._calls))
            found = [breaker_from_document(snapshot.get("export_type"), snapshot.to_dict()) for snapshot in snapshots]
        return sorted((current(breaker, now) for breaker in found), key=lambda breaker: breaker.export_type)

    # Leases

    def acquire_lease(self, key: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        ref = self._doc(LEASES, key)

        def acquire(transaction: firestore.Transaction) -> bool:
            lease = self._get(ref, transaction)
            if lease and lease["holder"] != holder and lease["expires_at"] > now:
                return False
            transaction.set(ref, {"key": key, "holder": holder, "expires_at": now + timedelta(seconds=ttl_seconds)})
            return True

        return self._transact(f"acquiring lease {key}", acquire)

    def release_lease(self, key: str, holder: str) -> None:
        ref = self._doc(LEASES, key)

        def release(transaction: firestore.Transaction) -> None:
            lease = self._get(ref, transaction)
            if lease and lease["holder"] == holder:
                transaction.delete(ref)

        self._transact(f"releasing lease {key}", release)

    # Processed messages

    def claim_message(self, message_id: str, run_id: str, now: datetime) -> MessageState:
        ref = self._doc(MESSAGES, message_id)

        def claim(transaction: firestore.Transaction) -> MessageState:
            existing = self._get(ref, transaction)
            if existing and existing["state"] == "finished":
                return "finished"
            if existing and not claim_is_stale(existing["claimed_at"], now):
                return "running"
            transaction.set(ref, {"message_id": message_id, "state": "running", "run_id": run_id, "claimed_at": now})
            return "new"

        return self._transact(f"claiming message {message_id}", claim)

    def finish_message(self, message_id: str, status: str, now: datetime) -> None:
        with self._errors(f"finishing message {message_id}"):
            self._doc(MESSAGES, message_id).set(
                {"message_id": message_id, "state": "finished", "status": status, "finished_at": now},
                merge=True,
                **self._calls,
            )

    def release_message(self, message_id: str, run_id: str) -> None:
        ref = self._doc(MESSAGES, message_id)

        def release(transaction: firestore.Transaction) -> None:
            existing = self._get(ref, transaction)
            if existing and existing["state"] == "running" and existing.get("run_id") == run_id:
                transaction.delete(ref)

        self._transact(f"releasing message {message_id}", release)

    # Durations

    def record_duration(self, export_type: str, seconds: float, now: datetime) -> None:
        ref = self._doc(DURATIONS, export_type)

        def append(transaction: firestore.Transaction) -> None:
            recent = (self._get(ref, transaction) or {}).get("seconds", [])
            recent = [*recent, float(seconds)][-DURATION_HISTORY:]
            transaction.set(ref, {"export_type": export_type, "seconds": recent, "updated_at": now})

        self._transact(f"recording duration of {export_type}", append)

    def expected_duration(self, export_type: str) -> float | None:
        with self._errors(f"reading durations of {export_type}"):
            document = self._get(self._doc(DURATIONS, export_type)) or {}
        return high_percentile(document.get("seconds", []))

    # Published hashes: one get_all per batch of names, batched writes.

    def published_hashes(self, names: list[str]) -> dict[str, str]:
        refs = [self._doc(PUBLISHED, name) for name in names]
        with self._errors(f"reading {len(names)} published hashes"):
            snapshots = self._client.get_all(refs, **self._calls) if refs else []
            return {snapshot.get("name"): snapshot.get("hash") for snapshot in snapshots if snapshot.exists}

    def record_published(self, hashes: dict[str, str]) -> None:
        items = list(hashes.items())
        with self._errors(f"recording {len(items)} published hashes"):
            for start in range(0, len(items), BATCH_LIMIT):
                batch = self._client.batch()
                for name, digest in items[start:start + BATCH_LIMIT]:
                    batch.set(self._doc(PUBLISHED, name), {"name": name, "hash": digest})
                batch.commit(**self._calls)

    def close(self) -> None:
        self._client.close()

