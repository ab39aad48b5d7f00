"""Local servers for the production warehouse path, started once per session on free loopback ports, like the
cloud emulators of tests/servers.py (and, like them, a failure in CI and a skip elsewhere when they cannot run).

- `bigquery_emulator`: bqemulator (a BigQuery REST API emulator backed by DuckDB) from its own venv in .tools/.
  A test points the google-cloud-bigquery client and the project's adapter at it with BIGQUERY_EMULATOR_HOST
  (its `url`); the fixture does not set it for the whole session, where other tests replace the client.
- `sql_analyser`: Google's ZetaSQL local-service server from the npm package in .tools/, with a client
  (tests/sql_analyser.py) whose catalog is the project's production table definitions.

Both are installed by `make tools` from the repository's pinned, hashed files (tools/).
"""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Iterator

import pytest

from tests.servers import HOST, Server, free_port, start_server, stop_server, unavailable

REPO = Path(__file__).resolve().parent.parent
EMULATOR_HOME = REPO / ".tools" / "bqemulator"
EMULATOR_BINARY = EMULATOR_HOME / "bin" / "bqemulator"
EMULATOR_PROJECT = "phase6-emulated"


def listening(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def installed(name: str, binary: Path) -> None:
    if not binary.exists():
        unavailable(f"{name}: {binary} is missing; `make tools` installs it")


@pytest.fixture(scope="session")
def bigquery_emulator(tmp_path_factory) -> Iterator[Server]:
    installed("bqemulator", EMULATOR_BINARY)
    port, grpc_port = free_port(), free_port()
    arguments = ["start", "--rest-host", HOST, "--rest-port", str(port), "--grpc-host", HOST,
                 "--grpc-port", str(grpc_port), "--project", EMULATOR_PROJECT, "--log-level", "warning"]
    # Its DuckDB finds the spatial extension under this HOME; the Avro extension it would try to download is off.
    env = {"HOME": str(EMULATOR_HOME / "home"), "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false"}
    server, process = start_server("bqemulator", [str(EMULATOR_BINARY), *arguments], "/healthz", port,
                                   tmp_path_factory.mktemp("bqemulator"), env=env)
    try:
        yield server
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def sql_analyser(tmp_path_factory):
    from tests.sql_analyser import SERVER_BINARY, Analyser

    installed("ZetaSQL local-service server", SERVER_BINARY)
    port = free_port()
    server, process = start_server("zetasql", [str(SERVER_BINARY), HOST, str(port)], "", port,
                                   tmp_path_factory.mktemp("zetasql"), ready=lambda: listening(port))
    analyser = Analyser(server.address)
    try:
        yield analyser
    finally:
        analyser.close()
        stop_server(process)
