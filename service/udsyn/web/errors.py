"""How the service answers when something is wrong: a status and one clear sentence."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from udsyn.formats import Format, NotAcceptable, UnknownFormat
from udsyn.questions import ParameterError, QuestionError
from udsyn.runtime.pool import QueryTimeout, QueryTooLarge, ServiceBusy
from udsyn.store import QueryFailed, StoreError, StoreUnavailable

log = logging.getLogger("udsyn")
FAILED = "the service failed; it has been logged"  # the answer to what no handler expected
Handler = Callable[[Request], Awaitable[Response]]


class ProtocolError(Exception):
    """A request the service refuses, with the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


_STATUS_BY_ERROR: tuple[tuple[type[StoreError], int], ...] = (
    (QueryFailed, 400),
    (QueryTimeout, 503),
    (QueryTooLarge, 503),
    (ServiceBusy, 503),
    (StoreUnavailable, 503),
    (StoreError, 502),
)


def answer_media_type(chosen: Format) -> str:
    """The Content-Type of an answer; text formats say they are UTF-8."""
    textual = chosen.media_type.startswith("text/") or chosen.media_type.endswith(
        ("json", "xml", "n-triples", "trig", "n-quads")
    )
    return f"{chosen.media_type}; charset=utf-8" if textual else chosen.media_type


def error_response(error: Exception) -> Response | None:
    """The answer to one of the service's expected failures; ``None`` for anything else."""
    if isinstance(error, ProtocolError):
        return PlainTextResponse(error.message + "\n", status_code=error.status)
    if isinstance(error, StoreError):
        status = next(code for kind, code in _STATUS_BY_ERROR if isinstance(error, kind))
        headers = {"Retry-After": "5"} if isinstance(error, ServiceBusy) else None
        return PlainTextResponse(str(error) + "\n", status_code=status, headers=headers)
    if isinstance(error, NotAcceptable):  # a format named but unknown is the client's mistake
        status = 400 if isinstance(error, UnknownFormat) else 406
        return PlainTextResponse(str(error) + "\n", status_code=status)
    if isinstance(error, ClientDisconnect):
        return Response(status_code=400)  # nobody is there to read it; nothing to log
    if isinstance(error, ParameterError):
        detail = [{"loc": ["query", error.parameter], "msg": str(error), "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)
    if isinstance(error, QuestionError):
        return JSONResponse({"detail": str(error)}, status_code=404)
    return None


async def answer_lean(
    scope: Scope, receive: Receive, send: Send, handlers: Mapping[str, Handler]
) -> None:
    """Answer a request to one of the lean hot-path applications with the handler for its
    method: the service's refusals get their status and message, as on every other route;
    anything else is logged and answered with 500."""
    request = Request(scope, receive)
    handler = handlers.get(request.method)
    try:
        if handler is None:
            allowed = ", ".join(handlers)
            response: Response = PlainTextResponse(
                f"{request.url.path} answers {allowed}\n", 405, headers={"Allow": allowed}
            )
        else:
            response = await handler(request)
    except Exception as error:
        known = error_response(error)
        if known is None:
            log.exception("%s %s failed", request.method, request.url.path)
            known = PlainTextResponse(FAILED + "\n", 500)
        response = known
    await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every expected failure with its status and message, never a traceback."""

    async def handler(_request: Request, error: Exception) -> Response:
        response = error_response(error)
        assert response is not None  # installed only for the kinds error_response knows
        return response

    for kind in (
        ProtocolError, StoreError, NotAcceptable, ClientDisconnect, ParameterError, QuestionError
    ):  # fmt: skip
        app.add_exception_handler(kind, handler)
