"""Serialization of published documents: UTF-8, 2-space indent, shape key order, no NaN."""
from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Any

import orjson

from .formats import ts

# orjson writes NaN and ±Infinity as null, which is the contract's rule for non-finite numbers.
_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME
# A top-level build time as dumps writes it: two spaces of indent, a timestamp string, then `,` or the line's end.
# updated_at is live-grading's build time.
_BUILD_TIME = re.compile(rb'^  "(?:generated_at|updated_at)": "[^"]*"', re.MULTILINE)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return ts(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialize {type(value).__name__} in a published document")


def dumps(body: Any) -> bytes:
    return orjson.dumps(body, default=_default, option=_OPTIONS) + b"\n"


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def publish_digest(data: bytes, cache_control: str) -> str:
    """What decides whether an object must be uploaded again: its serialized body apart from the top-level build
    time (which changes on every run), and its Cache-Control."""
    return content_hash(cache_control.encode() + b"\n" + _BUILD_TIME.sub(b"", data))
