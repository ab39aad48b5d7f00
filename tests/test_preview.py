"""The preview server over HTTP: recorded headers, gzip only for readers that accept it, HEAD, CORS for local
website development, an index of each endpoint's entry points, and a warning for a missing folder."""
from __future__ import annotations

import gzip
import logging
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from phase6.jsonio import dumps
from phase6.preview import make_server
from phase6.storage.local import LocalBucket

LARGE = dumps({"players": [{"player_lookup": f"player{index}", "points": float(index)} for index in range(60)]})


@contextmanager
def serving(root: Path, **options) -> Iterator[str]:
    server = make_server(root, port=0, **options)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def fetch(url: str, method: str = "GET", **headers: str) -> tuple[int, dict[str, str], bytes]:
    """urllib sends no Accept-Encoding of its own: a reader that does not accept gzip unless told."""
    request = urllib.request.Request(url, method=method, headers={k.replace("_", "-"): v for k, v in headers.items()})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture()
def bucket(tmp_path) -> LocalBucket:
    bucket = LocalBucket(tmp_path)
    bucket.write("v1/predictions/today.json", b'{"a": 1}\n', cache_control="public, max-age=300")
    bucket.write("v1/tonight/all-players.json", LARGE, cache_control="public, max-age=300")
    return bucket


def test_objects_are_served_with_their_recorded_headers_and_a_missing_one_is_a_404(bucket):
    with serving(bucket.root) as base:
        status, headers, body = fetch(f"{base}/v1/predictions/today.json")
        assert (status, headers["Cache-Control"], headers["Content-Type"], body) == (
            200, "public, max-age=300", "application/json", b'{"a": 1}\n')
        assert "Content-Encoding" not in headers
        assert fetch(f"{base}/v1/missing.json")[0] == 404


@pytest.mark.parametrize("accept, compressed", [
    (None, False), ("gzip", True), ("gzip, deflate, br", True), ("br;q=1.0, gzip;q=0.8", True), ("*", True),
    ("gzip;q=0", False), ("identity", False), ("deflate", False), ("*;q=0.5, gzip;q=0", False),
])
def test_a_compressed_object_is_sent_compressed_only_to_a_reader_that_accepts_gzip(bucket, accept, compressed):
    headers = {"Accept_Encoding": accept} if accept else {}
    with serving(bucket.root) as base:
        status, sent, body = fetch(f"{base}/v1/tonight/all-players.json", **headers)
    assert status == 200 and sent["Vary"] == "Accept-Encoding, Origin"
    assert sent.get("Content-Encoding") == ("gzip" if compressed else None)
    assert (gzip.decompress(body) if compressed else body) == LARGE
    assert int(sent["Content-Length"]) == len(body)


def test_head_answers_the_headers_of_get_without_a_body(bucket):
    with serving(bucket.root) as base:
        for accept in ("gzip", "identity"):
            get_status, get_headers, _ = fetch(f"{base}/v1/tonight/all-players.json", Accept_Encoding=accept)
            head_status, head_headers, body = fetch(f"{base}/v1/tonight/all-players.json", "HEAD", Accept_Encoding=accept)
            assert (head_status, body) == (200, b"")
            assert {k: v for k, v in head_headers.items() if k != "Date"} == {
                k: v for k, v in get_headers.items() if k != "Date"}
        assert fetch(f"{base}/", "HEAD")[0] == 200
        assert fetch(f"{base}/v1/missing.json", "HEAD")[0] == 404


@pytest.mark.parametrize("origin, allowed", [
    ("http://localhost:3000", True), ("http://127.0.0.1:5173", True), ("http://[::1]:8080", True),
    ("http://localhost", True), ("https://example.com", False), ("http://localhost.example.com:3000", False),
    ("null", False),
])
def test_local_development_origins_get_cors_headers_by_default(bucket, origin, allowed):
    with serving(bucket.root) as base:
        _, headers, _ = fetch(f"{base}/v1/predictions/today.json", Origin=origin)
        assert headers.get("Access-Control-Allow-Origin") == (origin if allowed else None)
        status, preflight, _ = fetch(f"{base}/v1/predictions/today.json", "OPTIONS", Origin=origin,
                                     Access_Control_Request_Method="GET",
                                     Access_Control_Request_Headers="if-none-match")
        assert status == 204 and preflight.get("Access-Control-Allow-Origin") == (origin if allowed else None)
        if allowed:
            assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
            assert preflight["Access-Control-Allow-Headers"] == "if-none-match"


def test_cors_origins_are_configurable(bucket, monkeypatch):
    monkeypatch.setenv("PHASE6_PREVIEW_CORS_ORIGINS", "https://dev.example.com, http://localhost:4000")
    with serving(bucket.root) as base:
        for origin, allowed in (("https://dev.example.com", True), ("http://localhost:4000", True),
                                ("http://localhost:3000", False)):
            _, headers, _ = fetch(f"{base}/v1/predictions/today.json", Origin=origin)
            assert headers.get("Access-Control-Allow-Origin") == (origin if allowed else None)
    with serving(bucket.root, cors_origins=("*",)) as base:
        assert fetch(f"{base}/v1/predictions/today.json", Origin="https://any.example")[1][
            "Access-Control-Allow-Origin"] == "*"


def test_the_index_links_each_endpoints_entry_points_not_its_first_files(tmp_path):
    bucket = LocalBucket(tmp_path)
    for lookup in ("aaron", "abel", "adam", "al", "alan", "albert", "alex", "alfred", "ali", "allen"):
        bucket.write(f"v1/players/{lookup}.json", b"{}\n", cache_control="public, max-age=3600")
    for name in ("players/index.json", "results/2026-03-02.json", "results/2026-03-03.json", "results/latest.json",
                 "signals/2026-03-03.json", "signals/2026-03-04.json", "systems/models.json", "status.json"):
        bucket.write(f"v1/{name}", b"{}\n", cache_control="public, max-age=300")
    with serving(tmp_path) as base:
        page = fetch(f"{base}/")[2].decode()
    links = {name for name in page.split('href="/v1/')[1:] for name in [name.split('"', 1)[0]]}
    assert links == {"players/index.json", "results/latest.json", "results/2026-03-03.json", "signals/2026-03-04.json",
                     "systems/models.json", "status.json"}
    assert page.count("<tr>") == 1 + 5  # header + players, results, signals, status.json, systems


def test_a_missing_folder_is_warned_about_in_the_log_and_on_the_page(tmp_path, caplog):
    missing = tmp_path / "no-such-folder"
    with caplog.at_level(logging.WARNING, logger="phase6.preview"):
        with serving(missing) as base:
            status, _, page = fetch(f"{base}/")
    assert f"{missing} does not exist" in caplog.text
    assert status == 200 and f"{missing} does not exist" in page.decode()


def test_neither_temp_files_nor_metadata_sidecars_are_served(bucket):
    (bucket.root / "v1/predictions/.today.json.tmp-1a2b").write_bytes(b"")
    with serving(bucket.root) as base:
        for path in ("/v1/predictions/.today.json.tmp-1a2b", "/.meta/v1/predictions/today.json.json",
                     "/v1/../.meta/v1/predictions/today.json.json", "/v1/%2e%2e/.meta/v1/predictions/today.json.json",
                     "/v1/predictions/%2Etoday.json.tmp-1a2b", "/../etc/passwd"):
            assert fetch(base + path)[0] == 404, path
        assert ".tmp-" not in fetch(f"{base}/")[2].decode()
