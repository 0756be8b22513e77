"""Queries answered by this process, from the store's copy in memory.

A front process (``web/front.py``) answers its queries itself, with no hop to a worker: it
was forked from the store's host, so it holds the copy, has no network and its memory is
capped, as a worker is. pyoxigraph lets go of the interpreter while it evaluates, so the
event loop goes on serving while threads run queries.

A query the front is answering alone (its only connection, no other request in progress,
no query in a thread) runs on the event loop's own thread: nothing else waits, and a hop to
a thread and back cost a lookup about as much as its query. A watchdog thread keeps its
time.

The time limits are the worker pool's: a job may wait that long for a thread
(:class:`ServiceBusy` past it), then run that long (:class:`QueryTimeout`); a download's
limit applies to each chunk. A query cannot be stopped, so one still running past its limit
ends the process. Run by a thread, it makes the process retire (``runaway``): it takes no
new requests, hands its connections to the service, and ends. Run on the event loop's
thread, the watchdog refuses the asker and the process gives up at once (:data:`GIVE_UP`).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar

from udsyn.config import Settings
from udsyn.runtime.pool import Answer, AnswerCache, QueryTimeout, ServiceBusy, answer_of
from udsyn.runtime.sandbox import WORKER_STACK
from udsyn.runtime.worker import HEADER, STATUSES, Job, answer, digest_of
from udsyn.store import EmbeddedStore

_Outcome = tuple[str, bytes]  # a worker's last frame: its status and payload
_CHUNKS_AHEAD = 4  # chunks of a download a thread may produce before the client reads them
_WATCH_EVERY = 0.2  # seconds between the watchdog's looks (at most; less for short limits)

# How the request being answered gives up when its query, run on the event loop's thread,
# outlives the time limit: called from the watchdog's thread with the refusal, it answers
# the asker, passes the process's connections on and ends the process. Set for each request
# by the front's HTTP connection (``web/front_http.py``); unset, queries run in threads.
GIVE_UP: ContextVar[Callable[[Exception], None] | None] = ContextVar("give_up", default=None)


class ThreadedQueries:
    """Answers from ``store`` by ``threads`` threads, within the service's time limit."""

    generation = 0  # a front process never sees a write: it is replaced after one

    def __init__(
        self,
        store: EmbeddedStore,
        settings: Settings,
        threads: int,
        *,
        runaway: Callable[[], None],
        alone: Callable[[], bool],
    ) -> None:
        """``runaway`` retires the process; ``alone`` tells whether the request being
        answered is the process's only one."""
        self.store = store
        self.settings = settings
        self.threads = threads
        self.runaway = runaway
        self.alone = alone
        budget = settings.answer_cache_mb * 2**20 // max(1, settings.front_processes)
        self._cache = AnswerCache(budget) if budget > 0 else None
        self._jobs: queue.SimpleQueue[_Running] = queue.SimpleQueue()
        self._in_threads = 0  # jobs handed to threads and not yet settled
        self._watchdog: _Watchdog | None = None
        _start_threads(threads, self._jobs)

    async def run(self, job: Job, timeout: float | None = None, *, cached: bool = True) -> Answer:
        """The serialised answer to a job; raises the store's errors, :class:`ServiceBusy`
        or :class:`QueryTimeout`."""
        key = digest_of(job.pickled()) if cached and self._cache is not None else None
        if key is not None and (remembered := self._cache.get(key)) is not None:
            return remembered
        limit = self.settings.query_timeout if timeout is None else timeout
        give_up = GIVE_UP.get()
        if give_up is not None and not self._in_threads and self.alone():
            outcome, took = self._inline(job, limit, give_up)
            result = answer_of(*outcome)
        else:
            running = self._start(lambda _: answer(self.store, job, _NoStream()), limit)
            try:
                result = answer_of(*await running.answer)
            except asyncio.CancelledError:  # the client has gone
                running.withdraw()
                raise
            took = running.took
        if key is not None:  # by CPU time: under load, a cheap query's wall time is waiting
            self._cache.put(key, result, took)
        return result

    def _inline(
        self, job: Job, limit: float, give_up: Callable[[Exception], None]
    ) -> tuple[_Outcome, float]:
        """Answer ``job`` on this (the event loop's) thread; past ``limit``, the watchdog
        gives up for the process, which then never returns from here."""
        if self._watchdog is None:
            self._watchdog = _Watchdog(min(_WATCH_EVERY, limit / 10))
        cpu = time.thread_time()
        deadline = time.monotonic() + limit
        watched = self._watchdog.watch(deadline, lambda: give_up(_overran(limit)))
        outcome = answer(self.store, job, _NoStream())
        if not self._watchdog.release(watched):
            while True:  # the watchdog has answered the asker and is ending the process
                time.sleep(60)
        return outcome, time.thread_time() - cpu

    async def stream(self, job: Job, timeout: float | None = None) -> AsyncIterator[bytes]:
        """The answer in chunks as the thread writes them; the thread waits while
        :data:`_CHUNKS_AHEAD` chunks are unread, and its time limit starts again with each
        chunk it hands on."""
        chunks = _Chunks(asyncio.get_running_loop())
        streaming = Job(**{**job.__dict__, "stream": True})

        def work(running: _Running) -> _Outcome:
            chunks.running = running
            try:
                return answer(self.store, streaming, chunks)
            finally:  # after the last chunk: the reader stops there
                chunks.loop.call_soon_threadsafe(chunks.queue.put_nowait, None)

        limit = self.settings.query_timeout if timeout is None else timeout
        running = self._start(work, limit, chunks.failed)
        try:
            while (chunk := await chunks.queue.get()) is not None:
                chunks.room.release()
                yield chunk
            answer_of(*await running.answer)
        finally:  # ended, refused, or the client has gone
            chunks.abandon()
            running.withdraw()

    def _start(
        self,
        work: Callable[[_Running], _Outcome],
        limit: float,
        failed: Callable[[Exception], None] | None = None,
    ) -> _Running:
        """Hand ``work`` to a thread. Its answer, or the refusal when it waits or runs past
        the limit, comes in the returned job's ``answer``; a thread still in it past the
        limit makes the process retire, whether anyone still waits for the answer or not."""
        loop = asyncio.get_running_loop()
        running = _Running(loop, work, failed)
        self._in_threads += 1
        running.answer.add_done_callback(self._settled)
        self._jobs.put(running)
        running.deadline = loop.call_later(limit, self._check, running, limit)
        return running

    def _settled(self, _answer: asyncio.Future[_Outcome]) -> None:
        self._in_threads -= 1

    def _check(self, running: _Running, limit: float) -> None:
        """At the time limit: refuse a job no thread has begun, wait longer for one begun
        later, and retire the process for one that has run past it."""
        if running.ended:
            return
        if running.claim.acquire(blocking=False):  # no thread took it: none ever will
            running.fail(ServiceBusy(
                f"all {self.threads} query threads stayed busy for {limit:g} s; try again later"
            ))  # fmt: skip
            return
        # (a thread that has just taken it may not have noted when yet)
        ends = (running.held_since or running.began or time.monotonic()) + limit
        if time.monotonic() < ends:
            loop = asyncio.get_running_loop()
            delay = ends - time.monotonic()
            running.deadline = loop.call_later(delay, self._check, running, limit)
        elif running.held_since:  # a download whose client read nothing for the limit
            running.fail(QueryTimeout(f"the client read nothing for {limit:g} s"))
        else:
            self.runaway()
            running.fail(_overran(limit))


def _overran(limit: float) -> QueryTimeout:
    return QueryTimeout(
        f"the query ran longer than {limit:g} s and was stopped; narrow it down or add a LIMIT"
    )


class _Watchdog:
    """A thread that keeps the time of the query the event loop's thread is running (one at
    a time); it looks every ``period`` seconds, so a query costs it no wake-up."""

    def __init__(self, period: float) -> None:
        self.period = period
        self.watched: _Watched | None = None
        threading.Thread(target=self._watch, name="udsyn-watchdog", daemon=True).start()

    def watch(self, deadline: float, overrun: Callable[[], None]) -> _Watched:
        """Watch a query from now; ``overrun`` is called (in the watchdog's thread) if it
        has not ended by ``deadline``."""
        watched = self.watched = _Watched(deadline, overrun)
        return watched

    def release(self, watched: _Watched) -> bool:
        """The query has ended; whether in time (``False``: the watchdog has taken over)."""
        self.watched = None
        return watched.claim.acquire(blocking=False)

    def _watch(self) -> None:
        while True:
            time.sleep(self.period)
            watched = self.watched
            late = watched is not None and time.monotonic() > watched.deadline
            if late and watched.claim.acquire(blocking=False):  # type: ignore[union-attr]
                watched.overrun()  # type: ignore[union-attr]


class _Watched:
    def __init__(self, deadline: float, overrun: Callable[[], None]) -> None:
        self.deadline = deadline
        self.overrun = overrun
        self.claim = threading.Lock()  # taken by whichever sees the end first


def _start_threads(count: int, jobs: queue.SimpleQueue[_Running]) -> None:
    """Start ``count`` threads that run the jobs put on ``jobs``, each with
    :data:`WORKER_STACK` bytes of stack (the engine recurses over a query's algebra)."""
    previous = threading.stack_size(WORKER_STACK)
    try:
        for number in range(count):
            name = f"udsyn-query-{number}"
            threading.Thread(target=_run_jobs, args=(jobs,), name=name, daemon=True).start()
    finally:
        threading.stack_size(previous)


def _run_jobs(jobs: queue.SimpleQueue[_Running]) -> None:
    while True:
        running = jobs.get()
        if running.claim.acquire(blocking=False):  # not refused meanwhile
            running.run()


class _Running:
    """A job for a query thread: its answer to come, when a thread began it (0: not yet),
    whether it has ended, and the check of its time."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        work: Callable[[_Running], _Outcome],
        failed: Callable[[Exception], None] | None,
    ) -> None:
        self.loop = loop
        self.work = work
        self.answer: asyncio.Future[_Outcome] = loop.create_future()
        self.failed = failed  # also told of a refusal (a stream's reader)
        self.claim = threading.Lock()  # taken by the thread that runs it, or by its refusal
        self.began = 0.0
        self.held_since = 0.0  # when the thread began to wait for a slow reader (0: not)
        self.took = 0.0  # seconds of CPU the thread spent on it
        self.ended = False
        self.deadline: asyncio.TimerHandle

    def run(self) -> None:
        """In a query thread: do the work, then hand the answer to the event loop."""
        self.began = time.monotonic()
        cpu = time.thread_time()
        try:
            outcome = self.work(self)  # answer() answers whatever happens; it never raises
        finally:
            self.took = time.thread_time() - cpu
            self.ended = True
        with contextlib.suppress(RuntimeError):  # the loop has closed: no one is waiting
            self.loop.call_soon_threadsafe(self._settle, outcome)

    def _settle(self, outcome: _Outcome) -> None:
        self.deadline.cancel()
        if not self.answer.done():
            self.answer.set_result(outcome)

    def withdraw(self) -> None:
        """No one waits for the answer any more: a job no thread has taken is never run;
        one running goes on, its time still checked."""
        if self.claim.acquire(blocking=False):
            self.deadline.cancel()
        if not self.answer.done():
            self.answer.cancel()

    def fail(self, error: Exception) -> None:
        if self.failed is not None:
            self.failed(error)
        if not self.answer.done():  # none, once the one waiting has gone
            self.answer.set_exception(error)


class _NoStream:
    """The channel of a job that is answered whole: nothing is sent on it."""

    def sendall(self, data: bytes, /) -> None:
        raise AssertionError("a whole answer sends no chunks")


class _Chunks:
    """Where a thread's "chunk" frames go: onto the event loop's queue, a few ahead at most.
    Each chunk handed on starts the thread's clock again."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.room = threading.Semaphore(_CHUNKS_AHEAD)
        self.abandoned = False
        self.running: _Running | None = None

    def sendall(self, frame: bytes, /) -> None:
        """Called by the thread with each frame (:func:`~udsyn.runtime.worker.write_frame`)."""
        status, _ = HEADER.unpack_from(frame)
        if STATUSES[status] != "chunk":
            return
        running = self.running
        if running is not None:
            running.held_since = time.monotonic()  # by the reader: not the query's time
        self.room.acquire()
        if self.abandoned:
            raise BrokenPipeError("the client has gone")
        self.loop.call_soon_threadsafe(self.queue.put_nowait, frame[HEADER.size :])
        if running is not None:
            running.began, running.held_since = time.monotonic(), 0.0

    def failed(self, error: Exception) -> None:
        """The job was refused (on the loop): the reader stops at once, the thread at its
        next chunk."""
        self.queue.put_nowait(None)
        self.abandon()

    def abandon(self) -> None:
        if not self.abandoned:
            self.abandoned = True
            self.room.release()  # a thread waiting for room wakes, and stops
