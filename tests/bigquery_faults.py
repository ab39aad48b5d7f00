"""A loopback HTTP proxy in front of the BigQuery emulator that records every job the client inserts and can make
jobs behave as BigQuery does in two cases the emulator does not produce:

- `billing`: a query job whose maximumBytesBilled is below what the query would bill fails as BigQuery fails it,
  with reason `bytesBilledLimitExceeded` (the emulator bills nothing, so every query is taken to bill BILLED_BYTES,
  BigQuery's 10 MiB minimum per query);
- `running`: query jobs never finish (a query slower than the adapter's timeout): the job resource stays RUNNING
  and getQueryResults answers jobComplete=false; cancel requests are recorded;
- `stalled`: the API does not answer a job insertion for STALL_SECONDS (an unreachable or overloaded service).

Everything else is forwarded unchanged, so the jobs still run in the emulator.
"""
from __future__ import annotations

import http.client
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

BILLED_BYTES = 10 * 1024 * 1024
STALL_SECONDS = 60.0
JOB_PATH = re.compile(r"/projects/[^/]+/(?:jobs|queries)/(?P<job>[^/?]+)")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "accept-encoding", "host"}


class FaultProxy:
    def __init__(self, upstream: str):
        self.upstream = urlsplit(upstream)
        self.mode: str | None = None  # None, "billing", "running" or "stalled"
        self.inserted: list[dict[str, Any]] = []  # the configuration of every job inserted
        self.cancelled: list[str] = []
        self._faulted: set[str] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._forward()

            def do_POST(self) -> None:
                self._forward()

            def do_PATCH(self) -> None:
                self._forward()

            def do_DELETE(self) -> None:
                self._forward()

            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, data = proxy.exchange(self.command, self.path, body, self.headers)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def exchange(self, method: str, path: str, body: bytes, headers: Any) -> tuple[int, bytes]:
        if self.mode == "stalled" and method == "POST" and path.split("?")[0].endswith("/jobs"):
            if self._stopped.wait(STALL_SECONDS):
                return 503, b"{}"
        if method == "POST" and path.split("?")[0].endswith("/cancel"):
            with self._lock:
                self.cancelled.append(JOB_PATH.search(path)["job"])
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        forwarded = {name: value for name, value in headers.items() if name.lower() not in HOP_BY_HOP}
        connection.request(method, path, body=body or None, headers=forwarded)
        response = connection.getresponse()
        status, data = response.status, response.read()
        connection.close()
        if status == 200 and data:
            return self._rewrite(method, path, body, json.loads(data))
        return status, data

    def _rewrite(self, method: str, path: str, body: bytes, resource: dict[str, Any]) -> tuple[int, bytes]:
        inserting = method == "POST" and path.split("?")[0].endswith("/jobs")
        if inserting:
            configuration = json.loads(body).get("configuration", {})
            with self._lock:
                self.inserted.append(configuration)
            if "query" in configuration and self._faults(configuration):
                with self._lock:
                    self._faulted.add(resource["jobReference"]["jobId"])
        match = JOB_PATH.search(path)
        job = resource.get("jobReference", {}).get("jobId") or (match and match["job"])
        if job not in self._faulted:
            return 200, json.dumps(resource).encode()
        if self.mode == "billing":
            return self._refused(resource, "/queries/" in path)
        if "/queries/" in path:
            resource = {**resource, "jobComplete": False, "rows": [], "totalRows": "0"}
        else:
            resource = {**resource, "status": {"state": "RUNNING"}}
        return 200, json.dumps(resource).encode()

    def _faults(self, configuration: dict[str, Any]) -> bool:
        if self.mode == "running":
            return True
        limit = configuration.get("query", {}).get("maximumBytesBilled")
        return self.mode == "billing" and limit is not None and int(limit) < BILLED_BYTES

    @staticmethod
    def _refused(resource: dict[str, Any], results: bool) -> tuple[int, bytes]:
        error = {"reason": "bytesBilledLimitExceeded", "location": "",
                 "message": f"Query exceeded limit for bytes billed. {BILLED_BYTES} or higher required."}
        if results:
            return 400, json.dumps({"error": {"code": 400, "message": error["message"], "errors": [error],
                                              "status": "INVALID_ARGUMENT"}}).encode()
        return 200, json.dumps({**resource, "status": {"state": "DONE", "errorResult": error, "errors": [error]}}).encode()
