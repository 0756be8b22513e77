"""``/docs``: Swagger UI over the OpenAPI document, served from the package (no CDN).

The Swagger UI assets are vendored under ``static/vendor/`` with their licence; the page
asks nothing of any other origin, and the browser is told so.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import FileResponse

from udsyn.web.page import STATIC

# Swagger UI sets style attributes from script; everything else comes from this server.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def install(app: FastAPI) -> None:
    """Serve the API page at ``/docs``."""

    @app.get("/docs", include_in_schema=False)
    async def api_page() -> FileResponse:
        return FileResponse(
            STATIC / "docs.html",
            media_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
        )
