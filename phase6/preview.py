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

import html
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
    groups: dict[str, list[ObjectInfo]] = {}
    for info in bucket.list(object_prefix):
        groups.setdefault(info.name[len(object_prefix):].split("/")[0], []).append(info)
    starts = entry_points([info.name[len(object_prefix):] for infos in groups.values() for info in infos])
    rows = []
    for endpoint, infos in sorted(groups.items()):
        newest = max(infos, key=lambda info: info.updated)
        links = " ".join(f'<a href="/{html.escape(object_prefix + name)}">{html.escape(name)}</a>'
                         for name in starts if name == endpoint or name.startswith(endpoint + "/"))
        rows.append(f"<tr><td>{html.escape(endpoint)}</td><td>{len(infos)}</td>"
                    f"<td>{newest.updated:%Y-%m-%d %H:%M:%S} UTC</td><td>{links or '—'}</td></tr>")
    reports = sorted(bucket.list(REPORTS_PREFIX), key=lambda info: info.updated, reverse=True)
    report_link = (
        f'<p>Latest run report: <a id="latest-report" href="/{html.escape(reports[0].name)}">{html.escape(reports[0].name)}</a></p>'
        if reports
        else "<p>No run report yet: <code>python -m phase6 report --latest</code> writes one.</p>"
    )
    missing = "" if bucket.root.is_dir() else f'<p id="missing-root"><strong>{html.escape(missing_root(bucket.root))}</strong></p>'
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>phase6 local bucket</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}th{{background:#f3f3f3}}
a{{margin-right:.6em}}</style></head>
<body><h1>Local bucket preview</h1>{missing}{report_link}
<table id="endpoints"><thead><tr><th>endpoint</th><th>objects</th><th>last written</th><th>entry points</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table></body></html>"""


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
    if not root.is_dir():
        log.warning(missing_root(root))
    origins = cors_origins if cors_origins is not None else Settings().preview_cors_origins
    return ThreadingHTTPServer((host, port), partial(PreviewHandler, bucket=LocalBucket(root), cors_origins=origins))
