"""State store adapters, chosen by URL: `sqlite:///PATH` (embedded default) or `firestore://PROJECT[/DATABASE]`."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Settings, local_path
from .base import StateError, StateStore

if TYPE_CHECKING:  # phase6.breakers imports this package, so it is imported lazily below
    from ..breakers import BreakerPolicy

__all__ = ["StateError", "StateStore", "open_state", "open_state_url"]


def open_state(settings: Settings, policy: BreakerPolicy | None = None) -> StateStore:
    return open_state_url(settings.state_url, policy)


def open_state_url(url: str, policy: BreakerPolicy | None = None) -> StateStore:
    from ..breakers import DEFAULT_POLICY

    if url.startswith("sqlite://"):
        from .sqlite import SQLiteState

        return SQLiteState(local_path(url, "sqlite"), policy or DEFAULT_POLICY)
    if url.startswith("firestore://"):
        from .firestore import FirestoreState

        project, _, database = url[len("firestore://"):].strip("/").partition("/")
        if not project:
            raise ValueError(f"firestore URL needs a project: {url!r}")
        return FirestoreState(project, database or None, policy or DEFAULT_POLICY)
    raise ValueError(f"unsupported state URL {url!r}; expected sqlite:///PATH or firestore://PROJECT[/DATABASE]")
