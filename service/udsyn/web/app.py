"""The udsyn web application: one app, a router per family of endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from udsyn import __version__
from udsyn.config import Settings
from udsyn.questions import shipped_questions
from udsyn.runtime.pool import WorkerPool
from udsyn.web import page, questions, sparql
from udsyn.web.errors import install_error_handlers

DESCRIPTION = """
A knowledge graph of regional international relations: partner regions, offices abroad,
networks, EU programmes and the decisions behind them, each fact traceable to its source.

* **/sparql**: the SPARQL 1.1 Protocol query endpoint (read-only).
* **/questions**: named questions as plain web addresses.
* **/**: a query page with the question library.
* **/openapi.json**: this document.
"""


def create_app(settings: Settings) -> FastAPI:
    """The application for a store described by ``settings`` (already loaded)."""
    pool = WorkerPool(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await pool.start()
        try:
            yield
        finally:
            pool.stop()

    # The interactive API pages would load their scripts from a CDN; udsyn serves nothing
    # from elsewhere, so it offers the OpenAPI document itself at /openapi.json.
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
    app.state.questions = shipped_questions()
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST"],
        allow_headers=["Accept", "Content-Type"],
        expose_headers=["Content-Type", "Link"],
    )
    install_error_handlers(app)
    app.include_router(sparql.router)
    app.include_router(questions.router)
    questions.add_question_routes(app, app.state.questions)
    page.install(app)

    @app.get("/health", tags=["service"], summary="Is the service answering?")
    async def health() -> dict:
        """A real round trip through a query worker; the workers alive and busy."""
        state = await pool.health()
        return {
            "status": "ok",
            "version": __version__,
            "workers": state.size,
            "workers_alive": state.alive,
            "workers_busy": state.busy,
            "workers_network_isolated": state.network_isolated,
        }

    return app
