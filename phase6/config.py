"""Settings from the environment. With nothing configured, every backend is the embedded default."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

DATA_DIR = Path(os.environ.get("PHASE6_DATA_DIR", ".phase6"))
LOCAL_DEVELOPMENT_ORIGINS = "http://localhost:*,http://127.0.0.1:*,http://[::1]:*"


class ConfigError(ValueError):
    """A setting the publisher cannot use; the message names the environment variable."""


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _positive(name: str, default: str, kind: type[int] | type[float]) -> int | float:
    text = _env(name, default)
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < float("inf"):
        noun = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name} must be {noun} greater than 0, got {text!r}")
    return value


def _optional_positive(name: str, kind: type[int] | type[float]) -> int | float | None:
    return _positive(name, "", kind) if _env(name, "") else None


@dataclass(frozen=True)
class Settings:
    warehouse_url: str = field(default_factory=lambda: _env("PHASE6_WAREHOUSE", f"duckdb:///{DATA_DIR}/demo.duckdb"))
    bucket_url: str = field(default_factory=lambda: _env("PHASE6_BUCKET", "file://./public"))
    state_url: str = field(default_factory=lambda: _env("PHASE6_STATE", f"sqlite:///{DATA_DIR}/state.db"))
    events_url: str = field(default_factory=lambda: _env("PHASE6_EVENTS", f"file://./{DATA_DIR}/events.jsonl"))
    champion_system_id: str = field(default_factory=lambda: _env("CHAMPION_SYSTEM_ID", "catboost_v9"))
    object_prefix: str = field(default_factory=lambda: _env("PHASE6_OBJECT_PREFIX", "v1/"))
    now_override: str = field(default_factory=lambda: _env("PHASE6_NOW", ""))
    budget_seconds: float = field(default_factory=lambda: _positive("PHASE6_BUDGET_SECONDS", "540", float))
    # Upload workers; unset: what the bucket takes at once (its adapter's `concurrency`).
    upload_concurrency: int | None = field(default_factory=lambda: _optional_positive("PHASE6_UPLOAD_CONCURRENCY", int))
    build_commit: str | None = field(default_factory=lambda: os.environ.get("BUILD_COMMIT") or None)
    bigquery_max_bytes_billed: int = field(
        default_factory=lambda: _positive("PHASE6_BQ_MAX_BYTES_BILLED", str(50 * 1024**3), int)
    )
    bigquery_timeout_seconds: float = field(default_factory=lambda: _positive("PHASE6_BQ_TIMEOUT_SECONDS", "120", float))
    # Origins the local preview sends CORS headers to (`:*` any port, `*` any origin), comma-separated.
    preview_cors_origins: tuple[str, ...] = field(default_factory=lambda: tuple(
        origin.strip() for origin in _env("PHASE6_PREVIEW_CORS_ORIGINS", LOCAL_DEVELOPMENT_ORIGINS).split(",")
        if origin.strip()))

    @property
    def embedded(self) -> bool:
        return self.warehouse_url.startswith("duckdb://")

    def fixed_now(self) -> datetime | None:
        if not self.now_override:
            return None
        try:
            value = datetime.fromisoformat(self.now_override)
        except ValueError:
            value = None
        if value is None or value.tzinfo is None:
            raise ConfigError(f"PHASE6_NOW must be an ISO-8601 time with a UTC offset, got {self.now_override!r}")
        return value


def local_path(url: str, scheme: str) -> Path:
    """The filesystem path of a local backend URL.

    `duckdb:`/`sqlite:` follow the SQLAlchemy convention (`sqlite:///rel/x.db`, `sqlite:////abs/x.db`);
    `file:` follows RFC 8089 (`file:///abs/dir`) and also accepts `file://./rel/dir`.
    """
    prefix = f"{scheme}://"
    if not url.startswith(prefix):
        raise ConfigError(f"expected a {prefix} URL, got {url!r}")
    rest = url[len(prefix):]
    if not rest:
        raise ConfigError(f"{url!r} names no path")
    if scheme == "file":
        return Path(rest)
    return Path(rest[1:] if rest.startswith("/") else rest)


def season_window_start() -> date:
    text = _env("PHASE6_SEASON_WINDOW_START", "2021-10-01")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"PHASE6_SEASON_WINDOW_START must be a date YYYY-MM-DD, got {text!r}") from None
