"""Serialization of published documents (api.md §1.2): UTF-8, 2-space indent, shape key order, no NaN."""
from __future__ import annotations

import hashlib
import math
from datetime import date, datetime
from typing import Any

import orjson

from .formats import ts

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME


def _finite(value: Any) -> Any:
    """Non-finite floats become null (orjson would also do this; being explicit keeps the rule visible)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return ts(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialize {type(value).__name__} in a published document")


def dumps(body: Any) -> bytes:
    return orjson.dumps(_finite(body), default=_default, option=_OPTIONS) + b"\n"


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
