"""The store's host: one process that holds a copy of the store in memory and forks the
query workers from it.

pyoxigraph answers from memory several times faster than from its on-disk database, so the
service serves an on-disk store from a copy (``UDSYN_SERVE_FROM=memory``, the default). The
host reads the store once at start, gives up the network, and then forks each query worker:
a forked worker shares the copy's pages with the host and every other worker, so the copy is
in memory once, however many workers there are, and replacing a worker that overran its time
limit takes milliseconds. The disk stays the store of record: the service's one writer writes
there first and then sends the host each change it made (:class:`~udsyn.store.Change`), which
the host replays on its copy; workers forked before the change are retired (see ``pool.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import multiprocessing
import os
import pickle
import select
import signal
import socket
import struct
import threading
from collections.abc import Callable, Sequence

from udsyn.config import Settings
from udsyn.loading import read_all, shipped_sources
from udsyn.runtime import sandbox
from udsyn.runtime.worker import (
    HEADER,
    PROCESS_NAME,
    STATUSES,
    read_exactly,
    serve_jobs,
    write_frame,
)
from udsyn.store import Change, EmbeddedStore, StoreError, StoreUnavailable

_FORK, _APPLY, _FRONT = 0, 1, 2

# A front process's life (``web/front.py``), started in a process forked from the host:
# (the listening socket, its channel to the service, the copy, the settings).
FrontMain = Callable[[socket.socket, socket.socket, EmbeddedStore, Settings], None]
_PID = struct.Struct("!i")


class StoreHost:
    """The service's side of the host process: start it, ask it for workers, send it changes."""

    def __init__(
        self,
        settings: Settings,
        context: multiprocessing.context.BaseContext,
        front: FrontMain | None = None,
    ) -> None:
        self.settings = settings
        self._control, child_end = socket.socketpair()
        self.process = context.Process(
            target=host_main,
            args=(child_end, settings, front),
            daemon=True,
            name="udsyn-store-host",
        )
        self.process.start()
        child_end.close()
        self._lock = threading.Lock()  # one exchange at a time on the control socket
        self.network_refused = ""

    async def wait_ready(self) -> None:
        """Wait until the host holds its copy of the store (about 20 s for 2 million quads)."""
        status, message = await asyncio.to_thread(self._exchange, None, b"")
        if status != "ready":
            self.stop()
            raise StoreUnavailable(message.decode() or "the store's host stopped while starting")
        self.network_refused = message.decode()

    async def fork_worker(self, channel: socket.socket) -> ForkedProcess:
        """A new query worker forked from the host, answering on ``channel``."""
        status, payload = await asyncio.to_thread(self._exchange, _FORK, b"", channel)
        if status != "ok":
            raise StoreUnavailable(f"the store's host could not start a worker: {payload.decode()}")
        return ForkedProcess(_PID.unpack(payload)[0])

    async def fork_front(self, listener: socket.socket, channel: socket.socket) -> ForkedProcess:
        """A new front process forked from the host, accepting on ``listener`` and talking
        to the service on ``channel``."""
        status, payload = await asyncio.to_thread(self._exchange, _FRONT, b"", channel, listener)
        if status != "ok":
            raise StoreUnavailable(f"the store's host could not start a front: {payload.decode()}")
        return ForkedProcess(_PID.unpack(payload)[0])

    async def apply(self, changes: Sequence[Change]) -> None:
        """Replay the writer's changes on the copy; new workers see them."""
        payload = pickle.dumps(list(changes), protocol=pickle.HIGHEST_PROTOCOL)
        status, message = await asyncio.to_thread(self._exchange, _APPLY, payload)
        if status != "ok":
            raise StoreError(f"the in-memory copy could not take the change: {message.decode()}")

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._control.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)

    def _exchange(
        self, command: int | None, payload: bytes, *passed: socket.socket
    ) -> tuple[str, bytes]:
        """Send a command (with the sockets to pass on, if any) and read the reply; with no
        command, only read (the "ready" frame)."""
        with self._lock:
            try:
                message = b"" if command is None else HEADER.pack(command, len(payload)) + payload
                if passed:
                    socket.send_fds(self._control, [message], [s.fileno() for s in passed])
                elif message:
                    self._control.sendall(message)
                return self._receive()
            except OSError as error:
                return "unavailable", f"the store's host is gone ({error})".encode()

    def _receive(self) -> tuple[str, bytes]:
        try:
            status, size = HEADER.unpack(read_exactly(self._control, HEADER.size))
            return STATUSES[status], read_exactly(self._control, size)
        except (EOFError, OSError):
            return "unavailable", b"the store's host stopped; the lines above say why"


class ForkedProcess:
    """A worker forked by the host (not this process's child), watched through a pidfd."""

    exitcode = None  # its parent is the host, which reaps it

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # it ended already
            self._pidfd = None

    @property
    def pidfd(self) -> int | None:
        """A descriptor that turns readable when the process ends (until :meth:`join`)."""
        return self._pidfd

    def is_alive(self) -> bool:
        if self._pidfd is None:
            return False
        readable, _, _ = select.select([self._pidfd], [], [], 0)
        return not readable  # a pidfd turns readable when its process ends

    def kill(self) -> None:
        if self._pidfd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    def join(self, timeout: float | None = None) -> None:
        if self._pidfd is not None:
            select.select([self._pidfd], [], [], timeout)
            os.close(self._pidfd)
            self._pidfd = None


# -- inside the host ------------------------------------------------------------------------


def host_main(control: socket.socket, settings: Settings, front: FrontMain | None) -> None:
    """The host's life: give up the network, copy the store into memory, serve commands."""
    sandbox.name_process("udsyn-host")
    refused = sandbox.isolate_network() or ""
    try:
        copy = _copy_of_store(settings)
    except StoreError as error:
        write_frame(control, "unavailable", str(error).encode())
        return
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the system reaps ended workers
    # A collection in a forked worker would write to every object it walks, copying the
    # pages it shares with the host; frozen objects are never walked.
    gc.freeze()
    write_frame(control, "ready", refused.encode())
    while True:
        try:
            command, payload, passed = _read_command(control)
        except EOFError:
            return  # the service has gone
        if command == _FORK and len(passed) == 1:
            pid = _fork_worker(passed[0], copy, settings, control, refused)
            write_frame(control, "ok", _PID.pack(pid))
        elif command == _FRONT and len(passed) == 2 and front is not None:
            channel, listener = passed
            life = functools.partial(front, listener, channel, copy, settings)
            pid = _fork(life, control)
            write_frame(control, "ok", _PID.pack(pid))
        elif command == _APPLY:
            try:
                for change in pickle.loads(payload):
                    change.apply_to(copy)
            except StoreError as error:
                write_frame(control, "error", str(error).encode())
                continue
            write_frame(control, "ok", b"")
        for passed_socket in passed:
            passed_socket.close()


def _copy_of_store(settings: Settings) -> EmbeddedStore:
    """The store read into memory; for a service on ``:memory:``, the shipped graph."""
    copy = EmbeddedStore(settings.base_iri)
    if settings.in_memory:
        copy.add_all(read_all(shipped_sources(), settings.base_iri))
        return copy
    disk = EmbeddedStore(settings.base_iri, settings.store_path, read_only=True)
    try:
        copy.native.bulk_extend(disk.native.quads_for_pattern(None, None, None, None))
    except OSError as error:
        raise StoreUnavailable(f"cannot read the store at {settings.store_path}: {error}") from None
    finally:
        disk.close()
    return copy


def _read_command(control: socket.socket) -> tuple[int, bytes, list[socket.socket]]:
    """One command, with the sockets passed along with it, if any."""
    header, fds, _flags, _address = socket.recv_fds(control, HEADER.size, 2)
    if not header:
        raise EOFError
    header += read_exactly(control, HEADER.size - len(header))
    command, size = HEADER.unpack(header)
    passed = [socket.socket(fileno=fd) for fd in fds]
    return command, read_exactly(control, size), passed


def _fork_worker(
    channel: socket.socket,
    copy: EmbeddedStore,
    settings: Settings,
    control: socket.socket,
    refused: str,
) -> int:
    """Fork a worker that answers jobs on ``channel`` from the copy; its pid."""

    def worker() -> None:
        sandbox.name_process(PROCESS_NAME)
        sandbox.limit_memory(settings.query_memory_mb, beyond_current=True)
        write_frame(channel, "ready", refused.encode())
        sandbox.run_with_large_stack(lambda: serve_jobs(channel, copy, settings, reopen=False))

    return _fork(worker, control)


def _fork(life: Callable[[], None], control: socket.socket) -> int:
    """Fork a process that lives ``life`` and ends; its pid, in the host."""
    pid = os.fork()
    if pid:
        return pid
    try:  # the child: it must never return into the host's loop
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        control.close()
        life()
    finally:
        os._exit(0)
