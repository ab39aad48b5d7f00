"""State store adapters, chosen by URL: `sqlite:///PATH` (embedded default) or `firestore://PROJECT[/DATABASE]`."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Settings, local_path
from .base import StateError, StateStore

if TYPE_CHECKING:  # phase6.breakers imports this package, so it is imported lazily below
    from ..breakers import BreakerPolicy

__all__ = ["StateError", "StateStore", "UnavailableState", "open_state", "open_state_or_unavailable", "open_state_url"]


def open_state(settings: Settings, policy: BreakerPolicy | None = None) -> StateStore:
    return open_state_url(settings.state_url, policy)


def open_state_or_unavailable(settings: Settings) -> StateStore:
    """For publishing: a store that cannot be opened is replaced by one that fails every call, so that the run
    goes on without it (TolerantState) instead of not starting."""
    try:
        return open_state(settings)
    except StateError as error:
        return UnavailableState(str(error))


class UnavailableState:
    """Every call raises StateError with the reason the store could not be opened."""

    def __init__(self, reason: str):
        self.reason = reason

    def __getattr__(self, name: str):
        def unavailable(*args: object, **kwargs: object) -> None:
            raise StateError(f"state store unavailable: {self.reason}")

        return unavailable

    def close(self) -> None:
        pass


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
