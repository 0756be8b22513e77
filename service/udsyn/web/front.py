"""A front process: ``/sparql`` and ``/questions/{name}`` answered on the service's own port by
a process that holds the store's copy in memory, with no hop to a worker.

The service's one process cannot serve more lookups than one core allows, and every query it
sends to a worker crosses two processes. Front processes are forked from the store's host
(``runtime/host.py``), so each has the copy, no network and a memory cap, as a worker does.
They accept connections on the service's listening socket and answer the two hot paths with
threads of their own (``runtime/threaded.py``), under the same time limit, row cap and
query checks as the service.

A connection whose request is for anything else (pages, records, the catalogue, ``/health``)
is handed to the service itself, with the bytes read so far: the socket goes over the
front's channel (``SCM_RIGHTS``) and the service carries on with it as if it had accepted
it. After a write, the service retires its fronts (``runtime/fronts.py``): a retired front
takes no new connections and hands over each of its connections between requests, so no
answer from before the write is given after it.
"""

from __future__ import annotations

import asyncio
import gc
import math
import os
import signal
import socket
import struct
import time
import urllib.parse
from collections.abc import Callable

import httptools
import uvicorn
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from udsyn.config import Settings
from udsyn.questions import shipped_questions
from udsyn.runtime import sandbox
from udsyn.runtime.fronts import (
    CONNECTION,
    MESSAGE,
    MORE,
    PROCESS_NAME,
    READY,
    RETIRE,
    RETIRED,
    RUNAWAY,
    STOP,
)
from udsyn.runtime.threaded import ThreadedQueries
from udsyn.store import EmbeddedStore
from udsyn.web.http import HttpProtocol
from udsyn.web.questions import is_question_path, question_endpoint
from udsyn.web.sparql import sparql_endpoint

_LENGTH = struct.Struct("!I")
# Bytes a request line may take; a longer one is judged by its start: a front answers it
# only if that start names one of its paths, and the parser then reads (or refuses) it.
_LONGEST_REQUEST_LINE = 8192
_AFTER_RETIREMENT = "udsyn.after_retirement"  # in a request's scope: begun after a write
_WRITTEN_CHECK = 0.005  # seconds between looks at whether earlier answers have been written


def serve_front(
    listener: socket.socket,
    channel: socket.socket,
    copy: EmbeddedStore,
    settings: Settings,
    *,
    access_log: bool = False,
) -> None:
    """A front process's life (in a process forked from the store's host): serve the hot
    paths on ``listener`` until the service retires it or goes away."""
    sandbox.name_process(PROCESS_NAME)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the service stops its fronts itself
    threads = max(1, math.ceil(settings.query_workers / max(1, settings.front_processes)))
    stacks = threads * sandbox.WORKER_STACK // 2**20
    sandbox.limit_memory(settings.query_memory_mb * threads + stacks, beyond_current=True)
    loop_factory = uvicorn.Config(app=None).get_loop_factory()  # uvloop, as for the service
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(_serve(listener, channel, copy, settings, threads, access_log))


async def _serve(
    listener: socket.socket,
    channel: socket.socket,
    copy: EmbeddedStore,
    settings: Settings,
    threads: int,
    access_log: bool,
) -> None:
    front = Front(channel, patience=settings.query_timeout)
    queries = ThreadedQueries(copy, settings, threads, runaway=front.runaway)
    routes = _FrontRoutes(
        sparql_endpoint(settings, queries),
        question_endpoint(settings, queries, shipped_questions()),
    )
    protocol = type("BoundFrontProtocol", (FrontProtocol,), {"front": front})
    config = uvicorn.Config(
        routes, http=protocol, ws="none", lifespan="off", log_level="info",
        access_log=access_log,
    )  # fmt: skip
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)  # "off": the service has started
    front.server = server
    await server.startup(sockets=[listener])  # closed when the front retires
    ticks = asyncio.create_task(server.main_loop())  # the Date header, renewed each second
    front.listen_to_service()
    gc.freeze()  # what lives as long as the front is not walked by every full collection
    front.send(READY)
    await front.finished
    ticks.cancel()
    os._exit(0)  # a query thread past its time limit ends with the process


class Front:
    """The front's state: its channel to the service, its server, whether it has retired."""

    def __init__(self, channel: socket.socket, patience: float) -> None:
        self.channel = channel
        self.patience = patience  # seconds a retiring front waits for a slow client
        self.server: uvicorn.Server | None = None
        self.retiring = False  # takes no new requests
        self.stopping = False  # and hands none over: the service is stopping
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def send(self, message: bytes, fds: list[int] | None = None) -> None:
        """One message to the service (blocking; the service reads its channels as they
        turn readable)."""
        if fds:
            socket.send_fds(self.channel, [message], fds)
        else:
            self.channel.sendall(message)

    def hand_over(self, connection: socket.socket, data: bytes) -> None:
        """Pass a client's connection to the service with the bytes already read from it."""
        first, rest = data[:MESSAGE], data[MESSAGE:]
        self.send(CONNECTION + _LENGTH.pack(len(data)) + first, [connection.fileno()])
        for start in range(0, len(rest), MESSAGE):
            self.send(MORE + rest[start : start + MESSAGE])

    def listen_to_service(self) -> None:
        """Read the service's messages as they come (the channel stays blocking: a message
        is read only once the loop has seen it arrive, and sends wait for room)."""
        asyncio.get_running_loop().add_reader(self.channel.fileno(), self._on_message)

    def _on_message(self) -> None:
        try:
            message = self.channel.recv(16)
        except OSError:
            message = b""
        if not message:  # the service has gone: so does its front
            os._exit(0)
        if message.startswith(RETIRE):
            self.retire()
            self.send(RETIRED)
        elif message.startswith(STOP):
            self.stop()

    def runaway(self) -> None:
        """A query thread outlived its time limit: retire, and ask for a replacement."""
        if not self.retiring:
            self.send(RUNAWAY)
            self.retire()

    def stop(self) -> None:
        """The service stops: take no new connections, finish the answers in progress,
        close every connection, and end."""
        assert self.server is not None
        self.retiring = self.stopping = True
        for server in self.server.servers:
            server.close()
        for connection in list(self.server.server_state.connections):
            connection.shutdown()  # closes it once its answer in progress is written
        self._finish_when_drained(time.monotonic() + self.patience)

    def retire(self) -> None:
        """Take no new connections; hand every connection over between requests; end once
        none is left."""
        if self.retiring:
            return
        self.retiring = True
        assert self.server is not None
        for server in self.server.servers:
            server.close()
        for connection in list(self.server.server_state.connections):
            if isinstance(connection, FrontProtocol):
                connection.hand_over_if_idle()
        # an answer in progress may wait the time limit for a thread, run as long, and its
        # client read as long again
        self._finish_when_drained(time.monotonic() + 3 * self.patience + 1)

    def _finish_when_drained(self, deadline: float) -> None:
        assert self.server is not None
        drained = not self.server.server_state.connections
        if (drained or time.monotonic() > deadline) and not self.finished.done():
            self.finished.set_result(None)
        else:
            asyncio.get_running_loop().call_later(0.05, self._finish_when_drained, deadline)


class _FrontRoutes:
    """The two hot paths. The protocol hands every other request to the service before it
    gets here, and every request once the front has retired, but for a request read in one
    piece with the one before it (pipelined): such a request is told to ask again on a new
    connection (421)."""

    def __init__(self, sparql: ASGIApp, questions: ASGIApp) -> None:
        self.sparql = sparql
        self.questions = questions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if scope[_AFTER_RETIREMENT] or not _answered_here(path):
            message = "send this request again on a new connection\n"
            refusal = PlainTextResponse(message, 421, headers={"Connection": "close"})
            await refusal(scope, receive, send)
        elif path == "/sparql":
            await self.sparql(scope, receive, send)
        else:
            await self.questions(scope, receive, send)


def answered_here(request_line: bytes) -> bool:
    """Whether a front answers the request that starts with ``request_line`` (its path read
    as uvicorn reads it)."""
    parts = request_line.split()
    if len(parts) != 3:
        return False
    try:
        raw_path = httptools.parse_url(parts[1]).path or b""
        path = raw_path.decode("ascii")
    except (httptools.HttpParserInvalidURLError, UnicodeDecodeError):
        return False
    if "%" in path:
        path = urllib.parse.unquote(path)
    return _answered_here(path)


def _answered_here(path: str) -> bool:
    return path == "/sparql" or is_question_path(path)


class FrontProtocol(HttpProtocol):
    """The service's HTTP protocol, with the hand-over: each request is looked at before the
    parser reads it, and one a front does not answer goes to the service with its
    connection, once the answers before it have been written."""

    front: Front  # set on a subclass made for each front process

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._unread = bytearray()  # the start of a request not yet given to the parser
        self._in_request = False  # the parser is inside a request
        self._to_hand_over: bytearray | None = None  # set once the connection is to go
        self._handing_over = False  # waiting for earlier answers to be written
        self._handed_over = False
        self._waited = 0.0  # seconds spent waiting for earlier answers to be written
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._handed_over:
            return
        if self._in_request:
            super().data_received(data)
            return
        if self._to_hand_over is not None:
            self._to_hand_over += data
            return
        self._unset_keepalive_if_required()  # a request has begun to arrive
        self._unread += data
        line_end = self._unread.find(b"\n", 0, _LONGEST_REQUEST_LINE)
        if line_end < 0 and len(self._unread) < _LONGEST_REQUEST_LINE:
            return  # the request line is not all here yet
        unread, self._unread = bytes(self._unread), bytearray()
        request_line = unread.lstrip(b"\r\n").split(b"\n", 1)[0]
        if not self.front.retiring and answered_here(request_line):
            super().data_received(unread)
        else:
            self._to_hand_over = bytearray(unread)
            self.hand_over_if_idle()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_request = True
        # a request the parser begins after a write must not be answered from this copy
        self.scope[_AFTER_RETIREMENT] = self.front.retiring  # type: ignore[literal-required]

    def on_message_complete(self) -> None:
        self._in_request = False
        super().on_message_complete()
        if self._to_hand_over is not None:  # answered before its body ended (a 413, say)
            self.loop.call_soon(self.hand_over_if_idle)  # once the parser has returned

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._to_hand_over is not None or self.front.retiring:
            self.hand_over_if_idle()

    def hand_over_if_idle(self) -> None:
        """Hand the connection over now if nothing is being read or answered on it, else
        once that is done; meanwhile nothing more is read from it."""
        if self._handed_over or self.transport.is_closing() or self.front.stopping:
            return
        if self._to_hand_over is None:
            self._to_hand_over, self._unread = self._unread, bytearray()
        self._unset_keepalive_if_required()  # the service times it from now on
        if not self._in_request:
            self.transport.pause_reading()
        if self._idle() and not self._handing_over:
            self._handing_over = True
            self._hand_over_when_written()

    def _idle(self) -> bool:
        answering = self.cycle is not None and not self.cycle.response_complete
        return not (self._in_request or answering or self.pipeline)

    def _hand_over_when_written(self) -> None:
        """Once every byte of the answers before is on its way, pass the connection on; a
        client that reads none of them for the time limit loses the connection."""
        if self._handed_over or self.transport.is_closing() or self.front.stopping:
            return  # closed meanwhile: its descriptor may already be another connection's
        flush: Callable[[], None] | None = getattr(self.transport, "flush", None)
        if flush is not None:
            flush()
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
