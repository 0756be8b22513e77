"""Query workers: separate processes that run queries and can be stopped.

A query that runs past its time limit cannot be interrupted inside a thread, so the service
runs every query in a worker process (``worker.py``). On an embedded store the workers are
forked from the store's host, which holds a copy of the store in memory (``host.py``); with
``UDSYN_SERVE_FROM=disk`` or a remote server each worker is spawned and opens the store
itself. A worker parses its queries itself, so the time limit covers the parse; on the
embedded store it has no network at all, and its memory is capped. When a query overruns,
its worker is killed and replaced; the other workers go on answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import socket
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, cast

from udsyn.config import Settings
from udsyn.formats import NotAcceptable
from udsyn.runtime.fronts import FrontProcesses, FrontSetup
from udsyn.runtime.host import FrontMain, StoreHost
from udsyn.runtime.worker import (
    HEADER,
    STATUSES,
    Job,
    digest_of,
    job_frame,
    spawned_worker_main,
)
from udsyn.store import Change, QueryFailed, StoreError, StoreUnavailable

log = logging.getLogger("udsyn")

__all__ = [
    "Answer",
    "Health",
    "Job",
    "Queries",
    "QueryTimeout",
    "QueryTooLarge",
    "ServiceBusy",
    "WorkerPool",
]


class QueryTimeout(StoreError):
    """A query ran longer than the service allows and was stopped."""


class ServiceBusy(StoreError):
    """Every worker stayed busy for longer than a request may wait."""


class QueryTooLarge(StoreError):
    """A query needed more memory than a worker may use, or stopped its worker."""


_ERRORS: dict[str, type[Exception]] = {
    "failed": QueryFailed,
    "unavailable": StoreUnavailable,
    "error": StoreError,
    "unacceptable": NotAcceptable,
    "memory": QueryTooLarge,
}


@dataclass(frozen=True)
class Answer:
    """A serialised answer and the name of its format."""

    body: bytes
    format: str


def answer_of(status: str, payload: bytes) -> Answer:
    """The answer in a worker's last frame (:func:`~udsyn.runtime.worker.answer`), or the
    error it reports, raised."""
    if status != "ok":
        raise _ERRORS.get(status, StoreError)(payload.decode())
    name, _, body = payload.partition(b"\n")
    return Answer(body, name.decode())


class Queries(Protocol):
    """What the hot-path endpoints need to answer queries: the worker pool in the service,
    threads over the store's copy in a front process (``threaded.py``)."""

    @property
    def generation(self) -> int:
        """The store's generation the answers reflect; it changes with every write."""

    async def run(self, job: Job, timeout: float | None = None, *, cached: bool = True) -> Answer:
        """The serialised answer to a job."""

    def stream(self, job: Job, timeout: float | None = None) -> AsyncIterator[bytes]:
        """The answer in chunks, for downloads of any size."""


@dataclass(frozen=True)
class Health:
    """What the pool knows of its workers after a round trip through one of them."""

    size: int
    alive: int
    busy: int
    network_isolated: bool


class _Process(Protocol):
    """What the pool needs of a worker's process, spawned or forked."""

    exitcode: int | None

    def is_alive(self) -> bool: ...
    def kill(self) -> None: ...
    def join(self, timeout: float | None = None) -> None: ...


_BUFFERED = 1 << 18  # bytes of a worker's unread frames past which its socket is not read


class _Frames(asyncio.Protocol):
    """The service's end of a worker's socket: frames as they arrive, for one reader.

    Reading pauses while more than :data:`_BUFFERED` bytes wait unread (a download to a slow
    client), so the worker waits too instead of filling the service's memory.
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.frames: deque[tuple[str, bytes]] = deque()
        self.waiting = 0  # bytes in unread frames
        self.closed = False
        self.paused = False
        self._waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while len(buffer) >= HEADER.size:
            status, size = HEADER.unpack_from(buffer)
            end = HEADER.size + size
            if len(buffer) < end:
                break
            self.frames.append((STATUSES[status], bytes(buffer[HEADER.size : end])))
            self.waiting += size
            del buffer[:end]
        if self.waiting > _BUFFERED and not self.paused and self.transport is not None:
            self.transport.pause_reading()
            self.paused = True
        self._wake()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()

    async def receive(self) -> tuple[str, bytes]:
        """The next frame; :class:`EOFError` once the worker has closed its end."""
        while not self.frames:
            if self.closed:
                raise EOFError
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        status, payload = self.frames.popleft()
        self.waiting -= len(payload)
        if self.paused and self.waiting <= _BUFFERED and self.transport is not None:
            self.transport.resume_reading()
            self.paused = False
        return status, payload

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


class _Worker:
    """One worker process and the service's end of its socket."""

    def __init__(self, channel: socket.socket, process: _Process, generation: int) -> None:
        self.channel = channel
        self.process = process
        self.generation = generation  # of the store's copy it was forked from
        self.frames: _Frames | None = None
        self.network_refused = ""

    async def wait_ready(self, timeout: float) -> None:
        """Wait until the worker has opened its store."""
        loop = asyncio.get_running_loop()
        _, self.frames = await loop.create_unix_connection(_Frames, sock=self.channel)
        try:
            async with asyncio.timeout(timeout):
                status, message = await self.receive()
        except TimeoutError:
            self.stop()
            raise StoreUnavailable(f"a query worker did not start within {timeout:g} s") from None
        except EOFError:
            self.stop()
            raise StoreUnavailable(
                f"a query worker stopped while starting (exit code {self.process.exitcode}); "
                "the lines above say why"
            ) from None
        if status != "ready":
            self.stop()
            raise StoreUnavailable(message.decode())
        self.network_refused = message.decode()

    def answering(self) -> bool:
        """Whether the worker's end of the socket is still open, as far as the event loop has
        seen (no system call: a worker that died unseen fails its exchange instead)."""
        return self.frames is not None and not self.frames.closed

    async def exchange(self, frame: bytes) -> tuple[str, bytes]:
        """Send a job's frame (:func:`~udsyn.runtime.worker.job_frame`) and wait for the
        first answer frame."""
        assert self.frames is not None and self.frames.transport is not None
        self.frames.transport.write(frame)
        return await self.frames.receive()

    async def receive(self) -> tuple[str, bytes]:
        assert self.frames is not None
        return await self.frames.receive()

    def stop(self) -> None:
        if self.frames is not None and self.frames.transport is not None:
            self.frames.transport.close()
        with contextlib.suppress(OSError):
            self.channel.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


# An answer computed in less time than this (seconds) is not kept: computing it again is
# cheap, while keeping every such answer (an analyst's varied lookups) has each new answer
# written to memory not recently used (measured: varied lookups at 0.93x with all kept).
WORTH_KEEPING = 0.001


class AnswerCache:
    """Recent answers, least recently used first out, within a budget of bytes.

    Keys are the jobs' digests, never their texts. Only for the embedded store, which only the
    service's writer changes, and which clears the cache when it does. A remote server may
    change under the service, so answers from it are never kept.
    """

    _ENTRY_OVERHEAD = 200  # bytes of Python objects around each answer

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        # Plain (body, format) tuples, which the garbage collector stops tracking: its full
        # collections do not walk the many entries.
        self._answers: OrderedDict[bytes, tuple[bytes, str]] = OrderedDict()

    def get(self, key: bytes) -> Answer | None:
        """The answer remembered under a job's digest (:attr:`Job.digest`), if any."""
        kept = self._answers.get(key)
        if kept is None:
            return None
        self._answers.move_to_end(key)
        return Answer(*kept)

    def put(self, key: bytes, answer: Answer, took: float) -> None:
        """Keep an answer that took ``took`` seconds to compute, if it is worth keeping."""
        if took < WORTH_KEEPING:
            return
        size = self._weight(key, answer.body)
        if size > self.budget // 16 or key in self._answers:
            return  # one large answer must not push out many small ones
        self._answers[key] = (answer.body, answer.format)
        self.size += size
        while self.size > self.budget:
            dropped_key, (dropped, _) = self._answers.popitem(last=False)
            self.size -= self._weight(dropped_key, dropped)

    def clear(self) -> None:
        self._answers.clear()
        self.size = 0

    def _weight(self, key: bytes, body: bytes) -> int:
        return self._ENTRY_OVERHEAD + len(key) + len(body)


class WorkerPool:
    """A fixed number of query workers shared by the service's requests."""

    def __init__(self, settings: Settings, size: int | None = None) -> None:
        self.settings = settings
        self.size = max(1, size or settings.query_workers)
        budget = settings.answer_cache_mb * 2**20 if settings.remote is None else 0
        self._cache = AnswerCache(budget) if budget > 0 else None
        self._context = multiprocessing.get_context("spawn")
        # glibc reserves address space for a malloc arena per thread; the engine's threads
        # would take a worker near its address-space cap before any query. Two arenas halve
        # a worker's address space at start (about 260 MB instead of 450 to 700).
        os.environ.setdefault("MALLOC_ARENA_MAX", "2")
        self._idle: asyncio.LifoQueue[_Worker] | None = None
        self._all: set[_Worker] = set()
        self._starting: set[asyncio.Task] = set()
        self._host: StoreHost | None = None
        self._host_restart = asyncio.Lock()
        self._fronts: FrontProcesses | None = None
        self._front_main: FrontMain | None = None
        self.generation = 0

    @property
    def serves_from_memory(self) -> bool:
        """Whether workers answer from the host's copy in memory (of an on-disk store, or the
        shipped graph for ``:memory:``)."""
        settings = self.settings
        return settings.remote is None and (settings.in_memory or settings.serve_from_memory)

    @property
    def fronts(self) -> int:
        """How many front processes take connections on the service's port."""
        return self._fronts.alive if self._fronts is not None else 0

    async def start(self, fronts: FrontSetup | None = None) -> None:
        """Start the store's host (if serving from memory), every worker and, given a
        ``fronts`` setup and ``settings.front_processes``, the front processes; wait until
        each can answer."""
        self._idle = asyncio.LifoQueue()  # the most recently used worker first: it is warm
        if self.serves_from_memory:
            self._front_main = fronts.main if fronts is not None else None
            self._host = StoreHost(self.settings, self._context, self._front_main)
            await self._host.wait_ready()
        workers = await asyncio.gather(*(self._launch() for _ in range(self.size)))
        for worker in workers:
            self._all.add(worker)
            self._idle.put_nowait(worker)
        if fronts is not None and self._host is not None and self.settings.front_processes:
            self._fronts = FrontProcesses(self.settings, fronts, self._live_host)
            await self._fronts.start()
        refused = workers[0].network_refused
        if self.settings.remote is None and refused:
            log.warning(
                "query workers could not be cut off from the network (%s); SERVICE is still "
                "refused by the parser", refused,
            )  # fmt: skip

    async def stop_accepting(self) -> None:
        """The service is stopping: the front processes take no new connections and end once
        their answers in progress are written."""
        if self._fronts is not None:
            await self._fronts.stop_accepting()

    def stop(self) -> None:
        if self._fronts is not None:
            self._fronts.stop()
        for task in self._starting:
            task.cancel()
        for worker in list(self._all):
            worker.stop()
        self._all.clear()
        if self._host is not None:
            self._host.stop()

    async def store_changed(self, changes: Sequence[Change]) -> None:
        """The writer has written: the host's copy takes the changes, remembered answers are
        forgotten, and each worker renews its view before its next query (a worker forked
        from the copy is replaced; a spawned one reopens the store)."""
        try:
            if self._host is not None and changes:
                try:
                    await self._host.apply(changes)
                except StoreError as error:
                    log.error("%s; reading the store into memory again", error)
                    await self._restart_host(lost_track=True)
        finally:  # whatever became of the copy, nothing answers from before the write
            self.generation += 1
            if self._cache is not None:
                self._cache.clear()
            if self._fronts is not None:
                await self._fronts.renew()

    async def run(self, job: Job, timeout: float | None = None, *, cached: bool = True) -> Answer:
        """The serialised answer to a job; raises the store's errors or :class:`QueryTimeout`.

        A worker found dead (it died while idle, or during this job) is replaced and the job
        is tried once more on another; a job that stops two workers is refused.
        """
        pickled, generation = job.pickled(), self.generation
        key = digest_of(pickled) if cached and self._cache is not None else None
        if key is not None:
            remembered = self._cache.get(key)
            if remembered is not None:
                return remembered
        limit = self.settings.query_timeout if timeout is None else timeout
        for attempt in (1, 2):
            worker = await self._acquire(limit)
            sent = time.monotonic()
            try:
                with self._supervising(worker, limit):
                    async with asyncio.timeout(limit):
                        status, payload = await worker.exchange(job_frame(pickled, self.generation))
            except _WorkerDied:
                if attempt == 1:
                    continue
                raise QueryTooLarge(
                    "the query stopped its query worker twice; it needs more than the "
                    f"{self.settings.query_memory_mb} MiB a query may use, or more stack"
                ) from None
            self._release(worker)
            break
        answer = answer_of(status, payload)
        took = time.monotonic() - sent
        if key is not None and generation == self.generation:  # not written meanwhile
            self._cache.put(key, answer, took)
        return answer

    async def health(self) -> Health:
        """A real round trip through a worker (never the cache), then the pool's state."""
        await self.run(Job("ASK {}", "json"), cached=False)
        alive = sum(1 for worker in self._all if worker.process.is_alive())
        idle = self._idle.qsize() if self._idle is not None else 0
        isolated = self.settings.remote is None and not any(
            worker.network_refused for worker in self._all
        )
        return Health(self.size, alive, max(0, len(self._all) - idle), isolated)

    async def stream(self, job: Job, timeout: float | None = None) -> AsyncIterator[bytes]:
        """The answer in chunks as the worker produces them, for downloads of any size.

        The time limit applies to the wait for each chunk. A stream abandoned before its end
        (the client left) has its worker replaced, which stops the query.
        """
        limit = self.settings.query_timeout if timeout is None else timeout
        streaming = replace(job, stream=True).pickled()
        worker = await self._acquire(limit)
        finished = False
        try:
            with self._supervising(worker, limit):
                async with asyncio.timeout(limit):
                    status, payload = await worker.exchange(job_frame(streaming, self.generation))
                while status == "chunk":
                    yield payload
                    async with asyncio.timeout(limit):
                        status, payload = await worker.receive()
            finished = True
        except _WorkerDied:
            raise StoreError("the query worker stopped unexpectedly; try again") from None
        finally:
            if finished:
                self._release(worker)
            elif worker in self._all:
                self._replace(worker)
        if status != "ok":
            raise _ERRORS.get(status, StoreError)(payload.decode())

    async def _acquire(self, limit: float) -> _Worker:
        """An idle worker that is alive and sees the store as it is now; dead ones found on
        the way are replaced, and one forked from an older copy gives way to a new one."""
        assert self._idle is not None, "the pool has not been started"
        if not self._idle.empty():  # the usual case, without a timer
            worker = self._idle.get_nowait()
            current = self._host is None or worker.generation == self.generation
            if current and worker.answering():
                return worker
            self._idle.put_nowait(worker)  # stale or dead: dealt with below
        try:
            async with asyncio.timeout(limit):
                while True:
                    worker = await self._idle.get()
                    if not (worker.process.is_alive() and worker.answering()):
                        self._replace(worker)
                    elif self._host is not None and worker.generation != self.generation:
                        return await self._renewed(worker)
                    else:
                        return worker
        except TimeoutError:
            raise ServiceBusy(
                f"all {self.size} query workers stayed busy for {limit:g} s; try again later"
            ) from None

    def _release(self, worker: _Worker) -> None:
        assert self._idle is not None
        self._idle.put_nowait(worker)

    @contextlib.contextmanager
    def _supervising(self, worker: _Worker, limit: float) -> Iterator[None]:
        """Replace the worker when its exchange fails, overruns or is abandoned."""
        try:
            yield
        except asyncio.CancelledError:
            self._replace(worker)  # the client left: stop its query, drop any late answer
            raise
        except TimeoutError:
            self._replace(worker)
            raise QueryTimeout(
                f"the query ran longer than {limit:g} s and was stopped; "
                "narrow it down or add a LIMIT"
            ) from None
        except (EOFError, OSError):
            self._replace(worker)
            raise _WorkerDied from None

    async def _launch(self) -> _Worker:
        """A new worker, forked from the host or spawned, once it can answer."""
        # taken before the fork: a change applied meanwhile makes the worker look older than
        # it is (and renewed once more), never newer
        generation = self.generation
        channel, child_end = socket.socketpair()
        try:
            if self._host is not None:
                process: _Process = await (await self._live_host()).fork_worker(child_end)
            else:
                process = self._context.Process(
                    target=spawned_worker_main,
                    args=(child_end, self.settings),
                    daemon=True,
                    name="udsyn-query",
                )
                process.start()
        except BaseException:
            channel.close()
            raise
        finally:
            child_end.close()
        worker = _Worker(channel, process, generation)
        await worker.wait_ready(timeout=60)
        return worker

    async def _renewed(self, stale: _Worker) -> _Worker:
        """A worker forked from the current copy in place of one forked from an older one."""
        self._all.discard(stale)
        stale.stop()
        try:
            worker = await self._launch()
        except StoreError:
            self._start_replacement_task()
            raise
        self._all.add(worker)
        return worker

    async def _live_host(self) -> StoreHost:
        """The store's host, started again first if it had stopped."""
        assert self._host is not None
        if not self._host.process.is_alive():
            await self._restart_host()
        return self._host

    async def _restart_host(self, *, lost_track: bool = False) -> None:
        """A new host with a fresh copy read from disk, in place of one that stopped (or,
        with ``lost_track``, one whose copy missed a change)."""
        async with self._host_restart:
            assert self._host is not None
            if self._host.process.is_alive() and not lost_track:
                return  # another task has restarted it meanwhile
            self._host.stop()
            host = StoreHost(self.settings, self._context, self._front_main)
            await host.wait_ready()  # until then, other tasks find the old one stopped and wait
            self._host = host

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker (it may be deep inside a query) and start a fresh one in its place."""
        if worker not in self._all:
            return
        self._all.discard(worker)
        worker.stop()
        self._start_replacement_task()

    def _start_replacement_task(self) -> None:
        task = asyncio.get_running_loop().create_task(self._start_replacement())
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    async def _start_replacement(self) -> None:
        while True:
            try:
                worker = await self._launch()
            except StoreError as error:
                log.error("a replacement query worker did not start: %s; trying again", error)
                await asyncio.sleep(1)
                continue
            assert self._idle is not None
            self._all.add(worker)
            self._idle.put_nowait(worker)
            return


class _WorkerDied(Exception):
    """The worker's process ended while it held a job."""
