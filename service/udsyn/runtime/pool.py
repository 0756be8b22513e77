"""Query workers: separate processes that run queries and can be stopped.

A query that runs past its time limit cannot be interrupted inside a thread, so the service
runs every query in a worker process with its own store handle (the embedded store opened
read-only, or the remote server). A worker parses its queries itself, so the time limit
covers the parse; on the embedded store it has no network at all, and its memory is capped.
When a query overruns, its worker is killed and replaced; the other workers go on answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import multiprocessing
import os
import pickle
import socket
import struct
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, replace
from multiprocessing.process import BaseProcess

from udsyn.config import Settings
from udsyn.formats import DATASET_FORMATS, GRAPH_FORMATS, RESULT_FORMATS, NotAcceptable, by_name
from udsyn.runtime import sandbox
from udsyn.sparql.grammar import Term
from udsyn.store import Dataset, QueryFailed, Store, StoreError, StoreUnavailable, open_store

log = logging.getLogger("udsyn")
_ALL_FORMATS = RESULT_FORMATS + GRAPH_FORMATS + DATASET_FORMATS


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
class Job:
    """One query for a worker.

    ``format`` names the answer format for SELECT and ASK, ``graph_format`` the one for
    CONSTRUCT and DESCRIBE (the worker learns the form from its parse); a ``None`` format
    means none the client accepts fits that form, and ``refusal`` says so. ``bindings`` give
    variables their values.
    """

    text: str
    format: str | None
    graph_format: str | None = None
    default_graphs: Sequence[str] = ()
    named_graphs: Sequence[str] = ()
    max_rows: int | None = None
    bindings: tuple[tuple[str, Term], ...] = ()
    refusal: str = ""
    stream: bool = False
    generation: int = 0  # the store's generation the answer must reflect (see writer.py)

    @property
    def digest(self) -> bytes:
        """A fixed-size key for the job, whatever the length of its text."""
        return hashlib.blake2b(pickle.dumps(self), digest_size=16).digest()


@dataclass(frozen=True)
class Answer:
    """A serialised answer and the name of its format."""

    body: bytes
    format: str


@dataclass(frozen=True)
class Health:
    """What the pool knows of its workers after a round trip through one of them."""

    size: int
    alive: int
    busy: int
    network_isolated: bool


_CHUNK = 1 << 16

# Frames on a worker's socket: a status byte and a 4-byte length, then the payload.
_HEADER = struct.Struct("!BI")
_STATUSES = ("ok", "failed", "unavailable", "error", "ready", "chunk", "unacceptable", "memory")


def _write_frame(channel: socket.socket, status: str, payload: bytes) -> None:
    channel.sendall(_HEADER.pack(_STATUSES.index(status), len(payload)) + payload)


def _read_exactly(channel: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = channel.recv(size - len(chunks))
        if not chunk:
            raise EOFError
        chunks += chunk
    return bytes(chunks)


# -- inside a worker ------------------------------------------------------------------------


def _worker_main(channel: socket.socket, settings: Settings) -> None:
    """A worker's life: give up the network, open the store, answer jobs until the end.

    The "ready" frame carries why the network could not be given up ("" when it was).
    """
    refused = sandbox.isolate_network() if settings.remote is None else "it talks to a server"
    sandbox.limit_memory(settings.query_memory_mb)
    try:
        store = open_store(settings, read_only=True)
    except StoreError as error:
        _write_frame(channel, "unavailable", str(error).encode())
        return
    _write_frame(channel, "ready", (refused or "").encode())
    sandbox.run_with_large_stack(lambda: _serve_jobs(channel, store, settings))


def _serve_jobs(channel: socket.socket, store: Store, settings: Settings) -> None:
    generation = 0
    while True:
        try:
            (size,) = struct.unpack("!I", _read_exactly(channel, 4))
            job: Job = pickle.loads(_read_exactly(channel, size))
        except EOFError:
            return
        if job.generation != generation and settings.remote is None:
            # the store was written since this handle was opened: a read-only handle is a
            # snapshot, so open a new one to see the write
            reopened = _reopen(settings)
            if reopened is None:
                _write_frame(channel, "unavailable", b"the store is being changed; try again")
                continue
            store.close()
            store, generation = reopened, job.generation
        status, payload = _answer(store, job, channel)
        _write_frame(channel, status, payload if isinstance(payload, bytes) else payload.encode())


def _reopen(settings: Settings, attempts: int = 20) -> Store | None:
    """A new read-only handle; opening can fail while the writer's compaction moves files."""
    for _ in range(attempts):
        try:
            return open_store(settings, read_only=True)
        except StoreError:
            time.sleep(0.05)
    return None


class _ChunkWriter:
    """A file-like object that sends what is written as "chunk" frames of about 64 KiB."""

    def __init__(self, channel: socket.socket) -> None:
        self.channel = channel
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= _CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buffer:
            _write_frame(self.channel, "chunk", bytes(self.buffer))
            self.buffer.clear()


def _answer(store: Store, job: Job, channel: socket.socket) -> tuple[str, bytes | str]:
    """Answer a job: whole ("ok": the format's name, a newline, the answer) or streamed
    ("chunk"s, then "ok")."""
    try:
        info = store.check(job.text)
        name = job.graph_format if info.returns_graph else job.format
        if name is None:
            return "unacceptable", job.refusal or f"no answer format fits a {info.form} query"
        answer_format = by_name(name, _ALL_FORMATS)
        dataset = Dataset(tuple(job.default_graphs), tuple(job.named_graphs))
        bindings = dict(job.bindings)
        if job.stream:
            writer = _ChunkWriter(channel)
            store.write_answer(job.text, answer_format, writer, dataset, bindings=bindings)
            writer.flush()
            return "ok", b""
        body = store.query(
            job.text, answer_format, dataset, max_rows=job.max_rows, bindings=bindings
        )
        return "ok", name.encode() + b"\n" + body
    except QueryFailed as error:
        return "failed", str(error)
    except StoreUnavailable as error:
        return "unavailable", str(error)
    except StoreError as error:
        return "error", str(error)
    except MemoryError:
        return "memory", "the query needed more memory than a query may use"
    except Exception as error:  # a worker must answer, whatever happened
        return "error", f"the query failed: {type(error).__name__}: {error}"


# -- in the service -------------------------------------------------------------------------


class _Worker:
    """One worker process and the parent's end of its socket, as asyncio streams."""

    def __init__(self, context: multiprocessing.context.BaseContext, settings: Settings):
        self.channel, child_end = socket.socketpair()
        self.process: BaseProcess = context.Process(
            target=_worker_main, args=(child_end, settings), daemon=True, name="udsyn-query"
        )
        self.process.start()
        child_end.close()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.network_refused = ""

    async def wait_ready(self, timeout: float) -> None:
        """Wait until the worker has opened its store."""
        self.reader, self.writer = await asyncio.open_unix_connection(sock=self.channel)
        try:
            async with asyncio.timeout(timeout):
                status, message = await self.receive()
        except TimeoutError:
            self.stop()
            raise StoreUnavailable(f"a query worker did not start within {timeout:g} s") from None
        except (EOFError, asyncio.IncompleteReadError):
            self.stop()
            raise StoreUnavailable(
                f"a query worker stopped while starting (exit code {self.process.exitcode}); "
                "the lines above say why"
            ) from None
        if status != "ready":
            self.stop()
            raise StoreUnavailable(message.decode())
        self.network_refused = message.decode()

    async def exchange(self, job: Job) -> tuple[str, bytes]:
        assert self.writer is not None
        request = pickle.dumps(job)
        self.writer.write(struct.pack("!I", len(request)) + request)
        return await self.receive()

    async def receive(self) -> tuple[str, bytes]:
        assert self.reader is not None
        status, size = _HEADER.unpack(await self.reader.readexactly(_HEADER.size))
        return _STATUSES[status], await self.reader.readexactly(size)

    def stop(self) -> None:
        if self.writer is not None:
            self.writer.close()
        with contextlib.suppress(OSError):
            self.channel.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


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
        self._answers: OrderedDict[bytes, Answer] = OrderedDict()

    def get(self, key: bytes) -> Answer | None:
        """The answer remembered under a job's digest (:attr:`Job.digest`), if any."""
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    def put(self, key: bytes, answer: Answer) -> None:
        size = self._weight(key, answer)
        if size > self.budget // 16 or key in self._answers:
            return  # one large answer must not push out many small ones
        self._answers[key] = answer
        self.size += size
        while self.size > self.budget:
            dropped_key, dropped = self._answers.popitem(last=False)
            self.size -= self._weight(dropped_key, dropped)

    def clear(self) -> None:
        self._answers.clear()
        self.size = 0

    def _weight(self, key: bytes, answer: Answer) -> int:
        return self._ENTRY_OVERHEAD + len(key) + len(answer.body)


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
        self._idle: asyncio.Queue[_Worker] | None = None
        self._all: set[_Worker] = set()
        self._starting: set[asyncio.Task] = set()
        self.generation = 0

    def new_generation(self) -> None:
        """The store has been written: forget remembered answers, let workers reopen."""
        self.generation += 1
        if self._cache is not None:
            self._cache.clear()

    async def start(self) -> None:
        """Start every worker and wait until each has opened its store."""
        self._idle = asyncio.Queue()
        workers = [_Worker(self._context, self.settings) for _ in range(self.size)]
        for worker in workers:
            await worker.wait_ready(timeout=60)
            self._all.add(worker)
            self._idle.put_nowait(worker)
        refused = workers[0].network_refused
        if self.settings.remote is None and refused:
            log.warning(
                "query workers could not be cut off from the network (%s); SERVICE is still "
                "refused by the parser", refused,
            )  # fmt: skip

    def stop(self) -> None:
        for task in self._starting:
            task.cancel()
        for worker in list(self._all):
            worker.stop()
        self._all.clear()

    async def run(self, job: Job, timeout: float | None = None, *, cached: bool = True) -> Answer:
        """The serialised answer to a job; raises the store's errors or :class:`QueryTimeout`.

        A worker found dead (it died while idle, or during this job) is replaced and the job
        is tried once more on another; a job that stops two workers is refused.
        """
        job = replace(job, generation=self.generation)
        key = job.digest if cached and self._cache is not None else None
        if key is not None:
            remembered = self._cache.get(key)
            if remembered is not None:
                return remembered
        limit = self.settings.query_timeout if timeout is None else timeout
        for attempt in (1, 2):
            worker = await self._acquire(limit)
            try:
                with self._supervising(worker, limit):
                    async with asyncio.timeout(limit):
                        status, payload = await worker.exchange(job)
            except _WorkerDied:
                if attempt == 1:
                    continue
                raise QueryTooLarge(
                    "the query stopped its query worker twice; it needs more than the "
                    f"{self.settings.query_memory_mb} MiB a query may use, or more stack"
                ) from None
            self._release(worker)
            break
        if status != "ok":
            raise _ERRORS.get(status, StoreError)(payload.decode())
        name, _, body = payload.partition(b"\n")
        answer = Answer(body, name.decode())
        if key is not None:
            self._cache.put(key, answer)
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
        streaming = replace(job, stream=True, generation=self.generation)
        worker = await self._acquire(limit)
        finished = False
        try:
            with self._supervising(worker, limit):
                async with asyncio.timeout(limit):
                    status, payload = await worker.exchange(streaming)
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
        """An idle worker that is still alive; dead ones found on the way are replaced."""
        assert self._idle is not None, "the pool has not been started"
        try:
            async with asyncio.timeout(limit):
                while True:
                    worker = await self._idle.get()
                    if worker.process.is_alive():
                        return worker
                    self._replace(worker)
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
        except (EOFError, OSError, asyncio.IncompleteReadError):
            self._replace(worker)
            raise _WorkerDied from None

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker (it may be deep inside a query) and start a fresh one in its place."""
        if worker not in self._all:
            return
        self._all.discard(worker)
        worker.stop()
        task = asyncio.get_running_loop().create_task(self._start_replacement())
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    async def _start_replacement(self) -> None:
        while True:
            worker = _Worker(self._context, self.settings)
            try:
                await worker.wait_ready(timeout=60)
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
