"""Settings from the environment. With nothing configured, every backend is the embedded default."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

DATA_DIR = Path(os.environ.get("PHASE6_DATA_DIR", ".phase6"))
LOCAL_DEVELOPMENT_ORIGINS = "http://localhost:*,http://127.0.0.1:*,http://[::1]:*"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    warehouse_url: str = field(default_factory=lambda: _env("PHASE6_WAREHOUSE", f"duckdb:///{DATA_DIR}/demo.duckdb"))
    bucket_url: str = field(default_factory=lambda: _env("PHASE6_BUCKET", "file://./public"))
    state_url: str = field(default_factory=lambda: _env("PHASE6_STATE", f"sqlite:///{DATA_DIR}/state.db"))
    events_url: str = field(default_factory=lambda: _env("PHASE6_EVENTS", f"file://./{DATA_DIR}/events.jsonl"))
    champion_system_id: str = field(default_factory=lambda: _env("CHAMPION_SYSTEM_ID", "catboost_v9"))
    object_prefix: str = field(default_factory=lambda: _env("PHASE6_OBJECT_PREFIX", "v1/"))
    now_override: str = field(default_factory=lambda: _env("PHASE6_NOW", ""))
    budget_seconds: float = field(default_factory=lambda: float(_env("PHASE6_BUDGET_SECONDS", "540")))
    upload_concurrency: int = field(default_factory=lambda: int(_env("PHASE6_UPLOAD_CONCURRENCY", "32")))
    build_commit: str | None = field(default_factory=lambda: os.environ.get("BUILD_COMMIT") or None)
    bigquery_max_bytes_billed: int = field(
        default_factory=lambda: int(_env("PHASE6_BQ_MAX_BYTES_BILLED", str(50 * 1024**3)))
    )
    bigquery_timeout_seconds: float = field(default_factory=lambda: float(_env("PHASE6_BQ_TIMEOUT_SECONDS", "120")))
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
        value = datetime.fromisoformat(self.now_override)
        if value.tzinfo is None:
            raise ValueError(f"PHASE6_NOW must carry a UTC offset, got {self.now_override!r}")
        return value


def local_path(url: str, scheme: str) -> Path:
    """The filesystem path of a local backend URL.

    `duckdb:`/`sqlite:` follow the SQLAlchemy convention (`sqlite:///rel/x.db`, `sqlite:////abs/x.db`);
    `file:` follows RFC 8089 (`file:///abs/dir`) and also accepts `file://./rel/dir`.
    """
    prefix = f"{scheme}://"
    if not url.startswith(prefix):
        raise ValueError(f"expected a {prefix} URL, got {url!r}")
    rest = url[len(prefix):]
    if not rest:
        raise ValueError(f"{url!r} names no path")
    if scheme == "file":
        return Path(rest)
    return Path(rest[1:] if rest.startswith("/") else rest)


def season_window_start() -> date:
    return date.fromisoformat(_env("PHASE6_SEASON_WINDOW_START", "2021-10-01"))
