"""A local preview of the bucket over HTTP that serves what Cloud Storage would serve.

- Each object with its recorded Content-Type and Cache-Control. A compressed object goes as stored
  (`Content-Encoding: gzip`) to a request that accepts gzip and decoded to one that does not (`Vary: Accept-Encoding`).
- GET, HEAD, and OPTIONS for CORS preflights. Origins of local website development get CORS headers: any port on
  localhost, 127.0.0.1 and [::1] unless `PHASE6_PREVIEW_CORS_ORIGINS` lists others (`*` for any origin).
- Only objects: temp files, `.meta/` sidecars and names with `..` are never served (LocalBucket refuses them).
- An index page linking each endpoint's entry points (pointers, fixed and index files, its newest dated file)
  and the latest run report.
"""
from __future__ import annotations

import logging
import re
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Sequence
from urllib.parse import unquote, urlsplit

from exporters import catalog

from .config import Settings
from .pages import template
from .storage.base import GZIP, ObjectInfo, StorageError
from .storage.local import LocalBucket

REPORTS_PREFIX = "reports/"
PREFLIGHT_MAX_AGE_SECONDS = 600
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
log = logging.getLogger("phase6.preview")


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header admits gzip: listed (or `*`) with a non-zero weight."""
    weights: dict[str, float] = {}
    for item in (accept_encoding or "").split(","):
        coding, *parameters = (part.strip() for part in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.lower()] = weight
    return weights.get(GZIP, weights.get("x-gzip", weights.get("*", 0.0))) > 0


def allowed_origin(origin: str | None, patterns: Sequence[str]) -> str | None:
    """The Access-Control-Allow-Origin value for a request's Origin, or None. A pattern is an origin, an origin
    ending in `:*` (any port, or none), or `*` (any origin)."""
    if "*" in patterns:
        return "*"
    if not origin:
        return None
    for pattern in patterns:
        if origin == pattern:
            return origin
        if pattern.endswith(":*"):
            host = pattern[:-2]
            port = origin[len(host) + 1:] if origin.startswith(host + ":") else None
            if origin == host or (port and port.isdigit()):
                return origin
    return None


def entry_points(names: list[str]) -> list[str]:
    """Of object names relative to v1/, those a website starts from: each path an export declares without a
    placeholder (pointers, fixed and index files), the newest file of each path with only a date in it, and
    top-level objects (status.json)."""
    chosen = [name for name in names if "/" not in name]
    present = set(names)
    for spec in catalog().values():
        for template in spec.paths:
            placeholders = _PLACEHOLDER.findall(template)
            if not placeholders and template in present:
                chosen.append(template)
            elif placeholders == ["date"]:
                dated = re.compile(re.escape(template).replace(re.escape("{date}"), r"\d{4}-\d{2}-\d{2}") + r"\Z")
                matching = [name for name in names if dated.match(name)]
                if matching:
                    chosen.append(max(matching))
    return sorted(set(chosen))


def index_page(bucket: LocalBucket, object_prefix: str = "v1/") -> str:
    """phase6/templates/preview_index.html.j2: per top-level folder its object count, newest write and entry points,
    and the latest run report."""
    groups: dict[str, list[ObjectInfo]] = {}
    for info in bucket.list(object_prefix):
        groups.setdefault(info.name[len(object_prefix):].split("/")[0], []).append(info)
    starts = entry_points([info.name[len(object_prefix):] for infos in groups.values() for info in infos])
    rows = [
        {"folder": folder, "count": len(infos),
         "newest": f"{max(infos, key=lambda info: info.updated).updated:%Y-%m-%d %H:%M:%S}",
         "links": [name for name in starts if name == folder or name.startswith(folder + "/")]}
        for folder, infos in sorted(groups.items())
    ]
    reports = sorted(bucket.list(REPORTS_PREFIX), key=lambda info: info.updated, reverse=True)
    return template("preview_index.html.j2").render(
        rows=rows, object_prefix=object_prefix, report=reports[0].name if reports else None,
        missing=None if bucket.root.is_dir() else missing_root(bucket.root))


def missing_root(root: Path) -> str:
    return f"{root} does not exist: nothing to serve until a run writes it (make run)"


class PreviewHandler(BaseHTTPRequestHandler):
    def __init__(self, *args, bucket: LocalBucket, cors_origins: Sequence[str], **kwargs):
        self.bucket = bucket
        self.cors_origins = cors_origins
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(with_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(with_body=False)

    def do_OPTIONS(self) -> None:  # noqa: N802
        self.send_response(HTTPStatus.NO_CONTENT)
        if allowed_origin(self.headers.get("Origin"), self.cors_origins):
            self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
            requested = self.headers.get("Access-Control-Request-Headers")
            if requested:
                self.send_header("Access-Control-Allow-Headers", requested)
            self.send_header("Access-Control-Max-Age", str(PREFLIGHT_MAX_AGE_SECONDS))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def end_headers(self) -> None:
        """Every answer, errors included, carries the CORS header for an allowed origin."""
        origin = allowed_origin(self.headers.get("Origin"), self.cors_origins)
        if origin:
            self.send_header("Access-Control-Allow-Origin", origin)
        self.send_header("Vary", "Accept-Encoding, Origin")
        super().end_headers()

    def _answer(self, with_body: bool) -> None:
        name = unquote(urlsplit(self.path).path).lstrip("/")
        if name in ("", "index.html"):
            self._send(index_page(self.bucket).encode(), "text/html; charset=utf-8", "no-store", None, with_body)
            return
        try:
            stored = self.bucket.read_stored(name)
        except StorageError:
            stored = None
        if stored is None:
            self.send_error(HTTPStatus.NOT_FOUND, f"no object {name}")
            return
        if stored.content_encoding == GZIP and not accepts_gzip(self.headers.get("Accept-Encoding")):
            data, encoding = stored.decoded(), None
        else:
            data, encoding = stored.data, stored.content_encoding
        self._send(data, stored.content_type or "application/octet-stream", stored.cache_control, encoding, with_body)

    def _send(self, data: bytes, content_type: str, cache_control: str | None, encoding: str | None,
              with_body: bool) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        if cache_control:
            self.send_header("Cache-Control", cache_control)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # quiet: the CLI prints the address
        return


def make_server(root: Path, host: str = "127.0.0.1", port: int = 8000,
                cors_origins: Sequence[str] | None = None) -> ThreadingHTTPServer:
    """The preview server for the folder `root`; `cors_origins` defaults to the configured origins."""
    origins = cors_origins if cors_origins is not None else Settings().preview_cors_origins
    server = ThreadingHTTPServer((host, port), partial(PreviewHandler, bucket=LocalBucket(root), cors_origins=origins))
    if not root.is_dir():  # after the bind: a port in use is the one thing to say then
        log.warning(missing_root(root))
    return server
