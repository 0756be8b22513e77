"""A front process: ``/sparql`` and ``/questions/{name}`` answered on the service's own port by
a process that holds the store's copy in memory, with no hop to a worker.

The service's one process cannot serve more lookups than one core allows, and every query it
sends to a worker crosses two processes. Front processes are forked from the store's host
(``runtime/host.py``), so each has the copy, no network and a memory cap, as a worker does.
They accept connections on the service's listening socket, speak HTTP themselves
(``front_http.py``) and answer the two hot paths with the service's own endpoints, their
queries run by threads of their own (``runtime/threaded.py``), under the same time limit,
row cap and query checks as the service.

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
import threading
import time

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
from udsyn.web.front_http import AFTER_RETIREMENT, FrontConnection, Request, answers_path
from udsyn.web.questions import question_endpoint
from udsyn.web.sparql import sparql_endpoint

_LENGTH = struct.Struct("!I")
_BACKLOG = 2048  # connections waiting to be accepted (uvicorn's default, as the service)


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
    # the service's logging, and its event loop (uvloop)
    loop_factory = uvicorn.Config(app=None, log_level="info").get_loop_factory()
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
    front = Front(channel, patience=settings.query_timeout, access_log=access_log)
    queries = ThreadedQueries(copy, settings, threads, runaway=front.runaway, alone=front.alone)
    front.app = _FrontRoutes(
        sparql_endpoint(settings, queries),
        question_endpoint(settings, queries, shipped_questions()),
    )
    loop = asyncio.get_running_loop()
    # closed when the front retires (this process's copy of the socket only)
    front.server = await loop.create_server(
        lambda: FrontConnection(front), sock=listener, backlog=_BACKLOG
    )
    front.listen_to_service()
    gc.freeze()  # what lives as long as the front is not walked by every full collection
    front.send(READY)
    await front.finished
    os._exit(0)  # a query thread past its time limit ends with the process


class Front:
    """The front's state: its channel to the service, its server, whether it has retired."""

    def __init__(self, channel: socket.socket, patience: float, access_log: bool) -> None:
        self.channel = channel
        self.patience = patience  # seconds a retiring front waits for a slow client
        self.access_log = access_log
        self.app: ASGIApp
        self.server: asyncio.Server | None = None
        self.connections: set[FrontConnection] = set()
        self.answering = 0  # requests whose answer is under way
        self._sending = threading.Lock()  # the channel is written from two threads
        self.retiring = False  # takes no new requests
        self.stopping = False  # and hands none over: the service is stopping
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def send(self, message: bytes, fds: list[int] | None = None) -> None:
        """One message to the service (blocking; the service reads its channels as they
        turn readable)."""
        with self._sending:
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

    def answer_ended(self, _task: asyncio.Task[None]) -> None:
        """A request's answer has ended (or its task was cancelled)."""
        self.answering -= 1

    def alone(self) -> bool:
        """Whether the request being answered is the front's only business: its only
        connection, and nothing else being answered on it."""
        return self.answering == 1 and len(self.connections) == 1

    def runaway(self) -> None:
        """A query thread outlived its time limit: retire, and ask for a replacement."""
        if not self.retiring:
            self.send(RUNAWAY)
            self.retire()

    def give_up(self, asker: Request, refusal: bytes) -> None:
        """From the watchdog's thread, while a query holds the event loop's thread past its
        time limit: answer the asker with ``refusal``, pass on every connection that is
        between requests (the asker's among them), ask for a replacement and end, which
        stops the query. A connection in the middle of a request closes unanswered."""
        try:
            answered = asker.write_from_elsewhere(refusal) and asker.keep_alive
            self.send(RUNAWAY)
            for connection in list(self.connections):
                mine = connection is asker.connection
                leftover = connection.leftover(asker if mine else None)
                if leftover is not None and (answered or not mine):
                    socket_of = connection.transport.get_extra_info("socket")
                    self.hand_over(socket_of, leftover)
        finally:  # whatever failed above, the query must stop
            os._exit(0)

    def stop(self) -> None:
        """The service stops: take no new connections, finish the answers in progress,
        close every connection, and end."""
        assert self.server is not None
        self.retiring = self.stopping = True
        self.server.close()
        for connection in list(self.connections):
            connection.shutdown()  # closes it once its answer in progress is written
        self._finish_when_drained(time.monotonic() + self.patience)

    def retire(self) -> None:
        """Take no new connections; hand every connection over between requests; end once
        none is left."""
        if self.retiring:
            return
        self.retiring = True
        assert self.server is not None
        self.server.close()
        for connection in list(self.connections):
            connection.hand_over_if_idle()
        # an answer in progress may wait the time limit for a thread, run as long, and its
        # client read as long again
        self._finish_when_drained(time.monotonic() + 3 * self.patience + 1)

    def _finish_when_drained(self, deadline: float) -> None:
        drained = not self.connections
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
        if scope[AFTER_RETIREMENT] or not answers_path(path):
            message = "send this request again on a new connection\n"
            refusal = PlainTextResponse(message, 421, headers={"Connection": "close"})
            await refusal(scope, receive, send)
        elif path == "/sparql":
            await self.sparql(scope, receive, send)
        else:
            await self.questions(scope, receive, send)
