"""A run's heartbeat: one document per run, beaten at every export boundary and by a ticker at least every
`interval` seconds, so a long query or fan-out still shows life. Its times are on the wall clock (`now`), which
stale detection and the TTL policy compare against. When the state store is down, heartbeats go to the log.
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator

from .plan import Deadline
from .state.tolerant import TolerantState

log = logging.getLogger("phase6.heartbeat")

BEAT_INTERVAL_SECONDS = 30.0
HEARTBEAT_TTL = timedelta(days=7)


class Heartbeat:
    def __init__(
        self,
        state: TolerantState,
        run_id: str,
        now: Callable[[], datetime],
        deadline: Deadline,
        fields: dict[str, Any],
        interval: float = BEAT_INTERVAL_SECONDS,
    ):
        self.state = state
        self.run_id = run_id
        self.now = now
        self.deadline = deadline
        self.interval = interval
        self._fields = dict(fields)
        self._lock = threading.Lock()

    def beat(self, **fields: Any) -> None:
        """Merge `fields` into the heartbeat and store it now."""
        with self._lock:
            self._fields.update(fields)
            now = self.now()
            document = {
                **self._fields,
                "last_beat": now,
                "deadline": self.deadline.wall_time(now),
                "expires_at": now + HEARTBEAT_TTL,
            }
            if not self.state.beat(self.run_id, document):
                log.info("heartbeat %s %s", self.run_id, document)

    @contextmanager
    def ticking(self) -> Iterator[None]:
        """Beat every `interval` seconds in the background while the block runs."""
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(self.interval):
                self.beat()

        ticker = threading.Thread(target=tick, name=f"heartbeat-{self.run_id}", daemon=True)
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join()
