"""The udsyn web application: one app, a router per family of endpoints."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit, urlunsplit

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from udsyn import __version__
from udsyn.config import Settings
from udsyn.questions import shipped_questions
from udsyn.runtime.checker import Checker
from udsyn.runtime.fronts import FrontSetup
from udsyn.runtime.pool import WorkerPool
from udsyn.runtime.writer import Writer
from udsyn.web import catalog, docs, page, questions, records, resources, shapes, sparql, start
from udsyn.web.cors import CORS
from udsyn.web.errors import install_error_handlers
from udsyn.web.front import serve_front

DESCRIPTION = """
A knowledge graph of regional international relations: partner regions, offices abroad,
networks, EU programmes and the decisions behind them, each fact traceable to its source.

* **/sparql**: the SPARQL 1.1 Protocol query endpoint (read-only).
* **/questions**: named questions as plain web addresses.
* **/validate**: a partnership register checked as `udsyn check` checks it.
* **/records**: registers accepted as batches of records (a write token is needed), listed,
  shown and retracted; every change recorded in the audit graph.
* **/**: a query page with the question library; **/start**: what the graph holds and ways
  in; **/search**: resources by name.
* **/id/...**, **/ontology**, **/shapes**: every IRI of the graph, as a page or as RDF by
  content negotiation.
* **/catalog**, **/download/...**, **/.well-known/void**: the DCAT-AP catalogue, the
  release's files and the VoID description, for open-data portals.
* **/health**: whether the service answers, and where its data lives.
* **/docs**: this document to read and try; **/openapi.json**: the document itself.

The vocabularies' prefixes (`uds:`, `rdfs:`, `skos:` ...) need no declaring in a query; the
service description at `GET /sparql` lists them.
"""


class Service:
    """udsyn's ASGI application: the hot paths (``/sparql`` and ``/questions/{name}``) on
    lean applications of their own; everything else, and the lifespan that starts the
    workers, through FastAPI (``api``)."""

    def __init__(self, api: FastAPI, sparql_app: ASGIApp, questions_app: ASGIApp) -> None:
        self.api = api
        self.sparql = sparql_app
        self.questions = questions_app
        # How the server makes the protocol for a connection, given the bytes already read
        # from it (read first); set by ``udsyn serve`` when front processes hand connections
        # over (see :meth:`adopt`).
        self.connection_factory: Callable[[bytes], asyncio.Protocol] | None = None
        self.stopping = False

    async def adopt(self, connection: socket.socket, data: bytes) -> None:
        """Carry on with a client's connection that a front process handed over, as if the
        server had accepted it, the bytes already read from it first."""
        if self.connection_factory is None:
            connection.close()
            return
        factory = self.connection_factory
        loop = asyncio.get_running_loop()
        _, protocol = await loop.connect_accepted_socket(lambda: factory(data), connection)
        if self.stopping:  # answer what it brought, then close it
            cast(HttpToolsProtocol, protocol).shutdown()

    async def stop_accepting(self) -> None:
        """The server is shutting down: front processes take no new connections and end
        once their answers in progress are written."""
        self.stopping = True
        await self.state.pool.stop_accepting()

    async def serve_here(self, listener: socket.socket) -> asyncio.AbstractServer:
        """Accept connections on ``listener`` in this process (while no front process does)."""
        assert self.connection_factory is not None
        factory = self.connection_factory
        loop = asyncio.get_running_loop()
        return await loop.create_server(lambda: factory(b""), sock=listener)

    @property
    def state(self) -> State:
        return self.api.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["path"] == "/sparql":
                return await self.sparql(scope, receive, send)
            if questions.is_question_path(scope["path"]):
                return await self.questions(scope, receive, send)
        await self.api(scope, receive, send)


def create_app(
    settings: Settings, *, listener: socket.socket | None = None, access_log: bool = False
) -> Service:
    """The application for a store described by ``settings`` (already loaded).

    Given the ``listener`` the server would accept on, and ``settings.front_processes``, the
    hot paths are answered by front processes accepting on it (``web/front.py``); the server
    serves what they hand over, and accepts on it itself only while no front is up.
    """
    _log_changes()
    pool = WorkerPool(settings)
    writer = Writer(settings, pool)
    checker = Checker(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        fronts = None
        if listener is not None:
            front_main = functools.partial(serve_front, access_log=access_log)
            fronts = FrontSetup(listener, service.adopt, front_main, service.serve_here)
        await pool.start(fronts)
        # What is alive now lives as long as the service. Frozen out of the collector's
        # reach, it is not walked again by every full collection (60 ms and more for the
        # service's objects, a pause for every request in flight).
        gc.freeze()
        try:
            yield
        finally:
            pool.stop()
            writer.close()
            checker.close()

    # FastAPI's own API pages load their scripts from a CDN; /docs serves them from the package.
    app = FastAPI(
        title="udsyn",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.pool = pool
    app.state.writer = writer
    app.state.checker = checker
    app.state.questions = shipped_questions()
    app.add_middleware(CORSMiddleware, **CORS)
    install_error_handlers(app)
    resources.install(app)
    app.include_router(start.router)
    app.include_router(shapes.router)
    app.include_router(questions.router)
    app.include_router(records.router)
    app.include_router(catalog.router)
    page.install(app)
    docs.install(app)

    @app.get("/health", tags=["service"], summary="Is the service answering?")
    async def health() -> dict:
        """A real round trip through a query worker; where the data lives; the workers alive
        and busy."""
        state = await pool.health()
        return {
            "status": "ok",
            "version": __version__,
            "store": where_the_data_lives(settings),
            "base_iri": settings.base_iri,
            "workers": state.size,
            "workers_alive": state.alive,
            "workers_busy": state.busy,
            "workers_network_isolated": state.network_isolated,
            "front_processes": pool.fronts,
        }

    def openapi() -> dict:
        schema = FastAPI.openapi(app)
        schema["paths"].setdefault("/sparql", sparql.OPENAPI_PATH)
        for path, item in questions.openapi_paths(app.state.questions).items():
            schema["paths"].setdefault(path, item)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    service = Service(
        app,
        sparql.sparql_endpoint(settings, pool),
        questions.question_endpoint(settings, pool, app.state.questions),
    )
    return service


def where_the_data_lives(settings: Settings) -> str:
    """The store, as ``udsyn status`` names it; a server's address without any credentials."""
    if settings.remote is not None:
        address = urlsplit(settings.remote.query_url)
        host = address.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if address.port:
            netloc += f":{address.port}"
        return f"SPARQL server at {urlunsplit(address._replace(netloc=netloc))}"
    if settings.in_memory:
        return "embedded store in memory"
    return f"embedded store at {Path(settings.store_path).resolve()}"


def _log_changes() -> None:
    """Every change to the graph (batches stored, retracted) is one line on stderr."""
    logger = logging.getLogger("udsyn.records")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
