"""Shared fixtures: real stores (embedded and a real ``oxigraph serve``) and a real server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from udsyn.config import RemoteEndpoint
from udsyn.loading import read_all, shipped_sources
from udsyn.store import EmbeddedStore, RemoteStore, Store

BASE = "https://w3id.org/udsyn/"
OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")


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


@pytest.fixture(params=["embedded", "remote"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind: every store-level test runs against both."""
    if request.param == "embedded":
        embedded = EmbeddedStore(BASE, str(tmp_path / "store"))
        yield embedded
        embedded.close()
    else:
        server: OxigraphServer = request.getfixturevalue("oxigraph_server")
        server.clear()
        yield RemoteStore(BASE, server.endpoint)


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
