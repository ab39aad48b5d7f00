"""The run report and the preview index, rendered as a person sees them: in headless Chromium (Debian's package,
installed by `make test`). Outside CI a missing browser skips; in CI (CI=true) it fails.

PHASE6_SCREENSHOTS=docs/screenshots also keeps the screenshots taken here (the ones the README shows).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exporters import expand
from phase6.cli import app
from phase6.preview import make_server
from phase6.runner import RunRecord, RunRequest

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars")


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "chromium is not installed; `make test` installs Debian's package"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


class Dom(HTMLParser):
    """Elements by id, classes of svg children, and the body rows of every table with an id."""

    def __init__(self, markup: str):
        super().__init__()
        self.ids: dict[str, dict[str, str | None]] = {}
        self.rows: dict[str, int] = {}
        self.svg_classes: dict[str, list[str]] = {}
        self._table: str | None = None
        self._svg: str | None = None
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids[attributes["id"]] = {"tag": tag, **attributes}
        if tag == "table":
            self._table = attributes.get("id")
        elif tag == "svg":
            self._svg = attributes.get("id")
        elif tag == "tr" and self._table:
            self.rows[self._table] = self.rows.get(self._table, 0) + 1
        if self._svg and attributes.get("class"):
            self.svg_classes.setdefault(self._svg, []).append(attributes["class"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag == "svg":
            self._svg = None


def browse(chromium: str, url: str, profile: Path, *args: str) -> str:
    result = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args, url],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def rendered(chromium: str, url: str, tmp_path: Path) -> Dom:
    return Dom(browse(chromium, url, tmp_path / "profile", "--dump-dom"))


def screenshot(chromium: str, url: str, tmp_path: Path, name: str, size: str) -> Path:
    target = tmp_path / name
    browse(chromium, url, tmp_path / "profile", f"--window-size={size}", f"--screenshot={target}")
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 20_000  # not a blank page
    keep = os.environ.get("PHASE6_SCREENSHOTS")
    if keep:
        shutil.copy(target, Path(keep) / name)
    return target


@pytest.fixture()
def reported(cli_env) -> RunRecord:
    """A full run of the demo's today and its report in the local bucket."""
    record = cli_env.runner.run(RunRequest(tuple(expand(["all"])), cli_env.clock.game_day()))
    cli_env.close()
    assert CliRunner().invoke(app, ["report", "--latest"], catch_exceptions=False).exit_code == 0
    return record


def test_the_run_report_renders_its_timeline_tables_and_chart(chromium, reported, tmp_path):
    url = (tmp_path / "bucket" / "reports" / f"{reported.run_id}.html").as_uri()
    dom = rendered(chromium, url, tmp_path)
    assert dom.ids["timeline"]["tag"] == "svg" and dom.ids["budget"]["tag"] == "svg"
    assert dom.svg_classes["timeline"].count("bar") == len(reported.exports) == 15
    assert dom.rows["exports"] == len(reported.exports) + 1  # with the header row
    assert dom.rows["queries"] == len(reported.queries) + 1
    assert dom.svg_classes["game-day"].count("hit-rate") > 0
    assert {"summary", "problems", "message"} <= dom.ids.keys()
    screenshot(chromium, url, tmp_path, "run-report.png", "1280,2300")


def test_the_preview_index_links_every_endpoint_and_the_latest_report(chromium, reported, tmp_path):
    server = make_server(tmp_path / "bucket", port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        index = rendered(chromium, f"{base}/", tmp_path)
        assert index.rows["endpoints"] == 1 + 12  # header + the top-level folders and files of v1/
        assert index.ids["latest-report"]["href"] == f"/reports/{reported.run_id}.html"
        report = rendered(chromium, f"{base}/reports/{reported.run_id}.html", tmp_path)
        assert report.svg_classes["timeline"].count("bar") == 15
        screenshot(chromium, f"{base}/", tmp_path, "preview-index.png", "1280,900")
    finally:
        server.shutdown()
        server.server_close()
