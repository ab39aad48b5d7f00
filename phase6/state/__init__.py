"""State store adapters, chosen by URL: `sqlite:///PATH` (embedded default) or `firestore://PROJECT`."""
from __future__ import annotations

from ..config import Settings, local_path
from .base import StateError, StateStore

__all__ = ["StateError", "StateStore", "open_state"]


def open_state(settings: Settings) -> StateStore:
    url = settings.state_url
    if url.startswith("sqlite://"):
        from .sqlite import SQLiteState

        return SQLiteState(local_path(url, "sqlite"))
    raise ValueError(f"unsupported state URL {url!r}; expected sqlite:///PATH or firestore://PROJECT")
