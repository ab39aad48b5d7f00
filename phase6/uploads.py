"""One export's uploads, overlapping its building: objects go to the runner's shared pool as soon as they are planned,
and the export goes on building while they are written.

- At most `limit` uploads of the export are in flight; `send` waits beyond that, so memory stays bounded.
- A batch's pointers are sent only once every other object of the batch is written, so a pointer never precedes its
  dated twin; when one of them fails, the pointers are not sent.
- The first failure is raised by the next `send` or by `finish`; `settle` waits for what is in flight without
  raising, so an export that failed still counts (and records) what it wrote. `failed` tells without waiting.
- `idle_since` is when the last upload in flight ended (perf_counter): how long an export lasted, when it was
  settled later.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

Item = TypeVar("Item")


@dataclass
class _Batch(Generic[Item]):
    waiting: int  # objects of the batch not yet written
    pointers: list[Item]
    failed: bool = False


class Uploads(Generic[Item]):
    def __init__(self, pool: Executor, upload: Callable[[Item], None], limit: int):
        self._pool, self._upload, self._limit = pool, upload, max(1, limit)
        self._changed = threading.Condition()
        self._in_flight = 0
        self._written: list[Item] = []  # in the order they were written, not yet taken
        self._failure: BaseException | None = None
        self.idle_since = time.perf_counter()

    def send(self, objects: list[Item], pointers: list[Item]) -> None:
        """Upload `objects` now and `pointers` once all of `objects` are written."""
        self._raise_failure()
        if not objects:
            objects, pointers = pointers, []
        batch = _Batch(len(objects), pointers)
        for item in objects:
            with self._changed:
                self._changed.wait_for(lambda: self._in_flight < self._limit or self._failure is not None)
                if self._failure is not None:
                    break
                self._in_flight += 1
            self._submit(item, batch)
        self._raise_failure()

    @property
    def failed(self) -> bool:
        """Whether an upload has failed so far (the failure is raised by `finish`)."""
        return self._failure is not None

    def take_written(self) -> list[Item]:
        """The objects written since the last call."""
        with self._changed:
            written, self._written = self._written, []
        return written

    def finish(self) -> None:
        """Wait for every upload; raise the first failure."""
        self.settle()
        self._raise_failure()

    def settle(self) -> None:
        """Wait for every upload in flight (and the pointers they release), whatever their outcome."""
        with self._changed:
            self._changed.wait_for(lambda: self._in_flight == 0)

    def _submit(self, item: Item, batch: _Batch[Item] | None) -> None:
        """Hand a counted upload to the pool; one the pool refuses (shutting down) fails like an upload."""
        try:
            self._pool.submit(self._run, item, batch)
        except RuntimeError as error:
            self._failed(error, batch)

    def _failed(self, error: BaseException, batch: _Batch[Item] | None) -> None:
        with self._changed:
            self._failure = self._failure or error
            self._one_ended()
            if batch is not None:
                batch.failed = True
            self._changed.notify_all()

    def _run(self, item: Item, batch: _Batch[Item] | None) -> None:
        try:
            self._upload(item)
        except BaseException as error:  # noqa: BLE001 — reported to the export by send/finish
            self._failed(error, batch)
            return
        released: list[Item] = []
        with self._changed:
            self._written.append(item)
            self._one_ended()
            if batch is not None:
                batch.waiting -= 1
                if batch.waiting == 0 and not batch.failed:
                    released, batch.pointers = batch.pointers, []
                    self._in_flight += len(released)  # counted before the batch's last object leaves
            self._changed.notify_all()
        for pointer in released:
            self._submit(pointer, None)

    def _one_ended(self) -> None:
        self._in_flight -= 1
        if self._in_flight == 0:
            self.idle_since = time.perf_counter()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure
