"""The service's front processes, seen from the service: started, renewed after each write,
replaced when one ends, and the connections they hand over taken in.

A front (``web/front.py``) answers ``/sparql`` and ``/questions/{name}`` itself from a copy of
the store forked from the store's host, so the hot paths run on every core with no hop to a
worker. Each front has a channel to the service, a ``SOCK_SEQPACKET`` socket pair whose
messages start with a one-byte kind:

* front to service: ``READY``,
  ``CONNECTION`` (a client's socket, the length of the bytes read from it and their start),
  ``MORE`` (the rest of those bytes), ``RETIRED`` (the answer to ``RETIRE``), ``RUNAWAY`` (a
  query outlived its time limit: the front has retired itself and wants a replacement);
* service to front: ``RETIRE``, and ``STOP`` when the service stops (the front finishes the
  answers in progress, closes its connections and ends).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from udsyn.config import Settings
from udsyn.runtime.host import ForkedProcess, FrontMain, StoreHost
from udsyn.store import StoreError, StoreUnavailable

log = logging.getLogger("udsyn")

PROCESS_NAME = "udsyn-front"  # what `ps -o comm` shows for a front process
READY, CONNECTION, MORE, RETIRE, RETIRED, RUNAWAY = b"Y", b"C", b"M", b"X", b"A", b"R"
STOP = b"S"
MESSAGE = 1 << 15  # bytes of a handed-over connection's data in one message
_LENGTH = struct.Struct("!I")
_START_TIMEOUT = 60.0
# A front confirms its retirement once its event loop is free, which a query on the loop's
# own thread may hold for the time limit; one that has not confirmed by this much later is
# killed.
_RETIRE_MARGIN = 5.0
_STOP_MARGIN = 5.0  # beyond the time limit, how long a stopping service waits for its fronts

# Takes in a client's connection handed over by a front, with the bytes already read from it.
Adopt = Callable[[socket.socket, bytes], Awaitable[None]]
# Has the service accept on (a copy of) the listening socket itself, until the server closes.
ServeHere = Callable[[socket.socket], Awaitable[asyncio.AbstractServer]]


@dataclass(frozen=True)
class FrontSetup:
    """What the web layer gives the pool to run fronts: the service's listening socket, how
    the service takes in a handed-over connection, a front's life (``web/front.py``), and
    how the service accepts connections itself while no front does."""

    listener: socket.socket
    adopt: Adopt
    main: FrontMain
    serve_here: ServeHere


class _Front:
    """One front process and the service's end of its channel."""

    def __init__(self, process: ForkedProcess, channel: socket.socket) -> None:
        self.process = process
        self.channel = channel
        loop = asyncio.get_running_loop()
        self.ready: asyncio.Future[None] = loop.create_future()
        self.retired: asyncio.Future[None] = loop.create_future()
        self.retiring = False
        self.receiving: tuple[socket.socket, bytearray, int] | None = None


class FrontProcesses:
    """``settings.front_processes`` fronts on ``listener``, forked from the store's host."""

    def __init__(
        self,
        settings: Settings,
        setup: FrontSetup,
        host: Callable[[], Awaitable[StoreHost]],
    ) -> None:
        self.settings = settings
        self.listener = setup.listener
        self.adopt = setup.adopt
        self.serve_here = setup.serve_here
        self.host = host  # the store's host as it is now (restarted if it had stopped)
        self._accepting_here: asyncio.Future[asyncio.AbstractServer] | None = None
        self.epoch = 0  # raised by every write: a front forked before it must not serve
        self._current: set[_Front] = set()
        self._all: set[_Front] = set()
        self._tasks: set[asyncio.Task] = set()
        self._stopping = False

    @property
    def alive(self) -> int:
        """How many fronts take new connections."""
        return sum(1 for front in self._current if front.process.is_alive())

    async def start(self) -> None:
        """Start every front and wait until each accepts connections."""
        fronts = await asyncio.gather(
            *(self._launch() for _ in range(self.settings.front_processes))
        )
        self._current.update(fronts)

    async def renew(self) -> None:
        """After a write: new fronts from the changed copy, then the old ones retired (they
        answer nothing more once this returns)."""
        self.epoch += 1  # a front still starting was forked before: see _replacement
        old = [front for front in self._current if not front.retiring]
        self._current.difference_update(old)
        try:
            fresh = await asyncio.gather(*(self._launch() for _ in old), return_exceptions=True)
            for started in fresh:
                if isinstance(started, _Front):
                    self._current.add(started)
                else:
                    log.error("a front process did not start after a write: %s", started)
                    self._spawn(self._replacement())
        finally:  # whatever happened, none of them answers from before the write
            await asyncio.gather(*(self._retire(front) for front in old))
            self._accept_here_while_none()

    async def stop_accepting(self) -> None:
        """The service is stopping: no front, nor the service, takes new connections; each
        front finishes the answers in progress and ends (or is killed past the time limit
        and a margin)."""
        self._start_no_more()
        for front in self._all:
            with contextlib.suppress(OSError):
                front.channel.send(STOP)
        deadline = time.monotonic() + self.settings.query_timeout + _STOP_MARGIN
        while time.monotonic() < deadline and any(f.process.is_alive() for f in self._all):
            await asyncio.sleep(0.05)
        self.stop()

    def stop(self) -> None:
        """End every front now."""
        self._start_no_more()
        for front in list(self._all):
            self._close(front)
            front.process.kill()
            front.process.join(timeout=5)
        self._all.clear()
        self._current.clear()

    def _start_no_more(self) -> None:
        """No replacement front, nor the service itself, takes connections from now on."""
        self._stopping = True
        self._accept_here_while_none()
        for task in self._tasks:
            task.cancel()

    async def _launch(self) -> _Front:
        """A new front, once it accepts connections."""
        channel, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            host = await self.host()
            process = await host.fork_front(self.listener, child_end)
        except BaseException:
            channel.close()
            raise
        finally:
            child_end.close()
        channel.setblocking(False)
        front = _Front(process, channel)
        self._all.add(front)
        loop = asyncio.get_running_loop()
        loop.add_reader(channel.fileno(), self._on_message, front)
        if process.pidfd is not None:
            loop.add_reader(process.pidfd, self._ended, front)
        try:
            async with asyncio.timeout(_START_TIMEOUT):
                await front.ready
        except (TimeoutError, EOFError):
            self._forget(front)
            raise StoreUnavailable(
                "a front process did not start; the lines above say why"
            ) from None
        return front

    async def _retire(self, front: _Front) -> None:
        front.retiring = True
        try:
            front.channel.send(RETIRE)
            async with asyncio.timeout(self.settings.query_timeout + _RETIRE_MARGIN):
                await front.retired
        except (OSError, TimeoutError, EOFError):
            self._forget(front)  # gone, or not listening: stopped, so it answers nothing

    def _on_message(self, front: _Front) -> None:
        """Read what a front sent; an ended channel counts as the front's end."""
        if self._read_all(front):
            self._ended(front)

    def _read_all(self, front: _Front) -> bool:
        """Take every message waiting on the front's channel; whether it has ended."""
        while True:
            try:
                message, fds, _flags, _address = socket.recv_fds(front.channel, 1 + 4 + MESSAGE, 1)
            except BlockingIOError:
                return False
            except OSError:
                return True
            if not message:
                return True
            self._take(front, message, fds)

    def _take(self, front: _Front, message: bytes, fds: list[int]) -> None:
        kind, body = message[:1], message[1:]
        if kind == CONNECTION and fds:
            (length,) = _LENGTH.unpack_from(body)
            front.receiving = (socket.socket(fileno=fds[0]), bytearray(body[4:]), length)
        elif kind == MORE and front.receiving is not None:
            front.receiving[1].extend(body)
        elif kind == READY and not front.ready.done():
            front.ready.set_result(None)
        elif kind == RETIRED and not front.retired.done():
            front.retired.set_result(None)
        elif kind == RUNAWAY:
            self._replace(front)
        for fd in fds[1:] if kind == CONNECTION else fds:
            socket.socket(fileno=fd).close()  # nothing else is expected to carry one
        receiving = front.receiving
        if receiving is not None and len(receiving[1]) >= receiving[2]:
            front.receiving = None
            self._spawn(self.adopt(receiving[0], bytes(receiving[1])))

    def _ended(self, front: _Front) -> None:
        """A front's process or channel ended; one that was taking connections is replaced."""
        if front not in self._all:
            return
        self._read_all(front)  # connections it handed over just before it ended
        self._forget(front)
        for waiting in (front.ready, front.retired):
            if not waiting.done():
                waiting.set_exception(EOFError())
                waiting.exception()  # seen, so not logged as never retrieved
        if front in self._current and not self._stopping:
            self._current.discard(front)
            self._accept_here_while_none()
            self._spawn(self._replacement())

    def _replace(self, front: _Front) -> None:
        if front in self._current and not front.retiring:
            front.retiring = True
            self._current.discard(front)
            self._accept_here_while_none()
            self._spawn(self._replacement())

    def _accept_here_while_none(self) -> None:
        """While no front takes connections, the service accepts them itself (on a copy of
        the listening socket, closed once a front is back)."""
        wanted = not self._current and not self._stopping
        if wanted and self._accepting_here is None:
            try:
                listener = self.listener.dup()
            except OSError as error:
                log.error("the service cannot accept connections itself: %s", error)
                return
            self._accepting_here = asyncio.ensure_future(self.serve_here(listener))
            self._accepting_here.add_done_callback(self._serving_here)
        elif not wanted and self._accepting_here is not None:
            accepting, self._accepting_here = self._accepting_here, None
            if accepting.done() and not accepting.cancelled() and not accepting.exception():
                accepting.result().close()
            else:
                accepting.cancel()

    def _serving_here(self, accepting: asyncio.Future[asyncio.AbstractServer]) -> None:
        if accepting.cancelled() or accepting is not self._accepting_here:
            return
        if accepting.exception() is not None:
            log.error("the service cannot accept connections itself: %s", accepting.exception())
            self._accepting_here = None  # tried again when the next front ends

    async def _replacement(self) -> None:
        while not self._stopping:
            epoch = self.epoch
            try:
                front = await self._launch()
            except StoreError as error:
                log.error("a replacement front process did not start: %s; trying again", error)
                await asyncio.sleep(1)
                continue
            if epoch == self.epoch:
                self._current.add(front)
                self._accept_here_while_none()
                return
            await self._retire(front)  # forked from the copy before a write: again

    def _forget(self, front: _Front) -> None:
        self._close(front)
        self._all.discard(front)
        front.process.kill()
        front.process.join(timeout=0)

    def _close(self, front: _Front) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(ValueError, OSError):
            loop.remove_reader(front.channel.fileno())
        if front.process.pidfd is not None:
            loop.remove_reader(front.process.pidfd)
        with contextlib.suppress(OSError):
            front.channel.close()
        if front.receiving is not None:
            front.receiving[0].close()
            front.receiving = None

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
