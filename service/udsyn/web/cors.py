"""Cross-origin use: any page may query the service and read what it answers."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CORS = {
    "allow_origins": ["*"],
    "allow_methods": ["GET", "HEAD", "POST", "DELETE"],
    "allow_headers": [
        "Accept", "Content-Type", "Authorization", "Range", "If-None-Match", "If-Range"
    ],
    "expose_headers": [
        "Content-Type", "Link", "ETag", "Last-Modified", "Content-Range", "Content-Length"
    ],
}  # fmt: skip


class CrossOrigin:
    """Starlette's CORS middleware for requests that carry an ``Origin`` header (browsers on
    another origin); other requests, most of a hot path's, skip it and get the one header it
    would have added to them, ``Vary: Origin``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, **CORS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if any(name == b"origin" for name, _ in scope["headers"]):
            await self.cors(scope, receive, send)
            return

        async def vary_origin(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _vary_origin(message.get("headers", ()))}
            await send(message)

        await self.app(scope, receive, send=vary_origin)


def _vary_origin(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers with ``Origin`` added to ``Vary`` (written straight: this is the hot
    paths' every answer)."""
    added = list(headers)
    for number, (name, value) in enumerate(added):
        if name.lower() == b"vary":
            added[number] = (name, value + b", Origin")
            return added
    added.append((b"vary", b"Origin"))
    return added
