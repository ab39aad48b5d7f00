"""A local preview of the bucket: serves `public/` over HTTP with each object's recorded Cache-Control and
content type, plus an index page linking every endpoint and the latest run report."""
from __future__ import annotations

import html
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .storage.local import LocalBucket

REPORTS_PREFIX = "reports/"


def index_page(bucket: LocalBucket, object_prefix: str = "v1/") -> str:
    objects = [info for info in bucket.list(object_prefix)]
    groups: dict[str, list] = {}
    for info in objects:
        endpoint = info.name[len(object_prefix):].split("/")[0]
        groups.setdefault(endpoint, []).append(info)
    reports = sorted(bucket.list(REPORTS_PREFIX), key=lambda info: info.updated, reverse=True)
    rows = []
    for endpoint, infos in sorted(groups.items()):
        newest = max(infos, key=lambda info: info.updated)
        links = " ".join(
            f'<a href="/{html.escape(info.name)}">{html.escape(info.name[len(object_prefix):])}</a>'
            for info in sorted(infos, key=lambda info: info.name)[:8]
        )
        more = f" … and {len(infos) - 8} more" if len(infos) > 8 else ""
        rows.append(
            f"<tr><td>{html.escape(endpoint)}</td><td>{len(infos)}</td>"
            f"<td>{newest.updated:%Y-%m-%d %H:%M:%S} UTC</td><td>{links}{more}</td></tr>"
        )
    report_link = (
        f'<p>Latest run report: <a id="latest-report" href="/{html.escape(reports[0].name)}">{html.escape(reports[0].name)}</a></p>'
        if reports
        else "<p>No run report yet: <code>python -m phase6 report --latest</code> writes one.</p>"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>phase6 local bucket</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}th{{background:#f3f3f3}}
a{{margin-right:.6em}}</style></head>
<body><h1>Local bucket preview</h1>{report_link}
<table id="endpoints"><thead><tr><th>endpoint</th><th>objects</th><th>last written</th><th>files (first 8)</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table></body></html>"""


class PreviewHandler(BaseHTTPRequestHandler):
    def __init__(self, *args, bucket: LocalBucket, **kwargs):
        self.bucket = bucket
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        name = self.path.split("?", 1)[0].lstrip("/")
        if name in ("", "index.html"):
            self._send(index_page(self.bucket).encode(), "text/html; charset=utf-8", "no-store")
            return
        try:
            data = self.bucket.read(name)
        except Exception:
            data = None
        if data is None:
            self.send_error(HTTPStatus.NOT_FOUND, f"no object {name}")
            return
        meta = self.bucket.metadata(name)
        self._send(data, meta.get("content_type", "application/octet-stream"), meta.get("cache_control"))

    def _send(self, data: bytes, content_type: str, cache_control: str | None) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        if cache_control:
            self.send_header("Cache-Control", cache_control)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # quiet: the CLI prints the address
        return


def make_server(root: Path, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), partial(PreviewHandler, bucket=LocalBucket(root)))
