"""``/``: the query page, served from files that ship in the package (no CDN, no build step).

The page is plain HTML, CSS and JavaScript under ``static/``. It learns the project's
prefixes and base IRI from ``/page/config.json`` and talks to the service only through its
public endpoints (``/sparql`` and ``/questions``), so it never reaches another origin.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from udsyn import __version__
from udsyn.namespaces import VOCABULARIES

STATIC = Path(__file__).parent / "static"

# The page has no business loading anything from elsewhere; the browser is told so too.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def page_config(request: Request) -> dict:
    """What the page needs to know: the prefixes it declares and the base IRI of the data."""
    settings = request.app.state.settings
    return {
        "prefixes": dict(VOCABULARIES),
        "base_iri": settings.base_iri,
        "version": __version__,
        "max_rows": settings.max_rows,
    }


def install(app: FastAPI) -> None:
    """Serve the page at ``/``, its configuration and its assets under ``/static``."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def query_page() -> FileResponse:
        return FileResponse(
            STATIC / "index.html",
            media_type="text/html; charset=utf-8",
            headers={
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "Cache-Control": "no-cache",
            },
        )

    @app.get("/page/config.json", include_in_schema=False)
    async def query_page_config(request: Request) -> dict:
        return page_config(request)
