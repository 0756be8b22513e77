"""Queries answered by threads of this process, from the store's copy in memory.

A front process (``web/front.py``) answers its queries itself, with no hop to a worker: it
was forked from the store's host, so it holds the copy, has no network and its memory is
capped, as a worker is. pyoxigraph lets go of the interpreter while it evaluates, so the
event loop goes on serving while threads run queries. A thread cannot be stopped, so a
query that outlives its time limit gets the same refusal as in a worker, and then the
whole process retires (``runaway``): it takes no new requests, hands its connections to
the service, and ends, which stops the query.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from udsyn.config import Settings
from udsyn.runtime.pool import (
    Answer,
    AnswerCache,
    QueryTimeout,
    ServiceBusy,
    answer_of,
)
from udsyn.runtime.sandbox import WORKER_STACK
from udsyn.runtime.worker import HEADER, STATUSES, Job, answer, digest_of
from udsyn.store import EmbeddedStore, StoreError

_Outcome = tuple[str, bytes | str]  # a worker's last frame: its status and payload
_Future = concurrent.futures.Future[_Outcome]
_CHUNKS_AHEAD = 4  # chunks of a download a thread may produce before the client reads them


class ThreadedQueries:
    """Answers from ``store`` by ``threads`` threads, within the service's time limit."""

    generation = 0  # a front process never sees a write: it is replaced after one

    def __init__(
        self, store: EmbeddedStore, settings: Settings, threads: int, runaway: Callable[[], None]
    ) -> None:
        self.store = store
        self.settings = settings
        self.threads = threads
        self.runaway = runaway
        budget = settings.answer_cache_mb * 2**20 // max(1, settings.front_processes)
        self._cache = AnswerCache(budget) if budget > 0 else None
        previous = threading.stack_size(WORKER_STACK)  # the engine recurses over the algebra
        try:
            self._threads = concurrent.futures.ThreadPoolExecutor(
                threads, thread_name_prefix="udsyn-query"
            )
            for _ in range(threads):  # started now, with the large stack
                self._threads.submit(int).result()
        finally:
            threading.stack_size(previous)

    async def run(self, job: Job, timeout: float | None = None, *, cached: bool = True) -> Answer:
        """The serialised answer to a job; raises the store's errors or :class:`QueryTimeout`."""
        pickled = job.pickled() if cached and self._cache is not None else b""
        key = digest_of(pickled) if pickled else None
        if key is not None and (remembered := self._cache.get(key)) is not None:
            return remembered
        started = self._start(lambda: answer(self.store, job, _NoStream()), timeout)
        status, payload = await self._outcome(started, timeout)
        result = answer_of(status, payload.encode() if isinstance(payload, str) else payload)
        if key is not None:
            self._cache.put(key, result)
        return result

    async def stream(self, job: Job, timeout: float | None = None) -> AsyncIterator[bytes]:
        """The answer in chunks as the thread writes them; the thread waits while
        :data:`_CHUNKS_AHEAD` chunks are unread. The time limit applies to the wait for each
        chunk, as in a worker."""
        loop = asyncio.get_running_loop()
        chunks = _Chunks(loop)
        streaming = Job(**{**job.__dict__, "stream": True})

        def work() -> _Outcome:
            try:
                return answer(self.store, streaming, chunks)
            finally:
                chunks.finished()

        started = self._start(work, timeout)
        limit = self._limit(timeout)
        try:
            while True:
                async with asyncio.timeout(limit):
                    chunk = await chunks.queue.get()
                if chunk is None:
                    break
                chunks.room.release()
                yield chunk
            status, payload = await self._outcome(started, timeout)
            answer_of(status, payload.encode() if isinstance(payload, str) else payload)
        except TimeoutError:
            raise self._overran(started, limit) from None
        finally:
            chunks.abandon()

    def _limit(self, timeout: float | None) -> float:
        return self.settings.query_timeout if timeout is None else timeout

    def _start(self, work: Callable[[], _Outcome], timeout: float | None) -> _Running:
        """Hand ``work`` to a thread; past the time limit, a thread still in it makes the
        process retire, whether anyone still waits for the answer or not."""
        future = self._threads.submit(work)
        deadline = asyncio.get_running_loop().call_later(
            self._limit(timeout), self._check_overrun, future
        )
        return _Running(future, deadline)

    def _check_overrun(self, future: _Future) -> None:
        if future.running():
            self.runaway()

    async def _outcome(self, started: _Running, timeout: float | None) -> _Outcome:
        limit = self._limit(timeout)
        try:
            async with asyncio.timeout(limit):
                outcome = await asyncio.wrap_future(started.future)
        except TimeoutError:
            raise self._overran(started, limit) from None
        started.deadline.cancel()
        return outcome

    def _overran(self, started: _Running, limit: float) -> StoreError:
        if started.future.cancel():  # it never started: every thread was busy
            return ServiceBusy(
                f"all {self.threads} query threads stayed busy for {limit:g} s; try again later"
            )
        self.runaway()
        return QueryTimeout(
            f"the query ran longer than {limit:g} s and was stopped; narrow it down or add a LIMIT"
        )


@dataclass(frozen=True)
class _Running:
    """A job handed to a thread, and the check that it finishes within its time limit."""

    future: _Future
    deadline: asyncio.TimerHandle


class _NoStream:
    """The channel of a job that is answered whole: nothing is sent on it."""

    def sendall(self, data: bytes, /) -> None:
        raise AssertionError("a whole answer sends no chunks")


class _Chunks:
    """Where a thread's "chunk" frames go: onto the event loop's queue, a few ahead at most."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.room = threading.Semaphore(_CHUNKS_AHEAD)
        self.abandoned = False

    def sendall(self, frame: bytes, /) -> None:
        """Called by the thread with each frame (:func:`~udsyn.runtime.worker.write_frame`)."""
        status, _ = HEADER.unpack_from(frame)
        if STATUSES[status] != "chunk":
            return
        self.room.acquire()
        if self.abandoned:
            raise BrokenPipeError("the client has gone")
        self.loop.call_soon_threadsafe(self._put, frame[HEADER.size :])

    def _put(self, chunk: bytes) -> None:
        self.queue.put_nowait(chunk)

    def finished(self) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, None)

    def abandon(self) -> None:
        self.abandoned = True
        self.room.release()  # a thread waiting for room wakes, and stops
