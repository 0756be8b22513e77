"""The HTTP/1.1 a front process speaks (``front.py``): each request read by httptools and
answered by the front's ASGI routes, with as little as HTTP allows in between.

uvicorn's cycle (a scope built field by field, a request-response object, middleware and a
task per request) cost a lookup more than its query did. A front answers two paths, so its
connection is small: persistent connections, pipelined requests answered in turn, bodies by
length or chunked (decoded by httptools; ``Expect: 100-continue`` honoured), answers whole
or streamed in chunks, flow control both ways, and an idle connection closed after
:data:`KEEP_ALIVE` seconds, as the service's uvicorn does.

Before the parser reads a request, its request line is looked at: a request for another
path, or any request once the front has retired, goes to the service with its connection
(:meth:`~udsyn.web.front.Front.hand_over`), once the answers before it have been written.
"""

from __future__ import annotations

import asyncio
import http
import logging
import os
import select
import time
import urllib.parse
from collections import deque
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

import httptools
from starlette.types import Message

from udsyn.runtime.threaded import GIVE_UP
from udsyn.web.errors import FAILED, error_response, log
from udsyn.web.questions import is_question_path

if TYPE_CHECKING:
    from udsyn.web.front import Front

KEEP_ALIVE = 5.0  # seconds an idle connection stays open (uvicorn's default)
AFTER_RETIREMENT = "udsyn.after_retirement"  # in a request's scope: begun after a write
# Bytes a request line may take; a longer one is judged by its start: a front answers it
# only if that start names one of its paths, and the parser then reads (or refuses) it.
_LONGEST_REQUEST_LINE = 8192
_LONGEST_HEAD = 1 << 16  # bytes of headers a request may bring (431 past it)
_BODY_AHEAD = 1 << 16  # bytes of a body read ahead of the application before reading pauses
_WRITTEN_CHECK = 0.005  # seconds between looks at whether earlier answers have been written

access_log = logging.getLogger("uvicorn.access")  # the service's access log, and its format


def answers_path(path: str) -> bool:
    """Whether a front answers requests for ``path``."""
    return path == "/sparql" or is_question_path(path)


def answered_here(request_line: bytes) -> bool:
    """Whether a front answers the request that starts with ``request_line`` (its path read
    as the parser reads it)."""
    parts = request_line.split()
    if len(parts) != 3:
        return False
    try:
        path = _path_of(httptools.parse_url(parts[1]).path or b"")
    except (httptools.HttpParserInvalidURLError, UnicodeDecodeError):
        return False
    return answers_path(path)


def _path_of(raw_path: bytes) -> str:
    """A request's path as the scope holds it: percent escapes undone."""
    path = raw_path.decode("ascii")
    return urllib.parse.unquote(path) if "%" in path else path


class FrontConnection(asyncio.Protocol):
    """One client connection of a front process."""

    def __init__(self, front: Front) -> None:
        self.front = front
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport
        self.parser = httptools.HttpRequestParser(self)
        self.requests: deque[Request] = deque()  # [0] is being answered, the rest wait
        self._parsing: Request | None = None
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_size = 0
        self._in_head = False  # the parser is reading a request line and headers
        self._upgraded = False
        self._unread = bytearray()  # the start of a request not yet given to the parser
        self._in_request = False  # the parser is inside a request
        self._to_hand_over: bytearray | None = None  # set once the connection is to go
        self._handing_over = False  # waiting for earlier answers to be written
        self._handed_over = False
        self._waited = 0.0  # seconds spent waiting for earlier answers to be written
        self._reading = True
        self._writable = asyncio.Event()
        self._writable.set()
        self._idle_timer: asyncio.TimerHandle | None = None
        self._client: tuple[str, int] | None = None
        self._server: tuple[str, int] | None = None

    # -- the connection ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.transport = transport
        self._client = _address(transport.get_extra_info("peername"))
        self._server = _address(transport.get_extra_info("sockname"))
        self.front.connections.add(self)
        self._wait_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self.front.connections.discard(self)
        self._stop_idle_timer()
        self._writable.set()  # a send waiting for room wakes, and writes nothing
        for request in self.requests:
            request.disconnected = True
            request.wake()
            if request.task is not None:
                request.task.cancel()  # no one waits for the answer: a query not begun never runs

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    def data_received(self, data: bytes) -> None:
        if self._handed_over:
            return
        if self._in_request:
            self._feed(data)
            return
        if self._to_hand_over is not None:
            self._to_hand_over += data
            return
        self._stop_idle_timer()  # a request has begun to arrive
        self._unread += data
        line_end = self._unread.find(b"\n", 0, _LONGEST_REQUEST_LINE)
        if line_end < 0 and len(self._unread) < _LONGEST_REQUEST_LINE:
            return  # the request line is not all here yet
        unread, self._unread = bytes(self._unread), bytearray()
        request_line = unread.lstrip(b"\r\n").split(b"\n", 1)[0]
        if not self.front.retiring and answered_here(request_line):
            self._feed(unread)
        else:
            self._to_hand_over = bytearray(unread)
            self.hand_over_if_idle()

    def _feed(self, data: bytes) -> None:
        if self._upgraded:
            return  # after a request that asked to upgrade, whose answer closes the connection
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if not self.requests:
                self._refuse(400, "invalid HTTP request")
                return
            # answered as plain HTTP/1.1 (the upgrade is not taken), then the connection
            # closes: what follows the request is in the protocol it asked for
            self._upgraded = True
            self.requests[-1].keep_alive = False
        except httptools.HttpParserError:
            self._refuse(431 if self._head_size > _LONGEST_HEAD else 400, "invalid HTTP request")
            return
        if self._in_head:  # counted as fed: the parser holds an unfinished header itself
            self._head_size += len(data)
            if self._head_size > _LONGEST_HEAD:
                self._refuse(431, "the request's headers are too long")

    def _refuse(self, status: int, message: str) -> None:
        """Answer a request the connection cannot read with ``status`` and close (only close
        if an answer is in progress: the refusal cannot come between its bytes)."""
        if not self.requests and not self.transport.is_closing():
            self.transport.write(plain_answer(status, message))
        self.transport.close()

    # -- the parser's callbacks ----------------------------------------------------------

    def on_message_begin(self) -> None:
        self._in_request = True
        self._in_head = True
        self._url = b""
        self._headers = []
        self._head_size = 0

    def on_url(self, url: bytes) -> None:
        self._head_size += len(url)
        if self._head_size > _LONGEST_HEAD:
            raise httptools.HttpParserError("the request line is too long")
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value)
        if self._head_size > _LONGEST_HEAD:
            raise httptools.HttpParserError("the request's headers are too long")
        self._headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self._in_head = False
        parsed = httptools.parse_url(self._url)
        raw_path = parsed.path or b"/"
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": self.parser.get_http_version(),
            "server": self._server,
            "client": self._client,
            "scheme": "http",
            "method": self.parser.get_method().decode("ascii"),
            "root_path": "",
            "path": _path_of(raw_path),
            "raw_path": raw_path,
            "query_string": parsed.query or b"",
            "headers": self._headers,
            # a request the parser begins after a write must not be answered from this copy
            AFTER_RETIREMENT: self.front.retiring,
        }
        expects = (b"expect", b"100-continue") in self._headers
        request = Request(self, scope, self.parser.should_keep_alive(), expects)
        self._parsing = request
        self.requests.append(request)
        if len(self.requests) == 1:
            request.start()

    def on_body(self, body: bytes) -> None:
        request = self._parsing
        if request is None or request.complete:
            return  # answered before its body ended: the connection closes after it
        request.body += body
        request.wake()
        self.update_reading()

    def on_message_complete(self) -> None:
        self._in_request = False
        request, self._parsing = self._parsing, None
        if request is not None:
            request.body_done = True
            request.wake()
        self.update_reading()

    # -- answers, in turn -----------------------------------------------------------------

    def answered(self, request: Request) -> None:
        """A request's application has ended: the next request's turn, or the connection's
        end, hand-over or idle wait."""
        self.requests.popleft()
        if access_log.isEnabledFor(logging.INFO) and self.front.access_log:
            _log_access(request)
        if self.transport.is_closing():
            return
        if not (request.keep_alive and request.body_done) or self.front.stopping:
            self.transport.close()  # also when its body was never read: it cannot be skipped
        elif self.requests:
            self.requests[0].start()
        elif self._to_hand_over is not None or self.front.retiring:
            self.hand_over_if_idle()
        else:
            self._wait_idle()
        self.update_reading()

    def update_reading(self) -> None:
        """Read while nothing waits: no complete request behind the one being answered, no
        body read far ahead of its application, no hand-over under way (but for the rest of
        a request being read)."""
        waiting = len(self.requests) > 1 and not self._in_request
        ahead = self._parsing is not None and len(self._parsing.body) > _BODY_AHEAD
        handing_over = self._to_hand_over is not None and not self._in_request
        reading = not (waiting or ahead or handing_over)
        if reading != self._reading and not self.transport.is_closing():
            self._reading = reading
            if reading:
                self.transport.resume_reading()
            else:
                self.transport.pause_reading()

    async def drained(self) -> None:
        """Wait while the transport holds more than its limit of unwritten bytes."""
        if not self._writable.is_set():
            await self._writable.wait()

    def shutdown(self) -> None:
        """Close now if idle, else once the answer in progress is written."""
        if not self.requests:
            self.transport.close()

    # -- idle connections ------------------------------------------------------------------

    def _wait_idle(self) -> None:
        self._stop_idle_timer()
        self._idle_timer = self.loop.call_later(KEEP_ALIVE, self._idle_too_long)

    def _stop_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _idle_too_long(self) -> None:
        if not self.requests and not self._in_request:
            self.transport.close()

    # -- hand-over -------------------------------------------------------------------------

    def leftover(self, answered: Request | None = None) -> bytes | None:
        """What the connection has read and not parsed, if that is all its state: nothing
        being read, and nothing being answered but ``answered`` (whose answer is written);
        ``None`` if it is in the middle of something."""
        expected = [answered] if answered is not None else []
        if self._in_request or list(self.requests) != expected or self._handed_over:
            return None
        if self.transport.is_closing() or self.transport.get_write_buffer_size():
            return None
        return bytes(self._unread if self._to_hand_over is None else self._to_hand_over)

    def hand_over_if_idle(self) -> None:
        """Hand the connection over now if nothing is being read or answered on it, else
        once that is done; meanwhile nothing more is read from it."""
        if self._handed_over or self.transport.is_closing() or self.front.stopping:
            return
        if self._to_hand_over is None:
            self._to_hand_over, self._unread = self._unread, bytearray()
        self._stop_idle_timer()  # the service times it from now on
        if not self._in_request:
            self.update_reading()
        if not (self._in_request or self.requests or self._handing_over):
            self._handing_over = True
            self._hand_over_when_written()

    def _hand_over_when_written(self) -> None:
        """Once every byte of the answers before is on its way, pass the connection on; a
        client that reads none of them for the time limit loses the connection."""
        if self._handed_over or self.transport.is_closing() or self.front.stopping:
            return  # closed meanwhile: its descriptor may already be another connection's
        if self.transport.get_write_buffer_size():
            if self._waited > self.front.patience:
                self.transport.abort()
                return
            self._waited += _WRITTEN_CHECK
            self.loop.call_later(_WRITTEN_CHECK, self._hand_over_when_written)
            return
        assert self._to_hand_over is not None
        self._handed_over = True
        connection = self.transport.get_extra_info("socket")
        try:
            self.front.hand_over(connection, bytes(self._to_hand_over))
        finally:
            self.transport.abort()  # this process's hold only: the service has the socket


class Request:
    """One request on a connection: its ASGI scope, its body as it arrives, and the state of
    its answer; ``receive`` and ``send`` are the application's ASGI channels."""

    def __init__(
        self, connection: FrontConnection, scope: dict[str, Any], keep_alive: bool,
        expects_continue: bool,
    ) -> None:  # fmt: skip
        self.connection = connection
        self.scope = scope
        self.keep_alive = keep_alive
        self.expects_continue = expects_continue
        self.head_only = scope["method"] == "HEAD"
        self.body = bytearray()
        self.body_done = False
        self.given_all = False  # the whole body has gone to the application
        self.disconnected = False
        self._arrived: asyncio.Event | None = None
        self.task: asyncio.Task[None] | None = None
        self.status = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self.started = False  # the answer's head is written
        self.chunked = False
        self.complete = False  # the answer is written

    def start(self) -> None:
        front = self.connection.front
        front.answering += 1
        self.task = self.connection.loop.create_task(self._run())
        self.task.add_done_callback(front.answer_ended)  # even if cancelled before it began

    def give_up(self, error: Exception) -> None:
        """From another thread, while the event loop's thread is held by this request's
        query: answer with the refusal for ``error`` and let the front end."""
        response = error_response(error)
        assert response is not None  # the refusals given up with are the service's own
        refusal = _head(response.status_code, list(response.raw_headers), -1) + response.body
        self.connection.front.give_up(self, refusal)

    def write_from_elsewhere(self, data: bytes, patience: float = 1.0) -> bool:
        """Write ``data`` to the client's socket from another thread (the transport is not
        touched: its thread is held); whether it was all written within ``patience`` s."""
        transport = self.connection.transport
        if transport.is_closing() or transport.get_write_buffer_size():
            return False  # it would come between the bytes of an earlier answer
        descriptor = transport.get_extra_info("socket").fileno()
        writable = select.poll()
        writable.register(descriptor, select.POLLOUT)
        deadline = time.monotonic() + patience
        while data:
            try:
                data = data[os.write(descriptor, data) :]
            except BlockingIOError:
                wait = max(0.0, deadline - time.monotonic())
                if not writable.poll(wait * 1000):
                    return False
            except OSError:
                return False
        return True

    def wake(self) -> None:
        if self._arrived is not None:
            self._arrived.set()

    async def _run(self) -> None:
        GIVE_UP.set(self.give_up)  # in this request's task only
        try:
            await self.connection.front.app(self.scope, self.receive, self.send)
        except asyncio.CancelledError:
            pass  # the client has gone
        except Exception:  # the routes answer their own errors: this is a bug
            log.exception("%s %s failed", self.scope["method"], self.scope["path"])
        transport = self.connection.transport
        if not self.complete and not transport.is_closing():
            if not self.started:
                transport.write(plain_answer(500, FAILED))
            transport.close()  # a cut answer must not pass for a whole one
        self.connection.answered(self)

    async def receive(self) -> Message:
        """The body as it arrives; once it has all been given, the client's going away."""
        if self.expects_continue and not self.started:
            self.expects_continue = False
            if not self.connection.transport.is_closing():
                self.connection.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        while not self.disconnected and (
            self.given_all or not (self.body or self.body_done)
        ):  # fmt: skip
            await self._wait()
        if self.disconnected:
            return {"type": "http.disconnect"}
        body = bytes(self.body)
        self.body.clear()
        self.given_all = self.body_done
        self.connection.update_reading()
        return {"type": "http.request", "body": body, "more_body": not self.body_done}

    async def _wait(self) -> None:
        if self._arrived is None:
            self._arrived = asyncio.Event()
        self._arrived.clear()
        await self._arrived.wait()

    async def send(self, message: Message) -> None:
        if self.disconnected or self.complete:
            return
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            self._headers = list(message.get("headers", ()))
            if any(name.lower() == b"connection" and value.lower() == b"close"
                   for name, value in self._headers):  # fmt: skip
                self.keep_alive = False
            elif not self.keep_alive:
                self._headers.append((b"connection", b"close"))
            return
        if kind != "http.response.body":
            return
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        out = b""
        if not self.started:
            self.started = True
            length = None if more else len(body)
            if any(name.lower() == b"content-length" for name, _ in self._headers):
                length = -1  # the application's own
            self.chunked = length is None
            out = _head(self.status, self._headers, length, chunked=self.chunked)
        if not self.head_only:
            if self.chunked:
                if body:
                    out += b"%x\r\n%s\r\n" % (len(body), body)
                if not more:
                    out += b"0\r\n\r\n"
            else:
                out += body
        if not more:
            self.complete = True
        if out:
            self.connection.transport.write(out)
        await self.connection.drained()


def plain_answer(status: int, message: str) -> bytes:
    """A whole plain-text answer that closes the connection."""
    body = (message + "\n").encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
    return _head(status, headers, len(body)) + body


def _head(
    status: int, headers: list[tuple[bytes, bytes]], length: int | None, *, chunked: bool = False
) -> bytes:
    """A response's status line and headers; ``length`` -1: the headers hold it already."""
    lines = [_STATUS_LINES.get(status) or b"HTTP/1.1 %d \r\n" % status, _date_header()]
    lines += [name + b": " + value + b"\r\n" for name, value in headers]
    if chunked:
        lines.append(b"transfer-encoding: chunked\r\n")
    elif length is not None and length >= 0:
        lines.append(b"content-length: %d\r\n" % length)
    lines.append(b"\r\n")
    return b"".join(lines)


_STATUS_LINES = {
    status.value: b"HTTP/1.1 %d %s\r\n" % (status.value, status.phrase.encode())
    for status in http.HTTPStatus
}
_date = [0, b""]  # the second, and the Date header for it


def _date_header() -> bytes:
    now = int(time.time())
    if now != _date[0]:
        _date[:] = [now, b"date: " + formatdate(now, usegmt=True).encode() + b"\r\n"]
    return _date[1]  # type: ignore[return-value]


def _address(address: Any) -> tuple[str, int] | None:
    return (str(address[0]), int(address[1])) if isinstance(address, tuple) else None


def _log_access(request: Request) -> None:
    scope = request.scope
    client = scope["client"]
    where = f"{client[0]}:{client[1]}" if client else "-"
    target = scope["path"] + ("?" + scope["query_string"].decode("latin-1")
                              if scope["query_string"] else "")  # fmt: skip
    access_log.info('%s - "%s %s HTTP/%s" %d', where, scope["method"], target,
                    scope["http_version"], request.status)  # fmt: skip
