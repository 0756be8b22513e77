"""The udsyn web application: one app, a router per family of endpoints."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from udsyn import __version__
from udsyn.config import Settings
from udsyn.questions import shipped_questions
from udsyn.runtime.pool import WorkerPool
from udsyn.runtime.writer import Writer
from udsyn.web import catalog, docs, page, questions, records, resources, shapes, sparql, start
from udsyn.web.errors import install_error_handlers

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


def create_app(settings: Settings) -> FastAPI:
    """The application for a store described by ``settings`` (already loaded)."""
    _log_changes()
    pool = WorkerPool(settings)
    writer = Writer(settings, pool)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await pool.start()
        try:
            yield
        finally:
            pool.stop()
            writer.close()

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
    app.state.questions = shipped_questions()
    app.state.languages = None
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST", "DELETE"],
        allow_headers=["Accept", "Content-Type", "Authorization", "Range", "If-None-Match",
                       "If-Range"],
        expose_headers=["Content-Type", "Link", "ETag", "Last-Modified", "Content-Range",
                        "Content-Length"],
    )
    install_error_handlers(app)
    resources.install(app)
    app.include_router(start.router)
    app.include_router(shapes.router)
    app.include_router(sparql.router)
    app.include_router(questions.router)
    app.include_router(records.router)
    app.include_router(catalog.router)
    questions.add_question_routes(app, app.state.questions)
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
        }

    return app


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
