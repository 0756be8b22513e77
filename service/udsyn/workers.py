"""Query workers: separate processes that run queries and can be stopped.

A query that runs past its time limit cannot be interrupted inside a thread, so the service
runs every query in a worker process with its own store handle (the embedded store opened
read-only, or the remote server). When a query overruns, its worker is killed and replaced;
the other workers go on answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import pickle
import socket
import struct
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, replace
from multiprocessing.process import BaseProcess

from udsyn.config import Settings
from udsyn.formats import DATASET_FORMATS, GRAPH_FORMATS, RESULT_FORMATS, by_name
from udsyn.store import Dataset, QueryFailed, StoreError, StoreUnavailable, open_store

_ALL_FORMATS = RESULT_FORMATS + GRAPH_FORMATS + DATASET_FORMATS
_ERRORS: dict[str, type[StoreError]] = {
    "failed": QueryFailed,
    "unavailable": StoreUnavailable,
    "error": StoreError,
}


class QueryTimeout(StoreError):
    """A query ran longer than the service allows and was stopped."""


class ServiceBusy(StoreError):
    """Every worker stayed busy for longer than a request may wait."""


@dataclass(frozen=True)
class Job:
    """One query for a worker: its text, the answer format's name, and the dataset."""

    text: str
    format: str
    default_graphs: Sequence[str] = ()
    named_graphs: Sequence[str] = ()
    max_rows: int | None = None
    stream: bool = False


_CHUNK = 1 << 16

# Frames on a worker's socket: a status byte and a 4-byte length, then the payload.
_HEADER = struct.Struct("!BI")
_STATUSES = ("ok", "failed", "unavailable", "error", "ready", "chunk")


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


def _worker_main(channel: socket.socket, settings: Settings) -> None:
    """A worker's life: open the store once, then answer jobs until the channel closes."""
    try:
        store = open_store(settings, read_only=True)
    except StoreError as error:
        _write_frame(channel, "unavailable", str(error).encode())
        return
    _write_frame(channel, "ready", b"")
    while True:
        try:
            (size,) = struct.unpack("!I", _read_exactly(channel, 4))
            job: Job = pickle.loads(_read_exactly(channel, size))
        except EOFError:
            return
        status, payload = _answer(store, job, channel)
        _write_frame(channel, status, payload if isinstance(payload, bytes) else payload.encode())


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


def _answer(store, job: Job, channel: socket.socket) -> tuple[str, bytes | str]:
    """Answer a job: whole (status "ok" with the answer) or streamed ("chunk"s, then "ok")."""
    try:
        dataset = Dataset(tuple(job.default_graphs), tuple(job.named_graphs))
        answer_format = by_name(job.format, _ALL_FORMATS)
        if job.stream:
            writer = _ChunkWriter(channel)
            store.write_answer(job.text, answer_format, writer, dataset)
            writer.flush()
            return "ok", b""
        return "ok", store.query(job.text, answer_format, dataset, max_rows=job.max_rows)
    except QueryFailed as error:
        return "failed", str(error)
    except StoreUnavailable as error:
        return "unavailable", str(error)
    except StoreError as error:
        return "error", str(error)
    except Exception as error:  # a worker must answer, whatever happened
        return "error", f"the query failed: {type(error).__name__}: {error}"


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

    async def wait_ready(self, timeout: float) -> None:
        """Wait until the worker has opened its store."""
        self.reader, self.writer = await asyncio.open_unix_connection(sock=self.channel)
        try:
            async with asyncio.timeout(timeout):
                status, message = await self.receive()
        except (TimeoutError, EOFError, asyncio.IncompleteReadError):
            self.stop()
            raise StoreUnavailable(f"a query worker did not start within {timeout:g} s") from None
        if status != "ready":
            self.stop()
            raise StoreUnavailable(message.decode())

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

    Only for the embedded store: the service opens it read-only, so an answer cannot go
    stale while the service runs. A remote server may change under the service, so answers
    from it are never kept.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        self._answers: OrderedDict[Job, bytes] = OrderedDict()

    def get(self, job: Job) -> bytes | None:
        answer = self._answers.get(job)
        if answer is not None:
            self._answers.move_to_end(job)
        return answer

    def put(self, job: Job, answer: bytes) -> None:
        if len(answer) > self.budget // 16 or job in self._answers:
            return  # one large answer must not push out many small ones
        self._answers[job] = answer
        self.size += len(answer)
        while self.size > self.budget:
            _, dropped = self._answers.popitem(last=False)
            self.size -= len(dropped)


class WorkerPool:
    """A fixed number of query workers shared by the service's requests."""

    def __init__(self, settings: Settings, size: int | None = None) -> None:
        self.settings = settings
        self.size = max(1, size or settings.query_workers)
        budget = settings.answer_cache_mb * 2**20 if settings.remote is None else 0
        self._cache = AnswerCache(budget) if budget > 0 else None
        self._context = multiprocessing.get_context("spawn")
        self._idle: asyncio.Queue[_Worker] | None = None
        self._all: set[_Worker] = set()
        self._starting: set[asyncio.Task] = set()

    async def start(self) -> None:
        """Start every worker and wait until each has opened its store."""
        self._idle = asyncio.Queue()
        workers = [_Worker(self._context, self.settings) for _ in range(self.size)]
        for worker in workers:
            await worker.wait_ready(timeout=60)
            self._all.add(worker)
            self._idle.put_nowait(worker)

    def stop(self) -> None:
        for task in self._starting:
            task.cancel()
        for worker in list(self._all):
            worker.stop()
        self._all.clear()

    async def run(self, job: Job, timeout: float | None = None) -> bytes:
        """The serialised answer to a job; raises the store's errors or :class:`QueryTimeout`."""
        cached = self._cache.get(job) if self._cache else None
        if cached is not None:
            return cached
        limit = self.settings.query_timeout if timeout is None else timeout
        worker = await self._acquire(limit)
        with self._supervising(worker, limit):
            async with asyncio.timeout(limit):
                status, payload = await worker.exchange(job)
        self._release(worker)
        if status == "ok":
            if self._cache:
                self._cache.put(job, payload)
            return payload
        raise _ERRORS.get(status, StoreError)(payload.decode())

    async def stream(self, job: Job, timeout: float | None = None) -> AsyncIterator[bytes]:
        """The answer in chunks as the worker produces them, for downloads of any size.

        The time limit applies to the wait for each chunk. A stream abandoned before its end
        (the client left) has its worker replaced, which stops the query.
        """
        limit = self.settings.query_timeout if timeout is None else timeout
        streaming = replace(job, stream=True)
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
        finally:
            if finished:
                self._release(worker)
            elif worker in self._all:
                self._replace(worker)
        if status != "ok":
            raise _ERRORS.get(status, StoreError)(payload.decode())

    async def _acquire(self, limit: float) -> _Worker:
        assert self._idle is not None, "the pool has not been started"
        try:
            async with asyncio.timeout(limit):
                return await self._idle.get()
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
            raise StoreError(
                "the query worker stopped unexpectedly; the query was not answered"
            ) from None

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
        worker = _Worker(self._context, self.settings)
        try:
            await worker.wait_ready(timeout=60)
        except StoreError:
            return
        assert self._idle is not None
        self._all.add(worker)
        self._idle.put_nowait(worker)
