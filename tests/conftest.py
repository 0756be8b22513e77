"""Shared fixtures: real stores (embedded, a real ``oxigraph serve`` and a real Virtuoso) and a
real server."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from udsyn.config import RemoteEndpoint
from udsyn.loading import read_all, shipped_sources
from udsyn.store import EmbeddedStore, RemoteStore, Store
from udsyn.store.profiles import VIRTUOSO

BASE = "https://w3id.org/udsyn/"
OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
VIRTUOSO_DB = "/var/lib/virtuoso-opensource-7/db/"
# Virtuoso refuses a query whose estimated time passes MaxQueryCostEstimationTime (400 s in
# Debian's ini); its estimates for the questions' label lookups run to thousands of seconds
# for what takes milliseconds, so the tests' instance does not estimate.
VIRTUOSO_SPARQL = {"MaxQueryCostEstimationTime": "0"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


@dataclass
class OxigraphServer:
    """A running ``oxigraph serve`` on a loopback port."""

    url: str
    process: subprocess.Popen

    @property
    def endpoint(self) -> RemoteEndpoint:
        return RemoteEndpoint(query_url=f"{self.url}/query", update_url=f"{self.url}/update")

    def clear(self) -> None:
        request = urllib.request.Request(
            f"{self.url}/update",
            data=b"DROP ALL",
            headers={"Content-Type": "application/sparql-update"},
        )
        with urllib.request.urlopen(request, timeout=10):
            pass


def start_oxigraph(location: Path, *extra: str) -> OxigraphServer:
    port = free_port()
    process = subprocess.Popen(
        [OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
         "--union-default-graph", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{url}/query?query=ASK%7B%7D")
    except RuntimeError:
        process.kill()
        raise
    return OxigraphServer(url, process)


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    server = start_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    yield server
    server.process.terminate()
    server.process.wait(timeout=10)


@dataclass
class VirtuosoServer:
    """A running Virtuoso (``virtuoso-t``) with its own database, on loopback ports."""

    url: str
    sql_port: int
    process: subprocess.Popen

    @property
    def endpoint(self) -> RemoteEndpoint:
        return RemoteEndpoint(query_url=f"{self.url}/sparql", update_url=f"{self.url}/sparql")

    def isql(self, statement: str) -> str:
        """Run SQL as the database administrator (a fresh database's dba password is dba)."""
        said = subprocess.run(
            ["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={statement}"],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        if "*** Error" in said.stdout + said.stderr:
            raise RuntimeError(said.stdout + said.stderr)
        return said.stdout

    def clear(self) -> None:
        """Drop every graph but Virtuoso's own."""
        listing = urllib.request.Request(
            f"{self.url}/sparql",
            data=urllib.parse.urlencode(
                {"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"}
            ).encode(),
            headers={"Accept": "text/csv"},
        )
        with urllib.request.urlopen(listing, timeout=30) as answer:
            graphs = answer.read().decode().split()[1:]
        ours = [g.strip('"') for g in graphs if not VIRTUOSO.is_system_graph(g.strip('"'))]
        ours += [g.strip('"') for g in graphs if g.strip('"') == VIRTUOSO.default_graph]
        for graph in ours:
            request = urllib.request.Request(
                f"{self.url}/sparql",
                data=f"DROP SILENT GRAPH <{graph}>".encode(),
                headers={"Content-Type": "application/sparql-update"},
            )
            with urllib.request.urlopen(request, timeout=30):
                pass


def virtuoso_ini(folder: Path, sql_port: int, http_port: int, **sparql: str) -> Path:
    """Debian's virtuoso.ini with the database in ``folder``, the SQL and HTTP servers on
    loopback ports, and the ``[SPARQL]`` settings given replaced."""
    lines, section = [], ""
    for line in VIRTUOSO_INI.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"\s*\[(.+)\]", line)
        section = heading.group(1) if heading else section
        key = line.split("=", 1)[0].strip()
        if key == "ServerPort":
            port = sql_port if section == "Parameters" else http_port
            line = f"ServerPort = 127.0.0.1:{port}"
        elif section == "SPARQL" and key in sparql:
            line = f"{key} = {sparql[key]}"
        lines.append(line.replace(VIRTUOSO_DB, f"{folder}/"))
    ini = folder / "virtuoso.ini"
    ini.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ini


def start_virtuoso(folder: Path, **sparql: str) -> VirtuosoServer:
    """Virtuoso on a new database in ``folder``, with SPARQL updates granted to the
    anonymous endpoint's user."""
    if not shutil.which("virtuoso-t") or not VIRTUOSO_INI.exists():
        pytest.skip("Virtuoso is not installed (bash scripts/install-virtuoso)")
    sql_port, http_port = free_port(), free_port()
    ini = virtuoso_ini(folder, sql_port, http_port, **sparql)
    process = subprocess.Popen(
        ["virtuoso-t", "+foreground", "+configfile", str(ini)],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    server = VirtuosoServer(f"http://127.0.0.1:{http_port}", sql_port, process)
    try:
        wait_until_answering(f"{server.url}/sparql?query=ASK%7B%7D", seconds=60)
        server.isql('GRANT SPARQL_UPDATE TO "SPARQL";')
    except (RuntimeError, subprocess.SubprocessError):
        stop_virtuoso(server)
        raise
    return server


def stop_virtuoso(server: VirtuosoServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"), **VIRTUOSO_SPARQL)
    yield server
    stop_virtuoso(server)


@pytest.fixture(params=["embedded", "remote", "virtuoso"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind: every store-level test runs against all three."""
    if request.param == "embedded":
        embedded = EmbeddedStore(BASE, str(tmp_path / "store"))
        yield embedded
        embedded.close()
    elif request.param == "remote":
        server: OxigraphServer = request.getfixturevalue("oxigraph_server")
        server.clear()
        yield RemoteStore(BASE, server.endpoint)
    else:
        virtuoso: VirtuosoServer = request.getfixturevalue("virtuoso_server")
        virtuoso.clear()
        yield RemoteStore(BASE, virtuoso.endpoint)


class Listener:
    """A loopback port that records every connection made to it."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._running = True
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while self._running:
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._running = False
        self._thread.join()
        self.socket.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    watching = Listener()
    yield watching
    watching.close()


@pytest.fixture(scope="session")
def strategy_store() -> EmbeddedStore:
    """An in-memory store holding the shipped graph (ontology and strategy data)."""
    loaded = EmbeddedStore(BASE)
    loaded.add_all(read_all(shipped_sources(), BASE))
    return loaded


@dataclass
class RunningService:
    """``udsyn serve`` running in its own process on a loopback port."""

    url: str
    process: subprocess.Popen
    store_path: Path


def start_service(store_path: Path, log: Path | None = None, **environment: str) -> RunningService:
    """``udsyn serve`` on a free loopback port; its log goes to ``log`` if given."""
    port = free_port()
    env = {**os.environ, "UDSYN_STORE": str(store_path), "UDSYN_PORT": str(port), **environment}
    errors = log.open("wb") if log else subprocess.PIPE
    process = subprocess.Popen(
        [sys.executable, "-m", "udsyn", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=errors
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{url}/health", seconds=60)
    except RuntimeError:
        process.kill()
        said = log.read_text() if log else process.stderr.read().decode()  # type: ignore[union-attr]
        raise RuntimeError(said) from None
    return RunningService(url, process, store_path)


def stop_service(service: RunningService) -> None:
    service.process.terminate()
    try:
        service.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        service.process.kill()


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """The service on the embedded store with the strategy loaded, as ``make run`` starts it."""
    running = start_service(tmp_path_factory.mktemp("service") / "store")
    yield running
    stop_service(running)


@pytest.fixture(scope="session")
def limited_questions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """The service with a row limit of 50, to see what the limit does and does not cover."""
    running = start_service(tmp_path_factory.mktemp("limited-questions") / "store",
                            UDSYN_MAX_ROWS="50")  # fmt: skip
    yield running
    stop_service(running)
